"""`coder export segments`: coded segments as CSV."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer

from ..errors import StoreError
from ..export import write_segments_csv, write_typology_csv
from .common import DEFAULT_DB, DbOption, err, new_app, open_store

app = new_app("Export coded data.")


def _split(values: list[str] | None) -> set[str] | None:
    """Accept repeated options and comma-separated lists alike."""
    if not values:
        return None
    return {v.strip() for item in values for v in item.split(",") if v.strip()}


@app.command()
def segments(
    db: DbOption = DEFAULT_DB,
    output: Annotated[str, typer.Option("-o", "--output",
                                        help="CSV file to write; '-' for standard output.")] = "-",
    status: Annotated[list[str] | None, typer.Option(
        help="Only these statuses (auto, disputed, accepted, rejected); repeat or comma-separate."
    )] = None,
    code: Annotated[list[str] | None, typer.Option(help="Only these code ids.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include rejected assignments.")] = False,
) -> None:
    """One row per segment and code, rejected codes left out unless --all."""
    statuses = _split(status)
    bad = (statuses or set()) - {"auto", "disputed", "accepted", "rejected"}
    if bad:
        raise typer.BadParameter(f"unknown status {sorted(bad)[0]!r}", param_hint="--status")
    with open_store(db, must_exist=True) as store, _output(output) as out:
        rows = write_segments_csv(store, out, statuses, _split(code), all_)
    if output != "-":
        err.print(f"wrote {rows} rows to {output}", highlight=False, soft_wrap=True)


@app.command()
def typology(
    db: DbOption = DEFAULT_DB,
    output: Annotated[str, typer.Option("-o", "--output",
                                        help="CSV file to write; '-' for standard output.")] = "-",
) -> None:
    """One row per informant: quadrant, both axes and scores, confidence, dispute, evidence
    (run 'coder classify' first)."""
    with open_store(db, must_exist=True) as store:
        placements = store.placements()
    if not placements:
        raise StoreError(f"{db}: no placements yet (run 'coder classify')")
    with _output(output) as out:
        rows = write_typology_csv(placements, out)
    if output != "-":
        err.print(f"wrote {rows} rows to {output}", highlight=False, soft_wrap=True)


@contextmanager
def _output(output: str) -> Iterator[TextIO]:
    """Standard output for '-', else the file (its folder made if needed)."""
    if output == "-":
        yield sys.stdout
        return
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        yield f
