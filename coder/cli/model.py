"""`coder train` and `coder evaluate`: the learned model and how well it does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..codebook import load_codebook
from ..errors import UsageError
from ..evaluate import Report, evaluate as run_evaluation, human_labels
from ..gold import default_gold_dir, load_gold
from ..nlp import build_nlp
from ..pipeline import train_models
from .common import DEFAULT_CODEBOOK, DEFAULT_DB, CodebookOption, DbOption, console, open_store

GoldOption = Annotated[Path | None, typer.Option(
    help="Gold interviews (*.json) to learn from; default: the bundled sample's.")]


def _gold_dir(gold: Path | None) -> Path:
    path = gold or default_gold_dir()
    if path is None:
        raise UsageError("no gold interviews found: pass --gold DIR")
    return path


def train(db: DbOption = DEFAULT_DB, codebook: CodebookOption = DEFAULT_CODEBOOK,
          gold: GoldOption = None,
          folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds (by informant).")
                           ] = 6
          ) -> None:
    """Train the segment and typology models on gold interviews plus every decision people
    made in the project, print cross-validated scores, and keep the models."""
    book = load_codebook(codebook)
    path = _gold_dir(gold)
    nlp = build_nlp(book)
    with open_store(db) as store:
        golds = load_gold(path)
        human = human_labels(nlp, book, list(store.human_turn_labels()))
        report = run_evaluation(book, nlp, golds, golds, human, folds=folds)
        _print_report(report, f"cross-validated over {len(golds)} gold interviews "
                              f"({folds} folds by informant)")
        models = train_models(store, book, nlp, path)
    learned = models.segment.summary if models else {}
    console.print(f"trained on {learned.get('examples', 0)} turns "
                  f"({learned.get('human_decisions', 0)} from people's decisions); "
                  f"{learned.get('codes_learned', 0)} codes learned; kept in {db} for "
                  f"codebook {book.hash}")


def evaluate(gold: Annotated[Path, typer.Argument(help="Gold interviews (*.json) to score.")],
             db: DbOption = DEFAULT_DB, codebook: CodebookOption = DEFAULT_CODEBOOK,
             train_gold: GoldOption = None,
             per_code: Annotated[bool, typer.Option(help="Show every code.")] = True) -> None:
    """Score rules plus model against gold, leave-one-informant-out: no informant is scored
    by a model that saw it."""
    book = load_codebook(codebook)
    nlp = build_nlp(book)
    golds = load_gold(gold)
    pool = load_gold(_gold_dir(train_gold))
    human = []
    if db.exists():
        with open_store(db) as store:
            human = human_labels(nlp, book, list(store.human_turn_labels()))
    report = run_evaluation(book, nlp, golds, pool, human)
    _print_report(report, f"{len(golds)} interviews from {gold}, leave-one-informant-out",
                  per_code)


def _print_report(r: Report, title: str, per_code: bool = True) -> None:
    if per_code:
        table = Table("code", "precision", "recall", "F1", "kappa", "support", title=title)
        for row in r.codes:
            table.add_row(row["code"], f"{row['precision']:.2f}", f"{row['recall']:.2f}",
                          f"{row['f1']:.2f}", f"{row['kappa']:.2f}", str(row["support"]))
        console.print(table)
    console.print(f"turns {r.turns}  micro-F1 {r.micro_f1:.3f}  macro-F1 {r.macro_f1:.3f}  "
                  f"mean kappa {r.mean_kappa:.3f}")
    if r.quadrant_accuracy is not None:
        flagged = sum(1 for p in r.placements if p["gold"] != p["placed"] and p["disputed"])
        wrong = sum(1 for p in r.placements if p["gold"] != p["placed"])
        console.print(f"quadrant accuracy {r.quadrant_accuracy:.3f} ({wrong} misplaced, "
                      f"{flagged} of them disputed)")
        labels = ["integration", "isolation", "acculturation", "marginality", "unclassified"]
        table = Table("gold \\ placed", *labels, title="confusion matrix")
        for name, row in zip(labels, r.confusion):
            table.add_row(name, *map(str, row))
        console.print(table)
