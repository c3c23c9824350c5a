"""Tests for coder.saver: documents saved by a child process, its errors, a dying parent."""

from __future__ import annotations

import io
import json
import pickle
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_store import auto, default_segments, seg, transcript  # noqa: E402

from coder.errors import StoreError  # noqa: E402
from coder.saver import Saver, serve  # noqa: E402
from coder.store import Store  # noqa: E402


def documents(n: int) -> list[tuple]:
    out = []
    for i in range(n):
        t = transcript(f"d{i}.txt", informant=f"I{i}")
        out.append((t, default_segments(t)))
    return out


def dump(db: Path) -> list:
    with Store(db) as s:
        return [list(s.conn.execute(f"SELECT * FROM {tab} ORDER BY 1, 2"))
                for tab in ("informants", "turns", "segments")] + [
            list(s.conn.execute("SELECT segment_id, code, source, confidence, status, evidence, "
                                "dispute_reason FROM assignments ORDER BY 1, 2"))]


@pytest.mark.parametrize("background", [True, False])
def test_saves_every_document_as_the_store_does(tmp_path: Path, background: bool) -> None:
    direct, db = tmp_path / "direct.db", tmp_path / "saver.db"
    with Store(direct) as s:
        run = s.start_run("cb", {})
        for t, segs in documents(3):
            s.save_document(run, t, segs, "cb")
    with Store(db) as s, Saver(s, background=background) as saver:
        run = s.start_run("cb", {})
        for t, segs in documents(3):
            saver.save(run, t, segs, "cb")
    assert dump(db) == dump(direct)
    assert len(dump(db)[2]) == 12


def test_an_error_in_the_child_is_raised_naming_the_database(tmp_path: Path) -> None:
    db = tmp_path / "coder.db"
    (t0, good), (t1, _) = documents(2)
    bad = [seg(t1, "Yes.", auto("x.y", status="bogus"))]
    with Store(db) as s:
        run = s.start_run("cb", {})
        saver = Saver(s)
        saver.save(run, t0, good, "cb")
        saver.save(run, t1, bad, "cb")
        with pytest.raises(StoreError, match=r"coder\.db: saving a document failed .*bogus"):
            saver.close()
    with Store(db) as s:
        assert [d["path"] for d in s.documents()] == ["d0.txt"]


def test_a_failing_parent_still_gets_the_documents_it_handed_over_saved(tmp_path: Path) -> None:
    db = tmp_path / "coder.db"
    with Store(db) as s, pytest.raises(KeyboardInterrupt):
        run = s.start_run("cb", {})
        with Saver(s) as saver:
            for t, segs in documents(2):
                saver.save(run, t, segs, "cb")
            raise KeyboardInterrupt
    with Store(db) as s:
        assert [d["path"] for d in s.documents()] == ["d0.txt", "d1.txt"]


def test_the_child_saves_whole_documents_when_its_input_is_cut_off(tmp_path: Path) -> None:
    """The parent died while handing over a document: the ones before it are saved."""
    db = tmp_path / "coder.db"
    with Store(db) as s:
        run = s.start_run("cb", {})
    blobs = [pickle.dumps((run, t, segs, "cb")) for t, segs in documents(3)]
    stdin = io.BytesIO(blobs[0] + blobs[1] + blobs[2][: len(blobs[2]) // 2])
    stdout = io.BytesIO()
    assert serve(str(db), stdin, stdout) == 0
    assert json.loads(stdout.getvalue()) == {"saved": 2}
    with Store(db) as s:
        assert [d["path"] for d in s.documents()] == ["d0.txt", "d1.txt"]
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
