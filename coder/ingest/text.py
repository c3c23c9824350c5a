"""Plain text and Markdown transcripts (`LABEL: text` turns), Otter/Zoom exports, and sniffing."""

from __future__ import annotations

import re

from coder.errors import TranscriptError
from coder.ingest import captions
from coder.ingest.base import Parsed, RawTurn
from coder.ingest.decode import decode
from coder.ingest.frontmatter import split_front_matter
from coder.ingest.speakers import collect_turns, parse_label

# Otter / Zoom: "Speaker Name  0:03", "Speaker Name  1:02:03", "Speaker Name  00:00:03"
_OTTER_HEADER = re.compile(r"^(?P<name>[^\s:][^:\t]{0,60}?)(?:\s{2,}|\t)(?P<ts>\d{1,2}(?::\d{2}){1,2})\s*$")
_OTTER_FOOTER = re.compile(r"^\s*Transcribed by https?://otter\.ai\s*$", re.IGNORECASE)
_MD_BOLD = re.compile(r"^(\s*)(\*\*|__)(.{1,60}?)\2(.*)$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s|$)")
_MD_RULE = re.compile(r"^\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")
_SRT_START = re.compile(r"^\s*\d+\s*\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->")
NO_TURNS = "no speaker turns found (expected 'LABEL: text' lines)"


def parse(data: bytes, where: str, suffix: str) -> Parsed:
    """Read a .txt/.md transcript; a .txt that is really WebVTT or SubRip goes to the captions reader."""
    text = decode(data, where)
    if suffix == ".txt":
        if text.startswith("WEBVTT"):
            return captions.parse_vtt(text, where)
        if _SRT_START.match(text):
            return captions.parse_srt(text, where)
    meta, first, lines = split_front_matter(text, where)
    numbered = list(enumerate(lines, start=first))
    if suffix == ".md":
        turns, fmt = collect_turns(_markdown_lines(numbered)), "markdown"
    elif _looks_like_otter(lines):
        turns, fmt = _otter_turns(numbered), "otter"
    else:
        turns, fmt = collect_turns(numbered), "text"
    if not turns:
        raise TranscriptError(where, NO_TURNS)
    return Parsed(fmt, meta, turns)


def _markdown_lines(numbered: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Drop headings and rules; unwrap bold labels (`**Q:** text`, `**Q**: text`)."""
    out: list[tuple[int, str]] = []
    for number, line in numbered:
        if _MD_HEADING.match(line) or _MD_RULE.match(line):
            continue
        m = _MD_BOLD.match(line)
        if m and (m[3].rstrip().endswith((":", "：")) or m[4].lstrip().startswith((":", "："))):
            line = m[1] + m[3] + m[4]
        out.append((number, line))
    return out


def _looks_like_otter(lines: list[str]) -> bool:
    """Otter/Zoom if the first non-blank line is a `Name  0:03` header, or no line has a label."""
    headers = [bool(_OTTER_HEADER.match(line)) for line in lines if line.strip()]
    if not any(headers):
        return False
    return headers[0] or not any(parse_label(line) for line in lines)


def _otter_turns(numbered: list[tuple[int, str]]) -> list[RawTurn]:
    turns: list[RawTurn] = []
    for number, line in numbered:
        m = _OTTER_HEADER.match(line)
        if m:
            turns.append(RawTurn(" ".join(m["name"].split()), [], m["ts"], number))
        elif turns and line.strip() and not _OTTER_FOOTER.match(line):
            turns[-1].parts.append(line.strip())
    return turns
