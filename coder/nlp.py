"""The spaCy pipeline: blank English, a sentencizer, lookup lemmas, the codebook's rules.

Two choices keep parsing close to the bare tokenizer's speed (see benchmarks/):
- lookup lemmas are context-free, so each word type's lemma is looked up once, when the
  vocabulary first meets it, and stored as the lexeme's NORM (patterns' LEMMA keys match it);
- the sentencizer is spaCy's, with its per-token Python loop replaced by numpy;
- `make_doc` keeps the tokenizer's cache filled on long texts (see there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from weakref import WeakKeyDictionary

import numpy as np
import spacy
from spacy.attrs import IS_PUNCT, IS_SPACE, NORM, ORTH, SENT_START
from spacy.language import Language
from spacy.lookups import load_lookups
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc

from .codebook import Codebook
from .errors import UsageError
from .rules import COMPONENT, CodebookRuler
from .tokenmatch import HashCodes

SENTENCIZER = "coder_sentencizer"

# Whitespace-separated chunks each pipeline's tokenizer has already been shown on their own.
_SEEN_CHUNKS: WeakKeyDictionary[Language, set[str]] = WeakKeyDictionary()


@lru_cache(maxsize=1)  # one table per process (it is large), shared by pipelines and model
def lemma_lookup() -> Callable[[str], str]:
    """Word form -> lowercase lemma, from spacy-lookups-data's English lookup table."""
    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")

    @lru_cache(maxsize=1 << 17)  # the table hashes every key it is asked for; words repeat
    def lemma(form: str) -> str:
        low = form.lower()
        return str(table.get(low, low)).lower()

    return lemma


def install_lemmas(nlp: Language) -> None:
    """Store each word type's lookup lemma as its lexeme NORM."""
    lemma = lemma_lookup()
    nlp.vocab.lex_attr_getters[NORM] = lemma
    for lex in nlp.vocab:
        lex.norm_ = lemma(lex.orth_)
    # Contractions are tokenizer special cases with norms of their own ("'m" -> "am"):
    # lemmatise those too, so "I'm" and "I am" match the same LEMMA pattern.
    def relemma(token: dict) -> dict:
        # "'s" stays itself: is, has or a possessive, the table cannot tell
        return {k: lemma(v) if k in (NORM, "NORM") and not v.startswith("'") else v
                for k, v in token.items()}

    rules = nlp.tokenizer.rules or {}
    nlp.tokenizer.rules = {text: [relemma(t) for t in tokens] for text, tokens in rules.items()}


class FastSentencizer(Sentencizer):
    """spaCy's Sentencizer rule (a sentence starts at the first non-punctuation token after
    sentence-final punctuation), computed with numpy instead of a loop over tokens. A run of
    whitespace (a blank line) also ends a sentence."""

    def _is_punct_char(self, doc: Doc, orth: np.ndarray) -> np.ndarray:
        """Which ORTH values are one of `punct_chars`."""
        if getattr(self, "_punct_codes", None) is None:
            strings = doc.vocab.strings
            self._punct_codes = HashCodes(strings.add(p) for p in self.punct_chars)
        return self._punct_codes(orth) > 0

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if not n:
            return doc
        table = doc.to_array([ORTH, IS_PUNCT, IS_SPACE])
        # Sentence-final punctuation, and runs of whitespace (line breaks between turns).
        is_pc = self._is_punct_char(doc, table[:, 0]) | (table[:, 2] == 1)
        words = np.flatnonzero((table[:, 1] == 0) & ~is_pc)
        starts = np.zeros(n, dtype=bool)
        starts[0] = True
        if len(words):
            seen = np.concatenate(([0], np.cumsum(is_pc)))  # seen[i] = pcs before token i
            prev = np.concatenate(([0], words[:-1] + 1))
            starts[words[seen[words] - seen[prev] > 0]] = True
        values = np.where(starts, 1, -1).astype(np.int64).astype(np.uint64)
        doc.from_array([SENT_START], values.reshape(-1, 1))
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        for doc in stream:
            yield self(doc)


@Language.factory(SENTENCIZER, default_config={"punct_chars": None})
def make_sentencizer(nlp: Language, name: str, punct_chars: list[str] | None) -> FastSentencizer:
    return FastSentencizer(name, punct_chars=punct_chars)


def build_nlp(book: Codebook, model: str | None = None) -> Language:
    """`spacy.blank("en")` + sentencizer + lookup lemmas + the codebook's rules, or an
    installed pipeline by name with the rules added."""
    if model:
        try:
            nlp = spacy.load(model, exclude=["ner"])
        except OSError:
            raise UsageError(f"spaCy pipeline '{model}' is not installed") from None
        if not any(nlp.has_pipe(p) for p in ("sentencizer", "parser", "senter")):
            nlp.add_pipe(SENTENCIZER, first=True)
    else:
        nlp = spacy.blank("en")
        nlp.add_pipe(SENTENCIZER)
    install_lemmas(nlp)
    ruler: CodebookRuler = nlp.add_pipe(COMPONENT)
    ruler.add_codebook(book)
    return nlp


def make_doc(nlp: Language, text: str) -> Doc:
    """`nlp.make_doc(text)` (tokenize only), with the tokenizer's cache filled first.

    spaCy's tokenizer caches how it split each whitespace-separated chunk, but stops adding
    to its cache for the rest of a text once a chunk was a special case ("don't", "I'm"):
    on a long text it then splits almost every word afresh. Each chunk not seen before is
    therefore tokenized once on its own, where it is cached; the split is the same either way.
    """
    tokenizer = nlp.tokenizer
    seen = _SEEN_CHUNKS.setdefault(nlp, set())
    if len(seen) < getattr(tokenizer, "max_cache_size", 0):
        new = set(text.split()).difference(seen)
        for chunk in new:
            tokenizer(chunk)
        seen |= new
    return nlp.make_doc(text)
