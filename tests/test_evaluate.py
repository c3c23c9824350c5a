"""Held-out evaluation: folds by informant, and no model ever sees the informant it scores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from threadpoolctl import threadpool_limits
from spacy.language import Language

import coder.evaluate as evaluate_mod
import coder.train as train_mod
from coder.codebook import Codebook, load_codebook
from coder.evaluate import evaluate, fit_models, human_labels
from coder.gold import GoldInterview, load_gold
from coder.model import Example, SegmentModel
from coder.nlp import build_nlp
from coder.train import (HumanLabel, fold_members, parse_gold, predict_heldout,
                         predicted_codes, training_set)
from coder.typology import TypologyModel

MODEL_FIXTURES = Path(__file__).parent / "fixtures" / "model"


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread() -> Iterator[None]:
    """Tiny fits run far faster on one BLAS thread (no spin-waiting on a busy machine)."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def book() -> Codebook:
    return load_codebook(MODEL_FIXTURES / "codebook_typology.yaml")


@pytest.fixture(scope="module")
def nlp(book: Codebook) -> Language:
    return build_nlp(book)


@pytest.fixture(scope="module")
def golds() -> list[GoldInterview]:
    """Four tiny interviews, one per quadrant (G1..G4)."""
    return load_gold(MODEL_FIXTURES / "gold")


# -- folds ---------------------------------------------------------------------------------
def test_fold_members_leave_one_informant_out() -> None:
    pool = {"a", "b", "c"}
    assert [fold_members(x, pool, None) for x in sorted(pool)] == [
        frozenset({"a"}), frozenset({"b"}), frozenset({"c"})]


def test_fold_members_outside_the_pool_hold_nothing_out() -> None:
    assert fold_members("z", {"a", "b"}, None) == frozenset()
    assert fold_members("z", {"a", "b"}, 2) == frozenset()


@pytest.mark.parametrize("k", [2, 3, 5])
def test_k_folds_partition_the_pool(k: int) -> None:
    pool = {f"P{i:02d}" for i in range(7)}
    folds = {fold_members(x, pool, k) for x in pool}
    assert len(folds) == min(k, len(pool))
    assert set().union(*folds) == pool
    assert sum(len(f) for f in folds) == len(pool)          # disjoint
    assert all(x in fold_members(x, pool, k) for x in pool)  # each in its own fold
    sizes = sorted(len(f) for f in folds)
    assert sizes[-1] - sizes[0] <= 1                          # balanced
    for x in pool:                                            # same fold, same members
        assert all(fold_members(y, pool, k) == fold_members(x, pool, k)
                   for y in fold_members(x, pool, k))


def test_more_folds_than_informants_is_leave_one_out() -> None:
    pool = {"a", "b", "c"}
    assert all(fold_members(x, pool, 6) == frozenset({x}) for x in pool)


# -- predict_heldout -------------------------------------------------------------------------
def fake_parsed(*ids: str) -> list[Any]:
    return [SimpleNamespace(gold=SimpleNamespace(id=i)) for i in ids]


@pytest.mark.parametrize("folds, expected_models", [(None, 4), (2, 2), (4, 4)])
def test_predict_heldout_never_uses_a_model_trained_on_the_informant(
        monkeypatch: pytest.MonkeyPatch, book: Codebook, folds: int | None,
        expected_models: int) -> None:
    pool = {"a", "b", "c", "d"}
    trained: list[frozenset[str]] = []

    def trainer(exclude: frozenset[str]) -> Any:
        trained.append(exclude)
        return SimpleNamespace(seen=pool - exclude)

    monkeypatch.setattr(train_mod, "predicted_codes",
                        lambda model, book, p: {0: set(model.seen)})
    out = predict_heldout(book, fake_parsed("a", "b", "c", "d", "e"), pool, trainer, folds)
    assert set(out) == {"a", "b", "c", "d", "e"}
    for inf in "abcd":
        assert inf not in out[inf][0]
    assert out["e"][0] == pool                      # not in the pool: trained on all of it
    assert len(trained) == len(set(trained)) == expected_models + 1  # one model per fold


# -- evaluate: the leak test -------------------------------------------------------------------
class Spy:
    """Records which informants each segment / typology model was trained on, and which
    model scored or placed each informant."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.segment_trained: dict[int, set[str]] = {}
        self.typology_trained: dict[int, set[str]] = {}
        self.scored: dict[str, list[int]] = {}
        self.placed: dict[str, list[int]] = {}
        self.keep: list[Any] = []  # keep models alive so their ids stay unique
        real_train, real_predicted, real_place = (evaluate_mod.train, train_mod.predicted_codes,
                                                  evaluate_mod.place)
        spy = self

        def train(book: Codebook, parsed: Any, human: Any = (), exclude: Any = ()
                  ) -> SegmentModel:
            model = real_train(book, parsed, human, exclude)
            ex = set(exclude)
            seen = {p.gold.id for p in parsed if p.gold.id not in ex} | \
                {h.informant for h in human if h.informant not in ex}
            assert set(model.summary["informants"]) == seen
            spy.segment_trained[id(model)] = set(model.summary["informants"])
            spy.keep.append(model)
            return model

        def predicted(model: SegmentModel, book: Codebook, p: Any) -> dict[int, set[str]]:
            spy.scored.setdefault(p.gold.id, []).append(id(model))
            return real_predicted(model, book, p)

        class SpyTypology(TypologyModel):
            @classmethod
            def fit(cls, book: Codebook, golds: Any, items: Any = None) -> TypologyModel:
                model = TypologyModel.fit(book, golds, items)
                spy.typology_trained[id(model)] = {g.id for g in golds}
                spy.keep.append(model)
                return model

        def place(informant: str, items: Any, meta: Any, book: Codebook,
                  model: TypologyModel | None) -> Any:
            spy.placed.setdefault(informant, []).append(id(model))
            return real_place(informant, items, meta, book, model)

        monkeypatch.setattr(evaluate_mod, "train", train)
        monkeypatch.setattr(train_mod, "predicted_codes", predicted)
        monkeypatch.setattr(evaluate_mod, "TypologyModel", SpyTypology)
        monkeypatch.setattr(evaluate_mod, "place", place)

    def assert_never_leaked(self, informants: set[str]) -> None:
        assert set(self.scored) == informants
        for inf in informants:
            assert len(self.scored[inf]) == 1
            trained_on = self.segment_trained[self.scored[inf][0]]
            assert trained_on, f"{inf}: scored by a model trained on nothing"
            assert inf not in trained_on, f"{inf} was in its own segment model's training data"
        for inf, models in self.placed.items():
            assert len(models) == 1
            assert models[0] in self.typology_trained, f"{inf}: placed without a held-out model"
            assert inf not in self.typology_trained[models[0]], \
                f"{inf} was in its own typology model's training data"


def test_evaluate_never_scores_an_informant_with_a_model_that_saw_it(
        monkeypatch: pytest.MonkeyPatch, book: Codebook, nlp: Language,
        golds: list[GoldInterview]) -> None:
    spy = Spy(monkeypatch)
    report = evaluate(book, nlp, golds, golds)
    ids = {g.id for g in golds}
    spy.assert_never_leaked(ids)
    assert set(spy.placed) == ids
    for inf in ids:  # leave-one-informant-out: trained on everyone else
        assert spy.segment_trained[spy.scored[inf][0]] == ids - {inf}
        assert spy.typology_trained[spy.placed[inf][0]] == ids - {inf}
    assert report.quadrant_accuracy is not None


def test_evaluate_with_folds_holds_out_the_whole_fold(
        monkeypatch: pytest.MonkeyPatch, book: Codebook, nlp: Language,
        golds: list[GoldInterview]) -> None:
    spy = Spy(monkeypatch)
    extra = [GoldInterview("G5", [("I", "Do you work?", []),
                                  ("R", "I have a steady job now.", ["material.job"])])]
    evaluate(book, nlp, golds, golds + extra, folds=2)
    ids = {g.id for g in golds}
    spy.assert_never_leaked(ids)
    pool = ids | {"G5"}
    for inf in ids:
        assert spy.segment_trained[spy.scored[inf][0]] == pool - fold_members(inf, pool, 2)
    assert len(set(spy.segment_trained)) == 2


def test_evaluate_holds_out_the_informants_own_human_decisions(
        monkeypatch: pytest.MonkeyPatch, book: Codebook, nlp: Language,
        golds: list[GoldInterview]) -> None:
    """A person's decisions on G1 (from the project database) never train G1's model."""
    rows = [{"informant": "G1", "question": "How do you feel?", "text": "I feel alone at work.",
             "code": "mental.lonely", "applies": True},
            {"informant": "H9", "question": "How do you feel?", "text": "I am lonely at work.",
             "code": "mental.lonely", "applies": True}]
    human = human_labels(nlp, book, rows)
    assert [h.informant for h in human] == ["G1", "H9"]
    assert human[0].example.question == "How do you feel?"
    spy = Spy(monkeypatch)
    evaluate(book, nlp, golds, golds, human)
    spy.assert_never_leaked({g.id for g in golds})
    assert spy.segment_trained[spy.scored["G1"][0]] == {"G2", "G3", "G4", "H9"}
    assert "G1" in spy.segment_trained[spy.scored["G2"][0]]


def test_evaluate_on_gold_outside_the_pool_trains_once_on_the_whole_pool(
        monkeypatch: pytest.MonkeyPatch, book: Codebook, nlp: Language,
        golds: list[GoldInterview]) -> None:
    spy = Spy(monkeypatch)
    evaluate(book, nlp, golds[:2], golds[2:] + golds[:1])
    spy.assert_never_leaked({"G1", "G2"})
    assert spy.segment_trained[spy.scored["G2"][0]] == {"G1", "G3", "G4"}
    assert spy.segment_trained[spy.scored["G1"][0]] == {"G3", "G4"}


# -- the report and the pieces ------------------------------------------------------------------
def test_report_has_every_code_and_the_quadrant_confusion(book: Codebook, nlp: Language,
                                                         golds: list[GoldInterview]) -> None:
    report = evaluate(book, nlp, golds, golds)
    assert [r["code"] for r in report.codes] == [c.id for c in book.codes]
    for row in report.codes:
        assert set(row) == {"code", "precision", "recall", "f1", "kappa", "support"}
        assert all(0.0 <= row[k] <= 1.0 for k in ("precision", "recall", "f1"))
    assert report.turns == sum(1 for g in golds for s, _, _ in g.turns if s == "R")
    assert {r["code"]: r["support"] for r in report.codes}["route.china"] == 4
    assert 0.0 < report.micro_f1 <= 1.0
    assert len(report.confusion) == 5 and all(len(r) == 5 for r in report.confusion)
    assert sum(map(sum, report.confusion)) == len(golds)
    assert [p["informant"] for p in report.placements] == ["G1", "G2", "G3", "G4"]
    assert [p["gold"] for p in report.placements] == ["integration", "isolation",
                                                      "acculturation", "marginality"]
    assert report.quadrant_accuracy == pytest.approx(
        sum(p["gold"] == p["placed"] for p in report.placements) / 4)


def test_training_set_labels_every_code_and_keeps_human_labels_partial(
        book: Codebook, nlp: Language, golds: list[GoldInterview]) -> None:
    parsed = parse_gold(nlp, book, golds[:1])
    codes = [c.id for c in book.codes]
    human = [HumanLabel("H1", Example("I feel alone."), "mental.lonely", False)]
    examples, labels, groups = training_set(parsed, codes, human)
    r_turns = [k for k, (s, _, _) in enumerate(golds[0].turns) if s == "R"]
    assert parsed[0].turns == r_turns  # every informant turn of G1 has a segment
    assert len(examples) == len(r_turns) + 1
    assert groups == ["G1"] * len(parsed[0].turns) + ["H1"]
    assert all(set(lab) == set(codes) for lab in labels[:-1])
    assert labels[-1] == {"mental.lonely": False}
    first = parsed[0].turns[0]
    assert labels[0] == {c: c in golds[0].turns[first][2] for c in codes}


def test_fit_models_excludes_informants_from_both_models(book: Codebook, nlp: Language,
                                                         golds: list[GoldInterview]) -> None:
    parsed = parse_gold(nlp, book, golds)
    models = fit_models(book, parsed, exclude=frozenset({"G1"}))
    assert models.segment.summary["informants"] == ["G2", "G3", "G4"]
    assert models.typology is not None
    codes = predicted_codes(models.segment, book, parsed[0])
    assert set().union(*codes.values()) <= {c.id for c in book.codes}
    # each code's weight as typology evidence: 1, or the machine's confidence if disputed
    assert all(0 < w <= 1 for turn in codes.values() for w in turn.values())
