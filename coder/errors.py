"""Domain exceptions. The CLI turns each into a message and an exit code in one place."""

from __future__ import annotations

from pathlib import Path


class CoderError(Exception):
    """Base class: a problem the user can act on. The message never quotes transcript text."""

    exit_code = 1


class CodebookError(CoderError):
    """The codebook is missing, unreadable or invalid. `errors` lists one message per problem."""

    exit_code = 2

    def __init__(self, path: Path | str, errors: list[str]) -> None:
        self.path = str(path)
        self.errors = errors
        super().__init__("\n".join(f"{self.path}: {e}" for e in errors))


class TranscriptError(CoderError):
    """One transcript cannot be read. Names the file (and line), never its content."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {reason}")


class StoreError(CoderError):
    """The project database cannot be opened or is from an unknown schema version."""


class UsageError(CoderError):
    """Bad options or arguments."""

    exit_code = 2
