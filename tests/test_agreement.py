"""coder.agreement: the units and values compared, kappa and alpha against a hand-worked
example, degenerate cases, and reading a second coder's CSV."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from coder.agreement import (MACHINE, agreement, choose_pair, figures, import_codings,
                             read_codings)
from coder.errors import CoderError, UsageError
from coder.store import Store
from coder.transcript import Assignment, Segment, Transcript

X, Y, Z = "material.unemployed", "route.china", "material.business"
CODES = [X, Z, Y]


def make_project(path: Path, n: int, proposals: dict[int, list[Assignment]] | None = None
                 ) -> tuple[Store, list[int]]:
    """A project with one document of `n` one-sentence answers (one segment each);
    `proposals` maps an answer's index to its machine assignments. Returns the store and
    the segment ids in answer order."""
    proposals = proposals or {}
    turns = []
    for i in range(n):
        turns.append(("Interviewer", f"Question {i}?", True, None, None))
        turns.append(("A01", f"Answer number {i} is here.", False, None, None))
    t = Transcript.build("int/a.txt", "txt", "A01", "h", {}, turns)
    segments = [Segment(u.index, u.speaker, u.start, u.end, u.text, None,
                        list(proposals.get(k, [])))
                for k, u in enumerate(t.informant_turns)]
    store = Store(path)
    run = store.start_run("cb", {})
    store.save_document(run, t, segments, "cb")
    ids = [s["id"] for s in store.segments("int/a.txt")]
    assert len(ids) == n
    return store, ids


def code(values: list[int], sids: list[int], code_id: str) -> list[tuple[int, str, bool]]:
    return [(sid, code_id, bool(v)) for sid, v in zip(sids, values)]


# -- the hand-worked example ---------------------------------------------------------------

def test_two_people_match_a_hand_worked_example(tmp_path):
    """Ten segments both ana and bo coded, two codes X and Y (1 = applies).

        segment   1 2 3 4 5 6 7 8 9 10
        ana  X    1 1 1 1 0 0 0 0 0 0
        bo   X    1 1 1 0 1 0 0 0 0 0
        ana  Y    0 0 0 0 0 0 0 0 1 1
        bo   Y    0 0 0 0 0 0 0 1 1 0

    Code X. Agree on 8 of 10 (3 both yes, 5 both no): po = 0.8. ana says yes 4/10, bo 4/10:
        pe = 0.4*0.4 + 0.6*0.6 = 0.16 + 0.36 = 0.52
        kappa = (po - pe) / (1 - pe) = 0.28 / 0.48 = 0.583333
      Coincidence matrix (each unit gives 2 ordered pairs; n = 20 values):
        o(1,1) = 2*3 = 6, o(0,0) = 2*5 = 10, o(0,1) = o(1,0) = 2 (segments 4 and 5)
        n1 = 6 + 2 = 8, n0 = 10 + 2 = 12
        Do = (o01 + o10) / n = 4 / 20 = 0.2
        De = (n0*n1 + n1*n0) / (n*(n-1)) = 192 / 380 = 0.505263
        alpha = 1 - Do/De = 1 - 0.2/0.505263 = 1 - 0.395833 = 0.604167
    Code Y. Agree on 8 of 10 (1 both yes, 7 both no): po = 0.8. Yes: ana 2/10, bo 2/10:
        pe = 0.2*0.2 + 0.8*0.8 = 0.04 + 0.64 = 0.68
        kappa = 0.12 / 0.32 = 0.375
        o11 = 2, o00 = 14, o01 = o10 = 2; n1 = 4, n0 = 16, n = 20
        Do = 4/20 = 0.2; De = (2*16*4) / (20*19) = 128/380 = 0.336842
        alpha = 1 - 0.2/0.336842 = 1 - 0.59375 = 0.40625
    Pooled over the 20 (segment, code) units: agree 16/20 = 0.8; yes: ana 6/20, bo 6/20:
        pe = 0.3*0.3 + 0.7*0.7 = 0.09 + 0.49 = 0.58
        kappa = 0.22 / 0.42 = 0.523810
        o11 = 8, o00 = 24, o01 = o10 = 4; n1 = 12, n0 = 28, n = 40
        Do = 8/40 = 0.2; De = (2*12*28) / (40*39) = 672/1560 = 0.430769
        alpha = 1 - 0.2/0.430769 = 1 - 0.464286 = 0.535714
    Means over the codes: kappa (0.583333 + 0.375)/2 = 0.479167;
                          alpha (0.604167 + 0.40625)/2 = 0.505208.

    The store also holds things that must NOT count: an 11th segment only ana coded; an
    earlier, overridden coding of ana's (segment 4, X: 0, then 1); bo never records Y on the
    segments where it does not apply (no coding = 0); a machine proposal.
    """
    store, s = make_project(tmp_path / "p.db", 11, {0: [Assignment(Y, "rule", 0.8, "auto")]})
    with store:
        ana_x = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
        bo_x = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0]
        ana_y = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
        store.import_codings("ana", [(s[3], X, False)])          # overridden below
        store.import_codings("ana", code(ana_x, s, X) + code(ana_y, s, Y)
                             + [(s[10], X, True)])               # segment 11: ana only
        store.import_codings("bo", code(bo_x, s, X) + [(s[7], Y, True), (s[8], Y, True)],
                             source="review")

        r = agreement(store, [X, Y], ["ana", "bo"])

    assert (r.a, r.b, r.segments) == ("ana", "bo", 10)
    fx, fy = r.codes
    assert (fx.label, fx.units, fx.yes_a, fx.yes_b) == (X, 10, 4, 4)
    assert round(fx.agreement, 3) == 0.8
    assert round(fx.kappa, 3) == 0.583
    assert round(fx.alpha, 3) == 0.604
    assert (fy.label, fy.units, fy.yes_a, fy.yes_b) == (Y, 10, 2, 2)
    assert round(fy.kappa, 3) == 0.375
    assert round(fy.alpha, 3) == 0.406
    assert r.pooled.units == 20 and round(r.pooled.agreement, 3) == 0.8
    assert round(r.pooled.kappa, 3) == 0.524
    assert round(r.pooled.alpha, 3) == 0.536
    assert round(r.mean_kappa, 3) == 0.479
    assert round(r.mean_alpha, 3) == 0.505


# -- a person against the machine ---------------------------------------------------------

def test_person_against_machine_by_default(tmp_path):
    """The machine proposed X on segments 1-3 (segment 2's later rejected by a person, which
    still counts as proposed), Y on 1; a code a person added (source human) is not the
    machine's. ana coded segments 1-4 only, so segment 5 is not a unit."""
    store, s = make_project(tmp_path / "p.db", 5, {
        0: [Assignment(X, "rule", 0.8, "auto"), Assignment(Y, "both", 0.9, "auto")],
        1: [Assignment(X, "model", 0.7, "disputed")],
        2: [Assignment(X, "rule", 0.8, "auto")],
    })
    with store:
        rejected = next(a["id"] for a in store.assignments(s[1]) if a["code"] == X)
        store.set_status(rejected, "rejected", "ana")
        store.add_human(s[3], Z, "ana")          # a person's code: not proposed
        store.import_codings("ana", [(s[0], X, True), (s[0], Y, True), (s[1], X, False),
                                     (s[2], X, True), (s[3], Z, True)], source="review")
        r = agreement(store, CODES)

    assert (r.a, r.b, r.segments) == ("ana", MACHINE, 4)
    by_code = {f.label: f for f in r.codes}
    # X: machine 1 1 1 0, ana 1 0 1 0 -> 3 of 4 agree
    assert (by_code[X].yes_a, by_code[X].yes_b, by_code[X].agreement) == (2, 3, 0.75)
    assert by_code[X].kappa == pytest.approx(figures(X, [1, 0, 1, 0], [1, 1, 1, 0]).kappa)
    # Z: ana 0 0 0 1, machine 0 0 0 0 (the human-added code is not the machine's)
    assert (by_code[Z].yes_a, by_code[Z].yes_b, by_code[Z].agreement) == (1, 0, 0.75)
    assert (by_code[Y].yes_a, by_code[Y].yes_b, by_code[Y].agreement) == (1, 1, 1.0)
    assert r.pooled.units == 12 and r.pooled.agreement == pytest.approx(10 / 12)


def test_between_person_and_machine_either_order(tmp_path):
    store, s = make_project(tmp_path / "p.db", 2, {0: [Assignment(X, "rule", 0.8, "auto")]})
    with store:
        store.import_codings("ana", [(s[0], X, True), (s[1], X, False)])
        store.import_codings("bo", [(s[0], X, False)])
        r1 = agreement(store, [X], ["bo", "machine"])
        r2 = agreement(store, [X], ["Machine", "ana"])
    assert (r1.a, r1.b, r1.segments, r1.codes[0].agreement) == ("bo", MACHINE, 1, 0.0)
    assert (r2.a, r2.b, r2.segments, r2.codes[0].agreement) == (MACHINE, "ana", 2, 1.0)


# -- degenerate cases ---------------------------------------------------------------------

def test_one_category_only_is_nan_not_a_crash():
    f = figures("x", [0, 0, 0], [0, 0, 0])
    assert f.agreement == 1.0 and math.isnan(f.kappa) and math.isnan(f.alpha)
    f = figures("x", [1, 1], [1, 1])
    assert f.agreement == 1.0 and math.isnan(f.kappa) and math.isnan(f.alpha)
    empty = figures("x", [], [])
    assert empty.units == 0 and math.isnan(empty.agreement) and math.isnan(empty.kappa)
    # one unit, the two sides differ: defined (po = 0, pe = 1*0 + 0*1 = 0: kappa 0; alpha 0)
    one = figures("x", [1], [0])
    assert one.kappa == pytest.approx(0.0) and one.alpha == pytest.approx(0.0)


def test_codes_nobody_used_are_nan_and_left_out_of_the_means(tmp_path):
    store, s = make_project(tmp_path / "p.db", 4)
    with store:
        store.import_codings("ana", code([1, 1, 0, 0], s, X))
        store.import_codings("bo", code([1, 0, 0, 0], s, X))
        r = agreement(store, [X, Z], ["ana", "bo"])
    fx, fz = r.codes
    assert fz.units == 4 and fz.agreement == 1.0 and math.isnan(fz.kappa)
    assert not math.isnan(fx.kappa)
    assert r.mean_kappa == pytest.approx(fx.kappa)   # Z's n/a does not drag the mean
    assert r.mean_alpha == pytest.approx(fx.alpha)


def test_no_shared_segments_is_a_clear_error(tmp_path):
    store, s = make_project(tmp_path / "p.db", 2)
    with store:
        store.import_codings("ana", [(s[0], X, True)])
        store.import_codings("bo", [(s[1], X, True)])
        with pytest.raises(CoderError, match="no segments in common"):
            agreement(store, [X], ["ana", "bo"])


def test_codings_on_codes_outside_the_codebook_are_left_out(tmp_path):
    store, s = make_project(tmp_path / "p.db", 2)
    with store:
        store.import_codings("ana", [(s[0], X, True), (s[1], "old.code", True)])
        r = agreement(store, [X])
    assert r.segments == 1 and r.outside_codebook == 1


def test_choosing_the_two_sides():
    assert choose_pair({"ana": 3}, None) == ("ana", MACHINE)
    with pytest.raises(CoderError, match="no person has coded"):
        choose_pair({}, None)
    with pytest.raises(UsageError, match="several people.*ana, bo.*--between"):
        choose_pair({"ana": 1, "bo": 2}, None)
    with pytest.raises(UsageError, match="'cy' has no codings"):
        choose_pair({"ana": 1}, ["ana", "cy"])
    with pytest.raises(UsageError, match="itself"):
        choose_pair({"ana": 1}, ["ana", "ana"])
    with pytest.raises(UsageError, match="itself"):
        choose_pair({}, ["machine", "MACHINE"])


def test_retired_segments_are_not_units(tmp_path):
    store, s = make_project(tmp_path / "p.db", 3)
    with store:
        store.import_codings("ana", code([1, 0, 1], s, X))
        store.import_codings("bo", code([1, 0, 0], s, X))
        store.conn.execute("UPDATE segments SET current = 0 WHERE id = ?", (s[2],))
        r = agreement(store, [X], ["ana", "bo"])
    assert r.segments == 2 and r.codes[0].agreement == 1.0


# -- reading a second coder's CSV ---------------------------------------------------------

HEADER = "segment_id,text,code,status"


def write(tmp_path: Path, text: str, name: str = "b.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_read_statuses_and_decisions(tmp_path):
    f = write(tmp_path, "segment_id,text,code,status,decision\r\n"
                        '1,"one, ""quoted""",material.unemployed,auto,\r\n'
                        "1,t,route.china,rejected,\r\n"
                        "2,t,material.unemployed,disputed,reject\r\n"
                        "3,t,material.business,auto,ACCEPT\r\n"
                        "3,t,route.china,accepted,\r\n"
                        "4,t,material.unemployed,auto,material.business\r\n"
                        ",,,,\r\n")
    r = read_codings(f, {1: True, 2: True, 3: True, 4: True}, set(CODES))
    assert r.problems == [] and r.rows == 6
    assert r.codings == [(1, X, True), (1, Y, False), (2, X, False), (3, Z, True),
                         (3, Y, True), (4, X, False), (4, Z, True)]


def test_bad_rows_are_reported_by_line_without_their_text(tmp_path):
    secret = "I lost my job at the mill"
    f = write(tmp_path, f"{HEADER}\n"
                        f'1,"{secret},\nsecond line",material.unemployed,auto\n'   # lines 2-3
                        f"99,{secret},material.unemployed,auto\n"                  # 4
                        f"2,{secret},material.nonsense,auto\n"                     # 5
                        f"2,x,{secret},auto\n"                                     # 6
                        f"3,x,route.china,{secret}\n"                              # 7
                        f"x{secret},x,route.china,auto\n"                          # 8
                        f"5,x,route.china,auto\n"                                  # 9: retired
                        f"2,x,route.china,\n")                                     # 10
    r = read_codings(f, {1: True, 2: True, 3: True, 5: False}, set(CODES))
    assert r.rows == 8 and r.codings == [(1, X, True)]
    assert r.problems == [
        f"{f}:4: no segment 99 in this project",
        f"{f}:5: code 'material.nonsense' is not in the codebook",
        f"{f}:6: the code cell is empty or not a code id",
        f"{f}:7: status is not one of accepted, auto, disputed, rejected",
        f"{f}:8: segment_id is missing or not a whole number",
        f"{f}:9: segment 5 was retired (its transcript changed since the export)",
        f"{f}:10: no status or decision",
    ]
    assert not any("mill" in p for p in r.problems)


def test_unreadable_files_and_missing_columns(tmp_path):
    segments, codes = {1: True}, set(CODES)
    from coder.csvin import CsvFileError as CodingsFileError

    cases = {
        tmp_path / "nope.csv": "no such file",
        write(tmp_path, "", "empty.csv"): "empty file",
        write(tmp_path, "segment_id,text,status\n1,x,auto\n", "nocode.csv"):
            "missing column code",
        write(tmp_path, "segment_id,code\n1,route.china\n", "nostatus.csv"):
            "missing column status",
        write(tmp_path, "\x00\x01binary", "bin.csv"): "binary",
        tmp_path: "is a directory",
    }
    for path, message in cases.items():
        with pytest.raises(CodingsFileError, match=message) as info:
            read_codings(path, segments, codes)
        assert str(path) in str(info.value) and info.value.exit_code == 2


def test_spreadsheet_flavours_semicolons_bom_and_windows_1252(tmp_path):
    f = write(tmp_path, "Segment_ID;text;code;Status\r\n1;caf\u00e9 \u2013 ok;route.china;Auto\r\n",
              encoding="cp1252")
    assert read_codings(f, {1: True}, set(CODES)).codings == [(1, Y, True)]
    g = write(tmp_path, "\ufeffsegment_id,code,status\n1.0,route.china,rejected\n", "g.csv")
    assert read_codings(g, {1: True}, set(CODES)).codings == [(1, Y, False)]


def test_import_is_all_or_nothing_unless_partial(tmp_path):
    store, s = make_project(tmp_path / "p.db", 2)
    f = write(tmp_path, f"{HEADER}\n{s[0]},x,route.china,auto\n999,x,route.china,auto\n")
    with store:
        r = import_codings(store, f, "bo", CODES)
        assert r.refused and r.written == 0 and len(r.problems) == 1
        assert store.coding_coders() == {}
        r = import_codings(store, f, " bo ", CODES, partial=True)
        assert not r.refused and r.written == 1 and r.coder == "bo"
        assert store.latest_codings("bo") == {(s[0], Y): True}
        with pytest.raises(UsageError, match="reserved"):
            import_codings(store, f, "Machine", CODES, partial=True)
        with pytest.raises(UsageError):
            import_codings(store, f, "  ", CODES, partial=True)
