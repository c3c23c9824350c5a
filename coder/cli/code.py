"""`coder code PATH...`: code a folder of transcripts into the project database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..codebook import load_codebook
from ..pipeline import RunSummary, code_paths
from .common import (DEFAULT_CODEBOOK, DEFAULT_DB, CodebookOption, DbOption, console, err,
                     open_store)


def code(
    paths: Annotated[list[Path], typer.Argument(help="Transcript files and folders (recursive).")],
    codebook: CodebookOption = DEFAULT_CODEBOOK,
    db: DbOption = DEFAULT_DB,
    interviewer: Annotated[str | None, typer.Option(
        help="Speaker label of the interviewer, when it is not a usual one.")] = None,
    spacy_model: Annotated[str | None, typer.Option(
        help="An installed spaCy pipeline to use instead of the blank English one.")] = None,
    strict: Annotated[bool, typer.Option(help="Treat any skipped file as an error.")] = False,
    rules_only: Annotated[bool, typer.Option(
        help="Code with the codebook's rules alone, without the learned model.")] = False,
) -> None:
    """Segment and code transcripts; unchanged files are skipped, people's decisions kept."""
    book = load_codebook(codebook)
    with open_store(db) as store, Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(),
        MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True,
    ) as bar:
        task = bar.add_task("coding", total=None)

        def progress(n: int, total: int, shown: str) -> None:
            bar.update(task, completed=n, total=total, description=escape(shown[-40:]))

        summary = code_paths(paths, book, store, str(codebook), interviewer, spacy_model,
                             progress, rules_only)
    for note in summary.notices:
        err.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)
    for s in summary.skipped:
        err.print(f"skipped {escape(s.path)}: {escape(s.reason)}", highlight=False,
                  soft_wrap=True)
    _print_summary(summary, db)
    if summary.files == 0:
        err.print("error: no transcript files found")
        raise typer.Exit(1)
    if summary.coded + summary.unchanged == 0:
        err.print("error: no transcript could be coded")
        raise typer.Exit(1)
    if strict and summary.skipped:
        err.print(f"error: {len(summary.skipped)} file(s) skipped (--strict)")
        raise typer.Exit(1)


def _print_summary(s: RunSummary, db: Path) -> None:
    table = Table(title=f"coded into {escape(str(db))}", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("documents coded", str(s.coded))
    table.add_row("documents unchanged", str(s.unchanged))
    table.add_row("files skipped", str(len(s.skipped)))
    table.add_row("informants", str(len(s.informants)))
    table.add_row("segments", str(s.segments))
    for cat, n in sorted(s.by_category.items()):
        table.add_row(f"assignments: {cat}", str(n))
    for status, n in sorted(s.by_status.items()):
        table.add_row(f"status: {status}", str(n))
    console.print(table)
    if s.skipped:
        skipped = Table("skipped file", "reason", title="skipped files")
        for k in s.skipped:
            skipped.add_row(escape(k.path), escape(k.reason))
        console.print(skipped)
