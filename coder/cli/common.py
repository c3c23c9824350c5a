"""Shared CLI pieces: consoles, common options, and the one place errors become messages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException  # typer >= 0.29 vendors click

from ..errors import CodebookError, CoderError, StoreError
from ..store import Store

console = Console()
err = Console(stderr=True)

DbOption = Annotated[Path, typer.Option("--db", envvar="CODER_DB", help="Project database.",
                                        show_default=True)]
CodebookOption = Annotated[Path, typer.Option("--codebook", envvar="CODER_CODEBOOK",
                                              help="Codebook YAML file.", show_default=True)]
DEFAULT_DB = Path("coder.db")
DEFAULT_CODEBOOK = Path("codebook.yaml")


class CoderGroup(TyperGroup):
    """Turns library errors into a message and an exit code. Never prints a traceback: one
    could quote transcript text. Set CODER_DEBUG=1 to see it while developing."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (Exit, Abort, TyperException):
            raise
        except CodebookError as exc:
            for line in exc.errors:
                err.print(f"[red]error:[/red] {exc.path}: {line}", markup=True, highlight=False,
                          soft_wrap=True)
            raise Exit(exc.exit_code) from None
        except CoderError as exc:
            err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
            raise Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted: every document that finished is saved")
            raise Exit(130) from None
        except Exception as exc:
            if os.environ.get("CODER_DEBUG"):
                raise
            err.print(f"[red]internal error:[/red] {type(exc).__name__} (set CODER_DEBUG=1 "
                      "for details; they may include transcript text)", markup=True)
            raise Exit(1) from None


def open_store(path: Path, must_exist: bool = False) -> Store:
    """Open the project database; for reading commands it must already exist."""
    if must_exist and not path.exists():
        raise StoreError(f"{path}: no project database here (run 'coder code' first, or pass --db)")
    return Store(path)


def new_app(help: str) -> typer.Typer:
    return typer.Typer(help=help, no_args_is_help=True, add_completion=False,
                       pretty_exceptions_enable=False, rich_markup_mode=None)
