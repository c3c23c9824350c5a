"""`coder review`: every key, undo, resuming, crash safety, no terminal, --apply, --typology."""

from __future__ import annotations

import csv
import importlib
import io
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coder.cli import app
from coder.store import Store

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures"
CODEBOOK = str(FIXTURES / "codebook_min.yaml")
TRANSCRIPTS = FIXTURES / "review"
TTY = {"CODER_REVIEW_FORCE_TTY": "1"}

# The disputed items, in review order, by the start of their segment's text.
NEVER = "I was never out of work"        # material.unemployed, negated
SHOP = "If I could, I would open a shop"  # material.business, hypothetical
HIDE = "We did not hide in China"        # route.china, negated (informant B02)


@pytest.fixture(scope="session")
def coded_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("review") / "coded.db"
    result = runner.invoke(app, ["code", str(TRANSCRIPTS), "--rules-only", "--db", str(path),
                                 "--codebook", CODEBOOK])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def db(coded_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "p.db"
    shutil.copy(coded_db, path)
    return path


def review(db: Path, keys: str, *args: str, coder: str = "ana", env: dict | None = None):
    return runner.invoke(app, ["review", "--db", str(db), "--codebook", CODEBOOK,
                               "--coder", coder, *args], input=keys,
                         env=TTY if env is None else env)


def state(db: Path) -> dict[tuple[str, str], dict]:
    """(start of segment text, code) -> assignment row, rejected ones included."""
    with Store(db) as store:
        return {(r["text"][:len(_prefix(r["text"]))], r["code"]): r
                for r in store.iter_segment_rows(include_rejected=True)}


def _prefix(text: str) -> str:
    for p in (NEVER, SHOP, HIDE):
        if text.startswith(p):
            return p
    return text


def status(db: Path, text: str, code: str) -> str | None:
    row = state(db).get((text, code))
    return row["status"] if row else None


def audit(db: Path) -> list[dict]:
    with Store(db) as store:
        return store.decisions()


def codings(db: Path) -> list[tuple]:
    with Store(db) as store:
        return [(c["segment_id"], c["code"], c["coder"], c["applies"], c["source"])
                for c in store.review_codings()]


def seg(db: Path, text: str) -> int:
    return next(r["segment_id"] for (t, _), r in state(db).items() if t == text)


# -- keys -------------------------------------------------------------------------------


def test_screen_shows_context_code_reason_probability_progress_and_keys(db):
    result = review(db, "q")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "1 of 3" in out and "A01" in out
    assert "How was work after you arrived?" in out          # the interviewer's question
    assert "I was never out of work in Seoul, not one week." in out
    assert "And your plans?" in out                           # the turn after
    assert "material.unemployed" in out and "Has no job." in out
    assert "No work, cannot find work." in out and "Precarious work." in out
    assert "negated evidence" in out and '"out of work"' in out
    assert "probability 0.25" in out
    assert "a accept" in out and "u undo" in out and "q quit" in out
    assert audit(db) == []


def test_accept_and_reject_are_written_with_coder_and_time(db):
    result = review(db, "arq", coder="ana")
    assert result.exit_code == 0, result.output
    assert status(db, NEVER, "material.unemployed") == "accepted"
    assert status(db, SHOP, "material.business") == "rejected"
    assert status(db, HIDE, "route.china") == "disputed"
    rows = audit(db)
    assert [(r["action"], r["old_status"], r["new_status"], r["coder"]) for r in rows] == [
        ("accept", "disputed", "accepted", "ana"), ("reject", "disputed", "rejected", "ana")]
    assert all(r["at"] for r in rows)
    assert codings(db) == [(seg(db, NEVER), "material.unemployed", "ana", 1, "review"),
                           (seg(db, SHOP), "material.business", "ana", 0, "review")]
    assert "2 decided in this session; 1 of 3 still disputed" in result.output


def test_default_coder_is_the_login_name(db, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "login-name")
    result = runner.invoke(app, ["review", "--db", str(db), "--codebook", CODEBOOK],
                           input="a", env=TTY)
    assert result.exit_code == 0, result.output
    assert audit(db)[0]["coder"] == "login-name"


def test_change_picks_a_code_by_part_of_its_label(db):
    result = review(db, "sc" + "chin\n" + "q")
    assert result.exit_code == 0, result.output
    assert status(db, SHOP, "material.business") == "rejected"
    added = state(db)[(SHOP, "route.china")]
    assert (added["status"], added["source"]) == ("accepted", "human")
    assert [(r["action"], r["code"]) for r in audit(db)] == [
        ("change_from", "material.business"), ("change_to", "route.china")]
    sid = seg(db, SHOP)
    assert codings(db) == [(sid, "material.business", "ana", 0, "review"),
                           (sid, "route.china", "ana", 1, "review")]


def test_picker_lists_several_matches_and_takes_a_number(db):
    # "material" matches both material codes: a numbered list, then "2" picks the second
    result = review(db, "c" + "nothing-like-it\n" + "material\n" + "2\n" + "q")
    assert result.exit_code == 0, result.output
    assert "no code matches 'nothing-like-it'" in result.output
    assert "1  material.unemployed" in result.output and "2  material.business" in result.output
    assert status(db, NEVER, "material.unemployed") == "rejected"
    assert status(db, NEVER, "material.business") == "accepted"


def test_picker_cancelled_with_an_empty_line_decides_nothing(db):
    result = review(db, "c\nq")
    assert result.exit_code == 0, result.output
    assert "nothing chosen" in result.output
    assert audit(db) == []


def test_add_keeps_the_item_on_screen_until_decided(db):
    result = review(db, "+" + "route.china\n" + "aq")
    assert result.exit_code == 0, result.output
    assert status(db, NEVER, "route.china") == "accepted"
    assert status(db, NEVER, "material.unemployed") == "accepted"
    assert status(db, SHOP, "material.business") == "disputed"
    assert [r["action"] for r in audit(db)] == ["add", "accept"]
    assert "added route.china to this segment" in result.output


def test_add_of_the_proposed_code_is_refused(db):
    result = review(db, "+" + "material.unemployed\n" + "q")
    assert result.exit_code == 0, result.output
    assert "is the proposed code" in result.output
    assert audit(db) == []


def test_note_goes_with_the_next_decision(db):
    result = review(db, "n" + "says he worked every week\n" + "r" + "q")
    assert result.exit_code == 0, result.output
    [row] = audit(db)
    assert (row["action"], row["note"]) == ("reject", "says he worked every week")


def test_note_without_a_decision_is_kept_on_its_own(db):
    result = review(db, "n" + "ask Min about this one\n" + "sq")
    assert result.exit_code == 0, result.output
    [row] = audit(db)
    assert (row["action"], row["note"], row["new_status"]) == (
        "note", "ask Min about this one", "disputed")
    assert row["code"] == "material.unemployed"
    assert codings(db) == []


def test_skip_moves_on_and_the_item_comes_back_next_time(db):
    first = review(db, "saq")
    assert first.exit_code == 0, first.output
    assert status(db, NEVER, "material.unemployed") == "disputed"
    assert status(db, SHOP, "material.business") == "accepted"
    again = review(db, "q")
    assert again.exit_code == 0
    assert "1 of 2" in again.output and "I was never out of work" in again.output


def test_quitting_and_coming_back_resumes_at_the_first_unsettled_item(db):
    assert review(db, "aq").exit_code == 0
    again = review(db, "a")
    assert again.exit_code == 0, again.output
    first_screen = again.output.split("proposed:")[0]
    assert "If I could, I would open a shop" in first_screen
    assert "I was never out of work" not in first_screen
    assert status(db, SHOP, "material.business") == "accepted"


def test_undo_is_a_new_audit_entry_and_the_item_comes_back(db):
    result = review(db, "aur" + "q")
    assert result.exit_code == 0, result.output
    assert "undid: accept material.unemployed" in result.output
    assert status(db, NEVER, "material.unemployed") == "rejected"
    assert [(r["action"], r["old_status"], r["new_status"]) for r in audit(db)] == [
        ("accept", "disputed", "accepted"), ("undo", "accepted", "disputed"),
        ("reject", "disputed", "rejected")]
    # the undone decision's coding is gone; the later one stays
    assert codings(db) == [(seg(db, NEVER), "material.unemployed", "ana", 0, "review")]


def test_undo_of_a_change_restores_both_codes(db):
    result = review(db, "c" + "route.china\n" + "u" + "q")
    assert result.exit_code == 0, result.output
    assert status(db, NEVER, "material.unemployed") == "disputed"
    assert status(db, NEVER, "route.china") is None
    assert [r["action"] for r in audit(db)] == ["change_from", "change_to", "undo", "undo"]
    assert codings(db) == []


def test_the_last_decision_can_be_undone_at_the_end_of_the_queue(db):
    result = review(db, "aaa" + "u" + "q")
    assert result.exit_code == 0, result.output
    assert "end of the queue" in result.output
    assert "undid: accept route.china" in result.output
    assert status(db, HIDE, "route.china") == "disputed"
    assert status(db, SHOP, "material.business") == "accepted"


def test_undo_reaches_back_into_the_last_session(db):
    assert review(db, "aq").exit_code == 0
    result = review(db, "uq")
    assert result.exit_code == 0, result.output
    assert status(db, NEVER, "material.unemployed") == "disputed"
    assert review(db, "u").output.count("nothing to undo") == 1


def test_undo_is_per_coder(db):
    assert review(db, "aq", coder="ana").exit_code == 0
    result = review(db, "uq", coder="min")
    assert "nothing to undo" in result.output
    assert status(db, NEVER, "material.unemployed") == "accepted"


def test_unknown_key_says_which_keys_work(db):
    result = review(db, "xq")
    assert result.exit_code == 0
    assert "unknown key 'x'" in result.output
    assert audit(db) == []


def test_end_of_review_says_so(db):
    result = review(db, "aaa")
    assert result.exit_code == 0, result.output
    assert "3 decided in this session; 0 of 3 still disputed" in result.output
    again = review(db, "")
    assert "nothing to review" in again.output


def test_filters_choose_the_items(db):
    by_code = review(db, "q", "--code", "route.china")
    assert "1 of 1" in by_code.output and "We did not hide in China" in by_code.output
    by_cat = review(db, "q", "--category", "material")
    assert "1 of 2" in by_cat.output
    by_inf = review(db, "a", "--informant", "B02")
    assert by_inf.exit_code == 0
    assert status(db, HIDE, "route.china") == "accepted"
    assert status(db, NEVER, "material.unemployed") == "disputed"
    bad = review(db, "q", "--code", "no.such")
    assert bad.exit_code == 2 and "unknown code" in bad.output
    nobody = review(db, "q", "--informant", "Z99")
    assert nobody.exit_code == 2 and "no informant 'Z99'" in nobody.output


# -- crash safety and no terminal ---------------------------------------------------------


def test_a_review_killed_midway_keeps_every_decision_before_the_screen(db, monkeypatch):
    # coder.cli's attribute `review` is the command; the module comes from importlib
    cli_review = importlib.import_module("coder.cli.review")

    keys = iter("ar")
    seen_committed = []

    def key() -> str:
        try:
            return next(keys)
        except StopIteration:
            # the third item is on screen: the first two decisions must already be on disk
            other = sqlite3.connect(db)
            seen_committed.append(other.execute("SELECT count(*) FROM decisions").fetchone()[0])
            other.close()
            raise KeyboardInterrupt

    monkeypatch.setattr(cli_review, "_key", key)
    result = review(db, "")
    assert result.exit_code == 130
    assert "interrupted" in result.output
    assert seen_committed == [2]
    assert status(db, NEVER, "material.unemployed") == "accepted"
    assert status(db, SHOP, "material.business") == "rejected"
    assert status(db, HIDE, "route.china") == "disputed"


def test_end_of_input_stops_with_what_was_decided(db):
    result = review(db, "a")
    assert result.exit_code == 0, result.output
    assert status(db, NEVER, "material.unemployed") == "accepted"
    assert len(audit(db)) == 1


def test_no_terminal_exits_2_with_advice(db):
    result = review(db, "a", env={"CODER_REVIEW_FORCE_TTY": None})
    assert result.exit_code == 2
    assert ("standard input is not a terminal: use 'coder export segments --status disputed' "
            "and 'coder review --apply FILE'") in result.output
    assert audit(db) == []


def test_a_rerun_of_code_keeps_the_decisions(tmp_path):
    folder = tmp_path / "t"
    shutil.copytree(TRANSCRIPTS, folder)
    db = tmp_path / "own.db"

    def code() -> None:
        result = runner.invoke(app, ["code", str(folder), "--rules-only", "--db", str(db),
                                     "--codebook", CODEBOOK])
        assert result.exit_code == 0, result.output

    code()
    assert review(db, "ar").exit_code == 0
    with (folder / "a.txt").open("a", encoding="utf-8") as f:   # the file changed: re-coded
        f.write("Interviewer: Anything else?\nA01: Nothing more, thank you.\n")
    code()
    assert status(db, NEVER, "material.unemployed") == "accepted"
    assert status(db, SHOP, "material.business") == "rejected"


# -- --apply ------------------------------------------------------------------------------


def todo(db: Path, path: Path, decisions: dict[tuple[str, str], str],
         extra: list[dict] | None = None) -> Path:
    """The disputed export with a decision column filled from `decisions`."""
    result = runner.invoke(app, ["export", "segments", "--db", str(db), "--status", "disputed"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    for r in rows:
        r["decision"] = decisions.get((_prefix(r["text"]), r["code"]), "")
    rows += extra or []
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def apply(db: Path, path: Path, *args: str):
    return runner.invoke(app, ["review", "--db", str(db), "--codebook", CODEBOOK,
                               "--coder", "ana", "--apply", str(path), *args])


def test_apply_a_good_file(db, tmp_path):
    path = todo(db, tmp_path / "todo.csv", {
        (NEVER, "material.unemployed"): "reject", (SHOP, "material.business"): "route.china"})
    result = apply(db, path)
    assert result.exit_code == 0, result.output
    assert status(db, NEVER, "material.unemployed") == "rejected"
    assert status(db, SHOP, "material.business") == "rejected"
    assert status(db, SHOP, "route.china") == "accepted"
    assert status(db, HIDE, "route.china") == "disputed"
    out = " ".join(result.stdout.split())
    for what, n in (("accepted", 0), ("rejected", 1), ("recoded", 1), ("left", 1), ("bad", 0)):
        assert f"{what} │ {n}" in out
    assert {r["coder"] for r in audit(db)} == {"ana"}


def test_apply_accepts_without_a_terminal_and_case_insensitively(db, tmp_path):
    path = todo(db, tmp_path / "todo.csv", {(HIDE, "route.china"): " Accept "})
    result = apply(db, path)
    assert result.exit_code == 0, result.output
    assert status(db, HIDE, "route.china") == "accepted"


BAD_ROWS = [
    {"segment_id": "999", "code": "route.china", "decision": "accept"},
    {"segment_id": "1", "code": "no.such", "decision": "accept"},
]


def test_a_file_with_bad_rows_applies_nothing(db, tmp_path):
    good = {(NEVER, "material.unemployed"): "accept", (SHOP, "material.business"): "maybe",
            (HIDE, "route.china"): "route.nowhere"}
    path = todo(db, tmp_path / "todo.csv", good, extra=BAD_ROWS)
    result = apply(db, path)
    assert result.exit_code == 1
    err = result.stderr
    assert f"{path}:3: unknown decision 'maybe'" in err
    assert f"{path}:4: unknown code 'route.nowhere' in the decision column" in err
    assert f"{path}:5: unknown segment 999" in err
    assert f"{path}:6: unknown code 'no.such'" in err
    assert "nothing applied: 4 bad row(s)" in err
    assert status(db, NEVER, "material.unemployed") == "disputed"
    assert audit(db) == []


def test_partial_applies_the_good_rows(db, tmp_path):
    path = todo(db, tmp_path / "todo.csv", {(NEVER, "material.unemployed"): "accept",
                                            (SHOP, "material.business"): "maybe"})
    result = apply(db, path, "--partial")
    assert result.exit_code == 0, result.output
    assert f"{path}:3: unknown decision 'maybe'" in result.stderr
    assert status(db, NEVER, "material.unemployed") == "accepted"
    assert status(db, SHOP, "material.business") == "disputed"
    out = " ".join(result.stdout.split())
    assert "accepted │ 1" in out and "bad │ 1" in out


def test_apply_refuses_rows_that_are_not_disputed(db, tmp_path):
    assert review(db, "a").exit_code == 0   # settles the first item
    path = todo(db, tmp_path / "todo.csv", {})
    with Store(db) as store:
        sid = next(r["segment_id"] for r in store.iter_segment_rows()
                   if r["text"].startswith(NEVER))
        auto = next(r for r in store.iter_segment_rows({"auto"}))
    rows = [{"segment_id": str(sid), "code": "material.unemployed", "decision": "reject"},
            {"segment_id": str(auto["segment_id"]), "code": auto["code"], "decision": "reject"},
            {"segment_id": str(sid), "code": "material.business", "decision": "accept"}]
    path.write_text("segment_id,code,decision\n" + "".join(
        f"{r['segment_id']},{r['code']},{r['decision']}\n" for r in rows), encoding="utf-8")
    result = apply(db, path)
    assert result.exit_code == 1
    assert f"{path}:2: material.unemployed on segment {sid} is not disputed (it is accepted)" \
        in result.stderr
    assert f"{path}:3: {auto['code']} on segment" in result.stderr
    assert f"{path}:4: segment {sid} has no assignment material.business" in result.stderr


def test_apply_without_a_decision_column_or_file_exits_2(db, tmp_path):
    plain = tmp_path / "plain.csv"
    result = runner.invoke(app, ["export", "segments", "--db", str(db), "-o", str(plain)])
    assert result.exit_code == 0
    no_column = apply(db, plain)
    assert no_column.exit_code == 2 and "missing column decision" in no_column.stderr
    missing = apply(db, tmp_path / "absent.csv")
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00bad\xff")
    assert apply(db, binary).exit_code == 2


def test_partial_without_apply_is_a_usage_error(db):
    result = review(db, "", "--partial")
    assert result.exit_code == 2 and "--partial goes with --apply" in result.output


# -- --typology ---------------------------------------------------------------------------


@pytest.fixture
def placed(db: Path) -> Path:
    with Store(db) as store:
        never, shop = seg(db, NEVER), seg(db, SHOP)
        store.save_placements([
            {"informant_id": "A01", "quadrant": "marginality", "material": "failure",
             "mental": "failure", "material_score": -0.31, "mental_score": -0.05,
             "confidence": 0.52, "disputed": True,
             "reasons": ["mental: small margin (P(success) 0.47)"],
             "evidence": {"material": [{"segment_id": never, "code": "material.unemployed",
                                        "weight": 0.25},
                                       {"segment_id": shop, "code": "material.business",
                                        "weight": 0.25}], "mental": []}},
            {"informant_id": "B02", "quadrant": "integration", "material": "success",
             "mental": "success", "material_score": 0.4, "mental_score": 0.3,
             "confidence": 0.8, "disputed": True, "reasons": ["material: thin evidence"],
             "evidence": {"material": [], "mental": []}},
        ])
    return db


def placement(db: Path, informant: str) -> dict:
    with Store(db) as store:
        return next(p for p in store.placements() if p["informant_id"] == informant)


def placement_audit(db: Path) -> list[tuple]:
    with Store(db) as store:
        return [(r["informant_id"], r["action"], r["old_quadrant"], r["new_quadrant"],
                 r["coder"], r["note"]) for r in store.review_placement_decisions()]


def test_typology_screen_shows_scores_and_evidence(placed):
    result = review(placed, "q", "--typology")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "1 of 2" in out and "marginality" in out
    assert "score -0.31" in out and "score -0.05" in out
    assert "I was never out of work in Seoul" in out and "material.business" in out
    assert "small margin" in out and "1 integration" in out


def test_typology_keys_place_accept_note_and_undo(placed):
    # A01: a note, then 2 (isolation); B02: a (accept); end of the queue: u, then q
    result = review(placed, "n" + "reads as isolated\n" + "2" + "a" + "u" + "q", "--typology")
    assert result.exit_code == 0, result.output
    assert "undid the placement of B02" in result.output
    a01, b02 = placement(placed, "A01"), placement(placed, "B02")
    assert (a01["quadrant"], a01["material"], a01["mental"]) == ("isolation", "success",
                                                                  "failure")
    assert (a01["source"], a01["coder"], a01["disputed"]) == ("human", "ana", False)
    assert a01["decided_at"]
    assert (b02["quadrant"], b02["material"], b02["mental"]) == ("integration", "success",
                                                                  "success")
    assert (b02["source"], b02["disputed"], b02["coder"]) == ("machine", True, None)
    assert placement_audit(placed) == [
        ("A01", "place", "marginality", "isolation", "ana", "reads as isolated"),
        ("B02", "accept", "integration", "integration", "ana", None),
        ("B02", "undo", "integration", "integration", "ana", "undoes decision 2")]
    again = review(placed, "a", "--typology")
    assert "1 of 1" in again.output and placement(placed, "B02")["source"] == "human"
    # a person's placement survives a machine re-save
    with Store(placed) as store:
        store.save_placements([{"informant_id": "A01", "quadrant": "integration",
                                "material": "success", "mental": "success",
                                "material_score": 0, "mental_score": 0, "confidence": 1,
                                "disputed": False, "reasons": [], "evidence": {}}])
    assert placement(placed, "A01")["quadrant"] == "isolation"


def test_typology_skip_and_informant_filter(placed):
    result = review(placed, "s" + "4", "--typology")
    assert result.exit_code == 0, result.output
    assert placement(placed, "A01")["source"] == "machine"
    assert placement(placed, "B02")["quadrant"] == "marginality"
    only = review(placed, "3", "--typology", "--informant", "A01")
    assert only.exit_code == 0
    assert placement(placed, "A01")["quadrant"] == "acculturation"


def test_typology_without_disputed_placements(db):
    result = review(db, "q", "--typology")
    assert result.exit_code == 0
    assert "nothing to review: no disputed placements" in result.output
