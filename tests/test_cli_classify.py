"""End to end through a project: `coder code --rules-only`, `coder classify`, `coder export
typology`, with informants written to land in each quadrant and one with no evidence."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from threadpoolctl import threadpool_limits
from typer.testing import CliRunner

import coder.pipeline as pipeline
from coder.cli import app
from coder.codebook import load_codebook
from coder.nlp import build_nlp
from coder.store import Store

runner = CliRunner()
MODEL_FIXTURES = Path(__file__).parent / "fixtures" / "model"
CODEBOOK = MODEL_FIXTURES / "codebook_typology.yaml"
COLUMNS = ["informant_id", "quadrant", "material", "mental", "material_score", "mental_score",
           "confidence", "disputed", "evidence"]

WORK = {"good": "I have a steady job at a factory. The pay is a good salary for us.",
        "bad": "We have no money at the end of the month. We are in debt to the bank."}
MIND = {"good": "I feel at home here now. I have good friends at my church.",
        "bad": "I am lonely most evenings. I feel alone at work, too."}
EXPECTED = {"P1": "integration", "P2": "isolation", "P3": "acculturation", "P4": "marginality",
            "P5": "unclassified"}


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread() -> Iterator[None]:
    """Tiny fits run far faster on one BLAS thread (no spin-waiting on a busy machine)."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(autouse=True)
def _no_bundled_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a stored model, classify would train one from the bundled sample: keep the
    placements to the rules (and the test fast)."""
    monkeypatch.setattr(pipeline, "default_gold_dir", lambda: None)


def transcript(informant: str, work: str | None, mind: str | None) -> str:
    lines = ["---", f"informant: {informant}", "age: 40", "---",
             "I: How did you leave the North?", "R: We crossed the Tumen at night."]
    if work:
        lines += ["I: And work, money?", f"R: {WORK[work]}"]
    if mind:
        lines += ["I: How do you feel here?", f"R: {MIND[mind]}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with five informants coded by the rules alone."""
    folder = tmp_path / "interviews"
    folder.mkdir()
    for name, informant, work, mind in [("int", "P1", "good", "good"),
                                        ("iso", "P2", "good", "bad"),
                                        ("acc", "P3", "bad", "good"),
                                        ("mar", "P4", "bad", "bad"),
                                        ("none", "P5", None, None)]:
        (folder / f"{name}.txt").write_text(transcript(informant, work, mind), encoding="utf-8")
    db = tmp_path / "p.db"
    result = runner.invoke(app, ["code", str(folder), "--rules-only", "--db", str(db),
                                 "--codebook", str(CODEBOOK)])
    assert result.exit_code == 0, result.output
    return db


def classify(db: Path) -> str:
    result = runner.invoke(app, ["classify", "--db", str(db), "--codebook", str(CODEBOOK)])
    assert result.exit_code == 0, result.output
    return result.stdout


def export_typology(db: Path) -> list[dict[str, str]]:
    result = runner.invoke(app, ["export", "typology", "--db", str(db)])
    assert result.exit_code == 0, result.output
    reader = csv.DictReader(io.StringIO(result.stdout, newline=""))
    assert reader.fieldnames == COLUMNS
    return list(reader)


def test_classify_and_export_place_each_informant(project: Path) -> None:
    out = classify(project)
    assert "typology (5 informants)" in out
    for quadrant in ("integration", "isolation", "acculturation", "marginality",
                     "unclassified"):
        assert f"{quadrant}: 1" in out
    rows = {r["informant_id"]: r for r in export_typology(project)}
    assert {k: r["quadrant"] for k, r in rows.items()} == EXPECTED
    for informant, quadrant in EXPECTED.items():
        r = rows[informant]
        if quadrant == "unclassified":
            assert (r["material"], r["mental"], r["disputed"]) == ("", "", "true")
            assert r["confidence"] == "0.000" and r["evidence"] == ""
            continue
        material, mental = {"integration": ("success", "success"),
                            "isolation": ("success", "failure"),
                            "acculturation": ("failure", "success"),
                            "marginality": ("failure", "failure")}[quadrant]
        assert (r["material"], r["mental"], r["disputed"]) == (material, mental, "false")
        assert (float(r["material_score"]) > 0) == (material == "success")
        assert (float(r["mental_score"]) > 0) == (mental == "success")
        assert 0.5 < float(r["confidence"]) <= 1.0
        assert r["evidence"].startswith("material: material.")
        assert "; mental: mental." in r["evidence"]
        assert "route.china" not in r["evidence"]


def test_placements_keep_reasons_and_evidence_segments(project: Path) -> None:
    classify(project)
    with Store(project) as store:
        placements = {p["informant_id"]: p for p in store.placements()}
        segments = {r["segment_id"]: r["text"] for _, _, rows in store.informant_evidence()
                    for r in rows}
    none = placements["P5"]
    assert none["quadrant"] == "unclassified" and none["disputed"]
    assert none["reasons"] == ["no evidence on the material axis",
                               "no evidence on the mental axis"]
    assert none["source"] == "machine"
    p1 = placements["P1"]
    assert p1["reasons"] == []
    texts = [segments[e["segment_id"]] for e in p1["evidence"]["material"]]
    assert texts and all(t in WORK["good"] for t in texts)
    assert {e["code"] for e in p1["evidence"]["mental"]} == {"mental.belong"}


def test_reclassify_after_a_change_updates_the_placement(project: Path, tmp_path: Path) -> None:
    classify(project)
    changed = tmp_path / "interviews" / "none.txt"
    changed.write_text(transcript("P5", "bad", "bad"), encoding="utf-8")
    result = runner.invoke(app, ["code", str(changed), "--rules-only", "--db", str(project),
                                 "--codebook", str(CODEBOOK)])
    assert result.exit_code == 0, result.output
    classify(project)
    rows = {r["informant_id"]: r for r in export_typology(project)}
    assert rows["P5"]["quadrant"] == "marginality"
    assert len(rows) == 5


def test_classify_uses_the_projects_typology_model(project: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """With a model kept for this codebook, placements go through it."""
    book = load_codebook(CODEBOOK)
    with Store(project) as store:
        models = pipeline.train_models(store, book, build_nlp(book), MODEL_FIXTURES / "gold")
    assert models is not None and models.typology is not None
    used: list[tuple[int, object]] = []
    real_place_many = pipeline.place_many

    def spy(informants: Any, book: Any, model: Any) -> Any:
        used.append((len(informants), model))
        return real_place_many(informants, book, model)

    monkeypatch.setattr(pipeline, "place_many", spy)
    classify(project)
    assert len(used) == 1 and used[0][0] == 5 and used[0][1] is not None
    rows = {r["informant_id"]: r["quadrant"] for r in export_typology(project)}
    assert rows["P5"] == "unclassified"
    assert rows["P1"] == "integration" and rows["P4"] == "marginality"


def test_classify_without_a_project_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["classify", "--db", str(tmp_path / "missing.db"),
                                 "--codebook", str(CODEBOOK)])
    assert result.exit_code == 1
    assert "no project database" in result.stderr
    assert not (tmp_path / "missing.db").exists()


def test_export_typology_before_classify_is_an_error(project: Path) -> None:
    result = runner.invoke(app, ["export", "typology", "--db", str(project)])
    assert result.exit_code == 1
    assert "coder classify" in result.stderr
    assert "Traceback" not in result.output
