"""Read interview transcripts (.txt, .md, .vtt, .srt, .docx) into `Transcript` objects.

Every problem with a file is a `TranscriptError` that names the file (and line) but never quotes
its text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from coder.errors import TranscriptError
from coder.ingest import captions, text, word
from coder.ingest.base import Reader
from coder.ingest.speakers import guess_interviewer, interviewer_keys, key
from coder.transcript import Transcript

__all__ = ["SUPPORTED_SUFFIXES", "iter_files", "read"]

_READERS: dict[str, Reader] = {
    ".txt": text.parse,
    ".md": text.parse,
    ".vtt": captions.parse,
    ".srt": captions.parse,
    ".docx": word.parse,
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_READERS)


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield files given directly as they are, and every regular file under given folders
    (recursively, sorted, skipping hidden names). Raise if a path does not exist."""
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.exists():
            raise TranscriptError(path, "no such file or folder")
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        else:
            yield path


def _walk(folder: Path) -> Iterator[Path]:
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if not entry.is_symlink():  # no loops through linked folders
                yield from _walk(entry)
        elif entry.is_file():
            yield entry


def read(path: Path, interviewer: str | None = None, display_path: str | None = None) -> Transcript:
    """Read one transcript. `interviewer` names the interviewer when the file does not;
    `display_path` is the name used in `Transcript.path` and in errors."""
    path = Path(path)
    where = display_path or str(path)
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        raise TranscriptError(where, f"unsupported file type '{suffix}'" if suffix
                              else "unsupported file type (no extension)")
    data = _read_bytes(path, where)
    if not data:
        raise TranscriptError(where, "empty file")
    try:
        parsed = _READERS[suffix](data, where, suffix)
    except TranscriptError:
        raise
    except Exception as exc:  # never let another exception (or its message) through
        raise TranscriptError(where, f"cannot read file ({type(exc).__name__})") from None
    turns = [(t, text) for t in parsed.turns if (text := t.text)]
    chosen = interviewer_keys((t.speaker for t, _ in turns), parsed.meta.get("interviewer"),
                              interviewer)
    if not chosen:
        chosen = guess_interviewer((t.speaker, text) for t, text in turns)
    rows = [(t.speaker, text, key(t.speaker) in chosen, t.timestamp, t.line) for t, text in turns]
    if not any(not is_int for _, _, is_int, _, _ in rows):
        raise TranscriptError(where, "no informant speech found")
    informant = parsed.meta.get("informant")
    informant_id = str(informant).strip() if informant not in (None, "") else path.stem
    return Transcript.build(where, parsed.format, informant_id or path.stem,
                            hashlib.sha256(data).hexdigest(), parsed.meta, rows)


def _read_bytes(path: Path, where: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise TranscriptError(where, "no such file or folder") from None
    except IsADirectoryError:
        raise TranscriptError(where, "is a folder, not a file") from None
    except PermissionError:
        raise TranscriptError(where, "cannot read file (permission denied)") from None
    except OSError as exc:
        raise TranscriptError(where, f"cannot read file ({exc.strerror or type(exc).__name__})") from None
