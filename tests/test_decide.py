"""Where rules and model meet: every dispute rule of coder.decide with hand-set probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from coder.codebook import Settings
from coder.decide import apply_model_many, decide_turn, mark_contradictions, questions, turn_examples
from coder.model import Example
from coder.transcript import Assignment, Evidence, Segment, Transcript

S = Settings(model_low=0.3, model_drop=0.1, model_high=0.7,
             contradictions=[("material.job", "material.poor")])


def ev(code: str, negated: bool = False, hypothetical: bool = False, start: int = 0
       ) -> Evidence:
    return Evidence(f"{code}#0", "some words", start, start + 10, negated, hypothetical)


def rule(code: str, *evidence: Evidence) -> Assignment:
    """An assignment as the rules make it (segment._assignments)."""
    live = [e for e in evidence if not (e.negated or e.hypothetical)]
    if live:
        return Assignment(code, "rule", 0.75, "auto", list(evidence))
    kinds = sorted({"negated" if e.negated else "hypothetical" for e in evidence})
    return Assignment(code, "rule", 0.25, "disputed", list(evidence),
                      " and ".join(kinds) + " evidence")


def seg(text: str, *assignments: Assignment, turn: int = 1) -> Segment:
    return Segment(turn, "R", 0, len(text), text, None, list(assignments))


def never(code: str) -> list[float]:
    raise AssertionError(f"score({code!r}) should not be needed")


def one(segment: Segment, code: str) -> Assignment:
    found = [a for a in segment.assignments if a.code == code]
    assert len(found) == 1, segment.assignments
    return found[0]


# -- a rule fired ----------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.3, 0.55, 0.99])
def test_rule_fired_and_model_agrees_is_auto_from_both(p: float) -> None:
    s = seg("I have a steady job.", rule("material.job", ev("material.job")))
    decide_turn([s], {"material.job": p}, S, never)
    a = one(s, "material.job")
    assert (a.status, a.source, a.confidence, a.dispute_reason) == ("auto", "both", p, None)
    assert a.evidence == [ev("material.job")]
    assert s.unused == []


@pytest.mark.parametrize("p", [0.1, 0.2, 0.29])
def test_rule_fired_and_model_doubts_is_disputed(p: float) -> None:
    s = seg("I have a steady job.", rule("material.job", ev("material.job")))
    decide_turn([s], {"material.job": p}, S, never)
    a = one(s, "material.job")
    assert (a.status, a.source, a.confidence) == ("disputed", "rule", p)
    assert a.dispute_reason is not None
    assert "rule fired" in a.dispute_reason and f"{p:.2f}" in a.dispute_reason
    assert s.unused == []


@pytest.mark.parametrize("p", [0.0, 0.05, 0.099])
def test_rule_fired_and_model_rejects_is_kept_as_unused_evidence(p: float) -> None:
    earlier = Evidence("route.china#0", "Tumen", 40, 45, note="older note")
    s = seg("I have a steady job.", rule("material.job", ev("material.job", start=3)))
    s.unused.append(earlier)
    decide_turn([s], {"material.job": p}, S, never)
    assert s.assignments == []
    assert s.unused[0] == earlier
    assert len(s.unused) == 2
    kept = s.unused[1]
    assert (kept.pattern, kept.words, kept.start, kept.end) == ("material.job#0", "some words",
                                                                3, 13)
    assert kept.note is not None and f"{p:.2f}" in kept.note and "model" in kept.note


def test_mixed_live_and_negated_evidence_counts_as_live() -> None:
    s = seg("x", rule("material.job", ev("material.job", negated=True), ev("material.job")))
    decide_turn([s], {"material.job": 0.5}, S, never)
    assert one(s, "material.job").status == "auto"


# -- no rule fired -------------------------------------------------------------------------
def test_model_only_code_goes_disputed_on_the_segment_the_model_ranks_highest() -> None:
    segs = [seg("We crossed at night.", rule("route.china", ev("route.china"))),
            seg("I feel at home here."), seg("The weather is cold.")]
    asked: list[str] = []

    def score(code: str) -> list[float]:
        asked.append(code)
        return [0.2, 0.9, 0.4]

    decide_turn(segs, {"mental.belong": 0.85, "route.china": 0.9}, S, score)
    assert asked == ["mental.belong"]
    assert [a.code for a in segs[0].assignments] == ["route.china"]
    assert segs[2].assignments == []
    a = one(segs[1], "mental.belong")
    assert (a.source, a.status, a.confidence, a.evidence) == ("model", "disputed", 0.85, [])
    assert a.dispute_reason is not None
    assert "0.85" in a.dispute_reason and "no rule" in a.dispute_reason


def test_model_only_assignments_are_sorted_by_code() -> None:
    s = seg("x", rule("route.china", ev("route.china")))
    decide_turn([s], {"mental.belong": 0.8, "route.china": 0.9}, S, never)
    assert [a.code for a in s.assignments] == ["mental.belong", "route.china"]


@pytest.mark.parametrize("p, proposed", [(0.69, False), (0.7, True), (0.95, True)])
def test_model_only_needs_model_high(p: float, proposed: bool) -> None:
    s = seg("I feel at home here.")
    decide_turn([s], {"mental.belong": p}, S, never)  # one segment: no need to score
    assert [a.code for a in s.assignments] == (["mental.belong"] if proposed else [])


def test_no_model_only_code_when_a_rule_found_it_in_the_turn_even_if_dropped() -> None:
    segs = [seg("a", rule("material.job", ev("material.job"))), seg("b")]
    decide_turn(segs, {"material.job": 0.95}, S, never)
    assert [len(s.assignments) for s in segs] == [1, 0]
    segs = [seg("a", rule("material.job", ev("material.job", negated=True))), seg("b")]
    decide_turn(segs, {"material.job": 0.05}, S, never)
    assert segs[0].assignments == [] and segs[1].assignments == []
    assert len(segs[0].unused) == 1


# -- negated or hypothetical only --------------------------------------------------------------
@pytest.mark.parametrize("kind", ["negated", "hypothetical"])
def test_negated_or_hypothetical_only_is_disputed_when_model_gives_model_low(kind: str) -> None:
    s = seg("I do not feel lonely.", rule("mental.lonely", ev("mental.lonely", **{kind: True})))
    decide_turn([s], {"mental.lonely": 0.4}, S, never)
    a = one(s, "mental.lonely")
    assert (a.status, a.confidence) == ("disputed", 0.4)
    assert a.dispute_reason is not None
    assert kind in a.dispute_reason and "0.40" in a.dispute_reason
    assert s.unused == []


@pytest.mark.parametrize("kind", ["negated", "hypothetical"])
@pytest.mark.parametrize("p", [0.29, 0.15, 0.01])
def test_negated_or_hypothetical_only_below_model_low_is_unused(kind: str, p: float) -> None:
    s = seg("I do not feel lonely.", rule("mental.lonely", ev("mental.lonely", **{kind: True})))
    decide_turn([s], {"mental.lonely": p}, S, never)
    assert s.assignments == []
    assert len(s.unused) == 1
    assert s.unused[0].note is not None and kind in s.unused[0].note


def test_negated_only_is_disputed_whatever_it_arrived_as() -> None:
    a = Assignment("mental.lonely", "rule", 0.75, "auto", [ev("mental.lonely", negated=True)])
    s = seg("I do not feel lonely.", a)
    decide_turn([s], {"mental.lonely": 0.5}, S, never)
    assert a.status == "disputed"
    assert a.dispute_reason is not None and "None" not in a.dispute_reason


# -- no classifier for the code ----------------------------------------------------------------
def test_code_without_a_classifier_keeps_the_rules_assignment() -> None:
    neg = rule("mental.lonely", ev("mental.lonely", negated=True))
    s = seg("x", rule("route.china", ev("route.china")), neg)
    decide_turn([s], {"material.job": 0.2}, S, never)
    assert [(a.code, a.source, a.status, a.confidence, a.dispute_reason)
            for a in s.assignments] == [
        ("route.china", "rule", "auto", 0.75, None),
        ("mental.lonely", "rule", "disputed", 0.25, "negated evidence")]
    assert s.unused == []


# -- contradictions --------------------------------------------------------------------------
def test_contradictory_codes_on_one_segment_are_both_disputed() -> None:
    s = seg("I have a steady job but we are in debt.",
            rule("material.job", ev("material.job")), rule("material.poor", ev("material.poor")),
            rule("route.china", ev("route.china")))
    mark_contradictions(s, S)
    job, poor, route = (one(s, c) for c in ("material.job", "material.poor", "route.china"))
    assert job.status == poor.status == "disputed"
    assert job.dispute_reason is not None and "material.poor" in job.dispute_reason
    assert poor.dispute_reason is not None and "material.job" in poor.dispute_reason
    assert (route.status, route.dispute_reason) == ("auto", None)


def test_contradiction_keeps_an_earlier_dispute_reason() -> None:
    job = rule("material.job", ev("material.job"))
    job.status, job.dispute_reason = "disputed", "rule fired, model gives 0.20"
    s = seg("x", job, rule("material.poor", ev("material.poor")))
    mark_contradictions(s, S)
    assert job.dispute_reason.startswith("rule fired, model gives 0.20; ")
    assert "material.poor" in job.dispute_reason


def test_contradictory_codes_on_different_segments_are_left_alone() -> None:
    a, b = seg("x", rule("material.job", ev("material.job"))), \
        seg("y", rule("material.poor", ev("material.poor")))
    for s in (a, b):
        mark_contradictions(s, S)
    assert [x.status for s in (a, b) for x in s.assignments] == ["auto", "auto"]


# -- apply_model_many: turn-level probabilities, segment scores, contradictions ------------------------
class StubModel:
    """Stands in for SegmentModel: probabilities looked up by example text."""

    def __init__(self, table: dict[str, dict[str, float]]) -> None:
        self.table = table
        self.seen: list[list[Example]] = []

    def predict_proba(self, examples: Sequence[Example]) -> dict[str, np.ndarray]:
        self.seen.append(list(examples))
        codes = {c for e in examples for c in self.table.get(e.text, {})}
        return {c: np.array([self.table.get(e.text, {}).get(c, 0.0) for e in examples])
                for c in codes}


def interview() -> tuple[Transcript, list[Segment]]:
    t = Transcript.build("x.txt", "text", "P1", "", {}, [
        ("I", "Do you work?", True, None, None),
        ("R", "I have a steady job. We are in debt too.", False, None, None),
        ("I", "And friends?", True, None, None),
        ("R", "The weather is cold. I feel at home here.", False, None, None),
        ("I", "Anything else?", True, None, None),
        ("R", "We crossed the Tumen.", False, None, None)])
    segs = [seg("I have a steady job. We are in debt too.",
                rule("material.job", ev("material.job")),
                rule("material.poor", ev("material.poor")), turn=1),
            seg("The weather is cold.", turn=3), seg("I feel at home here.", turn=3),
            seg("We crossed the Tumen.", rule("route.china", ev("route.china")), turn=5)]
    return t, segs


def test_apply_model_decides_each_turn_with_its_own_probabilities() -> None:
    t, segs = interview()
    model = StubModel({
        "I have a steady job. We are in debt too.": {"material.job": 0.9, "material.poor": 0.8},
        "The weather is cold. I feel at home here.": {"mental.belong": 0.75},
        "I feel at home here.": {"mental.belong": 0.9},
        "The weather is cold.": {"mental.belong": 0.1},
        "We crossed the Tumen.": {"route.china": 0.05}})
    apply_model_many(model, [(t, segs)], S)
    turn_level = model.seen[0]
    assert [e.text for e in turn_level] == [t.turns[i].text for i in (1, 3, 5)]
    assert [e.question for e in turn_level] == ["Do you work?", "And friends?", "Anything else?"]
    # Rules and model agree on both material codes, but they contradict each other.
    job, poor = one(segs[0], "material.job"), one(segs[0], "material.poor")
    assert (job.source, job.status, poor.source, poor.status) == ("both", "disputed",
                                                                  "both", "disputed")
    assert "material.poor" in (job.dispute_reason or "")
    assert "material.job" in (poor.dispute_reason or "")
    # The model-only code lands on the segment that scores highest.
    assert segs[1].assignments == []
    belong = one(segs[2], "mental.belong")
    assert (belong.source, belong.status, belong.confidence) == ("model", "disputed", 0.75)
    # A rule the model all but rules out is kept as unused evidence.
    assert segs[3].assignments == [] and len(segs[3].unused) == 1


def test_apply_model_many_decides_documents_together_as_it_would_one_by_one() -> None:
    table = {
        "I have a steady job. We are in debt too.": {"material.job": 0.9, "material.poor": 0.2},
        "The weather is cold. I feel at home here.": {"mental.belong": 0.75},
        "I feel at home here.": {"mental.belong": 0.9},
        "We crossed the Tumen.": {"route.china": 0.5}}
    alone = [interview() for _ in range(3)]
    for t, segs in alone:
        apply_model_many(StubModel(table), [(t, segs)], S)
    together, model = [interview() for _ in range(3)], StubModel(table)
    apply_model_many(model, together, S)
    assert len(model.seen) == 2  # one call for every turn, one for the segments to place
    assert len(model.seen[0]) == 9
    assert all(e.question == "" for e in model.seen[1])
    assert [s.assignments for _, segs in together for s in segs] == \
        [s.assignments for _, segs in alone for s in segs]
    assert any(a.source == "model" for _, segs in together for s in segs for a in s.assignments)


def test_apply_model_without_classifiers_leaves_rules_alone_but_marks_contradictions() -> None:
    t, segs = interview()
    apply_model_many(StubModel({}), [(t, segs)], S)
    job, poor = one(segs[0], "material.job"), one(segs[0], "material.poor")
    assert (job.source, poor.source) == ("rule", "rule")
    assert job.status == poor.status == "disputed"
    route = one(segs[3], "route.china")
    assert (route.source, route.status, route.confidence) == ("rule", "auto", 0.75)


# -- model examples ----------------------------------------------------------------------------
def test_turn_examples_one_per_coded_turn_with_question_and_hit_counts() -> None:
    t, segs = interview()
    segs[2].assignments.append(rule("mental.lonely", ev("mental.lonely", negated=True),
                                    ev("mental.lonely", hypothetical=True),
                                    ev("mental.lonely", negated=True)))
    order, examples = turn_examples(t, segs[:3])
    assert order == [1, 3]
    assert [e.text for e in examples] == [t.turns[1].text, t.turns[3].text]
    assert [e.question for e in examples] == ["Do you work?", "And friends?"]
    assert examples[0].hits == {"material.job": (1, 0, 0), "material.poor": (1, 0, 0)}
    assert examples[1].hits == {"mental.lonely": (0, 2, 1)}
    assert questions(t) == {1: "Do you work?", 3: "And friends?", 5: "Anything else?"}


# -- contradictions when coding without a model ------------------------------------------------
def test_rules_only_coding_disputes_contradictory_codes(tmp_path: Path) -> None:
    from coder.codebook import load_codebook
    from coder.pipeline import code_paths
    from coder.store import Store

    path = Path(__file__).parent / "fixtures" / "model" / "codebook_typology.yaml"
    book = load_codebook(path)
    assert ("material.job", "material.poor") in book.settings.contradictions
    (tmp_path / "a.txt").write_text("I: Work?\nR: I have a steady job but we are in debt.\n",
                                    encoding="utf-8")
    with Store(tmp_path / "p.db") as store:
        code_paths([tmp_path / "a.txt"], book, store, str(path), rules_only=True)
        doc = store.documents()[0]["path"]
        found = {a["code"]: a for s in store.segments(doc) for a in store.assignments(s["id"])}
    assert set(found) == {"material.job", "material.poor"}
    assert found["material.job"]["status"] == found["material.poor"]["status"] == "disputed"
    assert "material.poor" in (found["material.job"]["dispute_reason"] or "")
