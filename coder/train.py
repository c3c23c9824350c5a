"""Training data for the segment model, training, and predictions on held-out informants."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from spacy.language import Language

from .codebook import Codebook
from .decide import apply_model_many, turn_examples
from .gold import GoldInterview
from .model import Example, SegmentModel
from .segment import code_transcript
from .transcript import Segment, Transcript
from .typology import evidence_weight


@dataclass
class Parsed:
    """A gold interview run through the rules once, reused by every fold."""

    gold: GoldInterview
    transcript: Transcript
    segments: list[Segment]
    turns: list[int] = field(default_factory=list)        # informant turns with segments
    examples: list[Example] = field(default_factory=list)


@dataclass
class HumanLabel:
    """A person's decision on one code of one informant turn, from the project database."""

    informant: str
    example: Example
    code: str
    applies: bool


def parse_gold(nlp: Language, book: Codebook, golds: Iterable[GoldInterview]) -> list[Parsed]:
    out = []
    for g in golds:
        t = g.transcript()
        segments = code_transcript(nlp, book, t)
        turns, examples = turn_examples(t, segments)
        out.append(Parsed(g, t, segments, turns, examples))
    return out


def training_set(parsed: Sequence[Parsed], codes: Sequence[str],
                 human: Sequence[HumanLabel] = ()
                 ) -> tuple[list[Example], list[dict[str, bool]], list[str]]:
    """Examples, their (partial) labels and their informant ids."""
    examples: list[Example] = []
    labels: list[dict[str, bool]] = []
    groups: list[str] = []
    for p in parsed:
        for turn, ex in zip(p.turns, p.examples):
            gold = set(p.gold.turns[turn][2])
            examples.append(ex)
            labels.append({c: c in gold for c in codes})
            groups.append(p.gold.id)
    for h in human:
        examples.append(h.example)
        labels.append({h.code: h.applies})
        groups.append(h.informant)
    return examples, labels, groups


def train(book: Codebook, parsed: Sequence[Parsed], human: Sequence[HumanLabel] = (),
          exclude: Iterable[str] = ()) -> SegmentModel:
    """Fit the segment model on gold and people's decisions, leaving out some informants."""
    codes = [c.id for c in book.codes]
    left_out = set(exclude)
    examples, labels, groups = training_set(parsed, codes, human)
    keep = [i for i, g in enumerate(groups) if g not in left_out]
    summary = {"informants": sorted({groups[i] for i in keep}),
               "gold_turns": sum(1 for i in keep if len(labels[i]) > 1),
               "human_decisions": sum(1 for i in keep if len(labels[i]) == 1)}
    return SegmentModel.fit([examples[i] for i in keep], [labels[i] for i in keep], codes,
                            book.hash, summary=summary)


def predicted_codes(model: SegmentModel | None, book: Codebook, p: Parsed
                    ) -> dict[int, dict[str, float]]:
    """Turn index -> the codes proposed (any status) for one interview, each with its
    weight as evidence for the typology (the most any of the turn's segments gives it)."""
    return predicted_codes_many(model, book, [p])[0]


# Interviews the model decides together (as in coding: see pipeline.MODEL_BATCH).
PREDICT_BATCH = 32


def predicted_codes_many(model: SegmentModel | None, book: Codebook, parsed: Sequence[Parsed]
                         ) -> list[dict[int, dict[str, float]]]:
    """`predicted_codes` for each interview, the model scoring a batch of them at once."""
    out = []
    for start in range(0, len(parsed), PREDICT_BATCH):
        docs = [(p.transcript, copy.deepcopy(p.segments))
                for p in parsed[start:start + PREDICT_BATCH]]
        if model is not None:
            apply_model_many(model, docs, book.settings)
        for _, segments in docs:
            codes: dict[int, dict[str, float]] = {}
            for seg in segments:
                turn = codes.setdefault(seg.turn_index, {})
                for a in seg.assignments:
                    turn[a.code] = max(turn.get(a.code, 0.0),
                                       evidence_weight(a.status, a.source, a.confidence))
            out.append(codes)
    return out


Trainer = Callable[[frozenset[str]], SegmentModel]


def fold_members(informant: str, pool: set[str], folds: int | None) -> frozenset[str]:
    """The informants held out with `informant`: itself alone (leave-one-informant-out),
    or its whole fold when the pool is split into `folds` groups; none if it is not in it."""
    if informant not in pool:
        return frozenset()
    if folds is None:
        return frozenset({informant})
    ordered = sorted(pool)
    k = ordered.index(informant) % folds
    return frozenset(ordered[k::folds])


def predict_heldout(book: Codebook, evaluate: Sequence[Parsed], pool: set[str],
                    trainer: Trainer, folds: int | None = None
                    ) -> dict[str, dict[int, dict[str, float]]]:
    """Predict every interview in `evaluate` with a model that never saw its informant.

    `trainer(exclude)` fits on the training pool (informant ids `pool`) minus `exclude`."""
    models: dict[frozenset[str], SegmentModel] = {}
    out: dict[str, dict[int, dict[str, float]]] = {}
    for p in evaluate:
        exclude = fold_members(p.gold.id, pool, folds)
        if exclude not in models:
            models[exclude] = trainer(exclude)
        out[p.gold.id] = predicted_codes(models[exclude], book, p)
    return out
