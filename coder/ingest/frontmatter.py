"""YAML front matter: a mapping between `---` lines at the very top of a text file."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from coder.errors import TranscriptError

_OPEN = "---"
_CLOSE = ("---", "...")


def split_front_matter(text: str, where: str) -> tuple[dict[str, Any], int, list[str]]:
    """Return (meta, line number of the first body line, body lines). No front matter: ({}, 1, lines)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != _OPEN:
        return {}, 1, lines
    for i in range(1, len(lines)):
        if lines[i].rstrip() in _CLOSE:
            return _load("\n".join(lines[1:i]), where), i + 2, lines[i + 1:]
    raise TranscriptError(where, "front matter has no closing '---' line", 1)


# libyaml's parser, when PyYAML has it, with the same safe constructor: about 7x faster.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _load(block: str, where: str) -> dict[str, Any]:
    if _FAST_LOADER is None:
        return _mapping(_load_slow(block, where), where)
    try:
        data = yaml.load(block, Loader=_FAST_LOADER)
    except Exception:  # report whatever is wrong exactly as the pure-Python loader does
        data = _load_slow(block, where)
    return _mapping(data, where)


def _load_slow(block: str, where: str) -> Any:
    try:
        return yaml.safe_load(block)
    except yaml.YAMLError as exc:  # its message may quote the file: leave it out
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        raise TranscriptError(where, "invalid YAML in front matter", line) from None


def _mapping(data: Any, where: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TranscriptError(where, "front matter must be a YAML mapping (key: value lines)", 1)
    return {str(k): _plain(v) for k, v in data.items()}


def _plain(value: Any) -> Any:
    """Make YAML values JSON-friendly: dates become ISO strings, containers are walked."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
