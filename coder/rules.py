"""The codebook compiled into a spaCy component that writes its matches to `doc.spans`.

Span labels are code ids; each span's `id_` is the pattern that fired ("motive.economic#3").
Matches in the scope of a negation or a hypothetical are kept, flagged with the span
extensions `negated` / `hypothetical`, so a reviewer can see them; they are not evidence.
The same matches are also in `doc._.code_matches` as plain `Match` tuples, which are
cheaper to read than spans and their extensions (segment.py reads those).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np
from spacy.attrs import LOWER, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from .codebook import Codebook, Settings
from .errors import CodebookError
from .tokenmatch import FastTokenMatcher, HashCodes

SPANS_KEY = "codes"
MATCHES = "code_matches"  # Doc extension: the same matches as plain `Match` tuples
_TIME_FRAMES = {("someday",), ("some", "day"), ("one", "day")}
_MODALS = {"would", "'d", "could", "might"}
COMPONENT = "coder_rules"

for _name in ("negated", "hypothetical"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=False)
if not Doc.has_extension(MATCHES):
    Doc.set_extension(MATCHES, default=None)


class Match(NamedTuple):
    """One kept match: token range, code id, pattern id ("motive.economic#3"), scope flags."""

    start: int
    end: int
    code: str
    pattern: str
    negated: bool = False
    hypothetical: bool = False


def _phrase_list(items: Iterable[str]) -> list[tuple[str, ...]]:
    """Lowercased multi-word cues as token tuples, longest first."""
    out = {tuple(item.lower().replace("n't", " n't").split()) for item in items}
    return sorted(out, key=len, reverse=True)


def _ids(words: Iterable[str]) -> frozenset[int]:
    """The string hashes of words: what a token's LOWER attribute holds."""
    return frozenset(get_string_id(w) for w in words)


class _Cues:
    """Cues as tuples of lowercase-word hashes, looked up by their first word."""

    def __init__(self, cues: list[tuple[str, ...]]) -> None:
        self.cues = [tuple(get_string_id(w) for w in cue) for cue in cues]  # longest first
        self.by_first: dict[int, list[tuple[int, ...]]] = {}
        for cue in self.cues:
            if cue:
                self.by_first.setdefault(cue[0], []).append(cue)
        self.first = frozenset(self.by_first)
        self.empty = () in self.cues  # an empty cue matches everywhere

    def find(self, words: list[int]) -> list[tuple[int, int]]:
        """(start, end) of the longest cue at each position of `words` where one occurs."""
        if self.empty:
            return [next((k, k + len(c)) for c in self.cues if tuple(words[k:k + len(c)]) == c)
                    for k in range(len(words))]
        if self.first.isdisjoint(words):
            return []
        hits = []
        for k, word in enumerate(words):
            for cue in self.by_first.get(word, ()):
                if tuple(words[k:k + len(cue)]) == cue:
                    hits.append((k, k + len(cue)))
                    break
        return hits


class CueScope:
    """Decides whether a match sits in the scope of a negation or a hypothetical.

    The rules read lowercase words around each match. Per doc, numpy first finds the
    matches that have a cue's first word in the right place (most have none); only those
    are checked word by word."""

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.neg = _Cues(_phrase_list(settings.negation_cues))
        self.pseudo = _Cues(_phrase_list(settings.pseudo_negations))
        hyp = _phrase_list(settings.hypothetical_cues)
        self.hyp = _Cues(hyp)
        self.hyp_after = _Cues([c for c in hyp if c in _TIME_FRAMES])
        self.breaks = _ids(b.lower() for b in settings.clause_breaks)
        self.conditionals = _ids(("if", "unless"))
        self.modals = _ids(_MODALS)
        # Each word the rules look for gets a code (0: any other word); a table per kind of
        # word says which codes belong to it.
        kinds = (self.breaks, self.neg.first, self.hyp.first, self.hyp_after.first,
                 self.conditionals, self.modals)
        self._codes = HashCodes(set().union(*kinds))
        tables = []
        for ids in kinds:
            table = np.zeros(len(self._codes) + 1, dtype=bool)
            table[[self._codes.code_of[h] for h in ids]] = True
            tables.append(table)
        (self._break, self._neg_first, self._hyp_first, self._after_first,
         self._conditional, self._modal) = tables

    def flags(self, doc: Doc, spans: list[tuple[int, int]]) -> list[tuple[bool, bool]]:
        """(negated, hypothetical) of each (start, end) token range of `doc`; a negated
        match is not also called hypothetical."""
        if not spans:
            return []
        n = len(doc)
        lower = doc.to_array(LOWER)
        codes = self._codes(lower)
        index = np.arange(n)
        start = np.array([a for a, _ in spans])
        stop = np.array([b for _, b in spans])
        sent_start, sent_end = _sentences(doc, start)
        # A match's clause starts after the last break before it in its sentence (at 0
        # without sentence boundaries); next_break[i] is the first break at or after token i.
        is_break = self._break[codes]
        last_break = np.maximum.accumulate(np.where(is_break, index, -1))
        before = np.concatenate(([-1], last_break[:-1]))[start]
        at_clause = np.maximum(sent_start if doc.has_annotation("SENT_START") else 0, before + 1)
        next_break = np.append(np.minimum.accumulate(np.where(is_break, index, n)[::-1])[::-1], n)

        def seen(table: np.ndarray) -> np.ndarray:  # seen[i]: such words before token i
            return np.concatenate(([0], np.cumsum(table[codes])))

        def any_in(counts: np.ndarray, lo: np.ndarray, hi: np.ndarray, cues: _Cues) -> list[bool]:
            found = hi > lo if cues.empty else counts[hi] - counts[lo] > 0
            return found.tolist()

        lo_neg = np.maximum(at_clause, start - self.s.negation_window)
        lo_hyp = np.maximum(at_clause, start - self.s.hypothetical_window)
        neg_seen = any_in(seen(self._neg_first), lo_neg, start, self.neg)
        hyp_seen = any_in(seen(self._hyp_first), lo_hyp, start, self.hyp)
        if sent_end is not None:
            # "If I had money, I would open a shop": the main clause of a conditional.
            cond, modal = seen(self._conditional), seen(self._modal)
            conditional = ((cond[at_clause] - cond[sent_start] > 0)
                           & (modal[start] - modal[at_clause] > 0)).tolist()
            # "I'd open a shop someday": a time-frame cue later in the same clause.
            hi = np.where(stop < sent_end, np.minimum(sent_end, next_break[stop]), stop)
            after_seen = any_in(seen(self._after_first), stop, hi, self.hyp_after)
            hi_list = hi.tolist()
        lo_neg_list, lo_hyp_list = lo_neg.tolist(), lo_hyp.tolist()
        out = []
        for k, (a, b) in enumerate(spans):
            if neg_seen[k] and self._negated(lower[lo_neg_list[k]:a].tolist()):
                out.append((True, False))
                continue
            hypothetical = hyp_seen[k] and bool(self.hyp.find(lower[lo_hyp_list[k]:a].tolist()))
            if not hypothetical:
                if sent_end is None:
                    doc[a].sent  # raises spaCy's "sentence boundaries unset" error
                hypothetical = conditional[k] or (after_seen[k] and bool(
                    self.hyp_after.find(lower[b:hi_list[k]].tolist())))
            out.append((False, hypothetical))
        return out

    def _negated(self, words: list[int]) -> bool:
        """A negation cue among the words before a match, not part of a pseudo-negation."""
        neg = self.neg.find(words)
        if not neg:
            return False
        covered = {k for a, b in self.pseudo.find(words) for k in range(a, b)}
        return any(a not in covered for a, _ in neg)


def _sentences(doc: Doc, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Start and end of the sentence holding each of `tokens`, as `Token.sent` gives them;
    without sentence boundaries the starts are 0 and the ends None (spaCy names none)."""
    if "sent" in doc.user_token_hooks or "sent" in doc.user_span_hooks or \
            "sents" in doc.user_hooks:  # a pipeline's own sentence rules
        sents = [doc[i].sent for i in tokens.tolist()]
        return np.array([s.start for s in sents]), np.array([s.end for s in sents])
    if not doc.has_annotation("SENT_START"):
        return np.zeros(len(tokens), dtype=np.int64), None
    # A sentence runs from a token with sent_start == 1 (or the doc's start) to the next one.
    n = len(doc)
    index = np.arange(n)
    starts = doc.to_array(SENT_START) == 1
    first = np.maximum.accumulate(np.where(starts, index, 0))
    after = np.minimum.accumulate(np.where(starts, index, n)[::-1])[::-1]
    return first[tokens], np.append(after[1:], n)[tokens]


def _lemma_as_norm(token: dict[str, Any]) -> dict[str, Any]:
    return {("NORM" if k.upper() == "LEMMA" else k): v for k, v in token.items()}


class CodebookRuler:
    """spaCy component: codebook patterns -> `doc.spans[SPANS_KEY]` labelled by code id."""

    def __init__(self, nlp: Language, name: str = COMPONENT) -> None:
        self.nlp = nlp
        self.name = name
        self.fast = FastTokenMatcher(nlp.vocab)
        self.matcher = Matcher(nlp.vocab, validate=True)  # token patterns `fast` refuses
        # Lemmas live in NORM (see segment.install_lemmas), so LEMMA patterns match NORM.
        self.phrase = {"LEMMA": PhraseMatcher(nlp.vocab, attr="NORM"),
                       "LOWER": PhraseMatcher(nlp.vocab, attr="LOWER")}
        self.scope: CueScope | None = None

    def add_codebook(self, book: Codebook) -> None:
        """Compile every pattern of the codebook; a pattern spaCy refuses is a CodebookError."""
        self.scope = CueScope(book.settings)
        for code in book.codes:
            for i, pat in enumerate(code.patterns):
                key = f"{code.id}#{i}"
                try:
                    if pat.tokens is not None:
                        if not self.fast.add(key, list(pat.tokens)):
                            self.matcher.add(key, [[_lemma_as_norm(t) for t in pat.tokens]])
                    else:
                        docs = [self.nlp.make_doc(p) for p in pat.phrases or []]
                        self.phrase[pat.attr].add(key, docs)
                except Exception as exc:  # spaCy raises plain ValueError/MatcherError
                    raise CodebookError("codebook.yaml",
                                        [f"codes -> {code.id} -> patterns[{i}]: {exc}"]) from None

    def __call__(self, doc: Doc) -> Doc:
        return self._finish(doc, self.fast(doc))

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        """Like calling the component on each doc; the fast matcher takes a batch at once."""
        for batch in minibatch(stream, batch_size):
            for doc, matches in zip(batch, self.fast.match_docs(batch)):
                yield self._finish(doc, matches)

    def _finish(self, doc: Doc, fast_matches: list[tuple[str, int, int]]) -> Doc:
        """Add the other matchers' matches, keep the longest per code, flag their scope."""
        strings = self.nlp.vocab.strings
        found: dict[tuple[str, int, int], str] = {}
        for pattern, start, end in fast_matches:
            found.setdefault((pattern.split("#", 1)[0], start, end), pattern)
        for matcher in (self.matcher, *self.phrase.values()):
            if not len(matcher):
                continue
            for key, start, end in matcher(doc):
                pattern = strings[key]
                found.setdefault((pattern.split("#", 1)[0], start, end), pattern)
        by_code: dict[str, list[tuple[int, int]]] = {}
        for code, start, end in found:
            by_code.setdefault(code, []).append((start, end))
        # Within one code, overlapping matches collapse to the longest.
        kept = sorted((start, end, code) for code, group in by_code.items()
                      for start, end in _longest(group))
        flags = (self.scope.flags(doc, [(start, end) for start, end, _ in kept])
                 if self.scope is not None else [(False, False)] * len(kept))
        matches = [Match(start, end, code, found[code, start, end], negated, hypothetical)
                   for (start, end, code), (negated, hypothetical) in zip(kept, flags)]
        spans = []
        for m in matches:
            span = Span(doc, m.start, m.end, label=m.code, span_id=m.pattern)
            if m.negated:  # the extensions default to False
                span._.negated = True
            if m.hypothetical:
                span._.hypothetical = True
            spans.append(span)
        doc.spans[SPANS_KEY] = spans
        doc._.set(MATCHES, matches)
        return doc


def _longest(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """spaCy's `filter_spans` on (start, end) pairs: longest first (then earliest), each kept
    unless its first or last token is already taken."""
    taken: set[int] = set()
    out = []
    for start, end in sorted(spans, key=lambda se: (se[1] - se[0], -se[0]), reverse=True):
        if start not in taken and end - 1 not in taken:
            out.append((start, end))
            taken.update(range(start, end))
    return out


@Language.factory(COMPONENT, default_config={})
def make_codebook_ruler(nlp: Language, name: str) -> CodebookRuler:
    return CodebookRuler(nlp, name)
