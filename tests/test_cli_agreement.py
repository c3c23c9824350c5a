"""`coder import` and `coder agreement` through the command line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coder.cli import app
from coder.store import Store

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures"
CODEBOOK = str(FIXTURES / "codebook_min.yaml")
AGREEMENT = FIXTURES / "agreement"
SECRET = "the good one"   # transcript words that must never appear in a message


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Five segments; the rules propose unemployed + china on 1, unemployed (disputed) on 2,
    business on 3, nothing on 4 and 5."""
    d = tmp_path / "t"
    d.mkdir()
    (d / "a.txt").write_text(
        "[00:00:05] Interviewer: Work?\n"
        '[00:00:09] Mrs. Han: I lost my job, "the good one", at the mill; then,\n'
        "on a cold night, we crossed the Tumen.\n"
        "[00:00:20] Interviewer: And later?\n"
        "[00:00:25] Mrs. Han: I was never out of work in Seoul, not one week. Now I run a "
        "restaurant with my sister. We hid for a year in China before that.\n"
        "[00:00:40] Interviewer: And your family?\n"
        "[00:00:45] Mrs. Han: My mother stayed in the north with my brother.\n",
        encoding="utf-8")
    path = tmp_path / "p.db"
    result = runner.invoke(app, ["code", str(d), "--rules-only", "--db", str(path),
                                 "--codebook", CODEBOOK])
    assert result.exit_code == 0, result.output
    with Store(path) as store:
        doc = store.documents()[0]["path"]
        assert [s["id"] for s in store.segments(doc)] == [1, 2, 3, 4, 5]
    return path


def run(*args: str):
    return runner.invoke(app, [*args])


def do_import(db: Path, file: Path | str, coder: str, *extra: str):
    return run("import", str(file), "--coder", coder, "--db", str(db), "--codebook", CODEBOOK,
               *extra)


def test_import_an_edited_export(db, tmp_path):
    out = tmp_path / "seg.csv"
    assert run("export", "segments", "--db", str(db), "-o", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 4
    rows[1]["status"] = "rejected"                                   # 1 route.china: no
    rows.append({**rows[3], "segment_id": "4", "code": "route.china", "status": "accepted"})
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    result = do_import(db, out, "bo")
    assert result.exit_code == 0, result.output
    assert "imported 5 codings by bo" in result.stdout
    with Store(db) as store:
        assert store.latest_codings("bo") == {
            (1, "material.unemployed"): True, (1, "route.china"): False,
            (2, "material.unemployed"): True, (3, "material.business"): True,
            (4, "route.china"): True}
        assert {r[0] for r in store.conn.execute("SELECT source FROM codings")} == {"import"}


def test_import_bad_file_imports_nothing_and_names_lines(db):
    result = do_import(db, AGREEMENT / "bo_mixed.csv", "bo")
    assert result.exit_code == 1
    assert "bo_mixed.csv:4: no segment 42 in this project" in result.stderr
    assert "bo_mixed.csv:5: code 'material.farming' is not in the codebook" in result.stderr
    assert "nothing imported: 2 of 4 rows are bad" in result.stderr
    assert SECRET not in result.output
    with Store(db) as store:
        assert store.coding_coders() == {}


def test_import_mixed_file_with_partial_keeps_the_good_rows(db):
    result = do_import(db, AGREEMENT / "bo_mixed.csv", "bo", "--partial")
    assert result.exit_code == 0, result.output
    assert "imported 2 codings by bo" in result.stdout and "2 bad rows skipped" in result.stdout
    assert "bo_mixed.csv:4:" in result.stderr
    with Store(db) as store:
        assert store.latest_codings("bo") == {(1, "material.unemployed"): True,
                                              (1, "route.china"): False}


@pytest.mark.parametrize("name, text, message", [
    ("missing.csv", None, "no such file"),
    ("cols.csv", "segment_id,text\n1,x\n", "missing columns code, status (or decision)"),
    ("empty.csv", "", "empty file"),
])
def test_import_unreadable_file_exits_2_naming_it(db, tmp_path, name, text, message):
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    result = do_import(db, path, "bo")
    assert result.exit_code == 2
    assert str(path) in result.stderr and message in result.stderr


def test_import_refuses_the_machine_name_and_needs_a_project(db, tmp_path):
    result = do_import(db, AGREEMENT / "bo_good.csv", "machine")
    assert result.exit_code == 2 and "reserved" in result.stderr
    result = do_import(tmp_path / "none.db", AGREEMENT / "bo_good.csv", "bo")
    assert result.exit_code == 1 and "no project database" in result.stderr
    assert not (tmp_path / "none.db").exists()


def agreement(db: Path, *extra: str):
    return run("agreement", "--db", str(db), "--codebook", CODEBOOK, *extra)


def test_agreement_person_against_machine_by_default(db, tmp_path):
    assert do_import(db, AGREEMENT / "bo_good.csv", "bo").exit_code == 0
    out = tmp_path / "out" / "agreement.csv"
    result = agreement(db, "--csv", str(out))
    assert result.exit_code == 0, result.output
    # bo coded segments 1-4; the machine proposed unemployed on 1, 2; china on 1; business
    # on 3. bo: unemployed on 1 only, business on 3, china on 4.
    assert "bo vs machine: 4 segments" in result.stdout
    table = list(csv.DictReader(out.open(encoding="utf-8")))
    by = {r["code"]: r for r in table}
    assert list(by) == ["material.unemployed", "material.business", "route.china",
                        "all codes (pooled)", "mean of codes"]
    assert by["material.unemployed"]["units"] == "4"
    assert by["material.unemployed"]["agreement_pct"] == "75.0"
    assert by["material.business"]["agreement_pct"] == "100.0"
    assert by["material.business"]["kappa"] == "1.000"
    assert by["route.china"]["agreement_pct"] == "50.0"
    assert by["all codes (pooled)"]["units"] == "12"
    assert by["all codes (pooled)"]["agreement_pct"] == "75.0"
    assert "overall, pooled over 12 segment-code units: agreement 75.0%" in result.stdout


def test_agreement_between_two_people_and_na(db):
    with Store(db) as store:
        store.import_codings("ana", [(1, "route.china", True), (2, "route.china", False),
                                     (3, "route.china", True), (5, "route.china", True)],
                             source="review")
        store.import_codings("bo", [(1, "route.china", True), (2, "route.china", False),
                                    (3, "route.china", False), (4, "route.china", True)])
    result = agreement(db)
    assert result.exit_code == 2 and "several people have codings (ana, bo)" in result.stderr
    result = agreement(db, "--between", "ana", "bo")
    assert result.exit_code == 0, result.output
    assert "ana vs bo: 3 segments" in result.stdout
    assert "n/a" in result.stdout          # nobody coded unemployed or business
    assert "agreement 88.9%" in result.stdout   # 8 of 9 (segment, code) units
    result = agreement(db, "--between", "ana", "cy")
    assert result.exit_code == 2 and "'cy' has no codings" in result.stderr


def test_agreement_without_people_or_shared_segments(db):
    result = agreement(db)
    assert result.exit_code == 1 and "no person has coded" in result.stderr
    with Store(db) as store:
        store.import_codings("ana", [(1, "route.china", True)])
        store.import_codings("bo", [(2, "route.china", True)])
    result = agreement(db, "--between", "ana", "bo")
    assert result.exit_code == 1 and "no segments in common" in result.stderr
    assert "Traceback" not in result.output
