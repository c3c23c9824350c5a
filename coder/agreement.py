"""Agreement between coders, and a second coder's codings read from CSV.

No SQL here (rows come from `Store`) and no terminal output (the CLI prints).

A coder's decision on (segment, code) is their latest coding of it. The machine's view of
(segment, code) is "proposed": an assignment with source rule, model or both exists, whatever
a person later decided about it. Agreement is measured by segment:

* units: the current segments both sides have decided. A person has decided a segment when
  they have at least one coding (on a codebook code) on it; the machine has decided every
  segment. So a person against the machine is measured over the segments that person coded;
  two people over the segments both of them coded.
* for each unit and code, a side's value is 1 if the code applies (person: their latest
  coding applies; machine: proposed), else 0 (a person who never coded that code: 0).
* per code: Cohen's kappa (scikit-learn) and Krippendorff's alpha, nominal (the
  krippendorff package) over the units; overall: the same pooled over every (unit, code),
  and the mean of the per-code values. Undefined values (one category only, no units) are
  NaN.
"""

from __future__ import annotations

import csv
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from .csvin import read_records
from .errors import CoderError, UsageError
from .store import Store

MACHINE = "machine"

# An import row's status: does the code apply for that coder?
STATUS_APPLIES = {"accepted": True, "auto": True, "disputed": True, "rejected": False}
# A `decision` cell (wins over status when filled): accept, reject, or a code id to recode to.
DECISION_APPLIES = {"accept": True, "accepted": True, "reject": False, "rejected": False}
REQUIRED_COLUMNS = ("segment_id", "code")

_CODE_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_WHOLE = re.compile(r"^\d+(\.0*)?$")


# -- import ----------------------------------------------------------------------------


@dataclass
class ImportResult:
    path: str
    coder: str
    rows: int                         # data rows read
    codings: list[tuple[int, str, bool]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # "FILE:LINE: why", one per bad row
    written: int = 0                  # codings stored
    refused: bool = False             # bad rows and no `partial`: nothing stored


def read_codings(path: Path | str, segments: dict[int, bool], codes: set[str]
                 ) -> ImportResult:
    """Read a codings CSV (the `coder export segments` format) against the project's
    segments ({id: current}) and the codebook's code ids. Bad rows become problems; a
    message names the file and line and never quotes the row's text."""
    path = Path(path)
    result = ImportResult(str(path), "", 0)

    def cell(row: dict[str, str], column: str) -> str:
        return (row.get(column) or "").strip()

    for line, row in read_records(path, REQUIRED_COLUMNS, ("status", "decision")):
        result.rows += 1
        why: list[str] = []
        sid_text, code = cell(row, "segment_id"), cell(row, "code")
        sid = int(float(sid_text)) if _WHOLE.match(sid_text) else None
        if sid is None:
            why.append("segment_id is missing or not a whole number")
        elif sid not in segments:
            why.append(f"no segment {sid} in this project")
        elif not segments[sid]:
            why.append(f"segment {sid} was retired (its transcript changed since the export)")
        if code not in codes:
            why.append(f"code {code!r} is not in the codebook" if _CODE_ID.match(code)
                       else "the code cell is empty or not a code id")
        decision = cell(row, "decision").lower()
        status = cell(row, "status").lower()
        found: list[tuple[str, bool]] = []
        if decision:
            if decision in DECISION_APPLIES:
                found = [(code, DECISION_APPLIES[decision])]
            elif decision in codes:  # recode: the row's code does not apply, this one does
                found = [(code, decision == code)] + ([(decision, True)] if decision != code
                                                      else [])
            elif _CODE_ID.match(decision):
                why.append(f"decision {decision!r} is not accept, reject or a code id in the "
                           "codebook")
            else:
                why.append("decision is not accept, reject or a code id")
        elif status in STATUS_APPLIES:
            found = [(code, STATUS_APPLIES[status])]
        elif status:
            why.append("status is not one of accepted, auto, disputed, rejected")
        else:
            why.append("no status or decision")
        if why:
            result.problems.append(f"{path}:{line}: {'; '.join(why)}")
        elif sid is not None:
            result.codings.extend((sid, c, applies) for c, applies in found)
    return result


def import_codings(store: Store, path: Path | str, coder: str, codes: list[str] | set[str],
                   partial: bool = False) -> ImportResult:
    """Store a coder's codings from a CSV, source 'import', in one transaction. A file with
    any bad row imports nothing unless `partial` (then the good rows are stored)."""
    coder = coder.strip()
    if not coder:
        raise UsageError("--coder: give the coder's name")
    if coder.lower() == MACHINE:
        raise UsageError(f"--coder: {MACHINE!r} is reserved for the machine's proposals")
    result = read_codings(path, store.segment_currency(), set(codes))
    result.coder = coder
    result.refused = bool(result.problems) and not partial
    if result.codings and not result.refused:
        result.written = store.import_codings(coder, result.codings, source="import")
    return result


# -- agreement ---------------------------------------------------------------------------


@dataclass
class Figures:
    """Agreement over one set of units."""

    label: str
    units: int
    agreement: float      # share of units where both give the same value (NaN: no units)
    kappa: float          # Cohen's kappa (NaN when undefined)
    alpha: float          # Krippendorff's alpha, nominal (NaN when undefined)
    yes_a: int = 0        # units where the first side says the code applies
    yes_b: int = 0


@dataclass
class AgreementReport:
    a: str
    b: str
    segments: int                     # units per code: segments both sides decided
    codes: list[Figures]
    pooled: Figures                   # over every (segment, code) unit
    mean_kappa: float                 # mean of the per-code values that are defined
    mean_alpha: float
    outside_codebook: int = 0         # codings left out: their code is not in the codebook


def figures(label: str, a: Sequence[int], b: Sequence[int]) -> Figures:
    """Per-unit 0/1 values of two sides -> agreement, kappa and alpha (NaN if undefined:
    no units, or only one category used by both sides, where chance agreement is total)."""
    if len(a) != len(b):
        raise ValueError("both sides need a value for every unit")
    n = len(a)
    yes_a, yes_b = int(sum(a)), int(sum(b))
    if n == 0:
        return Figures(label, 0, math.nan, math.nan, math.nan)
    agree = sum(1 for x, y in zip(a, b) if x == y) / n
    kappa = alpha = math.nan
    if len(set(a) | set(b)) > 1:
        import krippendorff
        from sklearn.metrics import cohen_kappa_score  # slow to import: see model.py

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kappa = float(cohen_kappa_score(list(a), list(b), labels=[0, 1]))
            alpha = float(krippendorff.alpha(reliability_data=np.array([a, b], dtype=float),
                                             level_of_measurement="nominal",
                                             value_domain=[0.0, 1.0]))
    return Figures(label, n, agree, kappa, alpha, yes_a, yes_b)


def _mean(values: list[float]) -> float:
    defined = [v for v in values if not math.isnan(v)]
    return sum(defined) / len(defined) if defined else math.nan


def choose_pair(coders: dict[str, int], between: Sequence[str] | None) -> tuple[str, str]:
    """The two sides to compare: `between`, or the single person with codings vs the
    machine. `coders` maps each person with codings to the segments they coded."""
    known = ", ".join(coders) or "none"
    if not between:
        if not coders:
            raise CoderError("no person has coded any segment yet: run 'coder review', or "
                             "'coder import FILE --coder NAME'")
        if len(coders) > 1:
            raise UsageError(f"several people have codings ({known}): pick two with "
                             f"--between A B, or one against the machine with "
                             f"--between NAME {MACHINE}")
        return next(iter(coders)), MACHINE
    if len(between) != 2:
        raise UsageError("--between takes two names")
    a, b = (MACHINE if n.strip().lower() == MACHINE else n.strip() for n in between)
    if a == b:
        raise UsageError(f"--between: compare two different coders, not {a!r} with itself")
    for name in (a, b):
        if name != MACHINE and name not in coders:
            raise UsageError(f"--between: {name!r} has no codings on current segments "
                             f"(people with codings: {known}; or {MACHINE!r})")
    return a, b


def agreement(store: Store, codes: list[str], between: Sequence[str] | None = None
              ) -> AgreementReport:
    """Per code and overall agreement between two coders (see the module docstring)."""
    a, b = choose_pair(store.coding_coders(), between)
    code_set = set(codes)
    views: dict[str, dict[tuple[int, str], bool]] = {}
    outside = 0
    for name in (a, b):
        if name != MACHINE:
            latest = store.latest_codings(name)
            outside += sum(1 for (_, c) in latest if c not in code_set)
            views[name] = {k: v for k, v in latest.items() if k[1] in code_set}
    decided = [{sid for sid, _ in view} for view in views.values()]
    units = sorted(set.intersection(*decided))
    if not units:
        raise CoderError(f"{a} and {b} have no segments in common: nothing to compare "
                         "(agreement is measured over the segments both have coded)")
    proposed = store.machine_proposed() if MACHINE in (a, b) else set()

    def values(name: str, code: str) -> list[int]:
        if name == MACHINE:
            return [int((sid, code) in proposed) for sid in units]
        view = views[name]
        return [int(view.get((sid, code), False)) for sid in units]

    per_code: list[Figures] = []
    all_a: list[int] = []
    all_b: list[int] = []
    for code in codes:
        va, vb = values(a, code), values(b, code)
        per_code.append(figures(code, va, vb))
        all_a += va
        all_b += vb
    pooled = figures("all codes (pooled)", all_a, all_b)
    return AgreementReport(a, b, len(units), per_code, pooled,
                           _mean([f.kappa for f in per_code]), _mean([f.alpha for f in per_code]),
                           outside)


AGREEMENT_COLUMNS = ["code", "units", "agreement_pct", "kappa", "alpha"]


def fmt(value: float, digits: int = 3) -> str:
    """A figure for people: NaN (undefined) as 'n/a'."""
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def report_rows(report: AgreementReport) -> list[list[str]]:
    """The table as text cells: one row per code, then the pooled and the mean rows."""
    rows = [[f.label, str(f.units), fmt(f.agreement * 100, 1), fmt(f.kappa), fmt(f.alpha)]
            for f in report.codes + [report.pooled]]
    rows.append(["mean of codes", "", "", fmt(report.mean_kappa), fmt(report.mean_alpha)])
    return rows


def write_agreement_csv(report: AgreementReport, out: TextIO) -> int:
    """The table as CSV (undefined values as 'n/a'); returns the rows written."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(AGREEMENT_COLUMNS)
    rows = report_rows(report)
    writer.writerows(rows)
    return len(rows)
