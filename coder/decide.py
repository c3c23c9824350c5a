"""Where rules and model meet: each proposed code gets a source, a confidence and a status.

Per informant turn and code, with `p` the model's probability (thresholds from settings):
- a rule fired and p >= model_low: auto, source "both";
- a rule fired and model_drop <= p < model_low: disputed ("rule fired, model gives p");
- a rule fired and p < model_drop: not proposed; the match stays on the segment as unused
  evidence, with the reason, so a reviewer can still see it;
- no rule fired and p >= model_high: disputed, source "model", on the segment the model
  scores highest;
- only negated or hypothetical matches: disputed if p >= model_low, else unused evidence;
- two contradictory codes on one segment: both disputed (with or without a model).
Without a model for a code, the rules decide alone (status auto, source "rule").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from .codebook import Settings
from .model import Example, SegmentModel
from .transcript import Assignment, Segment, Transcript


def questions(transcript: Transcript) -> dict[int, str]:
    """Turn index -> the interviewer's question it answers (the last interviewer turn)."""
    out, last = {}, ""
    for turn in transcript.turns:
        if turn.is_interviewer:
            last = turn.text
        else:
            out[turn.index] = last
    return out


def _hits(segments: Sequence[Segment]) -> dict[str, tuple[int, int, int]]:
    counts: dict[str, list[int]] = {}
    for seg in segments:
        for a in seg.assignments:
            c = counts.setdefault(a.code, [0, 0, 0])
            for e in a.evidence:
                c[1 if e.negated else 2 if e.hypothetical else 0] += 1
    return {k: (v[0], v[1], v[2]) for k, v in counts.items()}


def turn_examples(transcript: Transcript, segments: Sequence[Segment]
                  ) -> tuple[list[int], list[Example]]:
    """One model example per informant turn that has segments, in turn order."""
    order, _, examples = _turn_groups(transcript, segments)
    return order, examples


def _turn_groups(transcript: Transcript, segments: Sequence[Segment]
                 ) -> tuple[list[int], list[list[Segment]], list[Example]]:
    """The turns that have segments, in order: their indexes, segments and model examples."""
    by_turn: dict[int, list[Segment]] = {}
    for seg in segments:
        by_turn.setdefault(seg.turn_index, []).append(seg)
    asked = questions(transcript)
    texts = {t.index: t.text for t in transcript.turns}
    order = sorted(by_turn)
    groups = [by_turn[i] for i in order]
    return order, groups, [Example(texts[i], asked.get(i, ""), _hits(g))
                           for i, g in zip(order, groups)]


def _has(segs: list[Segment], code: str) -> bool:
    return any(a.code == code for s in segs for a in s.assignments)


def _live(a: Assignment) -> bool:
    return any(not (e.negated or e.hypothetical) for e in a.evidence)


def apply_model_many(model: SegmentModel, documents: Sequence[tuple[Transcript, list[Segment]]],
                     settings: Settings) -> None:
    """Re-decide the rule assignments of several documents at once (in place): one model
    call for all their turns costs far less than one per document."""
    turns: list[list[Segment]] = []  # each turn's segments
    examples: list[Example] = []
    for transcript, segments in documents:
        _, groups, found = _turn_groups(transcript, segments)
        turns += groups
        examples += found
    turn_probs = _per_example(model.predict_proba(examples), len(examples))
    # Segment-level scores place a code no rule found; only turns that have one need them.
    wanted = [seg for k, segs in enumerate(turns)
              if len(segs) > 1 and any(p >= settings.model_high and not _has(segs, code)
                                       for code, p in turn_probs[k].items())
              for seg in segs]
    segment_probs: dict[int, dict[str, float]] = {}
    if wanted:
        # The turn's question is the same for all its segments: their own words and rule
        # hits decide where the code goes, so the question is left out (and not computed).
        found = model.predict_proba([Example(s.text, "", _hits([s])) for s in wanted])
        segment_probs = {id(seg): row
                         for seg, row in zip(wanted, _per_example(found, len(wanted)))}

    def score(code: str, segs: list[Segment]) -> list[float]:
        return [segment_probs.get(id(s), {}).get(code, 0.0) for s in segs]

    for k, segs in enumerate(turns):
        decide_turn(segs, turn_probs[k], settings, lambda code, segs=segs: score(code, segs))
    for _, segments in documents:
        for seg in segments:
            mark_contradictions(seg, settings)


def _per_example(probs: dict[str, np.ndarray], n: int) -> list[dict[str, float]]:
    """code -> probabilities per example, turned into one {code: p} per example."""
    codes = list(probs)
    if not codes:
        return [{} for _ in range(n)]
    return [dict(zip(codes, row)) for row in np.column_stack([probs[c] for c in codes]).tolist()]


def decide_turn(segs: list[Segment], probs: dict[str, float], s: Settings,
                score: Callable[[str], list[float]]) -> None:
    """Statuses for the codes of one turn, given the model's turn-level probabilities."""
    ruled: set[str] = set()
    for seg in segs:
        kept: list[Assignment] = []
        for a in seg.assignments:
            ruled.add(a.code)
            p = probs.get(a.code)
            if p is None:
                kept.append(a)
                continue
            if _live(a):
                if p >= s.model_low:
                    a.source, a.confidence, a.status, a.dispute_reason = "both", p, "auto", None
                elif p >= s.model_drop:
                    a.confidence, a.status = p, "disputed"
                    a.dispute_reason = f"rule fired, model gives {p:.2f}"
                else:
                    _unused(seg, a, f"model gives {p:.2f}")
                    continue
            elif p >= s.model_low:
                kinds = sorted({"negated" if e.negated else "hypothetical" for e in a.evidence})
                a.confidence, a.status = p, "disputed"
                a.dispute_reason = f"{' and '.join(kinds)} evidence, model gives {p:.2f}"
            else:
                _unused(seg, a, a.dispute_reason or "negated or hypothetical")
                continue
            kept.append(a)
        seg.assignments = kept
    for code, p in sorted(probs.items()):
        if code in ruled or p < s.model_high:
            continue
        scores = score(code) if len(segs) > 1 else [p]
        best = segs[max(range(len(segs)), key=lambda i: scores[i])]
        best.assignments.append(Assignment(code, "model", p, "disputed", [],
                                           f"model gives {p:.2f}, no rule fired"))
        best.assignments.sort(key=lambda a: a.code)


def _unused(seg: Segment, a: Assignment, reason: str) -> None:
    """Keep a match that is not proposed on the segment, with why."""
    seg.unused += [replace(e, note=reason) for e in a.evidence]


def mark_contradictions(seg: Segment, s: Settings) -> None:
    codes = {a.code for a in seg.assignments}
    for first, second in s.contradictions:
        if first in codes and second in codes:
            for a in seg.assignments:
                if a.code in (first, second):
                    other = second if a.code == first else first
                    a.status = "disputed"
                    reason = f"contradicts {other} on the same segment"
                    a.dispute_reason = f"{a.dispute_reason}; {reason}" if a.dispute_reason \
                        else reason
