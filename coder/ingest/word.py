"""Word documents (.docx, via python-docx): paragraphs written `LABEL: text`, as in text files."""

from __future__ import annotations

import io

import docx

from coder.errors import TranscriptError
from coder.ingest.base import Parsed
from coder.ingest.speakers import collect_turns
from coder.ingest.text import NO_TURNS

CORRUPT = "corrupt or unreadable .docx file"


def parse(data: bytes, where: str, suffix: str) -> Parsed:
    """Read the body paragraphs; headings are skipped, `Turn.line` is the paragraph number."""
    if not data:
        raise TranscriptError(where, "empty file")
    if not data.startswith(b"PK"):
        raise TranscriptError(where, CORRUPT + " (not a Word document)")
    try:
        paragraphs = [(p.text, _style_name(p)) for p in docx.Document(io.BytesIO(data)).paragraphs]
    except Exception:  # zipfile, lxml, KeyError, PackageNotFoundError... none may quote the text
        raise TranscriptError(where, CORRUPT) from None
    numbered = [
        (number, line)
        for number, (text, style) in enumerate(paragraphs, start=1)
        if not style.startswith(("heading", "title"))
        for line in text.split("\n")  # soft line breaks may start a new labelled line
    ]
    if not any(line.strip() for _, line in numbered):
        raise TranscriptError(where, "empty document")
    turns = collect_turns(numbered)
    if not turns:
        raise TranscriptError(where, NO_TURNS)
    return Parsed("docx", {}, turns)


def _style_name(paragraph: object) -> str:
    try:
        return str(paragraph.style.name).casefold()  # type: ignore[attr-defined]
    except Exception:
        return ""
