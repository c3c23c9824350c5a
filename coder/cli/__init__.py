"""The `coder` command line: a thin adapter over the library, one module per command group."""

from __future__ import annotations

import typer

from . import codebook, export
from .agreement import agreement, import_codings
from .classify import classify
from .code import code
from .model import evaluate, train
from .review import review
from .common import CoderGroup

app = typer.Typer(
    cls=CoderGroup, help="Code interview transcripts against a YAML codebook.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("code")(code)
app.command("train")(train)
app.command("classify")(classify)
app.command("evaluate")(evaluate)
app.command("review")(review)
app.command("agreement")(agreement)
app.command("import")(import_codings)
app.add_typer(codebook.app, name="codebook")
app.add_typer(export.app, name="export")


def main() -> None:
    app()
