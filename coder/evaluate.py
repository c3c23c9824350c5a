"""Fit the models, and score rules plus model against gold with held-out informants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from spacy.language import Language

from .codebook import Codebook
from .decide import turn_examples
from .errors import UsageError
from .gold import QUADRANTS, GoldInterview
from .model import SegmentModel
from .segment import match_text
from .train import (HumanLabel, Parsed, fold_members, parse_gold, predict_heldout,
                    predicted_codes_many, train)
from .transcript import Transcript
from .typology import Item, TypologyModel, place


@dataclass
class Models:
    segment: SegmentModel
    typology: TypologyModel | None


def human_labels(nlp: Language, book: Codebook, rows: Sequence[dict]) -> list[HumanLabel]:
    """People's decisions from the database as training examples (turn text + rule hits)."""
    out = []
    for r in rows:
        t = Transcript.build("<db>", "text", r["informant"], "", {},
                             [("I", r["question"] or "?", True, None, None),
                              ("R", r["text"], False, None, None)])
        segments = match_text(nlp, book, r["text"])
        for s in segments:
            s.turn_index = 1
        _, examples = turn_examples(t, segments)
        if examples:
            out.append(HumanLabel(r["informant"], examples[0], r["code"], r["applies"]))
    return out


def _items(codes_by_turn: dict[int, dict[str, float]]) -> list[Item]:
    return [Item(c, w) for codes in codes_by_turn.values() for c, w in codes.items()]


def fit_models(book: Codebook, parsed: Sequence[Parsed], human: Sequence[HumanLabel] = (),
               exclude: frozenset[str] = frozenset()) -> Models:
    """The segment model, then the typology model trained on what it finds in the gold."""
    segment = train(book, parsed, human, exclude)
    kept = [p for p in parsed if p.gold.id not in exclude]
    found = [_items(codes) for codes in predicted_codes_many(segment, book, kept)]
    typology = TypologyModel.fit(book, [p.gold for p in kept], found)
    return Models(segment, typology if typology.classifiers else None)


@dataclass
class Report:
    codes: list[dict[str, Any]]
    micro_f1: float
    macro_f1: float
    mean_kappa: float
    turns: int
    quadrant_accuracy: float | None = None
    confusion: list[list[int]] = field(default_factory=list)
    placements: list[dict[str, Any]] = field(default_factory=list)


def evaluate(book: Codebook, nlp: Language, gold: Sequence[GoldInterview],
             pool: Sequence[GoldInterview], human: Sequence[HumanLabel] = (),
             folds: int | None = None) -> Report:
    """Score `gold` with models trained on `pool` (+ people's decisions), never letting a
    model see the informant it scores: leave-one-informant-out, or `folds` groups."""
    # slow to import (see model.py)
    from sklearn.metrics import (cohen_kappa_score, confusion_matrix, f1_score,
                                 precision_recall_fscore_support)

    parsed_gold = parse_gold(nlp, book, gold)
    gold_ids = {g.id for g in gold}
    parsed_pool = [p for p in parsed_gold if p.gold.id in {g.id for g in pool}] + \
        parse_gold(nlp, book, [g for g in pool if g.id not in gold_ids])
    pool_ids = {p.gold.id for p in parsed_pool} | {h.informant for h in human}
    models: dict[frozenset[str], Models] = {}

    def models_for(exclude: frozenset[str]) -> Models:
        if not pool_ids - exclude:
            raise UsageError(f"cannot hold out {', '.join(sorted(exclude))}: no other "
                             "informant is left to train on")
        if exclude not in models:
            models[exclude] = fit_models(book, parsed_pool, human, exclude)
        return models[exclude]

    preds = predict_heldout(book, parsed_gold, pool_ids,
                            lambda exclude: models_for(exclude).segment, folds)
    codes = [c.id for c in book.codes]
    truth, guess = [], []
    for p in parsed_gold:
        for i, (speaker, _, gold_codes) in enumerate(p.gold.turns):
            if speaker == "R":
                truth.append([c in gold_codes for c in codes])
                guess.append([c in preds[p.gold.id].get(i, set()) for c in codes])
    y, yhat = np.array(truth, dtype=int), np.array(guess, dtype=int)
    prec, rec, f1, support = precision_recall_fscore_support(y, yhat, zero_division=0)
    rows = []
    for j, code in enumerate(codes):
        kappa = cohen_kappa_score(y[:, j], yhat[:, j]) if len(set(y[:, j]) | set(yhat[:, j])) > 1 \
            else 1.0
        rows.append({"code": code, "precision": float(prec[j]), "recall": float(rec[j]),
                     "f1": float(f1[j]), "kappa": float(kappa), "support": int(support[j])})
    present = [r for r in rows if r["support"] > 0]
    report = Report(rows, float(f1_score(y, yhat, average="micro", zero_division=0)),
                    float(np.mean([r["f1"] for r in present])) if present else 0.0,
                    float(np.mean([r["kappa"] for r in present])) if present else 0.0, len(y))
    typed = [p for p in parsed_gold if p.gold.quadrant]
    if typed:
        order = [*QUADRANTS, "unclassified"]
        placed = []
        for p in typed:
            typology = models_for(fold_members(p.gold.id, pool_ids, folds)).typology
            pl = place(p.gold.id, _items(preds[p.gold.id]), p.gold.meta, book, typology)
            placed.append({"informant": p.gold.id, "gold": p.gold.quadrant,
                           "placed": pl.quadrant, "disputed": pl.disputed})
        report.placements = placed
        report.quadrant_accuracy = float(np.mean([x["gold"] == x["placed"] for x in placed]))
        report.confusion = confusion_matrix([x["gold"] for x in placed],
                                            [x["placed"] for x in placed], labels=order).tolist()
    return report

