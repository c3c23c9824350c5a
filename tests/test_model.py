"""The segment and typology models on disk: skops round trips, no pickle, trusted types only,
and refusing a model built for another codebook (directly and through the pipeline)."""

from __future__ import annotations

from collections.abc import Iterator
import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits
import skops.io as sio
from spacy.language import Language

from coder.codebook import Codebook, load_codebook
from coder.gold import load_gold
from coder.model import ONE_THREAD_ABOVE, Example, ModelError, SegmentModel, training_threads
from coder.nlp import build_nlp
from coder.store import Store
from coder.typology import Item, TypologyModel, typology_from_bytes, typology_to_bytes

MODEL_FIXTURES = Path(__file__).parent / "fixtures" / "model"
HASH_A = "aaaaaaaaaaaaaaaa"
HASH_B = "bbbbbbbbbbbbbbbb"
CODES = ["material.unemployed", "material.business", "route.china"]


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread() -> Iterator[None]:
    """Tiny fits run far faster on one BLAS thread (no spin-waiting on a busy machine)."""
    with threadpool_limits(limits=1):
        yield


class Stranger:
    """A type no coder model holds: loading a file with it must be refused."""

    built = 0

    def __init__(self) -> None:
        Stranger.built += 1
        self.x = 1

    def __setstate__(self, state: dict) -> None:
        Stranger.built += 1
        self.__dict__.update(state)


@pytest.fixture(scope="module")
def book() -> Codebook:
    return load_codebook(MODEL_FIXTURES / "codebook_typology.yaml")


@pytest.fixture(scope="module")
def nlp(book: Codebook) -> Language:
    return build_nlp(book)


def tiny_examples() -> tuple[list[Example], list[dict[str, bool]]]:
    """Six turns: two codes with enough positives to learn, one with a single positive."""
    examples = [
        Example("I have no job at all", "Do you work now?", {"material.unemployed": (1, 0, 0)}),
        Example("no job for me this year", "Do you work now?",
                {"material.unemployed": (1, 0, 0)}),
        Example("I run a restaurant now", "What do you do now?",
                {"material.business": (1, 0, 0)}),
        Example("I run a shop now with my sister", "What do you do now?",
                {"material.business": (1, 0, 0)}),
        Example("we crossed the river at night", "How did you leave?",
                {"route.china": (1, 0, 0)}),
        Example("the river was cold at night", "How did you leave?"),
    ]
    labels = [
        {"material.unemployed": True, "material.business": False, "route.china": False},
        {"material.unemployed": True, "material.business": False, "route.china": False},
        {"material.unemployed": False, "material.business": True, "route.china": False},
        {"material.unemployed": False, "material.business": True, "route.china": False},
        {"material.unemployed": False, "material.business": False, "route.china": True},
        {"material.unemployed": False, "material.business": False},  # partial label
    ]
    return examples, labels


@pytest.fixture(scope="module")
def fitted() -> SegmentModel:
    examples, labels = tiny_examples()
    return SegmentModel.fit(examples, labels, CODES, HASH_A, summary={"informants": ["x"]})


def probe_examples() -> list[Example]:
    return [Example("no job and no shop", "Do you work now?"),
            Example("I run a restaurant", "What do you do now?",
                    {"material.business": (1, 0, 0)}),
            Example("a short one", "")]


# -- fitting -------------------------------------------------------------------------------
def test_fit_learns_only_codes_with_two_positives(fitted: SegmentModel) -> None:
    """A code with a single positive example gets no classifier (the rules decide alone)."""
    assert set(fitted.classifiers) == {"material.unemployed", "material.business"}
    assert fitted.summary["codes_learned"] == 2
    assert fitted.summary["examples"] == 6
    assert fitted.summary["informants"] == ["x"]


def test_features_built_a_chunk_at_a_time_train_the_same_model(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import coder.model as model_mod

    examples, labels = tiny_examples()
    whole = SegmentModel.fit(examples, labels, CODES, HASH_A)
    monkeypatch.setattr(model_mod, "FEATURE_CHUNK", 2)
    chunked = SegmentModel.fit(examples, labels, CODES, HASH_A)
    for code, clf in whole.classifiers.items():
        np.testing.assert_array_equal(clf.coef_, chunked.classifiers[code].coef_)
    assert whole.calibration == chunked.calibration


def test_predict_proba_is_per_code_and_per_example(fitted: SegmentModel) -> None:
    probs = fitted.predict_proba(probe_examples())
    assert set(probs) == {"material.unemployed", "material.business"}
    assert all(len(p) == 3 and ((p >= 0) & (p <= 1)).all() for p in probs.values())
    assert probs["material.business"][1] > probs["material.business"][0]
    assert fitted.predict_proba([]) == {}


def rare_code_examples() -> tuple[list[Example], list[dict[str, bool]]]:
    """A hundred turns, one in ten about a business, and a word that only hints at it:
    "shop" is in 6 of the 10 business turns and in 27 of the 90 others."""
    examples, labels = [], []
    for i in range(100):
        business = i % 10 == 0
        shop = (i // 10) < 6 if business else i % 10 <= 3 and i < 90
        text = f"we talked about the {'shop' if shop else 'bus'} and the weather {i}"
        examples.append(Example(text, "What do you do?"))
        labels.append({"material.business": business})
    return examples, labels


def test_probabilities_are_calibrated_to_how_often_a_code_applies() -> None:
    # Balanced class weights alone put a rare code's mean probability near 0.5.
    examples, labels = rare_code_examples()
    model = SegmentModel.fit(examples, labels, ["material.business"], HASH_A)
    assert "material.business" in model.calibration
    probs = model.predict_proba(examples)["material.business"]
    assert abs(float(probs.mean()) - 0.1) < 0.1
    loaded = SegmentModel.from_bytes(model.to_bytes(), HASH_A)
    assert loaded.calibration == model.calibration
    np.testing.assert_allclose(loaded.predict_proba(examples)["material.business"], probs)


def test_codes_with_too_few_examples_to_calibrate_keep_raw_probabilities(
        fitted: SegmentModel) -> None:
    assert fitted.calibration == {}


# -- skops round trips ----------------------------------------------------------------------
def test_segment_model_round_trip_gives_identical_probabilities(fitted: SegmentModel) -> None:
    loaded = SegmentModel.from_bytes(fitted.to_bytes(), HASH_A)
    assert loaded.codebook_hash == HASH_A
    assert loaded.codes == CODES
    assert loaded.summary == fitted.summary
    before, after = fitted.predict_proba(probe_examples()), loaded.predict_proba(probe_examples())
    assert set(before) == set(after)
    for code in before:
        np.testing.assert_array_equal(before[code], after[code])


def test_saved_vocabularies_hold_plain_ints_and_no_dropped_terms(fitted: SegmentModel) -> None:
    # numpy scalars in the vocabulary made skops store (and load) one object per term
    loaded = SegmentModel.from_bytes(fitted.to_bytes(), HASH_A)
    for vec in (loaded.text_vec, loaded.question_vec):
        assert vec.vocabulary_ and {type(j) for j in vec.vocabulary_.values()} == {int}
        assert not hasattr(vec, "stop_words_")


def test_typology_model_round_trip_gives_identical_probabilities(book: Codebook) -> None:
    golds = load_gold(MODEL_FIXTURES / "gold")
    model = TypologyModel.fit(book, golds)
    assert set(model.classifiers) == {"material", "mental"}
    loaded = typology_from_bytes(typology_to_bytes(model))
    assert loaded.codes == model.codes
    from coder.typology import polarities

    polar = polarities(book)
    for items, meta in (([Item("material.job", 0.9), Item("mental.lonely", 0.8)], {"age": 40}),
                        ([Item("material.poor", 1.0)], {})):
        for axis, p in model.proba([(items, meta)], polar).items():
            np.testing.assert_array_equal(loaded.proba([(items, meta)], polar)[axis], p)
        for axis in ("material", "mental"):
            assert loaded.rule_proba(axis, 0.3) == model.rule_proba(axis, 0.3)


def test_model_files_are_skops_zips_never_pickle(fitted: SegmentModel, book: Codebook) -> None:
    typology = TypologyModel.fit(book, load_gold(MODEL_FIXTURES / "gold"))
    for blob in (fitted.to_bytes(), typology_to_bytes(typology)):
        assert blob[:4] == b"PK\x03\x04"      # a zip archive, not a pickle stream (b"\x80")
        names = zipfile.ZipFile(io.BytesIO(blob)).namelist()
        assert "schema.json" in names
        assert not any(n.endswith((".pkl", ".pickle", ".joblib")) for n in names)


def test_loading_never_unpickles_and_passes_an_explicit_trust_list(
        fitted: SegmentModel, book: Codebook, monkeypatch: pytest.MonkeyPatch) -> None:
    """from_bytes goes through skops.io.loads with a list of trusted types (never
    trusted=True), and nothing on the way calls pickle."""
    blobs = (fitted.to_bytes(), typology_to_bytes(TypologyModel.fit(
        book, load_gold(MODEL_FIXTURES / "gold"))))
    calls: list[object] = []
    real_loads = sio.loads

    def spy(data: bytes, trusted: object = None) -> object:
        calls.append(trusted)
        return real_loads(data, trusted=trusted)

    def no_pickle(*args: object, **kwargs: object) -> None:
        raise AssertionError("pickle used while loading a model")

    monkeypatch.setattr(sio, "loads", spy)
    monkeypatch.setattr(pickle, "loads", no_pickle)
    monkeypatch.setattr(pickle, "load", no_pickle)
    monkeypatch.setattr(pickle, "Unpickler", no_pickle)
    SegmentModel.from_bytes(blobs[0], HASH_A)
    typology_from_bytes(blobs[1])
    assert len(calls) == 2
    assert all(isinstance(t, list) for t in calls)


def test_unexpected_types_are_refused_without_being_built(fitted: SegmentModel) -> None:
    payload = {"codebook_hash": HASH_A, "codes": CODES, "text_vec": fitted.text_vec,
               "question_vec": fitted.question_vec, "classifiers": {},
               "summary": {"planted": Stranger()}}
    blob = sio.dumps(payload)
    Stranger.built = 0
    with pytest.raises(ModelError, match=r"project\.db: refusing to load unexpected types") \
            as info:
        SegmentModel.from_bytes(blob, HASH_A, where="project.db")
    assert "Stranger" in str(info.value)
    assert Stranger.built == 0
    with pytest.raises(ModelError, match="typology model: refusing"):
        typology_from_bytes(blob)


@pytest.mark.parametrize("blob", [b"garbage", b"", b"PK\x03\x04junk", b"\x80\x04K\x01."],
                         ids=["text", "empty", "broken-zip", "a-pickle"])
def test_garbage_bytes_raise_model_error_naming_the_place(blob: bytes) -> None:
    with pytest.raises(ModelError, match=r"^coder\.db model: not a readable coder model"):
        SegmentModel.from_bytes(blob, HASH_A, where="coder.db model")
    with pytest.raises(ModelError, match=r"^typology model: "):
        typology_from_bytes(blob)


def test_truncated_model_raises_model_error(fitted: SegmentModel) -> None:
    blob = fitted.to_bytes()
    with pytest.raises(ModelError, match="^saved model: "):
        SegmentModel.from_bytes(blob[: len(blob) // 2], HASH_A, where="saved model")


def test_model_error_is_a_usage_exit() -> None:
    assert ModelError.exit_code == 2


@pytest.mark.parametrize("payload", [{"x": 1}, [1, 2]], ids=["dict", "list"])
def test_a_skops_file_of_another_shape_is_a_model_error(payload: object) -> None:
    blob = sio.dumps(payload)
    with pytest.raises(ModelError, match="^m: "):
        SegmentModel.from_bytes(blob, HASH_A, where="m")
    with pytest.raises(ModelError, match="^typology model: "):
        typology_from_bytes(blob)


def test_fit_without_any_question_text() -> None:
    examples, labels = tiny_examples()
    bare = [Example(e.text, "", e.hits) for e in examples]
    model = SegmentModel.fit(bare, labels, CODES, HASH_A)
    assert "material.unemployed" in model.classifiers


# -- refusing a model for another codebook --------------------------------------------------
def test_model_for_another_codebook_is_refused_naming_both_hashes(
        fitted: SegmentModel) -> None:
    with pytest.raises(ModelError) as info:
        SegmentModel.from_bytes(fitted.to_bytes(), HASH_B, where="p.db")
    message = str(info.value)
    assert message.startswith("p.db: ")
    assert HASH_A in message and HASH_B in message
    assert "coder train" in message
    # Without a hash to check against, the model loads.
    assert SegmentModel.from_bytes(fitted.to_bytes()).codebook_hash == HASH_A


def test_project_refuses_a_stored_model_built_for_another_codebook(
        tmp_path: Path, book: Codebook, nlp: Language, fitted: SegmentModel) -> None:
    """A blob kept under this codebook's hash but built for codebook A is not used."""
    with Store(tmp_path / "p.db") as store:
        store.save_model(book.hash, {}, fitted.to_bytes(), None)
        from coder.pipeline import project_models

        with pytest.raises(ModelError) as info:
            project_models(store, book, lambda: nlp, [])
    assert HASH_A in str(info.value) and book.hash in str(info.value)


def test_project_retrains_when_its_stored_model_cannot_be_read(
        tmp_path: Path, book: Codebook, nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    import coder.pipeline as pipeline

    monkeypatch.setattr(pipeline, "default_gold_dir", lambda: MODEL_FIXTURES / "gold")
    notices: list[str] = []
    with Store(tmp_path / "p.db") as store:
        store.save_model(book.hash, {}, b"PK\x03\x04 not a model", None)
        models = pipeline.project_models(store, book, lambda: nlp, notices)
        stored = store.load_model(book.hash)
    assert models is not None and models.segment.classifiers
    assert any("p.db" in n and "not a readable coder model" in n and "replaced" in n
               for n in notices), notices
    assert stored is not None and SegmentModel.from_bytes(stored[0], book.hash).classifiers


def test_project_retrains_for_a_new_codebook_with_a_notice_naming_both(
        tmp_path: Path, book: Codebook, nlp: Language, fitted: SegmentModel,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import coder.pipeline as pipeline

    monkeypatch.setattr(pipeline, "default_gold_dir", lambda: MODEL_FIXTURES / "gold")
    notices: list[str] = []
    with Store(tmp_path / "p.db") as store:
        store.save_model(HASH_A, {}, fitted.to_bytes(), None)
        models = pipeline.project_models(store, book, lambda: nlp, notices)
        stored = store.load_model(book.hash)
        old = store.load_model(HASH_A)
    assert models is not None and models.segment.codebook_hash == book.hash
    assert any(HASH_A in n and book.hash in n for n in notices), notices
    assert stored is not None
    assert SegmentModel.from_bytes(stored[0], book.hash).codebook_hash == book.hash
    assert stored[1] is not None and typology_from_bytes(stored[1]).classifiers
    assert old is not None  # the other codebook's model is left alone


def test_project_without_gold_falls_back_to_rules_with_a_notice(
        tmp_path: Path, book: Codebook, nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    import coder.pipeline as pipeline

    monkeypatch.setattr(pipeline, "default_gold_dir", lambda: None)
    notices: list[str] = []
    with Store(tmp_path / "p.db") as store:
        assert pipeline.project_models(store, book, lambda: nlp, notices) is None
        assert store.load_model(book.hash) is None
    assert any("rules only" in n for n in notices)


def test_large_training_sets_fit_one_code_at_a_time() -> None:
    assert training_threads(1000, cpus=2) == 2
    assert training_threads(1000, cpus=16) == 4
    assert training_threads(ONE_THREAD_ABOVE + 1, cpus=8) == 1
