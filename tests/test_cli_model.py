"""`coder train` and `coder evaluate` on a tiny gold folder: scores printed, model kept,
bad gold reported as a usage error without a traceback."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits
from typer.testing import CliRunner

from coder.cli import app
from coder.codebook import load_codebook
from coder.model import SegmentModel
from coder.store import Store
from coder.typology import typology_from_bytes

runner = CliRunner()
MODEL_FIXTURES = Path(__file__).parent / "fixtures" / "model"
CODEBOOK = MODEL_FIXTURES / "codebook_typology.yaml"
GOLD = MODEL_FIXTURES / "gold"
CODES = ["material.job", "material.poor", "mental.belong", "mental.lonely", "route.china"]


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread() -> Iterator[None]:
    """Tiny fits run far faster on one BLAS thread (no spin-waiting on a busy machine)."""
    with threadpool_limits(limits=1):
        yield


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def assert_usage_error(result, *fragments: str) -> None:
    """Exit 2, the message on stderr, no traceback and no internal error."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def gold_subset(tmp_path: Path, *ids: str) -> Path:
    folder = tmp_path / f"gold-{'-'.join(ids)}"
    folder.mkdir()
    for i in ids:
        shutil.copy(GOLD / f"{i}.json", folder)
    return folder


# -- coder train ---------------------------------------------------------------------------
def test_train_prints_cross_validated_scores_and_keeps_the_model(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    result = invoke("train", "--db", db, "--gold", GOLD, "--codebook", CODEBOOK)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "cross-validated over 4 gold interviews" in out
    micro = re.search(r"micro-F1 (\d\.\d{3})", out)
    assert micro is not None and 0.0 < float(micro.group(1)) <= 1.0
    assert re.search(r"quadrant accuracy \d\.\d{3}", out)
    for code in CODES:
        assert code in out
    book = load_codebook(CODEBOOK)
    assert book.hash in out
    with Store(db) as store:
        stored = store.load_model(book.hash)
        assert store.model_versions() == [book.hash]
    assert stored is not None
    model = SegmentModel.from_bytes(stored[0], book.hash)
    assert model.summary["informants"] == ["G1", "G2", "G3", "G4"]
    assert set(model.classifiers) == set(CODES)
    assert stored[1] is not None
    assert set(typology_from_bytes(stored[1]).classifiers) == {"material", "mental"}


def test_train_with_folds_says_so(tmp_path: Path) -> None:
    result = invoke("train", "--db", tmp_path / "p.db", "--gold", GOLD, "--codebook", CODEBOOK,
                    "--folds", "2")
    assert result.exit_code == 0, result.output
    assert "(2 folds by informant)" in result.stdout


# -- coder evaluate ----------------------------------------------------------------------------
def test_evaluate_prints_per_code_scores_and_quadrant_accuracy(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    scored = gold_subset(tmp_path, "G1", "G4")
    result = invoke("evaluate", scored, "--train-gold", GOLD, "--codebook", CODEBOOK,
                    "--db", db)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "2 interviews from" in out and "leave-one-informant-out" in out
    header = next(line for line in out.splitlines() if "precision" in line)
    for column in ("code", "precision", "recall", "F1", "kappa", "support"):
        assert column in header
    for code in CODES:
        row = next(line for line in out.splitlines() if code in line)
        assert len(re.findall(r"\d\.\d\d", row)) == 4, row  # precision, recall, F1, kappa
    assert re.search(r"micro-F1 \d\.\d{3}", out)
    assert re.search(r"quadrant accuracy \d\.\d{3} \(\d+ misplaced", out)
    assert "confusion matrix" in out
    assert not db.exists()  # evaluating reads a project, never makes one


def test_evaluate_uses_people_decisions_from_an_existing_project(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    Store(db).close()
    result = invoke("evaluate", GOLD, "--train-gold", GOLD, "--codebook", CODEBOOK, "--db", db,
                    "--no-per-code")
    assert result.exit_code == 0, result.output
    assert "precision" not in result.stdout
    assert "micro-F1" in result.stdout


# -- bad gold ----------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_missing_gold_path_is_a_usage_error(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "no-such-gold"
    if command == "train":
        result = invoke("train", "--db", tmp_path / "p.db", "--gold", missing,
                        "--codebook", CODEBOOK)
    else:
        result = invoke("evaluate", missing, "--train-gold", GOLD, "--codebook", CODEBOOK,
                        "--db", tmp_path / "p.db")
    assert_usage_error(result, "no-such-gold", "no gold files")


def test_missing_training_gold_for_evaluate_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("evaluate", GOLD, "--train-gold", tmp_path / "empty-dir-missing",
                    "--codebook", CODEBOOK, "--db", tmp_path / "p.db")
    assert_usage_error(result, "no gold files")


def test_empty_gold_folder_is_a_usage_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not gold", encoding="utf-8")
    result = invoke("train", "--db", tmp_path / "p.db", "--gold", empty, "--codebook", CODEBOOK)
    assert_usage_error(result, "no gold files")


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "cannot read gold file"),
    (json.dumps({"id": "X", "turns": "none"}), "not a gold interview"),
    (json.dumps({"id": "X", "turns": [{"speaker": "Q", "text": "hi"}]}), "turns[0]"),
    (json.dumps({"id": "X", "quadrant": "happiness",
                 "turns": [{"speaker": "R", "text": "hi"}]}), "unknown quadrant"),
], ids=["json", "no-turns", "speaker", "quadrant"])
def test_broken_gold_file_is_a_usage_error_naming_it(tmp_path: Path, content: str,
                                                     fragment: str) -> None:
    folder = gold_subset(tmp_path, "G1", "G2")
    (folder / "broken.json").write_text(content, encoding="utf-8")
    result = invoke("evaluate", folder, "--train-gold", GOLD, "--codebook", CODEBOOK,
                    "--db", tmp_path / "p.db")
    assert_usage_error(result, "broken.json", fragment)


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_a_single_gold_interview_gives_a_message_not_an_internal_error(
        tmp_path: Path, command: str) -> None:
    one = gold_subset(tmp_path, "G1")
    if command == "train":
        result = invoke("train", "--db", tmp_path / "p.db", "--gold", one,
                        "--codebook", CODEBOOK)
    else:
        result = invoke("evaluate", one, "--train-gold", one, "--codebook", CODEBOOK,
                        "--db", tmp_path / "p.db")
    assert "internal error" not in result.output
    assert result.exit_code in (0, 2), result.output


@pytest.mark.parametrize("folds", ["0", "1"])
def test_train_with_fewer_than_two_folds_is_a_usage_error(tmp_path: Path, folds: str) -> None:
    result = invoke("train", "--db", tmp_path / "p.db", "--gold", GOLD, "--codebook", CODEBOOK,
                    "--folds", folds)
    assert "internal error" not in result.output
    assert result.exit_code == 2, result.output
