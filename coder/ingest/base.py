"""What every reader returns, before interviewer detection: the common shape of all formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class RawTurn:
    """A speaker's turn as read: text parts still to be joined with single spaces."""

    speaker: str
    parts: list[str] = field(default_factory=list)
    timestamp: str | None = None
    line: int | None = None

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


@dataclass
class Parsed:
    """A reader's result: the format name, front-matter metadata and the turns in order."""

    format: str
    meta: dict[str, Any]
    turns: list[RawTurn]


class Reader(Protocol):
    """The one signature behind every format: raw bytes, the name used in errors, the suffix."""

    def __call__(self, data: bytes, where: str, suffix: str) -> Parsed: ...
