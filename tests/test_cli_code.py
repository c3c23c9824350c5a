"""`coder code`: formats, bad input, exit codes, idempotent re-runs."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from coder.cli import app
from coder.store import Store

runner = CliRunner()
SECRET = "Kim Chol-su lives at 12 Hidden Lane"  # stands for transcript text that must not leak

GOOD = """---
informant: P01
gender: F
---
I: Did you work after you came?
R: I lost my job at the mine. Then we hid in China for a year.
I: And now?
R: Now I run a restaurant in Incheon with my sister.
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "interviews"
    (d / "more").mkdir(parents=True)
    (d / "p01.txt").write_text(GOOD, encoding="utf-8")
    (d / "more" / "p02.srt").write_text(
        "1\n00:00:01,000 --> 00:00:03,000\nINTERVIEWER: Where did you cross?\n\n"
        "2\n00:00:04,000 --> 00:00:08,000\nMR. PARK: We crossed the Tumen in winter.\n\n"
        "3\n00:00:08,000 --> 00:00:10,000\nMR. PARK: I lost my job after that.\n\n", encoding="utf-8")
    return d


def run(tmp_path: Path, *args: str):
    db = tmp_path / "project.db"
    return runner.invoke(app, ["code", *args, "--rules-only", "--db", str(db), "--codebook",
                               str(Path(__file__).parent / "fixtures" / "codebook_min.yaml")])


def export_rows(tmp_path: Path) -> list[dict]:
    with Store(tmp_path / "project.db") as store:
        return list(store.iter_segment_rows(include_rejected=True))


def test_codes_a_folder_recursively(tmp_path, folder):
    result = run(tmp_path, str(folder))
    assert result.exit_code == 0, result.output
    assert "documents coded" in result.stdout
    rows = export_rows(tmp_path)
    assert {(r["informant_id"], r["code"]) for r in rows} == {
        ("P01", "material.unemployed"), ("P01", "route.china"), ("P01", "material.business"),
        ("p02", "route.china"), ("p02", "material.unemployed")}
    assert all(r["speaker"] in ("R", "MR. PARK") for r in rows)


def test_a_large_batch_is_saved_by_a_child_process_with_the_same_result(tmp_path, folder,
                                                                       monkeypatch):
    import coder.pipeline
    import coder.saver

    assert run(tmp_path, str(folder)).exit_code == 0
    inline = export_rows(tmp_path)
    (tmp_path / "project.db").unlink()
    started = []
    real = coder.saver.Saver.__init__

    def spy(self, store, background=True):
        started.append(background)
        real(self, store, background)

    monkeypatch.setattr(coder.pipeline, "BACKGROUND_SAVE_FILES", 2)
    monkeypatch.setattr(coder.saver.Saver, "__init__", spy)
    result = run(tmp_path, str(folder))
    assert result.exit_code == 0, result.output
    assert started == [True]
    assert export_rows(tmp_path) == inline


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "empty"),
    ("binary.txt", bytes(range(256)) * 8, ""),
    ("nobody.txt", b"I: Hello?\nI: Anyone there?\n", "no informant speech"),
    ("broken.vtt", b"WEBVTT\n\n00:01 --> nonsense\n<v A>" + SECRET.encode() + b"\n", ""),
    ("broken.srt", b"1\nnot a time\n" + SECRET.encode() + b"\n", ""),
    ("corrupt.docx", b"PK\x03\x04" + SECRET.encode(), ""),
    ("notes.pdf", b"%PDF-1.4 " + SECRET.encode(), "unsupported"),
    ("latin.txt", b"I: Hi\nR: " + SECRET.encode() + b"\xff\xfe\x00\x00\xff", None),
])
def test_bad_file_is_skipped_and_the_rest_coded(tmp_path, folder, name, content, reason):
    (folder / name).write_bytes(content)
    result = run(tmp_path, str(folder))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert SECRET not in result.output and "Hidden Lane" not in result.output
    assert len({r["document"] for r in export_rows(tmp_path)}) >= 2
    if reason is not None:
        assert "skipped" in result.stderr and name in result.stderr
        assert reason in result.stderr


def test_strict_makes_a_skipped_file_an_error(tmp_path, folder):
    (folder / "empty.txt").write_bytes(b"")
    result = run(tmp_path, str(folder), "--strict")
    assert result.exit_code == 1
    assert "--strict" in result.stderr


def test_nothing_codable_exits_1(tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    (d / "empty.txt").write_bytes(b"")
    result = run(tmp_path, str(d))
    assert result.exit_code == 1
    assert "empty.txt" in result.output


def test_missing_path_is_a_usage_error(tmp_path):
    result = run(tmp_path, str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


def test_bad_codebook_exits_2_and_stores_nothing(tmp_path, folder):
    cb = tmp_path / "codebook.yaml"
    cb.write_text("version: 1\nname: x\ncategories: []\n")
    result = runner.invoke(app, ["code", str(folder), "--rules-only", "--db",
                                 str(tmp_path / "p.db"), "--codebook", str(cb)])
    assert result.exit_code == 2
    assert "codebook.yaml: categories:" in result.stderr
    assert not (tmp_path / "p.db").exists()


def test_rerun_skips_unchanged_and_keeps_human_decisions(tmp_path, folder):
    assert run(tmp_path, str(folder)).exit_code == 0
    before = export_rows(tmp_path)
    with Store(tmp_path / "project.db") as store:
        by = {(r["informant_id"], r["code"]): r for r in before}
        accepted = by[("P01", "route.china")]
        rejected = by[("P01", "material.business")]
        store.set_status(accepted["assignment_id"], "accepted", "ana")
        store.set_status(rejected["assignment_id"], "rejected", "ana")
        added = store.add_human(accepted["segment_id"], "material.business", "ana")

    again = run(tmp_path, str(folder))
    assert again.exit_code == 0
    assert "documents unchanged" in again.stdout
    rows = {r["assignment_id"]: r for r in export_rows(tmp_path)}
    assert rows[accepted["assignment_id"]]["status"] == "accepted"
    assert rows[rejected["assignment_id"]]["status"] == "rejected"
    assert rows[added]["source"] == "human"
    untouched = {r["assignment_id"] for r in before} - {accepted["assignment_id"],
                                                       rejected["assignment_id"]}
    assert all(rows[i]["status"] == "auto" for i in untouched)

    # The file changes: the machine re-codes it, people's decisions stay as they were.
    p01 = folder / "p01.txt"
    p01.write_text(GOOD.replace("Now I run a restaurant", "Now, after all that, I run a restaurant"),
                   encoding="utf-8")
    third = run(tmp_path, str(folder))
    assert third.exit_code == 0
    rows = {r["assignment_id"]: r for r in export_rows(tmp_path)}
    assert rows[accepted["assignment_id"]]["status"] == "accepted"
    assert rows[rejected["assignment_id"]]["status"] == "rejected"
    assert rows[added]["status"] == "accepted" and rows[added]["source"] == "human"
    # the edited sentence kept its id, so the rejection follows the corrected text
    assert rows[rejected["assignment_id"]]["text"] == (
        "Now, after all that, I run a restaurant in Incheon with my sister.")


def test_interviewer_option_names_the_interviewer(tmp_path):
    d = tmp_path / "named"
    d.mkdir()
    (d / "s.txt").write_text("Dr. Seo: Did you lose your job?\nMrs. Han: I lost my job in May.\n"
                             "Dr. Seo: I lost my job too, once.\n", encoding="utf-8")
    result = run(tmp_path, str(d), "--interviewer", "Dr. Seo")
    assert result.exit_code == 0, result.output
    rows = export_rows(tmp_path)
    assert [r["speaker"] for r in rows] == ["Mrs. Han"]


def test_spacy_model_that_is_not_installed_is_a_usage_error(tmp_path, folder):
    result = run(tmp_path, str(folder), "--spacy-model", "xx_not_a_pipeline")
    assert result.exit_code == 2
    assert "spaCy pipeline 'xx_not_a_pipeline' is not installed" in result.stderr
