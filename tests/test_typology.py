"""Placing informants in the typology: axis scores, the four quadrants, unclassified,
dispute reasons, with and without a TypologyModel fitted on made-up gold interviews."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from coder.codebook import Codebook, load_codebook
from coder.gold import GoldInterview
from coder.typology import (QUADRANT, STUDY_ORDER, Item, TypologyModel, axis_scores,
                            evidence_weight, items_from_rows, place, place_many,
                            polarities)

MODEL_FIXTURES = Path(__file__).parent / "fixtures" / "model"


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread() -> Iterator[None]:
    """Tiny fits run far faster on one BLAS thread (no spin-waiting on a busy machine)."""
    with threadpool_limits(limits=1):
        yield

# Evidence that should land an informant in each quadrant (material axis, mental axis).
QUADRANT_ITEMS = {
    "integration": ["material.job", "material.job", "mental.belong", "mental.belong"],
    "isolation": ["material.job", "material.job", "mental.lonely", "mental.lonely"],
    "acculturation": ["material.poor", "material.poor", "mental.belong", "mental.belong"],
    "marginality": ["material.poor", "material.poor", "mental.lonely", "mental.lonely"],
}


@pytest.fixture(scope="module")
def book() -> Codebook:
    return load_codebook(MODEL_FIXTURES / "codebook_typology.yaml")


def with_settings(book: Codebook, **settings: object) -> Codebook:
    return book.model_copy(update={"settings": book.settings.model_copy(update=settings)})


def items(codes: list[str], weight: float = 0.9) -> list[Item]:
    return [Item(c, weight, k, f"segment {k}") for k, c in enumerate(codes)]


def gold(id: str, quadrant: str, codes: list[str], age: int = 40) -> GoldInterview:
    return GoldInterview(id, [("I", "Tell me.", []), *[("R", f"turn {c}", [c]) for c in codes]],
                         quadrant, {"age": age, "arrival_year": 2000})


@pytest.fixture(scope="module")
def typology(book: Codebook) -> TypologyModel:
    """Fitted on eight made-up interviews, two per quadrant, from their human codes."""
    golds = [gold(f"{q[:3]}{k}", q, codes[: 3 + k], 30 + 10 * k)
             for q, codes in QUADRANT_ITEMS.items() for k in range(2)]
    return TypologyModel.fit(book, golds)


# -- axis scores ----------------------------------------------------------------------------
def test_polarities_cover_the_material_and_mental_codes(book: Codebook) -> None:
    assert polarities(book) == {"material.job": ("material", 1),
                                "material.poor": ("material", -1),
                                "mental.belong": ("mental", 1), "mental.lonely": ("mental", -1)}


def test_axis_scores_weigh_polarity_by_confidence(book: Codebook) -> None:
    found = [Item("material.job", 1.0, 2), Item("material.poor", 0.5, 1),
             Item("route.china", 1.0, 3), Item("mental.lonely", 0.8, 4)]
    scores = axis_scores(found, polarities(book))
    score, n, ranked = scores["material"]
    assert score == pytest.approx((1.0 - 0.5) / (1.5 + 1.0))
    assert n == 2
    assert [i.code for i in ranked] == ["material.job", "material.poor"]  # heaviest first
    assert scores["mental"][0] == pytest.approx(-0.8 / 1.8)
    assert axis_scores(found, polarities(book), prior=0.0)["mental"][0] == pytest.approx(-1.0)


# -- the four quadrants and unclassified, rules only ---------------------------------------------
@pytest.mark.parametrize("quadrant", list(QUADRANT_ITEMS))
def test_place_by_rules_alone_lands_in_each_quadrant(book: Codebook, quadrant: str) -> None:
    p = place("P1", items(QUADRANT_ITEMS[quadrant]), {}, book, None)
    assert p.informant == "P1"
    assert p.quadrant == quadrant
    assert QUADRANT[(p.material, p.mental)] == quadrant
    assert (p.material_score > 0) == (p.material == "success")
    assert (p.mental_score > 0) == (p.mental == "success")
    assert 0.5 <= p.confidence <= 1.0
    assert not p.disputed and p.reasons == []
    assert {i.code for i in p.evidence["material"]} <= {"material.job", "material.poor"}
    assert {i.code for i in p.evidence["mental"]} <= {"mental.belong", "mental.lonely"}


def test_no_evidence_is_unclassified_and_disputed_with_a_reason(book: Codebook) -> None:
    p = place("P0", [Item("route.china", 0.9, 1)], {}, book, None)
    assert (p.quadrant, p.material, p.mental, p.confidence) == ("unclassified", None, None, 0.0)
    assert p.disputed
    assert p.reasons == ["no evidence on the material axis", "no evidence on the mental axis"]
    assert "unclassified" in STUDY_ORDER


def test_evidence_on_one_axis_only_is_unclassified_naming_the_other(book: Codebook) -> None:
    p = place("P0", items(["material.job", "material.job"]), {}, book, None)
    assert p.quadrant == "unclassified" and p.disputed
    assert p.reasons == ["no evidence on the mental axis"]
    assert p.material_score > 0


def test_small_margin_and_thin_evidence_are_disputed(book: Codebook) -> None:
    strict = with_settings(book, typology_min_evidence=3, typology_margin=0.2)
    p = place("P2", [Item("material.job", 1.0, 1), Item("material.poor", 0.8, 2),
                     Item("mental.belong", 1.0, 3), Item("mental.belong", 1.0, 4),
                     Item("mental.belong", 1.0, 5)], {}, strict, None)
    assert p.quadrant == "integration" and p.disputed
    assert any(r.startswith("material: small margin") for r in p.reasons)
    assert any(r.startswith("material: thin evidence (2 ") for r in p.reasons)
    assert not any(r.startswith("mental:") for r in p.reasons)


def test_evidence_lists_the_three_weightiest_segments(book: Codebook) -> None:
    found = [Item("mental.belong", w, k) for k, w in enumerate([0.2, 0.9, 0.5, 0.95, 0.1])]
    found.append(Item("material.job", 0.8, 9))
    p = place("P3", found, {}, book, None)
    assert [i.segment_id for i in p.evidence["mental"]] == [3, 1, 2]
    assert [i.segment_id for i in p.evidence["material"]] == [9]


# -- with a typology model -------------------------------------------------------------------
def test_typology_model_learns_both_axes(typology: TypologyModel) -> None:
    assert set(typology.classifiers) == set(typology.calibration) == {"material", "mental"}
    assert typology.codes == sorted(["material.job", "material.poor", "mental.belong",
                                     "mental.lonely"])


@pytest.mark.parametrize("quadrant", list(QUADRANT_ITEMS))
def test_place_with_a_model_lands_in_each_quadrant(book: Codebook, typology: TypologyModel,
                                                   quadrant: str) -> None:
    p = place("P1", items(QUADRANT_ITEMS[quadrant]), {"age": 45, "arrival_year": 2001}, book,
              typology)
    assert p.quadrant == quadrant
    assert not any("rules say" in r for r in p.reasons)


def test_model_with_unclassifiable_informant_stays_unclassified(book: Codebook,
                                                                typology: TypologyModel) -> None:
    p = place("P0", [], {"age": 45}, book, typology)
    assert p.quadrant == "unclassified" and p.disputed and len(p.reasons) == 2


@pytest.mark.parametrize("with_model", [True, False])
def test_placing_many_at_once_places_each_as_alone(book: Codebook, typology: TypologyModel,
                                                   with_model: bool) -> None:
    model = typology if with_model else None
    informants = [(f"P{k}", items(codes[: 2 + k % 3]), {"age": 30 + k})
                  for k, codes in enumerate(QUADRANT_ITEMS.values())] + [("P9", [], {})]
    many = place_many(informants, book, model)
    alone = [place(inf, found, meta, book, model) for inf, found, meta in informants]
    assert [(p.quadrant, p.disputed, p.reasons) for p in many] == \
        [(p.quadrant, p.disputed, p.reasons) for p in alone]
    assert [p.confidence for p in many] == pytest.approx([p.confidence for p in alone])
    assert place_many([], book, model) == []


def test_rules_and_model_disagreeing_is_disputed(book: Codebook,
                                                 typology: TypologyModel) -> None:
    """A model that learned the opposite of the rules makes every axis a disagreement."""
    flipped = {"integration": "marginality", "marginality": "integration",
               "isolation": "acculturation", "acculturation": "isolation"}
    golds = [gold(f"{q[:3]}{k}", flipped[q], codes[: 3 + k], 30 + 10 * k)
             for q, codes in QUADRANT_ITEMS.items() for k in range(2)]
    contrary = TypologyModel(typology.codes, {}, TypologyModel.fit(book, golds).classifiers)
    p = place("P1", items(QUADRANT_ITEMS["integration"]), {"age": 40}, book, contrary)
    assert p.disputed
    assert "material: rules say success, model says failure" in p.reasons
    assert "mental: rules say success, model says failure" in p.reasons


def test_fit_uses_given_items_instead_of_human_codes(book: Codebook) -> None:
    """`items` per interview replace its human codes (what the machine found)."""
    golds = [gold("a", "integration", ["route.china"]), gold("b", "marginality", ["route.china"]),
             gold("c", "integration", ["route.china"]), gold("d", "marginality", ["route.china"])]
    found = [items(QUADRANT_ITEMS["integration"]), items(QUADRANT_ITEMS["marginality"])] * 2
    model = TypologyModel.fit(book, golds, found)
    assert set(model.classifiers) == {"material", "mental"}
    assert model.rule_proba("material", 0.5) > 0.5 > model.rule_proba("material", -0.5)


def test_fit_skips_axes_with_one_class_and_interviews_without_a_quadrant(
        book: Codebook) -> None:
    golds = [gold("a", "integration", QUADRANT_ITEMS["integration"]),
             gold("b", "isolation", QUADRANT_ITEMS["isolation"]),
             GoldInterview("c", [("R", "x", ["material.poor"])], None)]
    model = TypologyModel.fit(book, golds)
    assert set(model.classifiers) == {"mental"}   # material is success for both
    assert model.rule_proba("material", 0.0) == 0.5  # uncalibrated: (score + 1) / 2


# -- evidence from stored rows -----------------------------------------------------------------
def test_items_from_rows_count_each_code_once_people_first() -> None:
    rows = [{"code": "material.job", "status": "auto", "source": "rule", "confidence": 0.75,
             "segment_id": 1, "text": "a"},
            {"code": "material.job", "status": "accepted", "source": "rule",
             "confidence": 0.3, "segment_id": 2, "text": "b"},
            {"code": "mental.belong", "status": "accepted", "source": "human",
             "confidence": None, "segment_id": 3, "text": "c"},
            {"code": "mental.lonely", "status": "disputed", "source": "model",
             "confidence": None, "segment_id": 4, "text": "d"}]
    # people's decisions and undisputed codes count 1.0 (so does a disputed one with no
    # confidence); people's decisions come first, then the machine's by weight
    assert [(i.code, i.weight, i.segment_id, i.text) for i in items_from_rows(rows)] == [
        ("material.job", 1.0, 2, "b"), ("mental.belong", 1.0, 3, "c"),
        ("material.job", 1.0, 1, "a"), ("mental.lonely", 1.0, 4, "d")]


def test_items_from_rows_count_a_code_once_per_turn() -> None:
    """Two segments of one turn carrying the same code count once, as in training."""
    row = {"code": "material.job", "status": "auto", "source": "rule", "confidence": 0.8,
           "text": "t", "document_id": 1}
    rows = [dict(row, segment_id=1, turn_index=3), dict(row, segment_id=2, turn_index=3),
            dict(row, segment_id=3, turn_index=5), dict(row, segment_id=4, turn_index=3,
                                                        document_id=2)]
    assert [i.segment_id for i in items_from_rows(rows)] == [1, 3, 4]


def test_disputed_codes_count_by_the_machines_confidence() -> None:
    rows = [{"code": "material.job", "status": "disputed", "source": "model",
             "confidence": 0.3, "segment_id": 1, "text": "a"},
            {"code": "mental.lonely", "status": "disputed", "source": "rule",
             "confidence": 0.55, "segment_id": 2, "text": "b"},
            {"code": "mental.belong", "status": "auto", "source": "both",
             "confidence": 0.7, "segment_id": 3, "text": "c"},
            {"code": "mental.hope", "status": "accepted", "source": "model",
             "confidence": 0.25, "segment_id": 4, "text": "d"}]
    weights = {i.code: i.weight for i in items_from_rows(rows)}
    assert weights == {"material.job": 0.3, "mental.lonely": 0.55, "mental.belong": 1.0,
                       "mental.hope": 1.0}
    assert evidence_weight("disputed", "human", 0.2) == 1.0  # a person's own code
