"""`coder import` and `coder agreement`: a second coder's codings, and agreement figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table

from ..agreement import MACHINE, agreement as measure, import_codings as run_import
from ..agreement import report_rows, write_agreement_csv
from ..codebook import load_codebook
from ..errors import CoderError
from .common import DEFAULT_CODEBOOK, DEFAULT_DB, CodebookOption, DbOption, console, err, open_store

SHOWN_PROBLEMS = 50


def import_codings(
    file: Annotated[Path, typer.Argument(help="CSV in the 'coder export segments' format.",
                                         show_default=False)],
    coder: Annotated[str, typer.Option("--coder", help="Whose codings these are.",
                                       show_default=False)],
    db: DbOption = DEFAULT_DB,
    codebook: CodebookOption = DEFAULT_CODEBOOK,
    partial: Annotated[bool, typer.Option(
        "--partial", help="Import the good rows even if some rows are bad.")] = False,
) -> None:
    """Read a second coder's codings from CSV, for 'coder agreement'.

    Columns used: segment_id, code, and status and/or decision (others are ignored). A
    filled decision cell wins: accept = the code applies, reject = it does not, a code id =
    recode (the row's code does not apply, that code does). Otherwise the status says:
    accepted, auto or disputed = applies, rejected = does not. Each row is recorded as that
    coder's coding (a later one wins). Rows with an unknown segment or code are reported by
    line, and then nothing is imported unless --partial.
    """
    book = load_codebook(codebook)
    with open_store(db, must_exist=True) as store:
        result = run_import(store, file, coder, [c.id for c in book.codes], partial)
    for problem in result.problems[:SHOWN_PROBLEMS]:
        err.print(f"[red]bad row:[/red] {problem}", markup=True, highlight=False, soft_wrap=True)
    if len(result.problems) > SHOWN_PROBLEMS:
        err.print(f"... and {len(result.problems) - SHOWN_PROBLEMS} more bad rows",
                  highlight=False)
    if result.refused:
        raise CoderError(f"{file}: nothing imported: {len(result.problems)} of {result.rows} "
                         "rows are bad (fix them, or pass --partial to import the rest)")
    skipped = f", {len(result.problems)} bad rows skipped" if result.problems else ""
    console.print(f"imported {result.written} codings by {result.coder} from {file} "
                  f"({result.rows} rows{skipped})", highlight=False, soft_wrap=True)


def agreement(
    db: DbOption = DEFAULT_DB,
    codebook: CodebookOption = DEFAULT_CODEBOOK,
    between: Annotated[tuple[str, str] | None, typer.Option(
        "--between", metavar="A B", show_default=False,
        help=f"The two coders to compare ('{MACHINE}' for the machine's proposals); default: "
             f"the one person with codings against the machine.")] = None,
    csv_file: Annotated[Path | None, typer.Option(
        "--csv", help="Also write the table to this CSV file.", show_default=False)] = None,
) -> None:
    """Cohen's kappa and Krippendorff's alpha (nominal) per code and overall, by segment.

    Units are the current segments both sides decided: a person decided the segments they
    have codings on (review decisions or imported); the machine decided all of them, and a
    code counts as the machine's when it proposed it (whatever a person later decided). For
    each unit and code a side's value is 1 if the code applies, else 0. Overall figures are
    pooled over every (segment, code), and averaged over the codes. 'n/a': undefined (e.g.
    both sides used only one value).
    """
    book = load_codebook(codebook)
    with open_store(db, must_exist=True) as store:
        report = measure(store, [c.id for c in book.codes], between)
    table = Table("code", Column("units", justify="right"),
                  Column("agreement %", justify="right"), Column("kappa", justify="right"),
                  Column("alpha", justify="right"),
                  title=f"{report.a} vs {report.b}: {report.segments} segments")
    rows = report_rows(report)
    for row in rows[:-2]:
        table.add_row(*row)
    console.print(table)
    p = report.pooled
    pooled, mean = rows[-2], rows[-1]
    console.print(f"overall, pooled over {p.units} segment-code units: agreement {pooled[2]}%, "
                  f"kappa {pooled[3]}, alpha {pooled[4]}; mean over codes: kappa {mean[3]}, "
                  f"alpha {mean[4]}", highlight=False, soft_wrap=True)
    if report.outside_codebook:
        err.print(f"note: {report.outside_codebook} codings on codes not in {codebook} were "
                  "left out", highlight=False, soft_wrap=True)
    if csv_file is not None:
        csv_file.parent.mkdir(parents=True, exist_ok=True)
        with csv_file.open("w", encoding="utf-8", newline="") as out:
            n = write_agreement_csv(report, out)
        err.print(f"wrote {n} rows to {csv_file}", highlight=False, soft_wrap=True)
