"""coder.review as a library: context, the picker, decisions, undo, apply_csv, placements."""

from __future__ import annotations

from pathlib import Path

import pytest

from coder.errors import StoreError, UsageError
from coder.review import (AXES_OF, Filters, ReviewError, ReviewQueue, ReviewSession,
                          PlacementSession, apply_csv, decide, disputed_placements,
                          match_codes, undo)
from coder.store import Store
from coder.transcript import Assignment, Evidence, Segment, Transcript

INT = "Interviewer"


def build(store: Store) -> Transcript:
    """Q, two answers of A01 in a row (the question is two turns back), Q, answer."""
    t = Transcript.build("int/a01.txt", "txt", "A01", "h1", {}, [
        (INT, "Did you work?", True, "00:01", 1),
        ("A01", "Yes.", False, "00:02", 2),
        ("A01", "Well, I was never out of work, truly.", False, "00:03", 3),
        (INT, "And then?", True, "00:04", 4),
        ("A01", "We crossed the Tumen.", False, "00:05", 5),
    ])
    second = t.turns[2]
    words = "out of work"
    w0 = second.start + second.text.index(words)
    s0 = second.start + len("Well, ")
    segs = [
        Segment(2, "A01", s0, second.end, second.text[len("Well, "):], "00:03", [
            Assignment("material.unemployed", "rule", 0.25, "disputed",
                       [Evidence("material.unemployed#0", words, w0, w0 + len(words),
                                 negated=True)], "negated evidence")]),
        Segment(4, "A01", t.turns[4].start, t.turns[4].end, t.turns[4].text, "00:05", [
            Assignment("route.china", "rule", 0.75, "disputed", [], "thin"),
            Assignment("material.business", "model", 0.61, "auto")]),
    ]
    run = store.start_run("cb", {})
    store.save_document(run, t, segs, "cb")
    return t


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "p.db") as s:
        build(s)
        yield s


def test_item_has_the_question_turns_around_and_highlights(store, min_book):
    queue = ReviewQueue(store, min_book)
    assert queue.total == 2
    item = queue.current()
    assert item.code == "material.unemployed" and item.code_info.definition == "Has no job."
    assert item.question == "Did you work?"
    assert [(t.role, t.text) for t in item.context] == [
        ("question", "Did you work?"), ("before", "Yes."),
        ("current", "Well, I was never out of work, truly."), ("after", "And then?")]
    s, e = item.segment_span
    assert item.turn.text[s:e] == "I was never out of work, truly."
    [h] = item.highlights
    assert item.turn.text[h.start:h.end] == "out of work" and h.negated
    assert "negated evidence" in item.reasons
    assert item.confidence == 0.25


def test_filters(store, min_book):
    assert ReviewQueue(store, min_book, Filters(category="route")).total == 1
    assert ReviewQueue(store, min_book, Filters(code="material.unemployed")).total == 1
    assert ReviewQueue(store, min_book, Filters(informant="B02")).total == 0


def test_match_codes(min_book):
    assert [c.id for c in match_codes(min_book, "ROUTE.CHINA")] == ["route.china"]
    assert [c.id for c in match_codes(min_book, "own bus")] == ["material.business"]
    assert [c.id for c in match_codes(min_book, "material")] == ["material.unemployed",
                                                                 "material.business"]
    assert match_codes(min_book, "zzz") == [] and match_codes(min_book, "  ") == []


def test_decide_refuses_what_is_not_disputed_and_unknown_codes(store, min_book):
    item = ReviewQueue(store, min_book).current()
    decide(store, item, "accept", "ana")
    with pytest.raises(ReviewError, match="no longer disputed"):
        decide(store, item, "reject", "ana")
    other = ReviewQueue(store, min_book).current()
    with pytest.raises(ReviewError, match="unknown code"):
        decide(store, other, "change", "ana", code="route.nowhere", book=min_book)
    with pytest.raises(UsageError):
        decide(store, other, "accept", "")


def test_undo_of_a_change_removes_the_created_code_and_keeps_the_audit(store, min_book):
    item = ReviewQueue(store, min_book).current()
    decide(store, item, "change", "ana", code="route.china", note="wrong code")
    before = store.decisions()
    done = undo(store, "ana")
    assert (done.action, done.code, done.assignment_id, done.status) == (
        "change", "material.unemployed", item.assignment_id, "disputed")
    codes = {a["code"]: a["status"] for a in store.assignments(item.segment_id)}
    assert codes == {"material.unemployed": "disputed"}
    after = store.decisions()
    assert [r["id"] for r in after[:len(before)]] == [r["id"] for r in before]
    assert [r["action"] for r in after[len(before):]] == ["undo", "undo"]
    assert before[0]["note"] == "wrong code"
    assert store.review_codings() == []
    assert undo(store, "ana") is None


def test_undo_refuses_when_someone_changed_it_since(store, min_book):
    item = ReviewQueue(store, min_book).current()
    decide(store, item, "accept", "ana")
    store.set_status(item.assignment_id, "rejected", "min")
    with pytest.raises(StoreError, match="changed since"):
        undo(store, "ana")


def test_undo_of_an_add_on_an_existing_code_restores_its_status(store, min_book):
    item = ReviewQueue(store, min_book).current()
    decide(store, item, "add", "ana", code="route.china", book=min_book)
    # the second segment's auto material.business: add it there through a session
    session = ReviewSession(store, min_book, "ana")
    session.accept()
    assert session.item().code == "route.china"
    session.add("material.business")
    rows = {a["code"]: a for a in store.assignments(session.item().segment_id)}
    assert rows["material.business"]["status"] == "accepted"
    session.undo()
    rows = {a["code"]: a for a in store.assignments(session.item().segment_id)}
    assert (rows["material.business"]["status"], rows["material.business"]["coder"]) == (
        "auto", None)


def test_session_note_is_kept_when_no_decision_follows(store, min_book):
    session = ReviewSession(store, min_book, "ana")
    session.note("first thought")
    session.note("second thought")
    session.finish()
    [row] = store.decisions()
    assert (row["action"], row["note"]) == ("note", "first thought\nsecond thought")


def test_undo_brings_the_queue_back_to_the_item(store, min_book):
    session = ReviewSession(store, min_book, "ana")
    first = session.item().assignment_id
    session.reject()
    assert session.item().assignment_id != first and session.queue.position == 2
    session.undo()
    assert session.queue.position == 1 and session.item().assignment_id == first


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_apply_csv_names_the_line_where_each_bad_record_starts(store, min_book, tmp_path):
    sid = ReviewQueue(store, min_book).current().segment_id
    path = write(tmp_path / "t.csv",
                 'segment_id,text,code,decision\n'
                 f'{sid},"two\nlines",material.unemployed,accept\n'
                 '\n'
                 f'{sid},x,material.unemployed,reject\n'
                 'abc,x,route.china,accept\n')
    report = apply_csv(store, min_book, path, "ana")
    assert report.problems == [
        f"{path}:5: material.unemployed on segment {sid} is decided already on line 2",
        f"{path}:6: segment_id 'abc' is not a number"]
    assert not report.applied and store.decisions() == []
    partial = apply_csv(store, min_book, path, "ana", partial=True)
    assert (partial.accepted, partial.bad, partial.applied) == (1, 2, True)


def test_apply_csv_is_one_transaction(store, min_book, tmp_path, monkeypatch):
    q = ReviewQueue(store, min_book)
    first = q.current()
    path = write(tmp_path / "t.csv", "segment_id,code,decision\n"
                 f"{first.segment_id},material.unemployed,accept\n"
                 f"{first.segment_id + 1},route.china,reject\n")
    real = store._review_op
    calls = []

    def failing(conn, op, coder, at):
        calls.append(op)
        if len(calls) == 2:
            raise StoreError("disk full")
        return real(conn, op, coder, at)

    monkeypatch.setattr(store, "_review_op", failing)
    with pytest.raises(StoreError):
        apply_csv(store, min_book, path, "ana")
    assert store.decisions() == [] and store.review_codings() == []
    assert q.current().assignment_id == first.assignment_id


def test_apply_csv_usage_problems(store, min_book, tmp_path):
    with pytest.raises(UsageError, match="missing column decision"):
        apply_csv(store, min_book, write(tmp_path / "a.csv", "segment_id,code\n1,x\n"), "ana")
    with pytest.raises(UsageError, match="empty file"):
        apply_csv(store, min_book, write(tmp_path / "b.csv", ""), "ana")
    with pytest.raises(UsageError, match="is a directory"):
        apply_csv(store, min_book, tmp_path, "ana")


def test_placements_decide_and_undo(store, min_book):
    store.save_placements([{"informant_id": "A01", "quadrant": "unclassified", "material": None,
                            "mental": None, "material_score": -0.2, "mental_score": 0.0,
                            "confidence": 0.0, "disputed": True,
                            "reasons": ["no evidence on the mental axis"],
                            "evidence": {"material": [{"segment_id": 1,
                                                       "code": "material.unemployed",
                                                       "weight": 0.25}], "mental": []}}])
    [item] = disputed_placements(store, min_book)
    ev = item.evidence["material"][0]
    assert (ev.label, ev.polarity, ev.text) == ("Unemployed", -1,
                                                "I was never out of work, truly.")
    session = PlacementSession(store, min_book, "ana")
    session.place("acculturation")
    p = store.placements()[0]
    assert (p["quadrant"], p["material"], p["mental"], p["source"]) == (
        "acculturation", "failure", "success", "human")
    assert session.item() is None
    done = session.undo()
    assert done["quadrant"] == "unclassified"
    p = store.placements()[0]
    assert (p["quadrant"], p["material"], p["mental"], p["source"], p["disputed"]) == (
        "unclassified", None, None, "machine", True)
    assert AXES_OF["isolation"] == ("success", "failure")
    assert [r["action"] for r in store.review_placement_decisions()] == ["place", "undo"]
