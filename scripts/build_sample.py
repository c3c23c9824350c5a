#!/usr/bin/env python3
"""Render the sample's gold files (transcripts_sample/gold/Snn.json) into interview files.

Each gold file's `render` block picks the format, encoding and newline style, so the sample holds
every input format the tool reads. Rendered files that no gold file produces are deleted.

    python scripts/build_sample.py [--gold DIR] [--out DIR]

Only the standard library, python-docx and PyYAML are used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import io
import json
import re
import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import docx
import yaml

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = {"labels": ".txt", "names": ".txt", "labels-named-interviewer": ".txt", "otter": ".txt",
            "md": ".md", "vtt": ".vtt", "vtt-prefix": ".vtt", "srt": ".srt", "docx": ".docx"}
RENDERED_SUFFIXES = frozenset({".txt", ".md", ".vtt", ".srt", ".docx"})  # = coder.ingest's
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp949", "cp1252")
NEWLINES = {"lf": "\n", "crlf": "\r\n"}
FRONT_MATTER_KEYS = ("pseudonym", "gender", "age", "arrival_year")
CAPTION_FORMATS = {"vtt", "vtt-prefix", "srt"}  # consecutive cues of one speaker merge when read
WORDS_PER_SECOND = 2.5
CUE_WORDS = 25
WRAP_COLUMNS = 78
PAUSE_MS = 800
START_MS = 2000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_LABEL_WORD = re.compile(r"^[^\W\d_][\w'’.\-]*$")
_FIXED_TIME = (2000, 1, 1, 0, 0, 0)


class GoldError(Exception):
    """A gold file that cannot be rendered; the message names the file."""


Turn = tuple[str, str]  # ("I" or "R", whitespace-normalised text)


# --- reading gold files -------------------------------------------------------------------

def load_gold(path: Path) -> dict[str, Any]:
    """Read and check one gold file."""
    try:
        gold = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, json.JSONDecodeError) as exc:
        raise GoldError(f"{path}: cannot read gold JSON ({exc})") from None
    if not isinstance(gold, dict):
        raise GoldError(f"{path}: gold file must hold a JSON object")
    gid = gold.get("id")
    if not isinstance(gid, str) or not _ID.match(gid):
        raise GoldError(f"{path}: 'id' must be a file-name-safe string like 'S01'")
    render = gold.setdefault("render", {})
    fmt = render.get("format", "labels")
    if fmt not in SUFFIXES:
        raise GoldError(f"{path}: unknown render format {fmt!r} (one of {', '.join(SUFFIXES)})")
    if render.get("encoding", "utf-8") not in ENCODINGS:
        raise GoldError(f"{path}: unknown encoding {render.get('encoding')!r} (one of {', '.join(ENCODINGS)})")
    if render.get("newline", "lf") not in NEWLINES:
        raise GoldError(f"{path}: newline must be 'lf' or 'crlf'")
    if fmt == "docx" and (render.get("encoding", "utf-8") != "utf-8" or render.get("newline", "lf") != "lf"):
        raise GoldError(f"{path}: encoding and newline do not apply to docx")
    if not isinstance(gold.get("meta", {}), dict):
        raise GoldError(f"{path}: 'meta' must be an object")
    turns = gold.get("turns")
    if not isinstance(turns, list) or not turns:
        raise GoldError(f"{path}: 'turns' must be a non-empty list")
    for n, turn in enumerate(turns, start=1):
        if not isinstance(turn, dict) or turn.get("speaker") not in ("I", "R"):
            raise GoldError(f"{path}: turn {n}: 'speaker' must be 'I' or 'R'")
        if not isinstance(turn.get("text"), str) or not turn["text"].strip():
            raise GoldError(f"{path}: turn {n}: 'text' must be a non-empty string")
        if fmt in CAPTION_FORMATS and n > 1 and turns[n - 2]["speaker"] == turn["speaker"]:
            raise GoldError(f"{path}: turn {n}: two {turn['speaker']} turns in a row merge into one "
                            f"in {fmt}; join them in the gold file")
    if not any(t["speaker"] == "R" for t in turns):
        raise GoldError(f"{path}: no R (informant) turn")
    return gold


def gold_turns(gold: dict[str, Any]) -> list[Turn]:
    return [(t["speaker"], " ".join(t["text"].split())) for t in gold["turns"]]


def informant_name(gold: dict[str, Any]) -> str:
    """The pseudonym (default 'Informant'); it must read back as a speaker label."""
    name = " ".join(str(gold.get("meta", {}).get("pseudonym") or "Informant").split())
    words = name.split()
    if not 1 <= len(words) <= 4 or len(name) > 40 or not all(
            _LABEL_WORD.match(w) and not w[0].islower() for w in words):
        raise GoldError(f"gold {gold['id']}: pseudonym {name!r} is not a usable speaker label "
                        "(1-4 capitalised words)")
    return name


# --- text helpers -------------------------------------------------------------------------

def _unsafe_start(words: Sequence[str]) -> bool:
    """Would a line or cue starting with these words be read as a label, heading or rule?"""
    if not words:
        return False
    return words[0][0] in "#>-*_+<|[(" or any(":" in w or "：" in w for w in words[:5])


def _safe_break(words: Sequence[str], start: int, end: int) -> int:
    """Move a break at `end` (first word of the next piece) so the next piece starts safely."""
    if end >= len(words) or not _unsafe_start(words[end:]):
        return end
    for shift in range(1, 12):
        for cand in (end - shift, end + shift):
            if start < cand < len(words) and not _unsafe_start(words[cand:]):
                return cand
    return end


def split_words(text: str, size: int) -> list[str]:
    """Split text into chunks of about `size` words, never starting a chunk label-like."""
    words, chunks, start = text.split(), [], 0
    while start < len(words):
        end = _safe_break(words, start, min(start + size, len(words)))
        chunks.append(" ".join(words[start:end]))
        start = end
    return chunks


def wrap(prefix: str, text: str, width: int = WRAP_COLUMNS) -> list[str]:
    """Hard-wrap `prefix + text` at `width` columns; continuation lines never look like labels."""
    words, lines, start, lead = text.split(), [], 0, prefix
    while start < len(words):
        end = start + 1
        while end < len(words) and len(lead + " ".join(words[start:end + 1])) <= width:
            end += 1
        end = _safe_break(words, start, end)
        lines.append(lead + " ".join(words[start:end]))
        start, lead = end, ""
    return lines


def front_matter(fields: dict[str, Any]) -> str:
    return "---\n" + yaml.safe_dump(fields, allow_unicode=True, sort_keys=False) + "---\n"


def base_front_matter(gold: dict[str, Any]) -> dict[str, Any]:
    meta = gold.get("meta", {})
    return {"informant": gold["id"], **{k: meta[k] for k in FRONT_MATTER_KEYS if k in meta}}


def timeline(turns: list[Turn], chunk: int | None = None) -> list[list[tuple[int, int, str]]]:
    """Per turn, its pieces as (start ms, end ms, text) at WORDS_PER_SECOND."""
    out, now = [], START_MS
    for _, text in turns:
        pieces = []
        for piece in (split_words(text, chunk) if chunk else [text]):
            length = max(1000, round(len(piece.split()) / WORDS_PER_SECOND * 1000))
            pieces.append((now, now + length, piece))
            now += length
        out.append(pieces)
        now += PAUSE_MS
    return out


def clock(ms: int, sep: str | None = None, short: bool = False) -> str:
    """00:01:02 (names), 1:02 / 1:02:03 (otter, short), 00:01:02.500 (sep='.') or ,500 (srt)."""
    s, rest = divmod(ms, 1000)
    h, m, s = s // 3600, s // 60 % 60, s % 60
    if short:
        return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
    return f"{h:02d}:{m:02d}:{s:02d}" + (f"{sep}{rest:03d}" if sep else "")


# --- renderers ----------------------------------------------------------------------------

def names_for(gold: dict[str, Any]) -> dict[str, str]:
    return {"I": "Interviewer", "R": informant_name(gold)}


def render_labels(gold: dict[str, Any]) -> str:
    body = "\n".join(f"{s}: {t}\n" for s, t in gold_turns(gold))
    return front_matter(base_front_matter(gold)) + "\n" + body


def render_named_interviewer(gold: dict[str, Any]) -> str:
    interviewer = str(gold["render"].get("interviewer", "Dr. Seo"))
    names = {"I": interviewer, "R": informant_name(gold)}
    fields = {**base_front_matter(gold), "interviewer": interviewer}
    return front_matter(fields) + "\n" + "\n".join(f"{names[s]}: {t}\n" for s, t in gold_turns(gold))


def render_names(gold: dict[str, Any]) -> str:
    names, turns = names_for(gold), gold_turns(gold)
    lines = [f"[{clock(p[0][0])}] {names[s]}: {t}\n"
             for (s, t), p in zip(turns, timeline(turns))]
    return front_matter(base_front_matter(gold)) + "\n" + "\n".join(lines)


def render_md(gold: dict[str, Any]) -> str:
    marks = {"I": "**Q:** ", "R": "**A:** "}
    blocks = ["\n".join(wrap(marks[s], t)) + "\n" for s, t in gold_turns(gold)]
    return front_matter(base_front_matter(gold)) + f"\n# Interview {gold['id']}\n\n" + "\n".join(blocks)


def render_otter(gold: dict[str, Any]) -> str:
    names, turns = names_for(gold), gold_turns(gold)
    return "\n".join(f"{names[s]}  {clock(p[0][0], short=True)}\n{t}\n"
                     for (s, t), p in zip(turns, timeline(turns)))


def _cues(gold: dict[str, Any]) -> list[tuple[str, int, int, str, bool]]:
    """(speaker code, start, end, text, first cue of its turn) for every cue."""
    turns = gold_turns(gold)
    return [(s, a, b, text, i == 0)
            for (s, _), pieces in zip(turns, timeline(turns, CUE_WORDS))
            for i, (a, b, text) in enumerate(pieces)]


def render_vtt(gold: dict[str, Any], prefix: bool = False) -> str:
    names, out = names_for(gold), ["WEBVTT", ""]
    for n, (s, a, b, text, first) in enumerate(_cues(gold), start=1):
        text = html.escape(text, quote=False)
        if prefix:
            cue = f"{names[s]}: {text}" if first else text
        else:
            cue = f"<v {names[s]}>{text}"
        out += [str(n), f"{clock(a, '.')} --> {clock(b, '.')}", cue, ""]
    return "\n".join(out)


def render_srt(gold: dict[str, Any]) -> str:
    names, out = {k: v.upper() for k, v in names_for(gold).items()}, []
    for n, (s, a, b, text, _) in enumerate(_cues(gold), start=1):
        out += [str(n), f"{clock(a, ',')} --> {clock(b, ',')}", f"{names[s]}: {text}", ""]
    return "\n".join(out)


def render_docx(gold: dict[str, Any]) -> bytes:
    """A heading, then one `Name: text` paragraph per turn; zip timestamps fixed for stable bytes."""
    names, document = names_for(gold), docx.Document()
    props = document.core_properties
    props.author = props.last_modified_by = "build_sample"
    props.created = props.modified = dt.datetime(2000, 1, 1)
    props.revision = 1
    document.add_heading(f"Interview {gold['id']}", level=1)
    for s, t in gold_turns(gold):
        document.add_paragraph(f"{names[s]}: {t}")
    raw = io.BytesIO()
    document.save(raw)
    return _stable_zip(raw.getvalue())


def _stable_zip(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info))
    return out.getvalue()


TEXT_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "labels": render_labels,
    "labels-named-interviewer": render_named_interviewer,
    "names": render_names,
    "md": render_md,
    "otter": render_otter,
    "vtt": render_vtt,
    "vtt-prefix": lambda gold: render_vtt(gold, prefix=True),
    "srt": render_srt,
}


def render(gold: dict[str, Any], where: Path) -> tuple[str, bytes]:
    """The file name and bytes for one gold file."""
    fmt = gold["render"].get("format", "labels")
    name = gold["id"] + SUFFIXES[fmt]
    if fmt == "docx":
        return name, render_docx(gold)
    text = TEXT_RENDERERS[fmt](gold).replace("\n", NEWLINES[gold["render"].get("newline", "lf")])
    encoding = gold["render"].get("encoding", "utf-8")
    try:
        return name, text.encode(encoding)
    except UnicodeEncodeError as exc:
        char = exc.object[exc.start]
        raise GoldError(f"{where}: character U+{ord(char):04X} cannot be written in {encoding}") from None


# --- building -----------------------------------------------------------------------------

def build(gold_dir: Path, out_dir: Path) -> tuple[list[Path], list[Path]]:
    """Render every gold file (all or nothing), then delete stale rendered files.
    Returns (written or unchanged files, deleted files)."""
    sources = sorted(gold_dir.glob("*.json"))
    if not sources:
        raise GoldError(f"{gold_dir}: no gold files (*.json)")
    rendered: dict[str, bytes] = {}
    errors: list[str] = []
    for path in sources:
        try:
            name, data = render(load_gold(path), path)
        except GoldError as exc:
            errors.append(str(exc))
            continue
        if name in rendered:
            errors.append(f"{path}: another gold file already renders {name}")
        rendered[name] = data
    if errors:
        raise GoldError("\n".join(errors))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in rendered.items():
        target = out_dir / name
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
        written.append(target)
    stale = [p for p in sorted(out_dir.iterdir())
             if p.is_file() and p.suffix.lower() in RENDERED_SUFFIXES and p.name not in rendered]
    for path in stale:
        path.unlink()
    return written, stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=ROOT / "transcripts_sample" / "gold")
    parser.add_argument("--out", type=Path, default=ROOT / "transcripts_sample" / "interviews")
    args = parser.parse_args(argv)
    try:
        written, stale = build(args.gold, args.out)
    except GoldError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"rendered {len(written)} interview(s) into {args.out}"
          + (f", removed {len(stale)} stale file(s)" if stale else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
