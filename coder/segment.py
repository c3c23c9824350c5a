"""Cut informant turns into segments and turn their rule matches into assignments."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator

import numpy as np
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from .codebook import Codebook
from .nlp import make_doc
from .rules import MATCHES, Match
from .transcript import Assignment, Evidence, Segment, Transcript


# Spaces around the blank line keep each turn's edge words apart, so the tokenizer's cache
# still knows them ("ends.\n\nThe" would be a new chunk at every turn boundary).
_PARSE_SEPARATOR = " \n\n "


class SentenceIndex:
    """Sentence starts and running word counts of a Doc, computed once for all its turns."""

    def __init__(self, doc: Doc) -> None:
        table = doc.to_array([SENT_START, IS_PUNCT, IS_SPACE, IDX, LENGTH]).reshape(-1, 5)
        self.starts: list[int] = np.flatnonzero(table[:, 0] == 1).tolist()
        words = (table[:, 1] == 0) & (table[:, 2] == 0)
        self.words: list[int] = np.concatenate(([0], np.cumsum(words))).tolist()
        self.idx: list[int] = table[:, 3].tolist()                      # token start char
        self.end_char: list[int] = (table[:, 3] + table[:, 4]).tolist()  # token end char

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


def _assignments(matches: list[Match], sentences: SentenceIndex, text: str, offset: int,
                 book: Codebook) -> list[Assignment]:
    """One assignment per code from the matches inside a segment (`text` is the parsed
    text, `offset` turns its character offsets into document offsets)."""
    by_code: dict[str, list[Evidence]] = {}
    for m in matches:
        start, end = sentences.idx[m.start], sentences.end_char[m.end - 1]
        by_code.setdefault(m.code, []).append(Evidence(
            m.pattern, text[start:end], offset + start, offset + end, m.negated, m.hypothetical))
    s = book.settings
    out = []
    for code, evidence in sorted(by_code.items()):
        live = {e.pattern for e in evidence if not (e.negated or e.hypothetical)}
        if live:
            conf = s.rule_confidence_multi if len(live) > 1 else s.rule_confidence
            out.append(Assignment(code, "rule", conf, "auto", evidence))
        else:
            kinds = sorted({"negated" if e.negated else "hypothetical" for e in evidence})
            out.append(Assignment(code, "rule", round(1 - s.rule_confidence, 3), "disputed",
                                  evidence, " and ".join(kinds) + " evidence"))
    return out


# Interviews parsed together: the fast matcher works on a batch at once (see tokenmatch).
BATCH_SIZE = 64


def code_transcript(nlp: Language, book: Codebook, transcript: Transcript) -> list[Segment]:
    """Parse the informant turns and return their segments with rule assignments."""
    for _, segments in code_transcripts(nlp, book, [transcript]):
        return segments
    return []


def code_transcripts(nlp: Language, book: Codebook, transcripts: Iterable[Transcript],
                     batch_size: int = BATCH_SIZE) -> Iterator[tuple[Transcript, list[Segment]]]:
    """Code transcripts in order, yielding each with its segments as soon as its batch is
    parsed. `transcripts` is read lazily, a batch ahead of what has been yielded.

    Each interview's informant turns are parsed as one Doc, joined by blank lines (which
    the sentencizer treats as breaks): per-Doc overheads then count once per interview,
    not once per turn."""
    def docs() -> Iterator[tuple[Doc, tuple[Transcript, str]]]:
        for transcript in transcripts:
            turns = transcript.informant_turns
            text = _PARSE_SEPARATOR.join(t.text for t in turns)
            yield (make_doc(nlp, text) if turns else Doc(nlp.vocab)), (transcript, text)

    for doc, (transcript, text) in nlp.pipe(docs(), as_tuples=True, batch_size=batch_size):
        yield transcript, _segments(doc, text, book, transcript)


def _segments(doc: Doc, text: str, book: Codebook, transcript: Transcript) -> list[Segment]:
    """Cut a parsed interview (`text` is its informant turns joined) into segments with
    their assignments."""
    turns = transcript.informant_turns
    if not turns:
        return []
    matches: list[Match] = doc._.get(MATCHES) or []  # sorted by start
    match_starts = [m.start for m in matches]
    sentences = SentenceIndex(doc)
    min_words = book.settings.min_segment_words
    segments: list[Segment] = []
    pos = 0
    for turn in turns:
        offset = turn.start - pos  # document offset = Doc offset + offset
        # the turn's tokens: those overlapping its characters (`char_span`'s "expand")
        first_token = bisect_right(sentences.end_char, pos)
        end_token = bisect_left(sentences.idx, pos + len(turn.text))
        pos += len(turn.text) + len(_PARSE_SEPARATOR)
        for a, b in sentences.runs(first_token, end_token, min_words):
            start, end = sentences.idx[a], sentences.end_char[b - 1]
            first = bisect_left(match_starts, a)
            inside = [m for m in matches[first:bisect_left(match_starts, b)] if m.end <= b]
            segments.append(Segment(turn.index, turn.speaker, offset + start, offset + end,
                                    text[start:end], turn.timestamp,
                                    _assignments(inside, sentences, text, offset, book)
                                    if inside else []))
    return segments


def match_text(nlp: Language, book: Codebook, text: str) -> list[Segment]:
    """Code one passage of informant speech (for trying out patterns)."""
    transcript = Transcript.build("<text>", "text", "-", "", {}, [("R", text, False, None, 1)])
    return code_transcript(nlp, book, transcript)
