"""`coder export segments`: coded segments as CSV."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..export import write_segments_csv
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
    with open_store(db, must_exist=True) as store:
        if output == "-":
            write_segments_csv(store, sys.stdout, statuses, _split(code), all_)
            return
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as f:
            rows = write_segments_csv(store, f, statuses, _split(code), all_)
    err.print(f"wrote {rows} rows to {path}", highlight=False, soft_wrap=True)
