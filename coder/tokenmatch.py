"""A fast matcher for the common subset of spaCy token patterns.

spaCy's `Matcher` tries every pattern at every token, so a codebook with a thousand token
patterns costs thousands of times the tokenizer. Here each pattern is indexed by one token it
cannot match without (its anchor), and matching runs in numpy over a batch of docs at once:
each attribute value a pattern tests becomes a small integer code, the places where an
anchor value occurs give the candidate starts (the anchor's bounded prefix before them), and
the pattern's tokens are then checked one after another on all candidates together, each
quantifier widening the set of partial matches. The semantics are spaCy's (all matches,
quantifiers `?`, `*`, `+`, `{n,m}`); a pattern outside the subset (REGEX, FUZZY,
comparisons, `!`, unbounded runs before every anchor) is refused, and the caller gives it to
spaCy's Matcher instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
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

@dataclass
class _Spec:
    checks: list[tuple[int, str, Any]]   # (column, "eq" | "in" | "not_in", value(s))
    lo: int
    hi: int


@dataclass
class _Compiled:
    """A pattern ready for matching: per token (lo, hi, [(column, code -> passes)]), and its
    anchor: the column, the codes of its values, the bounds of the prefix before it."""

    key: str
    specs: list[tuple[int, int, list[tuple[int, np.ndarray]]]]
    anchor_col: int
    anchor_codes: tuple[int, ...]
    lo: int
    hi: int


class HashCodes:
    """Small integer codes for a fixed set of 64-bit hashes: the position of a hash in the
    sorted set plus one, or 0 for any other value.

    The code is read from a table indexed by a multiplicative hash of 16 to 20 bits, with a
    multiplier under which no two members share a slot (checked against the full hash):
    about ten times faster than a sorted search, which remains the fallback."""

    def __init__(self, values: Iterable[int]) -> None:
        self.values = np.array(sorted(set(values)), dtype=np.uint64)
        self.code_of = {int(h): i + 1 for i, h in enumerate(self.values.tolist())}
        self._table: tuple[np.uint64, np.uint64, np.ndarray, np.ndarray] | None = None
        rng = np.random.default_rng(0)  # fixed: the table, not the codes, depends on it
        for bits in (16, 18, 20):
            if len(self.values) > (1 << bits) // 64:  # collisions would be almost certain
                continue
            for multiplier in rng.integers(1, 2**63, size=32, dtype=np.uint64) | np.uint64(1):
                shift = np.uint64(64 - bits)
                slots = ((self.values * multiplier) >> shift).astype(np.intp)
                if len(np.unique(slots)) == len(slots):
                    codes = np.zeros(1 << bits, dtype=np.int32)
                    codes[slots] = np.arange(1, len(self.values) + 1)
                    owner = np.zeros(1 << bits, dtype=np.uint64)
                    owner[slots] = self.values
                    self._table = (multiplier, shift, codes, owner)
                    return

    def __len__(self) -> int:
        return len(self.values)

    def __call__(self, hashes: np.ndarray) -> np.ndarray:
        """The code of each of `hashes` (uint64)."""
        if not len(self.values):
            return np.zeros(len(hashes), dtype=np.int32)
        if self._table is not None:
            multiplier, shift, codes, owner = self._table
            slots = ((hashes * multiplier) >> shift).astype(np.intp)
            return np.where(owner[slots] == hashes, codes[slots], 0)
        at = np.minimum(np.searchsorted(self.values, hashes), len(self.values) - 1)
        return np.where(self.values[at] == hashes, at + 1, 0).astype(np.int32)


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
        # (key, specs, anchor spec index, anchor column, anchor values)
        self.patterns: list[tuple[str, list[_Spec], int, int, list[int]]] = []
        self._compiled: tuple[list[HashCodes], list[_Compiled]] | None = None

    def __len__(self) -> int:
        return len(self.patterns)

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
        self.patterns.append((key, specs, k, col, values))
        self._compiled = None
        return True

    def _compile(self) -> tuple[list[HashCodes], list[_Compiled]]:
        """Code every value a check tests, per column (code 0: any other value), and turn
        each check into a lookup table over those codes."""
        mentioned: list[set[int]] = [set() for _ in self.columns]
        for _, specs, _, _, _ in self.patterns:
            for spec in specs:
                for col, kind, val in spec.checks:
                    mentioned[col].update([val] if kind == "eq" else val)
        values = [HashCodes(v) for v in mentioned]

        def lut(col: int, kind: str, val: Any) -> np.ndarray:
            table = np.zeros(len(values[col]) + 1, dtype=bool)
            table[[values[col].code_of[h] for h in ([val] if kind == "eq" else val)]] = True
            return ~table if kind == "not_in" else table

        compiled = []
        for key, specs, k, col, anchor_values in self.patterns:
            steps = [(sp.lo, sp.hi, [(c, lut(c, kind, v)) for c, kind, v in sp.checks])
                     for sp in specs]
            anchor_codes = tuple(values[col].code_of[h] for h in anchor_values)
            compiled.append(_Compiled(key, steps, col, anchor_codes,
                                      sum(sp.lo for sp in specs[:k]),
                                      sum(sp.hi for sp in specs[:k])))
        return values, compiled

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        return self.match_docs([doc])[0]

    def match_docs(self, docs: Sequence[Doc]) -> list[list[tuple[str, int, int]]]:
        """Every match (key, start, end) of every pattern, per doc, sorted by (start, end,
        key). The docs are matched together, as one array, without matches across them."""
        out: list[list[tuple[str, int, int]]] = [[] for _ in docs]
        lengths = np.array([len(doc) for doc in docs], dtype=np.int64)
        n = int(lengths.sum())
        if not self.patterns or not n:
            return out
        if self._compiled is None:
            self._compiled = self._compile()
        values, compiled = self._compiled
        width = len(self.columns)
        table = np.concatenate([doc.to_array(self.columns).reshape(-1, width)
                                for doc in docs if len(doc)])
        # 16-bit codes where they fit: the stable argsort below is then a radix sort
        codes = [known(table[:, col]).astype(np.uint16 if len(known) < 2**16 - 1 else np.int32)
                 for col, known in enumerate(values)]
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        doc_of = np.repeat(np.arange(len(docs)), lengths)
        doc_start, doc_end = offsets[doc_of], offsets[doc_of + 1]
        # Positions of each code, per anchor column: order[cuts[c]:cuts[c + 1]].
        where: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for col in {c.anchor_col for c in compiled}:
            order = np.argsort(codes[col], kind="stable")
            cuts = np.searchsorted(codes[col][order], np.arange(len(values[col]) + 2))
            where[col] = order, cuts.tolist()
        anchored: dict[tuple[int, tuple[int, ...]], tuple[np.ndarray, np.ndarray]] = {}
        for pat in compiled:
            at_key = (pat.anchor_col, pat.anchor_codes)
            if at_key not in anchored:  # patterns often share an anchor
                order, cuts = where[pat.anchor_col]
                hits = np.concatenate([order[cuts[c]:cuts[c + 1]] for c in pat.anchor_codes])
                anchored[at_key] = hits, doc_start[hits]
            hits, first = anchored[at_key]
            if not len(hits):
                continue
            # Candidate starts (a start reached from two anchors is deduplicated at the end).
            starts = (hits[:, None] - np.arange(pat.lo, pat.hi + 1)).ravel()
            starts = starts[starts >= np.repeat(first, pat.hi - pat.lo + 1)]
            start, end = self._run(pat, starts, doc_end[starts], codes, n)
            for s, e in zip(start.tolist(), end.tolist()):
                d = int(doc_of[s])
                out[d].append((pat.key, s - int(offsets[d]), e - int(offsets[d])))
        for found in out:
            found.sort(key=lambda m: (m[1], m[2], m[0]))
        return out

    @staticmethod
    def _run(pat: _Compiled, start: np.ndarray, limit: np.ndarray, codes: list[np.ndarray],
             n: int) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) of every non-empty match beginning at one of `start` and ending by
        its `limit` (the end of its doc)."""
        pos = start
        # Paths through two variable-length tokens can reach the same place: such partial
        # matches are kept once (before the last variable token; the end dedupes the rest).
        variable = [k for k, (lo, hi, _) in enumerate(pat.specs) if hi > lo]
        for k, (lo, hi, checks) in enumerate(pat.specs):
            runs = [(start, pos, limit)] if lo == 0 else []
            taken = 0
            while taken < hi and len(pos):
                ok = pos < limit
                start, pos, limit = start[ok], pos[ok], limit[ok]
                for col, passes in checks:
                    ok = passes[codes[col][pos]]
                    start, pos, limit = start[ok], pos[ok], limit[ok]
                pos = pos + 1
                taken += 1
                if taken >= lo:
                    runs.append((start, pos, limit))
            if len(runs) != 1:
                start, pos, limit = (np.concatenate(a) for a in zip(*runs)) if runs else \
                    (start[:0], pos[:0], limit[:0])
                if k in variable[:-1]:
                    start, pos, limit = _unique_pairs(start, pos, limit, n)
            else:
                start, pos, limit = runs[0]
            if not len(start):
                break
        found = pos > start
        key = np.unique(start[found] * (n + 1) + pos[found])
        return key // (n + 1), key % (n + 1)


def _unique_pairs(start: np.ndarray, pos: np.ndarray, limit: np.ndarray,
                  n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    key, first = np.unique(start * (n + 1) + pos, return_index=True)
    return key // (n + 1), key % (n + 1), limit[first]
