"""`coder classify`: place every informant in the study's typology."""

from __future__ import annotations

from collections import Counter
from rich.markup import escape
from rich.table import Table

from ..codebook import load_codebook
from ..nlp import build_nlp
from ..pipeline import classify as classify_informants
from ..typology import STUDY_ORDER
from .common import (DEFAULT_CODEBOOK, DEFAULT_DB, CodebookOption, DbOption, console,
                     open_store)


def classify(db: DbOption = DEFAULT_DB, codebook: CodebookOption = DEFAULT_CODEBOOK) -> None:
    """Place each informant (integration, isolation, acculturation, marginality) from the
    coded segments, with scores, confidence, disputes and the evidence that weighed most."""
    book = load_codebook(codebook)
    with open_store(db, must_exist=True) as store:
        placements = classify_informants(store, book, lambda: build_nlp(book))
    table = Table("informant", "quadrant", "material", "mental", "confidence", "disputed",
                  "weighed most", title=f"typology ({len(placements)} informants)")
    for p in placements:
        lines = []
        for axis in ("material", "mental"):
            for item in p.evidence.get(axis, [])[:2]:
                lines.append(f"{axis[:3]} {item.code}: {escape(item.text[:60])}")
        disputed = "; ".join(p.reasons) if p.disputed else "no"
        table.add_row(escape(p.informant), p.quadrant, f"{p.material_score:+.2f}",
                      f"{p.mental_score:+.2f}", f"{p.confidence:.2f}", escape(disputed),
                      "\n".join(lines))
    console.print(table)
    counts = Counter(p.quadrant for p in placements)
    console.print("  ".join(f"{q}: {counts[q]}" for q in STUDY_ORDER if counts[q] or
                            q != "unclassified"))

