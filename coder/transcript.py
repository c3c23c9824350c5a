"""Plain data passed between stages: what ingest produces and what coding adds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TURN_SEPARATOR = "\n\n"


@dataclass(slots=True)
class Turn:
    """One speaker turn. `start`/`end` are character offsets into `Transcript.text`."""

    index: int
    speaker: str
    text: str
    is_interviewer: bool
    timestamp: str | None = None
    line: int | None = None
    start: int = 0
    end: int = 0


@dataclass(slots=True)
class Transcript:
    """A parsed interview. `text` is the turns' texts joined by TURN_SEPARATOR (see `build`)."""

    path: str
    format: str
    informant_id: str
    content_hash: str
    meta: dict[str, Any] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)
    text: str = ""

    @classmethod
    def build(
        cls,
        path: str,
        format: str,
        informant_id: str,
        content_hash: str,
        meta: dict[str, Any],
        turns: list[tuple[str, str, bool, str | None, int | None]],
    ) -> "Transcript":
        """Make a transcript from (speaker, text, is_interviewer, timestamp, line) tuples,
        numbering the turns and computing their offsets into the joined text."""
        out: list[Turn] = []
        pos = 0
        for i, (speaker, text, is_int, stamp, line) in enumerate(turns):
            out.append(Turn(i, speaker, text, is_int, stamp, line, pos, pos + len(text)))
            pos += len(text) + len(TURN_SEPARATOR)
        return cls(path, format, informant_id, content_hash, dict(meta), out,
                   TURN_SEPARATOR.join(t.text for t in out))

    @property
    def informant_turns(self) -> list[Turn]:
        return [t for t in self.turns if not t.is_interviewer]


@dataclass(slots=True)
class Evidence:
    """Why a code was proposed: the pattern that fired and the words it matched."""

    pattern: str          # e.g. "motive.economic#3" (code id # index into its patterns)
    words: str            # the matched words, as they stand in the text
    start: int            # character offsets into the document text
    end: int
    negated: bool = False
    hypothetical: bool = False
    note: str | None = None   # why a match is not evidence (kept on the segment for review)


@dataclass(slots=True)
class Assignment:
    """A code proposed for (or decided on) a segment."""

    code: str
    source: str           # "rule", "model", "both" or "human"
    confidence: float
    status: str           # "auto", "disputed", "accepted" or "rejected"
    evidence: list[Evidence] = field(default_factory=list)
    dispute_reason: str | None = None


@dataclass(slots=True)
class Segment:
    """A sentence or short run of sentences inside one informant turn."""

    turn_index: int
    speaker: str
    start: int            # character offsets into the document text
    end: int
    text: str
    timestamp: str | None = None
    assignments: list[Assignment] = field(default_factory=list)
    unused: list[Evidence] = field(default_factory=list)  # matches not proposed as codes
