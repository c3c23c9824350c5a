"""`coder export segments`: columns, filters, stdout, round trip, determinism."""

import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from coder.cli import app

runner = CliRunner()
CODEBOOK = str(Path(__file__).parent / "fixtures" / "codebook_min.yaml")
COLUMNS = ["informant_id", "document", "segment_id", "speaker", "start", "end", "timestamp",
           "text", "code", "category", "source", "confidence", "status"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    d = tmp_path / "t"
    d.mkdir()
    (d / "a.txt").write_text(
        '[00:00:05] Interviewer: Work?\n'
        '[00:00:09] Mrs. Han: I lost my job, "the good one", at the mill; then,\n'
        'on a cold night, we crossed the Tumen.\n'
        '[00:00:20] Interviewer: And later?\n'
        '[00:00:25] Mrs. Han: I was never out of work in Seoul, not one week.\n', encoding="utf-8")
    path = tmp_path / "p.db"
    result = runner.invoke(app, ["code", str(d), "--rules-only", "--db", str(path),
                                 "--codebook", CODEBOOK])
    assert result.exit_code == 0, result.output
    return path


def export(db: Path, *args: str) -> str:
    result = runner.invoke(app, ["export", "segments", "--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_columns_and_round_trip_through_pandas(db):
    text = export(db)
    frame = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert list(frame.columns[:13]) == COLUMNS
    assert list(frame.columns[13:]) == ["dispute_reason"]
    assert set(frame["code"]) == {"material.unemployed", "route.china"}
    row = frame[frame["code"] == "route.china"].iloc[0]
    assert row["text"] == ('I lost my job, "the good one", at the mill; then, on a cold night, '
                           'we crossed the Tumen.')
    assert row["timestamp"] == "00:00:09" and row["category"] == "route"
    assert row["speaker"] == "Mrs. Han" and row["source"] == "rule"


def test_file_output_is_byte_identical_between_runs(db, tmp_path):
    out1, out2 = tmp_path / "x" / "a.csv", tmp_path / "b.csv"
    r1 = runner.invoke(app, ["export", "segments", "--db", str(db), "-o", str(out1)])
    r2 = runner.invoke(app, ["export", "segments", "--db", str(db), "-o", str(out2)])
    assert r1.exit_code == r2.exit_code == 0
    assert "wrote 3 rows to" in r1.stderr
    assert out1.read_bytes() == out2.read_bytes()
    # the runner folds CRLF in captured output, so compare text with the line ends folded
    assert out1.read_bytes().decode("utf-8").replace("\r\n", "\n") == export(db, "-o", "-")


def test_status_and_code_filters(db):
    disputed = pd.read_csv(io.StringIO(export(db, "--status", "disputed")))
    assert list(disputed["code"]) == ["material.unemployed"]
    assert list(disputed["dispute_reason"]) == ["negated evidence"]
    china = pd.read_csv(io.StringIO(export(db, "--code", "route.china,material.business")))
    assert list(china["code"]) == ["route.china"]


def test_rejected_left_out_unless_all(db):
    from coder.store import Store

    with Store(db) as store:
        row = next(r for r in store.iter_segment_rows() if r["code"] == "route.china")
        store.set_status(row["assignment_id"], "rejected", "ana")
    assert "route.china" not in export(db)
    assert "route.china" in export(db, "--all")


def test_unknown_status_is_a_usage_error(db):
    result = runner.invoke(app, ["export", "segments", "--db", str(db), "--status", "maybe"])
    assert result.exit_code == 2


def test_missing_database_is_an_error_not_a_new_file(tmp_path):
    result = runner.invoke(app, ["export", "segments", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no project database" in result.stderr
    assert not (tmp_path / "none.db").exists()
