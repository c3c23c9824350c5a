"""Cut informant turns into segments and turn their rule matches into assignments."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np
from spacy.attrs import IS_PUNCT, IS_SPACE, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from .codebook import Codebook
from .nlp import parse
from .rules import SPANS_KEY
from .transcript import Assignment, Evidence, Segment, Transcript


# Spaces around the blank line keep each turn's edge words apart, so the tokenizer's cache
# still knows them ("ends.\n\nThe" would be a new chunk at every turn boundary).
_PARSE_SEPARATOR = " \n\n "


class SentenceIndex:
    """Sentence starts and running word counts of a Doc, computed once for all its turns."""

    def __init__(self, doc: Doc) -> None:
        table = doc.to_array([SENT_START, IS_PUNCT, IS_SPACE])
        self.starts: list[int] = np.flatnonzero(table[:, 0] == 1).tolist()
        words = (table[:, 1] == 0) & (table[:, 2] == 0)
        self.words: list[int] = np.concatenate(([0], np.cumsum(words))).tolist()

    def runs(self, lo: int, hi: int, min_words: int) -> list[tuple[int, int]]:
        """Token ranges of the segments of tokens lo..hi (one turn): its sentences, a short
        one joined to the next (or, at the end, to the previous)."""
        if hi <= lo:
            return []
        inner = self.starts[bisect_right(self.starts, lo):bisect_left(self.starts, hi)]
        runs: list[list[int]] = []
        start = lo
        for end in (*inner, hi):
            if self.words[end] - self.words[start] >= min_words:
                runs.append([start, end])
                start = end
        if start < hi:
            if runs:
                runs[-1][1] = hi
            else:
                runs.append([start, hi])
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
    """Parse the informant turns and return their segments with rule assignments.

    The turns are parsed as one Doc, joined by blank lines (which the sentencizer treats as
    breaks): per-Doc overheads then count once per interview, not once per turn."""
    turns = transcript.informant_turns
    if not turns:
        return []
    text = _PARSE_SEPARATOR.join(t.text for t in turns)
    doc = parse(nlp, text)
    spans = sorted(doc.spans.get(SPANS_KEY, []), key=lambda sp: sp.start)
    span_starts = [sp.start for sp in spans]
    sentences = SentenceIndex(doc)
    segments: list[Segment] = []
    pos = 0
    for turn in turns:
        offset = turn.start - pos  # document offset = Doc offset + offset
        tokens = doc.char_span(pos, pos + len(turn.text), alignment_mode="expand")
        pos += len(turn.text) + len(_PARSE_SEPARATOR)
        if tokens is None:
            continue
        for a, b in sentences.runs(tokens.start, tokens.end, book.settings.min_segment_words):
            start, end = doc[a].idx, doc[b - 1].idx + len(doc[b - 1])
            first = bisect_left(span_starts, a)
            inside = [sp for sp in spans[first:bisect_left(span_starts, b)] if sp.end <= b]
            segments.append(Segment(turn.index, turn.speaker, offset + start, offset + end,
                                    text[start:end], turn.timestamp,
                                    _assignments(inside, offset, book)))
    return segments


def match_text(nlp: Language, book: Codebook, text: str) -> list[Segment]:
    """Code one passage of informant speech (for trying out patterns)."""
    transcript = Transcript.build("<text>", "text", "-", "", {}, [("R", text, False, None, 1)])
    return code_transcript(nlp, book, transcript)
