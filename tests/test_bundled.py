"""The models shipped with coder: built from this codebook and sample, used on a first run
instead of training, and never in place of what people decided."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.language import Language

import coder.pipeline as pipeline
from coder.bundled import BUNDLED_PATH, Bundled, gold_hash, read_bundled, write_bundled
from coder.codebook import Codebook, load_codebook
from coder.model import Example, SegmentModel
from coder.store import Store

ROOT = Path(__file__).resolve().parent.parent
MODEL_FIXTURES = Path(__file__).parent / "fixtures" / "model"


@pytest.fixture(scope="module")
def book() -> Codebook:
    return load_codebook(MODEL_FIXTURES / "codebook_typology.yaml")


@pytest.fixture
def nlp() -> Language:
    """Training is replaced in these tests, so the pipeline it would need is never used."""
    return spacy.blank("en")


def shipped_for(book: Codebook, codebook_hash: str | None = None) -> Bundled:
    texts = ["I have no job at all", "no job for me this year", "I run a shop now",
             "I run a restaurant with my sister", "the weather was fine", "we ate noodles"]
    labels = [{"material.unemployed": i < 2} for i in range(len(texts))]
    model = SegmentModel.fit([Example(t) for t in texts], labels, ["material.unemployed"],
                             codebook_hash or book.hash)
    return Bundled(codebook_hash or book.hash, "g" * 16, {"examples": 6}, model.to_bytes(), None)


def test_the_shipped_models_are_built_from_this_codebook_and_sample() -> None:
    """Fails when codebook.yaml or the sample's gold changed: run scripts/build_model.py."""
    shipped = read_bundled()
    assert shipped is not None, f"{BUNDLED_PATH} is missing"
    book = load_codebook(ROOT / "codebook.yaml")
    assert shipped.codebook_hash == book.hash, "codebook.yaml changed: rebuild the model"
    assert shipped.gold_hash == gold_hash(ROOT / "transcripts_sample" / "gold"), \
        "the sample's gold changed: rebuild the model"
    assert SegmentModel.from_bytes(shipped.segment, book.hash).classifiers
    assert shipped.typology is not None


def test_write_and_read_round_trip_byte_for_byte(tmp_path: Path, book: Codebook) -> None:
    shipped = shipped_for(book)
    write_bundled(tmp_path / "a.zip", shipped)
    write_bundled(tmp_path / "b.zip", shipped)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert read_bundled(tmp_path / "a.zip") == shipped


@pytest.mark.parametrize("content", [None, b"", b"not a zip"])
def test_a_missing_or_damaged_file_is_no_shipped_model(tmp_path: Path, content: bytes | None
                                                       ) -> None:
    path = tmp_path / "sample.zip"
    if content is not None:
        path.write_bytes(content)
    assert read_bundled(path) is None


def test_gold_hash_changes_with_any_gold_file(tmp_path: Path) -> None:
    (tmp_path / "S01.json").write_text('{"id": "S01"}')
    first = gold_hash(tmp_path)
    (tmp_path / "S01.json").write_text('{"id": "S01", "turns": []}')
    assert gold_hash(tmp_path) != first


def trains_instead(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace training by a marker: the list records each time it was asked for."""
    calls: list[str] = []
    monkeypatch.setattr(pipeline, "train_models", lambda *a, **k: calls.append("trained"))
    return calls


def test_a_first_run_uses_the_shipped_model_without_training(
        tmp_path: Path, book: Codebook, nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = shipped_for(book)
    monkeypatch.setattr(pipeline, "read_bundled", lambda: shipped)
    calls = trains_instead(monkeypatch)
    notices: list[str] = []
    with Store(tmp_path / "p.db") as store:
        models = pipeline.project_models(store, book, lambda: nlp, notices)
        stored = store.load_model(book.hash)
    assert not calls
    assert models is not None and list(models.segment.classifiers) == ["material.unemployed"]
    assert stored == (shipped.segment, None)
    assert any("shipped" in n and book.hash in n for n in notices), notices


def test_a_shipped_model_for_another_codebook_is_not_used(
        tmp_path: Path, book: Codebook, nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "read_bundled", lambda: shipped_for(book, "a" * 16))
    calls = trains_instead(monkeypatch)
    with Store(tmp_path / "p.db") as store:
        pipeline.project_models(store, book, lambda: nlp, [])
        assert store.load_model(book.hash) is None
    assert calls == ["trained"]


def test_people_decisions_are_learned_not_replaced_by_the_shipped_model(
        tmp_path: Path, book: Codebook, nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "read_bundled", lambda: shipped_for(book))
    monkeypatch.setattr(Store, "human_turn_labels", lambda self: iter([{"code": "x"}]))
    calls = trains_instead(monkeypatch)
    with Store(tmp_path / "p.db") as store:
        pipeline.project_models(store, book, lambda: nlp, [])
    assert calls == ["trained"]
