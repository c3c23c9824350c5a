"""`coder codebook check|show|match`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.tree import Tree

from ..codebook import load_codebook
from ..nlp import build_nlp
from ..segment import match_text
from .common import DEFAULT_CODEBOOK, CodebookOption, console, new_app

app = new_app("Validate, show and try out the codebook.")


@app.command()
def check(path: Annotated[Path, typer.Argument(help="Codebook to validate.")] = DEFAULT_CODEBOOK
          ) -> None:
    """Validate a codebook and compile its patterns; exit 2 on any error."""
    book = load_codebook(path)
    build_nlp(book)
    n_patterns = sum(len(c.patterns) for c in book.codes)
    console.print(f"{path}: OK, {len(book.categories)} categories, {len(book.codes)} codes, "
                  f"{n_patterns} patterns (version {escape(book.version)}, hash {book.hash})")


@app.command()
def show(codebook: CodebookOption = DEFAULT_CODEBOOK,
         full: Annotated[bool, typer.Option(help="Include definitions and include/exclude text.")]
         = False) -> None:
    """Print the codebook as a tree."""
    book = load_codebook(codebook)
    tree = Tree(f"[bold]{escape(book.name)}[/bold] (version {escape(book.version)})")
    for cat in book.categories:
        branch = tree.add(f"[bold cyan]{cat.id}[/bold cyan] {escape(cat.label)}")
        for code in cat.codes:
            pol = {1: " [green](+)[/green]", -1: " [red](-)[/red]"}.get(code.polarity or 0, "")
            leaf = branch.add(f"[yellow]{code.id}[/yellow]{pol} {escape(code.label)} "
                              f"[dim]{len(code.patterns)} patterns[/dim]")
            if full:
                leaf.add(escape(code.definition))
                leaf.add(f"[green]include:[/green] {escape(code.include)}")
                leaf.add(f"[red]exclude:[/red] {escape(code.exclude)}")
    console.print(tree)


@app.command()
def match(text: Annotated[str, typer.Argument(help="A passage to code.")],
          codebook: CodebookOption = DEFAULT_CODEBOOK) -> None:
    """Show which codes and patterns fire on a passage, with negation and hypotheticals."""
    book = load_codebook(codebook)
    segments = match_text(build_nlp(book), book, text)
    found = False
    for seg in segments:
        for a in seg.assignments:
            found = True
            console.print(f"[yellow]{a.code}[/yellow] {a.status} ({a.confidence:.2f}) in: "
                          f"{escape(seg.text)}", highlight=False)
            for e in a.evidence:
                flags = "".join(f" [red]\\[{f}][/red]" for f, on in (
                    ("negated", e.negated), ("hypothetical", e.hypothetical)) if on)
                console.print(f"  {e.pattern}: \"{escape(e.words)}\"{flags}", highlight=False)
    if not found:
        console.print("no code matched")
