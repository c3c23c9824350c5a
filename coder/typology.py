"""Place informants in the study's typology (Table 1): material x mental adjustment.

Per axis, the rules' view is a score in [-1, 1] from polarity-weighted evidence; the model's
view is a logistic regression over informant-level features (code frequencies, both scores,
metadata such as age and arrival year). The two are averaged into P(success) for the axis.
A placement is disputed when the axis margin is small, rules and model disagree, or the
evidence is thin; an informant with no evidence on an axis is `unclassified`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .codebook import Codebook
from .gold import GoldInterview

if TYPE_CHECKING:  # scikit-learn is slow to import: see model.py
    from sklearn.linear_model import LogisticRegression

AXES = ("material", "mental")
QUADRANT = {("success", "success"): "integration", ("success", "failure"): "isolation",
            ("failure", "success"): "acculturation", ("failure", "failure"): "marginality"}
STUDY_ORDER = ("marginality", "isolation", "integration", "acculturation", "unclassified")


@dataclass
class Item:
    """One piece of evidence: a code on a segment, with how much it counts."""

    code: str
    weight: float          # how much it counts (1.0: a proposed or decided code)
    segment_id: int | None = None
    text: str = ""


@dataclass
class Placement:
    informant: str
    quadrant: str
    material: str | None
    mental: str | None
    material_score: float
    mental_score: float
    confidence: float
    disputed: bool
    reasons: list[str] = field(default_factory=list)
    evidence: dict[str, list[Item]] = field(default_factory=dict)


def polarities(book: Codebook) -> dict[str, tuple[str, int]]:
    """code -> (axis, polarity) for the material and mental codes."""
    return {c.id: (c.category, c.polarity) for c in book.codes
            if c.category in AXES and c.polarity is not None}


def axis_scores(items: Sequence[Item], polar: dict[str, tuple[str, int]],
                prior: float = 1.0) -> dict[str, tuple[float, int, list[Item]]]:
    """axis -> (score in [-1, 1], pieces of evidence, evidence sorted by weight)."""
    out = {}
    for axis in AXES:
        mine = [i for i in items if polar.get(i.code, ("", 0))[0] == axis]
        signed = sum(polar[i.code][1] * i.weight for i in mine)
        total = sum(i.weight for i in mine)
        # sorted() is stable: among equal weights the input order (people first) stands
        out[axis] = (signed / (total + prior), len(mine), sorted(mine, key=lambda i: -i.weight))
    return out


def _features(items: Sequence[Item], meta: dict[str, Any], polar: dict[str, tuple[str, int]],
              codes: Sequence[str]) -> list[float]:
    scores = axis_scores(items, polar)
    total = max(1.0, sum(i.weight for i in items if i.code in polar))
    freq = {c: 0.0 for c in codes}
    for i in items:
        if i.code in freq:
            freq[i.code] += i.weight / total
    row = [freq[c] for c in codes]
    row += [scores["material"][0], scores["mental"][0]]
    for key, scale in (("age", 50.0), ("arrival_year", 2000.0)):
        try:
            row += [float(meta[key]) / scale - 1.0, 1.0]
        except (KeyError, TypeError, ValueError):
            row += [0.0, 0.0]
    return row


@dataclass
class TypologyModel:
    """Per axis: the rules' score calibrated into P(success) (people mention hardships even
    when they have adjusted, so 0 is not the line), and a model over all features."""

    codes: list[str]
    calibration: dict[str, LogisticRegression]
    classifiers: dict[str, LogisticRegression]

    @classmethod
    def fit(cls, book: Codebook, golds: Sequence[GoldInterview],
            items: Sequence[Sequence[Item]] | None = None) -> "TypologyModel":
        """Learn each axis from gold interviews' placements, with their evidence: `items`
        per interview (what the machine found), else the interview's human codes."""
        from sklearn.linear_model import LogisticRegression  # slow to import: see model.py

        polar = polarities(book)
        codes = sorted(polar)
        rows, scores, labels = [], [], {a: [] for a in AXES}
        for k, g in enumerate(golds):
            if g.quadrant is None:
                continue
            found = items[k] if items is not None else [Item(c, 1.0) for _, _, cs in g.turns
                                                         for c in cs]
            rows.append(_features(found, g.meta, polar, codes))
            scores.append([v[0] for v in axis_scores(found, polar).values()])
            material, mental = next(q for q, v in QUADRANT.items() if v == g.quadrant)
            labels["material"].append(material == "success")
            labels["mental"].append(mental == "success")
        calibration, classifiers = {}, {}
        for j, axis in enumerate(AXES):
            y = np.array(labels[axis], dtype=int)
            if len(set(y)) == 2:
                calibration[axis] = LogisticRegression(C=10.0).fit(
                    np.array(scores)[:, [j]], y)
                classifiers[axis] = LogisticRegression(C=0.5, max_iter=2000).fit(
                    np.array(rows), y)
        return cls(codes, calibration, classifiers)

    def rule_proba(self, axis: str, scores: float | np.ndarray) -> np.ndarray:
        """P(success) on `axis` from the rules' scores, as calibrated on the gold (without a
        calibration for the axis: (score + 1) / 2)."""
        s = np.asarray(scores, dtype=float)
        clf = self.calibration.get(axis)
        if clf is None:
            return (s + 1) / 2
        return clf.predict_proba(s.reshape(-1, 1))[:, 1].reshape(s.shape)

    def proba(self, informants: Sequence[tuple[Sequence[Item], dict[str, Any]]],
              polar: dict[str, tuple[str, int]]) -> dict[str, np.ndarray]:
        """The model's P(success) per axis for each (items, meta), in one call per axis."""
        x = np.array([_features(items, meta, polar, self.codes) for items, meta in informants])
        return {axis: clf.predict_proba(x)[:, 1] for axis, clf in self.classifiers.items()}


def place(informant: str, items: Sequence[Item], meta: dict[str, Any], book: Codebook,
          model: TypologyModel | None) -> Placement:
    """Place one informant, with confidence, dispute reasons and the evidence that weighed."""
    return place_many([(informant, items, meta)], book, model)[0]


def place_many(informants: Sequence[tuple[str, Sequence[Item], dict[str, Any]]],
               book: Codebook, model: TypologyModel | None) -> list[Placement]:
    """Place each (informant, items, meta): the models score them all at once, one call per
    axis, rather than several small calls per informant."""
    polar = polarities(book)
    scores = [axis_scores(items, polar) for _, items, _ in informants]
    rule_p: dict[str, np.ndarray] = {}
    model_p: dict[str, np.ndarray] = {}
    if model is not None and informants:
        model_p = model.proba([(items, meta) for _, items, meta in informants], polar)
        rule_p = {axis: model.rule_proba(axis, np.array([sc[axis][0] for sc in scores]))
                  for axis in AXES}
    else:
        rule_p = {axis: np.array([(sc[axis][0] + 1) / 2 for sc in scores]) for axis in AXES}
    return [_place(inf, sc, book, {a: float(v[k]) for a, v in rule_p.items()},
                   {a: float(v[k]) for a, v in model_p.items()})
            for k, ((inf, _, _), sc) in enumerate(zip(informants, scores))]


def _place(informant: str, scores: dict[str, tuple[float, int, list[Item]]], book: Codebook,
           rule_p: dict[str, float], model_p: dict[str, float]) -> Placement:
    """One placement from the axis scores and both views' P(success) per axis."""
    s = book.settings
    evidence = {axis: scores[axis][2][:3] for axis in AXES}
    empty = [axis for axis in AXES if scores[axis][1] == 0]
    if empty:
        return Placement(informant, "unclassified", None, None, round(scores["material"][0], 3),
                         round(scores["mental"][0], 3), 0.0, True,
                         [f"no evidence on the {axis} axis" for axis in empty], evidence)
    verdict, reasons, confidence = {}, [], 1.0
    for axis in AXES:
        n = scores[axis][1]
        p = (rule_p[axis] + model_p[axis]) / 2 if axis in model_p else rule_p[axis]
        verdict[axis] = "success" if p >= 0.5 else "failure"
        confidence *= max(p, 1 - p)
        if abs(p - 0.5) < s.typology_margin:
            reasons.append(f"{axis}: small margin (P(success) {p:.2f})")
        if axis in model_p and (rule_p[axis] >= 0.5) != (model_p[axis] >= 0.5):
            reasons.append(f"{axis}: rules say "
                           f"{'success' if rule_p[axis] >= 0.5 else 'failure'}, "
                           f"model says {'success' if model_p[axis] >= 0.5 else 'failure'}")
        if n < s.typology_min_evidence:
            reasons.append(f"{axis}: thin evidence ({n} coded segments)")
    return Placement(informant, QUADRANT[(verdict["material"], verdict["mental"])],
                     verdict["material"], verdict["mental"], round(scores["material"][0], 3),
                     round(scores["mental"][0], 3), round(confidence, 3), bool(reasons), reasons,
                     evidence)


def typology_to_bytes(model: TypologyModel) -> bytes:
    import skops.io as sio

    return sio.dumps({"codes": model.codes, "calibration": model.calibration,
                      "classifiers": model.classifiers})


def typology_from_bytes(blob: bytes, where: str = "typology model") -> TypologyModel:
    import skops.io as sio

    from .model import ModelError, trusted_types

    try:
        payload = sio.loads(blob, trusted=trusted_types(blob, where))
        return TypologyModel(list(payload["codes"]), dict(payload["calibration"]),
                             dict(payload["classifiers"]))
    except ModelError:
        raise
    except Exception as exc:  # skops raises many kinds on a damaged blob
        raise ModelError(f"{where}: not readable ({type(exc).__name__})") from None


def evidence_weight(status: str, source: str, confidence: float | None) -> float:
    """How much a code counts as evidence for placing its informant. People's decisions and
    codes rules and model agree on count fully; a disputed code counts as much as the
    machine is sure of it (on the sample, counting model-only proposals fully placed more
    informants wrongly, and silently)."""
    if status == "disputed" and source != "human" and confidence is not None:
        return float(confidence)
    return 1.0


def items_from_rows(rows: Sequence[dict]) -> list[Item]:
    """Evidence items from stored assignments (rejected ones are not passed in): each code
    once per informant turn, as the models learned it, weighted by `evidence_weight`;
    people's decisions come first, then the machine's by weight and confidence, and the
    first segment of a turn stands for it."""
    def weight(r: dict) -> float:
        return evidence_weight(r["status"], r["source"], r["confidence"])

    ordered = sorted(rows, key=lambda r: (r["status"] != "accepted" and r["source"] != "human",
                                          -weight(r), -(r["confidence"] or 0.0)))
    seen: set[tuple[object, object, str]] = set()
    items = []
    for r in ordered:
        turn = (r.get("document_id"), r.get("turn_index"), r["code"])
        if turn[:2] == (None, None) or turn not in seen:
            seen.add(turn)
            items.append(Item(r["code"], weight(r), r["segment_id"], r["text"]))
    return items
