"""Exports of the coded project. No SQL here: rows come from `Store`."""

from __future__ import annotations

import csv
from typing import TextIO

from coder.store import Store, category_of

SEGMENT_COLUMNS = ["informant_id", "document", "segment_id", "speaker", "start", "end",
                   "timestamp", "text", "code", "category", "source", "confidence", "status"]
# Extra columns appended after SEGMENT_COLUMNS; dispute_reason stays the last one.
SEGMENT_EXTRA_COLUMNS = ["dispute_reason"]

LINE_TERMINATOR = "\r\n"  # RFC 4180; open `out` with newline="" so it is written as is


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def write_segments_csv(store: Store, out: TextIO, statuses: set[str] | None = None,
                       codes: set[str] | None = None, include_rejected: bool = False,
                       categories: dict[str, str] | None = None) -> int:
    """Write one CSV row per (current segment, assignment); returns the rows written.

    `categories` maps a code id to its category id (default: the part before the first
    dot). `out` should be opened with newline="" (and e.g. encoding "utf-8-sig" for
    spreadsheets). The file holds no timestamps of its own, so an unchanged project
    exports byte-identically.
    """
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator=LINE_TERMINATOR)
    writer.writerow(SEGMENT_COLUMNS + SEGMENT_EXTRA_COLUMNS)
    categories = categories or {}
    n = 0
    for row in store.iter_segment_rows(statuses=statuses, codes=codes,
                                       include_rejected=include_rejected):
        code = row["code"]
        confidence = row["confidence"]
        writer.writerow([
            row["informant_id"], row["document"], row["segment_id"], row["speaker"],
            row["start"], row["end"], _cell(row["timestamp"]), row["text"], code,
            categories.get(code, category_of(code)), row["source"],
            "" if confidence is None else f"{confidence:.3f}", row["status"],
            _cell(row["dispute_reason"]),
        ])
        n += 1
    return n


TYPOLOGY_COLUMNS = ["informant_id", "quadrant", "material", "mental", "material_score",
                    "mental_score", "confidence", "disputed", "evidence"]


def write_typology_csv(placements: list[dict], out: TextIO) -> int:
    """One row per informant; `evidence` lists the segments that weighed most per axis."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TYPOLOGY_COLUMNS)
    for p in placements:
        evidence = "; ".join(f"{axis}: " + ", ".join(f"{e['code']}@{e['segment_id']}"
                                                     for e in items)
                             for axis, items in sorted(p["evidence"].items()) if items)
        writer.writerow([p["informant_id"], p["quadrant"], p["material"] or "",
                         p["mental"] or "", _num(p["material_score"]),
                         _num(p["mental_score"]), _num(p["confidence"]),
                         "true" if p["disputed"] else "false", evidence])
    return len(placements)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
