"""A fast matcher for the common subset of spaCy token patterns.

spaCy's `Matcher` tries every pattern at every token, so a codebook with a thousand token
patterns costs thousands of times the tokenizer. Here each pattern is indexed by one token it
cannot match without (its anchor): numpy finds the few places where an anchor value occurs,
and only there is the pattern tried, by backtracking over the doc's attribute arrays. The
semantics are spaCy's (all matches, quantifiers `?`, `*`, `+`, `{n,m}`); a pattern outside
the subset (REGEX, FUZZY, comparisons, `!`, unbounded runs before every anchor) is refused,
and the caller gives it to spaCy's Matcher instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from spacy import attrs
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc
from spacy.vocab import Vocab

_STRING_ATTRS = {"LEMMA": attrs.NORM, "NORM": attrs.NORM, "LOWER": attrs.LOWER,
                 "ORTH": attrs.ORTH, "TEXT": attrs.ORTH}
_FLAG_ATTRS = {"IS_PUNCT": attrs.IS_PUNCT, "IS_ALPHA": attrs.IS_ALPHA,
               "IS_DIGIT": attrs.IS_DIGIT, "LIKE_NUM": attrs.LIKE_NUM, "IS_STOP": attrs.IS_STOP,
               "IS_TITLE": attrs.IS_TITLE, "IS_LOWER": attrs.IS_LOWER,
               "IS_UPPER": attrs.IS_UPPER, "IS_SENT_START": attrs.SENT_START,
               "LENGTH": attrs.LENGTH}
_WORD_ATTRS = set(_STRING_ATTRS.values())
_QUANT = re.compile(r"^\{(\d*),?(\d*)\}$|^\{(\d+)\}$")
_UNBOUNDED = 10_000

Check = Callable[[list[int]], bool]


@dataclass
class _Spec:
    checks: list[tuple[int, str, Any]]   # (column, "eq" | "in" | "not_in", value(s))
    lo: int
    hi: int


def _quantifier(op: str | None) -> tuple[int, int] | None:
    if op in (None, "1"):
        return 1, 1
    fixed = {"?": (0, 1), "*": (0, _UNBOUNDED), "+": (1, _UNBOUNDED)}
    if op in fixed:
        return fixed[op]
    m = _QUANT.match(op or "")
    if not m:
        return None
    if m.group(3):
        n = int(m.group(3))
        return n, n
    lo = int(m.group(1) or 0)
    hi = int(m.group(2)) if m.group(2) else _UNBOUNDED
    return lo, hi


class FastTokenMatcher:
    """Anchored matcher over doc attribute arrays; see the module docstring."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.columns: list[int] = []                      # spaCy attribute ids read per doc
        self.patterns: list[tuple[str, list[_Spec], int, int, int]] = []
        # anchor column -> value hash -> [(pattern index, spec index)]
        self.anchors: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))

    def _column(self, attr_id: int) -> int:
        if attr_id not in self.columns:
            self.columns.append(attr_id)
        return self.columns.index(attr_id)

    def _hash(self, attr: str, value: Any) -> int:
        if attr == "LENGTH":
            return int(value)
        if attr in _FLAG_ATTRS:
            return int(bool(value))
        return self.vocab.strings.add(str(value))

    def _spec(self, token: dict[str, Any]) -> _Spec | None:
        q = _quantifier(token.get("OP"))
        if q is None:
            return None
        checks: list[tuple[int, str, Any]] = []
        for key, value in token.items():
            attr = key.upper()
            if attr == "OP":
                continue
            attr_id = _STRING_ATTRS.get(attr, _FLAG_ATTRS.get(attr))
            if attr_id is None:
                return None
            col = self._column(attr_id)
            if isinstance(value, dict):
                if set(value) - {"IN", "NOT_IN"} or len(value) != 1:
                    return None
                kind, vals = next(iter(value.items()))
                checks.append((col, kind.lower(), frozenset(self._hash(attr, v) for v in vals)))
            else:
                checks.append((col, "eq", self._hash(attr, value)))
        return _Spec(checks, *q)

    def add(self, key: str, pattern: list[dict[str, Any]]) -> bool:
        """Add a pattern; False when it is outside the supported subset."""
        specs = []
        for token in pattern:
            spec = self._spec(token)
            if spec is None:
                return False
            specs.append(spec)
        # Anchor: the rarest required token with an equality or IN test on a word attribute,
        # after a bounded prefix ("starve" rather than "I" in "I ... starve").
        best: tuple[tuple[int, int], int, int, Any, str] | None = None
        prefix_hi = 0
        for k, spec in enumerate(specs):
            if prefix_hi >= _UNBOUNDED:
                break
            for col, kind, val in spec.checks:
                if spec.lo >= 1 and kind in ("eq", "in") and self.columns[col] in _WORD_ATTRS:
                    values = [val] if kind == "eq" else list(val)
                    score = (sum(self.vocab.strings[v] in STOP_WORDS for v in values), len(values))
                    if best is None or score < best[0]:
                        best = (score, k, col, values, kind)
            prefix_hi += spec.hi
        if best is None:
            return False
        _, k, col, values, _ = best
        index = len(self.patterns)
        self.patterns.append((key, specs, k, sum(s.lo for s in specs[:k]),
                              sum(s.hi for s in specs[:k])))
        for h in values:
            self.anchors[col][h].append(index)
        return True

    @staticmethod
    def _ok(spec: _Spec, row: list[int]) -> bool:
        for col, kind, val in spec.checks:
            got = row[col]
            if kind == "eq":
                if got != val:
                    return False
            elif (got in val) != (kind == "in"):
                return False
        return True

    def _ends(self, specs: list[_Spec], k: int, pos: int, rows: list[list[int]]) -> set[int]:
        """Every end position of a match of specs[k:] starting at pos."""
        if k == len(specs):
            return {pos}
        spec = specs[k]
        out: set[int] = set()
        n = 0
        while True:
            if n >= spec.lo:
                out |= self._ends(specs, k + 1, pos + n, rows)
            if n >= spec.hi or pos + n >= len(rows) or not self._ok(spec, rows[pos + n]):
                return out
            n += 1

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        if not self.patterns or not len(doc):
            return []
        table = doc.to_array(self.columns)
        table = table.reshape(len(doc), -1)
        rows: list[list[int]] | None = None
        found: set[tuple[str, int, int]] = set()
        for col, index in self.anchors.items():
            values = table[:, col]
            hit = np.isin(values, np.fromiter(index.keys(), dtype=values.dtype, count=len(index)))
            for pos in np.flatnonzero(hit).tolist():
                if rows is None:
                    rows = table.tolist()
                for p in index[int(values[pos])]:
                    key, specs, k, lo, hi = self.patterns[p]
                    for start in range(max(0, pos - hi), pos - lo + 1):
                        for end in self._ends(specs, 0, start, rows):
                            if end > start and start <= pos < end:
                                found.add((key, start, end))
        return sorted(found, key=lambda m: (m[1], m[2], m[0]))
