"""Tests for coder.store: schema, reconciliation of re-saves, human decisions, crash safety."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from coder.errors import StoreError
from coder.store import MIGRATIONS, Store
from coder.transcript import Assignment, Evidence, Segment, Transcript

INT = "Interviewer"


def transcript(path: str = "int/a01.txt", answers: list[str] | None = None,
               informant: str = "A01", content_hash: str = "h1", meta: dict | None = None,
               ) -> Transcript:
    """An interview alternating a question and an answer per entry in `answers`."""
    answers = answers if answers is not None else [
        "I left because there was no work. My brother was already there.",
        "Yes. It was hard, honestly.",
    ]
    turns = []
    for i, answer in enumerate(answers):
        turns.append((INT, f"Question {i}?", True, f"00:0{i}:00", 2 * i + 1))
        turns.append((informant, answer, False, None, 2 * i + 2))
    return Transcript.build(path, "txt", informant, content_hash, meta or {"age": 34}, turns)


def seg(t: Transcript, text: str, *assignments: Assignment, nth: int = 0) -> Segment:
    """The segment holding `text` (its nth occurrence in informant turns) with assignments."""
    hits = []
    for turn in t.informant_turns:
        pos = turn.text.find(text)
        while pos >= 0:
            hits.append((turn, pos))
            pos = turn.text.find(text, pos + 1)
    assert hits, text
    turn, pos = hits[nth]
    start = turn.start + pos
    assert t.text[start:start + len(text)] == text
    return Segment(turn.index, turn.speaker, start, start + len(text), text, turn.timestamp,
                   list(assignments))


def auto(code: str, conf: float = 0.8, status: str = "auto", source: str = "rule",
         reason: str | None = None) -> Assignment:
    return Assignment(code, source, conf, status, [Evidence(f"{code}#0", "work", 0, 4)], reason)


def default_segments(t: Transcript) -> list[Segment]:
    return [
        seg(t, "I left because there was no work.", auto("motive.economic", 0.9)),
        seg(t, "My brother was already there.", auto("network.family", 0.7)),
        seg(t, "Yes."),
        seg(t, "It was hard, honestly.", auto("emotion.hardship", 0.6, "disputed", "model",
                                              "model only")),
    ]


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "coder.db") as s:
        yield s


def save(store: Store, t: Transcript, segments: list[Segment], cb: str = "cb1") -> int:
    run = store.start_run(cb, {"threshold": 0.5})
    store.save_document(run, t, segments, cb)
    store.finish_run(run, {"documents": 1})
    return run


def seg_id(store: Store, path: str, text: str, retired: bool = False) -> int:
    [row] = [r for r in store.segments(path, include_retired=retired) if r["text"] == text]
    return row["id"]


def codes_of(store: Store, segment_id: int) -> dict[str, dict]:
    return {a["code"]: a for a in store.assignments(segment_id)}


# -- schema ------------------------------------------------------------------------


def test_migrations_from_empty(tmp_path: Path) -> None:
    db = tmp_path / "coder.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"codebooks", "runs", "informants", "documents", "turns", "segments", "assignments",
            "decisions"} <= tables
    conn.close()
    with Store(db) as s:  # reopening applies nothing and works
        assert s.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert s.counts()["documents"] == 0


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "coder.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError) as err:
        Store(db)
    msg = str(err.value)
    assert msg.startswith(str(db)) and "newer version of coder" in msg
    assert f"schema 5, this version knows {len(MIGRATIONS)}" in msg


@pytest.mark.parametrize("content", [b"not a database at all\n" * 50, b"x"])
def test_not_a_database_names_the_file(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "notes.db"
    db.write_bytes(content)
    with pytest.raises(StoreError) as err:
        Store(db)
    assert str(db) in str(err.value) and "not a coder database" in str(err.value)
    assert db.read_bytes() == content  # left untouched


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE runs(x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a coder database"):
        Store(db)


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="missing"):
        Store(tmp_path / "missing" / "coder.db")


# -- runs and codebooks ------------------------------------------------------------


def test_runs_and_codebooks(store: Store) -> None:
    store.record_codebook("cb1", "codebook.yaml", "1.0")
    store.record_codebook("cb1", "codebook.yaml", "1.0")  # idempotent
    run = store.start_run("cb1", {"threshold": 0.5})
    assert store.run(run)["status"] == "running"
    store.finish_run(run, {"documents": 3}, status="failed")
    r = store.run(run)
    assert (r["status"], r["summary"], r["settings"]) == ("failed", {"documents": 3},
                                                           {"threshold": 0.5})
    assert r["finished_at"]
    assert store.conn.execute("SELECT count(*) FROM codebooks").fetchone()[0] == 1
    with pytest.raises(ValueError):
        store.finish_run(run, {}, status="weird")


# -- saving ------------------------------------------------------------------------


def test_save_and_reload_document(tmp_path: Path) -> None:
    db = tmp_path / "coder.db"
    t = transcript()
    with Store(db) as s:
        assert s.document_state(t.path) is None
        save(s, t, default_segments(t))
    with Store(db) as s:
        assert s.documents() == [{"path": "int/a01.txt", "informant_id": "A01", "format": "txt",
                                  "content_hash": "h1"}]
        assert s.document_state("int/a01.txt") == ("h1", "cb1")
        turns = s.turns(t.path)
        assert [u["is_interviewer"] for u in turns] == [1, 0, 1, 0]
        assert turns[0]["timestamp"] == "00:00:00" and turns[1]["start"] == t.turns[1].start
        segs = s.segments(t.path)
        assert [x["text"] for x in segs] == ["I left because there was no work.",
                                             "My brother was already there.", "Yes.",
                                             "It was hard, honestly."]
        assert all(t.text[x["start"]:x["end"]] == x["text"] for x in segs)
        rows = list(s.iter_segment_rows())
        assert [r["code"] for r in rows] == ["motive.economic", "network.family",
                                            "emotion.hardship"]
        first = rows[0]
        assert first["informant_id"] == "A01" and first["document"] == "int/a01.txt"
        assert first["evidence"] == [{"pattern": "motive.economic#0", "words": "work",
                                      "start": 0, "end": 4, "negated": False,
                                      "hypothetical": False, "note": None}]
        assert rows[2]["status"] == "disputed" and rows[2]["dispute_reason"] == "model only"
        assert s.counts() == {"documents": 1, "informants": 1, "segments": 4,
                              "assignments": {"auto": 2, "disputed": 1, "accepted": 0,
                                              "rejected": 0}}
        meta = s.conn.execute("SELECT meta FROM informants").fetchone()[0]
        assert '"age": 34' in meta


def test_informant_meta_is_merged(store: Store) -> None:
    a = transcript("a.txt", meta={"age": 34, "sex": "f"})
    b = transcript("b.txt", meta={"age": 35, "town": "Lyon"})
    save(store, a, default_segments(a))
    save(store, b, default_segments(b))
    import json
    meta = json.loads(store.conn.execute("SELECT meta FROM informants WHERE id = 'A01'")
                      .fetchone()[0])
    assert meta == {"age": 35, "sex": "f", "town": "Lyon"}
    assert store.counts()["informants"] == 1 and store.counts()["documents"] == 2


def test_resave_unchanged_keeps_ids_and_replaces_machine_rows(store: Store) -> None:
    t = transcript()
    save(store, t, default_segments(t))
    before = {x["text"]: x["id"] for x in store.segments(t.path)}
    new = default_segments(t)
    new[0].assignments = [auto("motive.other", 0.5)]  # machine changed its mind
    save(store, t, new, cb="cb2")
    after = {x["text"]: x["id"] for x in store.segments(t.path)}
    assert after == before
    assert set(codes_of(store, after["I left because there was no work."])) == {"motive.other"}
    assert store.document_state(t.path) == ("h1", "cb2")
    assert store.conn.execute("SELECT count(*) FROM turns").fetchone()[0] == 4


def _decide(store: Store, t: Transcript) -> dict[str, int]:
    """Accept one machine code, reject another, add a human one; return segment ids."""
    ids = {x["text"]: x["id"] for x in store.segments(t.path)}
    econ = codes_of(store, ids["I left because there was no work."])["motive.economic"]
    fam = codes_of(store, ids["My brother was already there."])["network.family"]
    store.set_status(econ["id"], "accepted", "ana", note="clear")
    store.set_status(fam["id"], "rejected", "ana")
    store.add_human(ids["Yes."], "stance.agree", "ben")
    return ids


def test_human_decisions_survive_resave_with_other_proposals(store: Store) -> None:
    t = transcript()
    save(store, t, default_segments(t))
    ids = _decide(store, t)
    snapshot = {sid: codes_of(store, sid) for sid in ids.values()}
    # the machine now proposes the same codes with other values, plus new codes
    new = [
        seg(t, "I left because there was no work.", auto("motive.economic", 0.1, "disputed"),
            auto("motive.push", 0.4)),
        seg(t, "My brother was already there.", auto("network.family", 0.95)),
        seg(t, "Yes.", auto("stance.agree", 0.3, "disputed", "model", "low")),
        seg(t, "It was hard, honestly."),
    ]
    save(store, t, new)
    first = codes_of(store, ids["I left because there was no work."])
    assert first["motive.economic"] == snapshot[ids["I left because there was no work."]][
        "motive.economic"]
    assert first["motive.economic"]["status"] == "accepted"
    assert first["motive.economic"]["confidence"] == 0.9 and first["motive.economic"]["coder"] == "ana"
    assert first["motive.push"]["status"] == "auto"
    assert codes_of(store, ids["My brother was already there."]) == snapshot[
        ids["My brother was already there."]]
    yes = codes_of(store, ids["Yes."])["stance.agree"]
    assert (yes["source"], yes["status"], yes["confidence"]) == ("human", "accepted", 1.0)
    # the disputed machine row the machine no longer proposes is gone
    assert codes_of(store, ids["It was hard, honestly."]) == {}


def test_human_decisions_follow_a_moved_segment(store: Store) -> None:
    t = transcript()
    save(store, t, default_segments(t))
    ids = _decide(store, t)
    # the transcript gained a sentence before: every offset moves
    t2 = transcript(content_hash="h2", answers=[
        "Well. I left because there was no work. My brother was already there.",
        "Yes. It was hard, honestly.",
    ])
    new = [seg(t2, "Well."), seg(t2, "I left because there was no work."),
           seg(t2, "My brother was already there."), seg(t2, "Yes."),
           seg(t2, "It was hard, honestly.")]
    save(store, t2, new)
    segs = {x["text"]: x for x in store.segments(t2.path)}
    assert {k: v["id"] for k, v in segs.items() if k != "Well."} == ids
    moved = segs["I left because there was no work."]
    assert moved["start"] == t2.text.index("I left") != t.text.index("I left")
    assert t2.text[moved["start"]:moved["end"]] == moved["text"]
    assert codes_of(store, moved["id"])["motive.economic"]["status"] == "accepted"
    assert codes_of(store, ids["My brother was already there."])["network.family"]["status"] == "rejected"
    assert codes_of(store, ids["Yes."])["stance.agree"]["source"] == "human"
    assert store.document_state(t2.path) == ("h2", "cb1")


def test_vanished_segment_with_decision_is_retired_not_deleted(store: Store) -> None:
    t = transcript()
    save(store, t, default_segments(t))
    ids = _decide(store, t)
    t2 = transcript(content_hash="h2", answers=["I left because there was no work.",
                                                "It was hard, honestly."])
    save(store, t2, [seg(t2, "I left because there was no work.", auto("motive.economic")),
                     seg(t2, "It was hard, honestly.")])
    retired = {x["text"]: x for x in store.segments(t2.path, include_retired=True)
               if not x["current"]}
    # "My brother" carries a rejection, "Yes." a human code: kept, retired
    assert set(retired) == {"My brother was already there.", "Yes."}
    assert retired["Yes."]["id"] == ids["Yes."]
    assert codes_of(store, ids["Yes."])["stance.agree"]["status"] == "accepted"
    rows = list(store.iter_segment_rows(include_rejected=True))
    assert {r["segment_id"] for r in rows} == {ids["I left because there was no work."]}
    assert store.counts()["segments"] == 2
    # a vanished segment without any human decision is deleted with its machine rows
    t3 = transcript(content_hash="h3", answers=["Something else entirely."])
    save(store, t3, [seg(t3, "Something else entirely.", auto("misc.other"))])
    left = {x["text"] for x in store.segments(t3.path, include_retired=True)}
    assert "It was hard, honestly." not in left
    assert "I left because there was no work." in left  # accepted: retired, kept
    # when the sentence comes back, the retired segment is current again with its decision
    save(store, t, default_segments(t))
    assert seg_id(store, t.path, "Yes.") == ids["Yes."]
    assert {r["code"] for r in store.iter_segment_rows()} >= {"stance.agree", "motive.economic"}


def test_repeated_sentences_keep_their_own_ids(store: Store) -> None:
    t = transcript(answers=["Yes. I agree.", "Yes. Exactly."])
    segs = [seg(t, "Yes.", nth=0), seg(t, "I agree."), seg(t, "Yes.", nth=1), seg(t, "Exactly.")]
    save(store, t, segs)
    first, second = [x["id"] for x in store.segments(t.path) if x["text"] == "Yes."]
    store.add_human(second, "stance.agree", "ana")
    save(store, t, [seg(t, "Yes.", nth=0), seg(t, "I agree."), seg(t, "Yes.", nth=1),
                    seg(t, "Exactly.")])
    again = [x["id"] for x in store.segments(t.path) if x["text"] == "Yes."]
    assert again == [first, second]
    assert list(codes_of(store, second)) == ["stance.agree"] and codes_of(store, first) == {}


def test_crash_inside_save_leaves_previous_state(store: Store, monkeypatch) -> None:
    t = transcript()
    save(store, t, default_segments(t))
    ids = _decide(store, t)
    dump = lambda: [list(store.conn.execute(f"SELECT * FROM {tab} ORDER BY 1, 2"))  # noqa: E731
                    for tab in ("documents", "turns", "segments", "assignments", "informants")]
    before = dump()
    real = store._insert_assignments

    def boom(*args, **kwargs):
        real(*args, **kwargs)  # every insert done, then the process "fails"
        raise RuntimeError("boom")

    monkeypatch.setattr(store, "_insert_assignments", boom)
    t2 = transcript(content_hash="h2", meta={"age": 99},
                    answers=["Totally new text.", "Yes. It was hard, honestly."])
    with pytest.raises(RuntimeError):
        store.save_document(store.start_run("cb9", {}), t2,
                            [seg(t2, "Totally new text.", auto("x.y")), seg(t2, "Yes.")], "cb9")
    assert dump() == before
    assert store.document_state(t.path) == ("h1", "cb1")
    assert seg_id(store, t.path, "Yes.") == ids["Yes."]
    monkeypatch.undo()
    save(store, t2, [seg(t2, "Totally new text.", auto("x.y")), seg(t2, "Yes.")])  # still usable
    assert store.document_state(t.path) == ("h2", "cb1")


def test_killed_process_keeps_finished_documents(tmp_path: Path) -> None:
    db = tmp_path / "coder.db"
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_store import transcript, default_segments
        from coder.store import Store
        s = Store({str(db)!r})
        run = s.start_run("cb", {{}})
        for i in range(3):
            t = transcript(f"d{{i}}.txt", informant=f"I{{i}}")
            if i == 2:
                real = s._insert_assignments
                def die(*a, **k):
                    real(*a, **k)
                    os._exit(9)
                s._insert_assignments = die
            s.save_document(run, t, default_segments(t), "cb")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    with Store(db) as s:
        assert [d["path"] for d in s.documents()] == ["d0.txt", "d1.txt"]
        assert s.counts()["segments"] == 8
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert s.run(1)["status"] == "running"


# -- human decision writers --------------------------------------------------------


def test_set_status_and_add_human_write_audit_rows(store: Store) -> None:
    t = transcript()
    save(store, t, default_segments(t))
    ids = _decide(store, t)
    log = store.decisions()
    assert [(d["action"], d["old_status"], d["new_status"], d["coder"]) for d in log] == [
        ("set_status", "auto", "accepted", "ana"), ("set_status", "auto", "rejected", "ana"),
        ("add", None, "accepted", "ben")]
    assert log[0]["note"] == "clear" and log[2]["segment_id"] == ids["Yes."]
    # adding a code the machine already proposed accepts that row
    hard = ids["It was hard, honestly."]
    existing = codes_of(store, hard)["emotion.hardship"]["id"]
    assert store.add_human(hard, "emotion.hardship", "ben") == existing
    assert codes_of(store, hard)["emotion.hardship"]["status"] == "accepted"
    with pytest.raises(StoreError):
        store.set_status(999, "accepted", "ana")
    with pytest.raises(StoreError):
        store.add_human(999, "x.y", "ana")
    with pytest.raises(ValueError):
        store.set_status(existing, "maybe", "ana")
    assert len(store.decisions()) == 4


def test_decisions_through_set_status_and_add_human_count_for_agreement(store: Store) -> None:
    """Every accept, reject or add is also the person's coding, whichever writer made it."""
    t = transcript()
    save(store, t, default_segments(t))
    _decide(store, t)
    assert sorted((c["coder"], c["code"], c["applies"]) for c in store.review_codings()) == \
        sorted((d["coder"], d["code"], int(d["new_status"] == "accepted"))
               for d in store.decisions())
    assert len(store.review_codings()) == 3


# -- reading -----------------------------------------------------------------------


def test_iter_segment_rows_filters_and_order(store: Store) -> None:
    b = transcript("b.txt", informant="B02")
    a = transcript("a.txt")
    save(store, b, default_segments(b))
    save(store, a, default_segments(a))
    _decide(store, a)
    rows = list(store.iter_segment_rows())
    assert [(r["document"], r["code"]) for r in rows] == [
        ("a.txt", "motive.economic"), ("a.txt", "stance.agree"), ("a.txt", "emotion.hardship"),
        ("b.txt", "motive.economic"), ("b.txt", "network.family"), ("b.txt", "emotion.hardship")]
    assert all(rows[i]["start"] <= rows[i + 1]["start"] for i in range(2))
    assert {r["code"] for r in store.iter_segment_rows(include_rejected=True)
            if r["document"] == "a.txt"} >= {"network.family"}
    assert [r["status"] for r in store.iter_segment_rows(statuses={"rejected"})] == ["rejected"]
    assert {r["status"] for r in store.iter_segment_rows(statuses={"auto", "disputed"})} == {
        "auto", "disputed"}
    assert [r["document"] for r in store.iter_segment_rows(codes={"network.family"})] == ["b.txt"]
    assert len(list(store.iter_segment_rows(codes={"network.family"},
                                            include_rejected=True))) == 2
    assert list(store.iter_segment_rows(codes=set())) == []


def test_counts_and_categories(store: Store) -> None:
    t = transcript()
    save(store, t, default_segments(t))
    _decide(store, t)
    c = store.counts()
    assert c["assignments"] == {"auto": 0, "disputed": 1, "accepted": 2, "rejected": 1}
    assert store.assignments_by_category() == {"emotion": 1, "motive": 1, "stance": 1}
