"""Speaker labels (`[00:12:05] Mr. Park: text`), grouping lines into turns, and finding the interviewer."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from coder.ingest.base import RawTurn

_TIME = r"\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,3})?"
_LINE = re.compile(
    rf"^\s*(?:(?:\[(?P<s1>{_TIME})\]|\((?P<s2>{_TIME})\)|(?P<s3>{_TIME}))\s*)?"
    r"(?P<label>[^:：\[\]()<>\n]{1,40}?)\s*[:：](?:\s+(?P<text>.*?)|)\s*$"
)
# The same pattern up to the colon: matching what follows it with the lazy `.*?` of _LINE
# costs most of the time on long lines, and `rest.strip()` gives the same text.
_HEAD = re.compile(_LINE.pattern[:_LINE.pattern.index(r"(?:\s+(?P<text>")])
_WORD = re.compile(r"^[^\W\d_][\w'’.\-]*$")
_NUMBER = re.compile(r"^\d{1,3}$")
_PARTICLES = frozenset({"de", "da", "do", "dos", "van", "von", "der", "den", "del", "la", "le",
                        "bin", "binti", "al", "el", "y", "di", "du", "ten", "ter"})
_USUAL = re.compile(r"^(?:interviewer|i|q|int|moderator|researcher)\.?(?:\s*\d{1,2}|\s+[a-z])?$")
MAX_LABEL = 40


@dataclass(frozen=True)
class Label:
    """A labelled line: who speaks, what follows the colon, and an optional timestamp."""

    speaker: str
    text: str
    timestamp: str | None


def parse_label(line: str) -> Label | None:
    """Read `LABEL: text` (optionally after a timestamp) at the start of a line, or return None."""
    if "\n" in line:  # where `.` and `$` of the full pattern make a difference
        m = _LINE.match(line)
        text = (m["text"] or "") if m else ""
    else:
        m = _HEAD.match(line)
        rest = line[m.end():] if m else ""
        if rest and not rest[0].isspace():  # the colon must end the line or be followed by space
            return None
        text = rest.strip()
    if m is None:
        return None
    speaker = _speaker(m["label"])
    if speaker is None:
        return None
    return Label(speaker, text, m["s1"] or m["s2"] or m["s3"])


@lru_cache(maxsize=4096)
def _speaker(label: str) -> str | None:
    """The speaker a label names (whitespace normalised), or None if it is not a label.
    Cached: a transcript repeats its few labels on every turn."""
    return " ".join(label.split()) if is_label(label) else None


def is_label(label: str) -> bool:
    """1-4 words, each capitalised (or caseless, e.g. Hangul), an initial/title, or a number."""
    words = label.split()
    if not 1 <= len(words) <= 4 or len(label.strip()) > MAX_LABEL:
        return False
    for i, word in enumerate(words):
        if i and (_NUMBER.match(word) or word in _PARTICLES):
            continue
        if not _WORD.match(word) or word[0].islower():
            return False
    return True


@lru_cache(maxsize=4096)
def key(name: str) -> str:
    """Compare names case-insensitively, whitespace-normalised, ignoring a trailing dot."""
    return " ".join(name.split()).casefold().rstrip(".")


def is_usual_interviewer(name: str) -> bool:
    """Interviewer, I, Q, Int, Moderator, Researcher (any case, trailing dot, 'Interviewer 2')."""
    return bool(_USUAL.match(" ".join(name.split()).casefold()))


def collect_turns(lines: Iterable[tuple[int, str]]) -> list[RawTurn]:
    """Group numbered lines into turns: a label opens one; other non-blank lines continue it.

    Lines before the first label (titles, headings) are ignored."""
    turns: list[RawTurn] = []
    for number, line in lines:
        stripped = line.strip()
        if not stripped:  # a blank line is no label (a label needs a colon)
            continue
        label = parse_label(line)
        if label is not None:
            turns.append(RawTurn(label.speaker, [label.text], label.timestamp, number))
        elif turns:
            turns[-1].parts.append(stripped)
    return turns


def interviewer_keys(speakers: Iterable[str], named: object = None,
                     argument: str | None = None) -> set[str]:
    """The speaker keys that are the interviewer.

    First the front matter's `interviewer` (a name or a list of names), then the `--interviewer`
    argument, each used only if it matches a speaker; else the usual labels."""
    present = {key(s) for s in set(speakers)}
    for candidate in (named, argument):
        names = candidate if isinstance(candidate, list) else [candidate]
        found = {key(str(n)) for n in names if n is not None and str(n).strip()} & present
        if found:
            return found
    return {k for k in present if is_usual_interviewer(k)}


def guess_interviewer(turns: Iterable[tuple[str, str]]) -> set[str]:
    """When nothing names the interviewer ("Speaker 1:", "P:"), the one speaker most of whose
    turns are questions (three at least), clearly more than anyone else's; else nobody."""
    asked: dict[str, list[int]] = {}
    for speaker, text in turns:
        counts = asked.setdefault(key(speaker), [0, 0])
        counts[0] += text.rstrip().endswith("?")
        counts[1] += 1
    if len(asked) < 2:
        return set()
    rates = sorted(((q / n, q, k) for k, (q, n) in asked.items()), reverse=True)
    (best, questions, who), (second, _, _) = rates[0], rates[1]
    return {who} if best >= 0.5 and questions >= 3 and best - second >= 0.3 else set()
