"""The codebook compiled into a spaCy component that writes its matches to `doc.spans`.

Span labels are code ids; each span's `id_` is the pattern that fired ("motive.economic#3").
Matches in the scope of a negation or a hypothetical are kept, flagged with the span
extensions `negated` / `hypothetical`, so a reviewer can see them; they are not evidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .codebook import Codebook, Settings
from .errors import CodebookError
from .tokenmatch import FastTokenMatcher

SPANS_KEY = "codes"
_TIME_FRAMES = {("someday",), ("some", "day"), ("one", "day")}
_MODALS = {"would", "'d", "could", "might"}
COMPONENT = "coder_rules"

for _name in ("negated", "hypothetical"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=False)


def _phrase_list(items: Iterable[str]) -> list[tuple[str, ...]]:
    """Lowercased multi-word cues as token tuples, longest first."""
    out = {tuple(item.lower().replace("n't", " n't").split()) for item in items}
    return sorted(out, key=len, reverse=True)


class CueScope:
    """Decides whether a match sits in the scope of a negation or a hypothetical."""

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.neg = _phrase_list(settings.negation_cues)
        self.pseudo = _phrase_list(settings.pseudo_negations)
        self.hyp = _phrase_list(settings.hypothetical_cues)
        self.hyp_after = [c for c in self.hyp if c in _TIME_FRAMES]
        self.breaks = {b.lower() for b in settings.clause_breaks}

    def _clause_start(self, doc: Doc, i: int) -> int:
        """Index of the first token of the clause holding token i."""
        sent_start = doc[i].sent.start if doc.has_annotation("SENT_START") else 0
        j = i - 1
        while j >= sent_start:
            if doc[j].lower_ in self.breaks:
                return j + 1
            j -= 1
        return sent_start

    @staticmethod
    def _find(words: list[str], cues: list[tuple[str, ...]]) -> list[tuple[int, int]]:
        """(start, end) of every cue occurrence in a list of lowercase words."""
        hits = []
        for k in range(len(words)):
            for cue in cues:
                if tuple(words[k:k + len(cue)]) == cue:
                    hits.append((k, k + len(cue)))
                    break
        return hits

    def negated(self, span: Span) -> bool:
        doc = span.doc
        lo = max(self._clause_start(doc, span.start), span.start - self.s.negation_window)
        words = [t.lower_ for t in doc[lo:span.start]]
        if not words:
            return False
        pseudo = self._find(words, self.pseudo)
        covered = {k for a, b in pseudo for k in range(a, b)}
        return any(a not in covered for a, _ in self._find(words, self.neg))

    def hypothetical(self, span: Span) -> bool:
        doc = span.doc
        clause = self._clause_start(doc, span.start)
        lo = max(clause, span.start - self.s.hypothetical_window)
        before = [t.lower_ for t in doc[lo:span.start]]
        if self._find(before, self.hyp):
            return True
        # "If I had money, I would open a shop": the main clause of a conditional.
        sent = doc[span.start].sent
        if any(t.lower_ in ("if", "unless") for t in doc[sent.start:clause]) and any(
                t.lower_ in _MODALS for t in doc[clause:span.start]):
            return True
        # "I'd open a shop someday": a time-frame cue later in the same clause.
        hi = span.end
        while hi < sent.end and doc[hi].lower_ not in self.breaks:
            hi += 1
        return bool(self._find([t.lower_ for t in doc[span.end:hi]], self.hyp_after))


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
        strings = self.nlp.vocab.strings
        found: dict[tuple[str, int, int], str] = {}
        for pattern, start, end in self.fast(doc):
            found.setdefault((pattern.split("#", 1)[0], start, end), pattern)
        for matcher in (self.matcher, *self.phrase.values()):
            if not len(matcher):
                continue
            for key, start, end in matcher(doc):
                pattern = strings[key]
                found.setdefault((pattern.split("#", 1)[0], start, end), pattern)
        spans = [Span(doc, s, e, label=code, span_id=pat) for (code, s, e), pat in found.items()]
        by_code: dict[str, list[Span]] = {}
        for span in spans:
            by_code.setdefault(span.label_, []).append(span)
        # Within one code, overlapping matches collapse to the longest.
        kept = sorted((s for group in by_code.values() for s in filter_spans(group)),
                      key=lambda s: (s.start, s.end, s.label_))
        if self.scope is not None:
            for span in kept:
                span._.negated = self.scope.negated(span)
                span._.hypothetical = not span._.negated and self.scope.hypothetical(span)
        doc.spans[SPANS_KEY] = kept
        return doc


@Language.factory(COMPONENT, default_config={})
def make_codebook_ruler(nlp: Language, name: str) -> CodebookRuler:
    return CodebookRuler(nlp, name)
