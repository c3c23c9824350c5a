"""Caption files: WebVTT (parsed by webvtt-py, strict) and SubRip (a small strict parser).

Speakers come from `<v Name>` voice tags or a `Name:` prefix; a cue without one continues the
previous speaker, and consecutive cues of one speaker merge into one turn."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from coder.errors import TranscriptError
from coder.ingest.base import Parsed, RawTurn
from coder.ingest.decode import decode
from coder.ingest.speakers import key, parse_label

_VTT_TIME = r"(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}"
_VTT_TIMING = re.compile(rf"^\s*({_VTT_TIME})\s*-->\s*({_VTT_TIME})(?=\s|$)")
_SRT_TIME = r"\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}"
_SRT_TIMING = re.compile(rf"^\s*({_SRT_TIME})\s*-->\s*({_SRT_TIME})(?:\s.*)?$")
_SRT_TIME_START = re.compile(r"^\s*\d{1,2}:\d{2}:\d{2}")
_VOICE = re.compile(r"^\s*(?:-\s*)?<v(?:\.[\w-]+)*\s+([^>]*?)\s*>")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_DASH = re.compile(r"^\s*-\s+")
UNKNOWN = "Unknown"

Cue = tuple[str, list[str], int]  # start time, text lines (tags kept), line of the timing


def parse(data: bytes, where: str, suffix: str) -> Parsed:
    """Read a .vtt or .srt file (a .srt that starts with WEBVTT is read as WebVTT)."""
    text = decode(data, where)
    if suffix == ".srt" and not text.startswith("WEBVTT"):
        return parse_srt(text, where)
    return parse_vtt(text, where)


def parse_vtt(text: str, where: str) -> Parsed:
    """WebVTT: check the block structure for line numbers, then let webvtt-py (strict) parse."""
    if not text.startswith("WEBVTT"):
        raise TranscriptError(where, "malformed WebVTT: missing WEBVTT header", 1)
    lines = text.split("\n")
    timing_lines = _scan_vtt(lines, where)
    for number in timing_lines:  # settings are not needed, and webvtt-py rejects unknown ones
        m = _VTT_TIMING.match(lines[number - 1])
        assert m is not None
        lines[number - 1] = f"{m[1]} --> {m[2]}"
    try:
        captions = webvtt.from_string("\n".join(lines), strict=True).captions
    except MalformedFileError:
        raise TranscriptError(where, "malformed WebVTT: missing WEBVTT header", 1) from None
    except (MalformedCaptionError, ValueError):  # their messages quote the cue: leave them out
        raise TranscriptError(where, "malformed WebVTT: invalid cue") from None
    if not captions:
        raise TranscriptError(where, "malformed WebVTT: no cues found")
    numbers: list[int | None] = [*timing_lines] if len(timing_lines) == len(captions) else [None] * len(captions)
    cues = [(c.start, list(c.lines), n) for c, n in zip(captions, numbers)]
    return Parsed("webvtt", {}, _merge(cues, where))


def _scan_vtt(lines: list[str], where: str) -> list[int]:
    """Return the line numbers of the cue timing lines; raise on blocks that are not cues."""
    timings: list[int] = []
    block: list[tuple[int, str]] = []
    in_header = True
    for number, line in [*enumerate(lines, start=1), (len(lines) + 1, "")]:
        if line and not (in_header and "-->" in line):
            block.append((number, line))
            continue
        if not in_header and block:
            timings.append(_check_vtt_block(block, where))
        block, in_header = ([(number, line)] if line else []), False
    return [t for t in timings if t]


def _check_vtt_block(block: list[tuple[int, str]], where: str) -> int:
    """A cue's timing line number, 0 for NOTE/STYLE/REGION blocks; raise for anything else."""
    first = block[0][1]
    timing = next((i for i, (_, line) in enumerate(block[:2]) if "-->" in line), None)
    if timing is None:
        if first.startswith(("NOTE", "STYLE", "REGION")) or not any(t.strip() for _, t in block):
            return 0
        raise TranscriptError(where, "malformed WebVTT: text outside a cue (missing timing line?)", block[0][0])
    number, line = block[timing]
    if not _VTT_TIMING.match(line):
        raise TranscriptError(where, "malformed WebVTT: invalid cue timing", number)
    extra = next((n for n, text in block[timing + 1:] if "-->" in text), None)
    if extra is not None:
        raise TranscriptError(where, "malformed WebVTT: cue timing without a blank line before it", extra)
    return number


def parse_srt(text: str, where: str) -> Parsed:
    """SubRip: numbered cues `1` / `00:00:05,000 --> 00:00:09,000` / text lines."""
    cues: list[Cue] = []
    for block in _blocks(text.split("\n")):
        (first_no, first), rest = block[0], block[1:]
        if first.strip().isdigit():
            if not rest or not _SRT_TIMING.match(rest[0][1]):
                raise TranscriptError(where, "malformed SubRip: invalid or missing cue timing",
                                      rest[0][0] if rest else first_no)
            (number, timing), payload = rest[0], rest[1:]
        elif _SRT_TIMING.match(first):
            (number, timing), payload = block[0], rest
        elif _SRT_TIME_START.match(first) or any("-->" in line for _, line in block):
            raise TranscriptError(where, "malformed SubRip: invalid cue timing", first_no)
        elif cues:  # a blank line inside a cue's text
            cues[-1][1].extend(line for _, line in block)
            continue
        else:
            raise TranscriptError(where, "malformed SubRip: expected a cue number", first_no)
        m = _SRT_TIMING.match(timing)
        assert m is not None
        cues.append((m[1].replace(",", "."), [line for _, line in payload], number))
    if not cues:
        raise TranscriptError(where, "malformed SubRip: no cues found")
    return Parsed("subrip", {}, _merge(cues, where))


def _blocks(lines: list[str]) -> Iterable[list[tuple[int, str]]]:
    """Runs of non-blank lines, numbered from 1."""
    block: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def _merge(cues: list[Cue], where: str) -> list[RawTurn]:
    """Turn cues into speaker turns; a line without a speaker continues the current one."""
    turns: list[RawTurn] = []
    labelled = False
    for start, lines, number in cues:
        stamp = start.split(".")[0]
        for raw in lines:
            voice = _VOICE.match(raw)
            line = html.unescape(_TAG.sub("", raw)).strip()
            speaker: str | None = None
            if voice and voice[1].strip():
                speaker, line = " ".join(voice[1].split()), _DASH.sub("", line)
            else:
                label = parse_label(_DASH.sub("", line))
                if label is not None:
                    speaker, line = label.speaker, label.text
            if speaker is not None:
                labelled = True
            if not line and speaker is None:
                continue
            if turns and (speaker is None or key(speaker) == key(turns[-1].speaker)):
                turns[-1].parts.append(line)
            else:
                turns.append(RawTurn(speaker or UNKNOWN, [line], stamp, number))
    if not labelled:
        raise TranscriptError(where, "no speaker turns found (expected <v Name> voice tags or 'Name:' prefixes)")
    return turns
