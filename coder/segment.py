"""Build the spaCy pipeline and cut informant turns into coded segments."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import spacy
from spacy.attrs import NORM
from spacy.language import Language
from spacy.lookups import load_lookups
from spacy.tokens import Doc, Span

from .codebook import Codebook
from .errors import UsageError
from .rules import COMPONENT, SPANS_KEY, CodebookRuler
from .transcript import Assignment, Evidence, Segment, Transcript


def lemma_lookup() -> Callable[[str], str]:
    """Word form -> lowercase lemma, from spacy-lookups-data's English lookup table."""
    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")

    def lemma(form: str) -> str:
        low = form.lower()
        return str(table.get(low, low)).lower()

    return lemma


def install_lemmas(nlp: Language) -> None:
    """Store each word type's lookup lemma as its lexeme NORM.

    Lookup lemmatisation ignores context, so it is computed once per word type when the
    vocabulary first meets it, instead of once per token by a pipeline component: this
    keeps parsing close to the bare tokenizer's speed. Patterns' LEMMA keys match NORM.
    """
    lemma = lemma_lookup()
    nlp.vocab.lex_attr_getters[NORM] = lemma
    for lex in nlp.vocab:
        lex.norm_ = lemma(lex.orth_)


def build_nlp(book: Codebook, model: str | None = None) -> Language:
    """`spacy.blank("en")` + sentencizer + lookup lemmas + the codebook's rules, or an
    installed pipeline by name with the rules added."""
    if model:
        try:
            nlp = spacy.load(model, exclude=["ner"])
        except OSError:
            raise UsageError(f"spaCy pipeline '{model}' is not installed") from None
        if not any(nlp.has_pipe(p) for p in ("sentencizer", "parser", "senter")):
            nlp.add_pipe("sentencizer", first=True)
    else:
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
    install_lemmas(nlp)
    ruler: CodebookRuler = nlp.add_pipe(COMPONENT)
    ruler.add_codebook(book)
    return nlp


def _word_count(span: Span) -> int:
    return sum(1 for t in span if not t.is_punct and not t.is_space)


def sentence_runs(doc: Doc, min_words: int) -> list[tuple[int, int]]:
    """Token ranges of segments: sentences, a short one joined to the next (or the last)."""
    runs: list[list[int]] = []
    pending: int | None = None
    for sent in doc.sents:
        if _word_count(sent) == 0 and runs:
            runs[-1][1] = sent.end
            continue
        start = sent.start if pending is None else pending
        if _word_count(doc[start:sent.end]) < min_words:
            pending = start
            continue
        runs.append([start, sent.end])
        pending = None
    if pending is not None:
        if runs:
            runs[-1][1] = len(doc)
        else:
            runs.append([pending, len(doc)])
    return [(a, b) for a, b in runs]


def _assignments(spans: list[Span], offset: int, book: Codebook) -> list[Assignment]:
    """One assignment per code from the spans inside a segment."""
    by_code: dict[str, list[Span]] = {}
    for span in spans:
        by_code.setdefault(span.label_, []).append(span)
    s = book.settings
    out = []
    for code, group in sorted(by_code.items()):
        evidence = [Evidence(sp.id_, sp.text, offset + sp.start_char, offset + sp.end_char,
                             sp._.negated, sp._.hypothetical) for sp in group]
        live = {e.pattern for e in evidence if not (e.negated or e.hypothetical)}
        if live:
            conf = s.rule_confidence_multi if len(live) > 1 else s.rule_confidence
            out.append(Assignment(code, "rule", conf, "auto", evidence))
        else:
            kinds = sorted({"negated" if e.negated else "hypothetical" for e in evidence})
            out.append(Assignment(code, "rule", round(1 - s.rule_confidence, 3), "disputed",
                                  evidence, " and ".join(kinds) + " evidence"))
    return out


def code_transcript(nlp: Language, book: Codebook, transcript: Transcript) -> list[Segment]:
    """Parse every informant turn and return its segments with rule assignments."""
    turns = transcript.informant_turns
    segments: list[Segment] = []
    docs: Iterator[Doc] = nlp.pipe((t.text for t in turns), batch_size=64)
    for turn, doc in zip(turns, docs):
        spans = list(doc.spans.get(SPANS_KEY, []))
        for a, b in sentence_runs(doc, book.settings.min_segment_words):
            run = doc[a:b]
            inside = [sp for sp in spans if a <= sp.start < b]
            start = turn.start + run.start_char
            segments.append(Segment(turn.index, turn.speaker, start, turn.start + run.end_char,
                                    run.text, turn.timestamp,
                                    _assignments(inside, turn.start, book)))
    return segments


def match_text(nlp: Language, book: Codebook, text: str) -> list[Segment]:
    """Code one passage of informant speech (for trying out patterns)."""
    transcript = Transcript.build("<text>", "text", "-", "", {}, [("R", text, False, None, 1)])
    return code_transcript(nlp, book, transcript)
