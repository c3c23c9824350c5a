"""Reading decision CSVs that people bring back (an export of `coder export segments` with
a filled `decision` column, or a second coder's codings). Errors name the file, never its
text."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from .errors import UsageError


class CsvFileError(UsageError):
    """A CSV that cannot be read, or lacks a needed column."""


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CsvFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CsvFileError(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise CsvFileError(f"{path}: cannot read the file ({exc.strerror})") from None
    if b"\x00" in data[:4096]:
        raise CsvFileError(f"{path}: not a CSV file (binary content)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # The columns read here (ids, codes, statuses, decisions) are ASCII: any single-byte
        # reading (a spreadsheet's Windows-1252, say) gets them right.
        return data.decode("latin-1")


def read_records(path: Path, required: Sequence[str], one_of: Sequence[str] = ()
                 ) -> list[tuple[int, dict[str, str]]]:
    """(line where the record starts, {lowercased column: cell}) for each non-blank record.
    `required` columns must all be there, and one of `one_of` if given. Commas, semicolons
    or tabs separate cells (spreadsheets in some locales save with semicolons)."""
    text = _text(path)
    try:
        delimiter = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise CsvFileError(f"{path}: empty file (expected a CSV from "
                           "'coder export segments')") from None
    except csv.Error as exc:
        raise CsvFileError(f"{path}:1: not a readable CSV ({exc})") from None
    missing = [c for c in required if c not in header]
    if one_of and not any(c in header for c in one_of):
        missing.append(" (or ".join(one_of) + ")" * (len(one_of) - 1))
    if missing:
        raise CsvFileError(f"{path}: missing column{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(missing)} (a CSV from 'coder export segments' has them)")
    records = []
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return records
        except csv.Error as exc:
            raise CsvFileError(f"{path}:{line}: not a readable CSV ({exc})") from None
        if any(v.strip() for v in values):
            row: dict[str, str] = {}
            for name, value in zip(header, values):
                row.setdefault(name, value)
            records.append((line, row))
