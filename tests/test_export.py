"""Tests for coder.export: CSV columns, formatting, pandas round trip, determinism."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from coder.export import SEGMENT_COLUMNS, write_segments_csv
from coder.store import Store
from coder.transcript import Assignment, Evidence, Segment, Transcript

TRICKY = [
    'He said, "we\'ll see", and left.',
    "Line one\nline two, with comma",
    "Crème brûlée in Łódź — 日本語 ok",
    "=SUM(A1:A2) is not a formula",
    "  leading spaces and a trailing tab\t",
    "Windows\r\nbreak",
]


def build(path: str = "int/a01.txt", answers: list[str] | None = None,
          informant: str = "A01", timestamps: bool = True) -> Transcript:
    answers = answers if answers is not None else TRICKY
    turns = []
    for i, answer in enumerate(answers):
        turns.append(("Interviewer", f"Q{i}?", True, f"00:{i:02d}:00" if timestamps else None,
                      None))
        turns.append((informant, answer, False, f"00:{i:02d}:30" if timestamps else None, None))
    return Transcript.build(path, "txt", informant, "hash-" + path, {}, turns)


def whole_turn_segments(t: Transcript, codes=("motive.economic",), **kw) -> list[Segment]:
    """One segment per informant turn, each with the given codes."""
    return [Segment(turn.index, turn.speaker, turn.start, turn.end, turn.text, turn.timestamp,
                    [Assignment(c, kw.get("source", "rule"), kw.get("confidence", 2 / 3),
                                kw.get("status", "auto"),
                                [Evidence(f"{c}#1", turn.text[:3], turn.start, turn.start + 3)],
                                kw.get("reason"))
                     for c in codes])
            for turn in t.informant_turns]


def save(store: Store, t: Transcript, segments: list[Segment]) -> None:
    run = store.start_run("cb", {})
    store.save_document(run, t, segments, "cb")
    store.finish_run(run, {})


def export(store: Store, **kw) -> tuple[str, int]:
    buf = io.StringIO(newline="")
    n = write_segments_csv(store, buf, **kw)
    return buf.getvalue(), n


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "coder.db") as s:
        yield s


def test_header_and_row_count(store: Store) -> None:
    t = build()
    save(store, t, whole_turn_segments(t, codes=("motive.economic", "place.city")))
    text, n = export(store)
    header = text.split("\r\n", 1)[0]
    assert header.split(",") == SEGMENT_COLUMNS + ["dispute_reason"]
    assert SEGMENT_COLUMNS[:3] == ["informant_id", "document", "segment_id"]
    assert n == 2 * len(TRICKY)
    assert len(pd.read_csv(io.StringIO(text))) == n


def test_round_trip_through_pandas(store: Store, tmp_path: Path) -> None:
    t = build()
    save(store, t, whole_turn_segments(t, status="disputed", reason='rule vs model, "close"'))
    out = tmp_path / "segments.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        write_segments_csv(store, fh)
    df = pd.read_csv(out, encoding="utf-8", keep_default_na=False, dtype=str)
    assert list(df["text"]) == TRICKY
    assert set(df["dispute_reason"]) == {'rule vs model, "close"'}
    assert list(df["informant_id"]) == ["A01"] * len(TRICKY)
    assert list(df["timestamp"]) == [f"00:{i:02d}:30" for i in range(len(TRICKY))]
    assert list(df["start"].astype(int)) == [u.start for u in t.informant_turns]
    # the stored offsets still point at the exported text
    assert all(t.text[int(s):int(e)] == x for s, e, x in zip(df["start"], df["end"], df["text"]))
    # stdlib csv reads the same rows back
    import csv
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["text"] for r in rows] == TRICKY


def test_cell_formats_and_categories(store: Store) -> None:
    t = build(answers=["One.", "Two."], timestamps=False)
    save(store, t, whole_turn_segments(t, codes=("motive.economic.sub", "nodot"), confidence=1 / 3))
    df = pd.read_csv(io.StringIO(export(store)[0]), dtype=str, keep_default_na=False)
    assert set(df["confidence"]) == {"0.333"}
    assert set(df["timestamp"]) == {""}
    assert set(df["dispute_reason"]) == {""}
    assert dict(zip(df["code"], df["category"])) == {"motive.economic.sub": "motive",
                                                     "nodot": "nodot"}
    df2 = pd.read_csv(io.StringIO(export(store, categories={"nodot": "misc"})[0]), dtype=str)
    assert dict(zip(df2["code"], df2["category"])) == {"motive.economic.sub": "motive",
                                                      "nodot": "misc"}


def test_filters_rejected_and_retired_rows(store: Store) -> None:
    t = build(answers=["Keep me.", "Reject me.", "Gone soon."])
    save(store, t, whole_turn_segments(t, codes=("a.x", "b.y")))
    rows = list(store.iter_segment_rows())
    by = {(r["text"], r["code"]): r for r in rows}
    store.set_status(by[("Reject me.", "a.x")]["assignment_id"], "rejected", "ana")
    gone = by[("Gone soon.", "a.x")]["segment_id"]
    store.add_human(gone, "c.z", "ana")
    # the third answer disappears: its segment is retired (it carries a human code)
    t2 = build(answers=["Keep me.", "Reject me."])
    save(store, t2, whole_turn_segments(t2, codes=("a.x", "b.y")))
    df = pd.read_csv(io.StringIO(export(store)[0]), dtype=str)
    assert list(zip(df["text"], df["code"])) == [("Keep me.", "a.x"), ("Keep me.", "b.y"),
                                                 ("Reject me.", "b.y")]
    assert gone not in set(df["segment_id"].astype(int))
    text, n = export(store, include_rejected=True)
    assert n == 4 and "rejected" in text
    _, n = export(store, statuses={"rejected"})
    assert n == 1
    df3 = pd.read_csv(io.StringIO(export(store, codes={"b.y"})[0]), dtype=str)
    assert set(df3["code"]) == {"b.y"} and len(df3) == 2


def test_export_is_byte_identical_across_runs(tmp_path: Path) -> None:
    db = tmp_path / "coder.db"
    docs = [build("b.txt", informant="B02"), build("a.txt")]

    def run_once() -> bytes:
        with Store(db) as s:
            for t in docs:
                save(s, t, whole_turn_segments(t, codes=("motive.economic", "place.city")))
            out = tmp_path / "out.csv"
            with out.open("w", encoding="utf-8", newline="") as fh:
                write_segments_csv(s, fh)
            return out.read_bytes()

    first = run_once()
    second = run_once()  # a new run re-saves the unchanged documents
    assert first == second
    assert first.count(b"\r\n") > 2 * len(TRICKY)
    lines = first.decode("utf-8").split("\r\n")
    assert lines[1].startswith("A01,a.txt,")  # ordered by document path, not insertion


def test_empty_project_writes_only_the_header(store: Store) -> None:
    text, n = export(store)
    assert n == 0
    assert text == ",".join(SEGMENT_COLUMNS + ["dispute_reason"]) + "\r\n"
