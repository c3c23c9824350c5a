"""`coder review`: settle disputed codes (or, with --typology, placements) one at a time with
single keys, or apply a spreadsheet's decisions with --apply FILE.

The interactive review needs a terminal. Tests (and only tests) set CODER_REVIEW_FORCE_TTY=1
so that CliRunner's `input=` can feed the keys.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..codebook import Codebook, load_codebook
from ..errors import CoderError, UsageError
from ..review import (QUADRANT_KEYS, ApplyReport, Filters, PlacementItem, PlacementSession,
                      ReviewItem, ReviewSession, apply_csv, match_codes)
from ..store import category_of
from .common import (DEFAULT_CODEBOOK, DEFAULT_DB, CodebookOption, DbOption, console, err,
                     open_store)

FORCE_TTY_ENV = "CODER_REVIEW_FORCE_TTY"
NOT_A_TTY = ("standard input is not a terminal: use 'coder export segments --status disputed' "
             "and 'coder review --apply FILE'")
CODE_KEYS = ("a accept  r reject  c change code  + add a code  n note  s skip  u undo  "
             "q quit")
PLACEMENT_KEYS = ("1 integration  2 isolation  3 acculturation  4 marginality  a accept  "
                  "n note  s skip  u undo  q quit")
OTHER_TURN_CHARS = 240


class _EndOfInput(Exception):
    """The keys ran out (end of file on standard input)."""


def review(
    db: DbOption = DEFAULT_DB,
    codebook: CodebookOption = DEFAULT_CODEBOOK,
    code: Annotated[str | None, typer.Option(help="Only this code id.")] = None,
    category: Annotated[str | None, typer.Option(help="Only codes of this category.")] = None,
    informant: Annotated[str | None, typer.Option(help="Only this informant.")] = None,
    coder: Annotated[str | None, typer.Option(
        help="Your name in the audit trail; default: your login name.")] = None,
    typology: Annotated[bool, typer.Option(
        "--typology", help="Review disputed placements instead of codes.")] = False,
    apply: Annotated[Path | None, typer.Option(
        "--apply", help="Apply a CSV's 'decision' column (accept, reject or a code id) "
                        "instead of reviewing interactively.")] = None,
    partial: Annotated[bool, typer.Option(
        "--partial", help="With --apply: apply the good rows even when some are bad.")] = False,
) -> None:
    """Settle disputed codes one at a time: a accept, r reject, c change, + add, n note,
    s skip, u undo, q quit. Every decision is saved at once, with your name."""
    if partial and apply is None:
        raise UsageError("--partial goes with --apply FILE")
    if apply is not None and typology:
        raise UsageError("--apply takes coded segments; placements are reviewed with --typology")
    if apply is not None and (code or category or informant):
        raise UsageError("--code, --category and --informant do not apply to --apply FILE")
    if typology and (code or category):
        raise UsageError("--code and --category choose codes; with --typology use --informant")
    name = _coder_name(coder)
    if apply is not None:
        book = load_codebook(codebook)
        with open_store(db, must_exist=True) as store:
            report = apply_csv(store, book, apply, name, partial)
        _print_report(report, partial)
        if report.bad and not partial:
            raise typer.Exit(1)
        return
    if not (sys.stdin.isatty() or os.environ.get(FORCE_TTY_ENV) == "1"):
        raise UsageError(NOT_A_TTY)
    if typology:
        book = load_codebook(codebook) if codebook.exists() else None
        with open_store(db, must_exist=True) as store:
            _check_informant(store, informant)
            _run_placements(PlacementSession(store, book, name, informant))
        return
    book = load_codebook(codebook)
    filters = Filters(code, category, informant)
    _check_filters(book, filters)
    with open_store(db, must_exist=True) as store:
        _check_informant(store, informant)
        _run_codes(ReviewSession(store, book, name, filters), book)


def _coder_name(coder: str | None) -> str:
    if coder is not None:
        if not coder.strip():
            raise UsageError("--coder needs a name")
        return coder.strip()
    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment
        raise UsageError("cannot tell who you are: pass --coder NAME") from None


def _check_filters(book: Codebook, f: Filters) -> None:
    if f.code and f.code not in {c.id for c in book.codes}:
        raise UsageError(f"--code: unknown code {f.code!r}")
    if f.category and f.category not in {c.id for c in book.categories}:
        raise UsageError(f"--category: unknown category {f.category!r}")


def _check_informant(store, informant: str | None) -> None:
    if informant and informant not in {d["informant_id"] for d in store.documents()}:
        raise UsageError(f"--informant: no informant {informant!r} in the project")


def _key() -> str:
    """One key press, without Enter."""
    key = typer.getchar()
    if key in ("", "\x04"):
        raise _EndOfInput
    return key


def _line(prompt: str) -> str:
    """One line of text (Enter to finish); empty at the end of input."""
    try:
        return typer.prompt(prompt, default="", show_default=False, prompt_suffix=" ")
    except (typer.Abort, EOFError):
        return ""


def _loop(session: ReviewSession | PlacementSession, next_item: Callable[[], Any],
          show: Callable[[Any, str], None], on_key: Callable[[Any, str], str],
          undo: Callable[[], str]) -> None:
    """The key loop codes and placements share: show an item, act on one key, until the
    queue ends or the reviewer quits; every decision is already saved when it returns."""
    message = ""
    try:
        while True:
            item = next_item()
            if item is None:
                if session.decided == 0 or not _last_chance(message):
                    break
                message = undo()
                continue
            show(item, message)
            message = ""
            try:
                message = on_key(item, _key())
            except _Quit:
                break
            except CoderError as exc:
                message = f"error: {exc}"
    except KeyboardInterrupt:
        session.finish()
        err.print(f"interrupted: the {session.decided} decision(s) made are saved")
        raise typer.Exit(130) from None
    except _EndOfInput:
        pass
    session.finish()
    if message:
        console.print(Text(message, style="red" if message.startswith("error:") else "green"))


# -- codes ----------------------------------------------------------------------------


def _run_codes(session: ReviewSession, book: Codebook) -> None:
    if session.queue.total == 0:
        console.print("nothing to review: no disputed codes"
                      + (" match" if session.queue.filters != Filters() else ""))
        return
    _loop(session, session.item, lambda item, message: _show_item(session, item, message),
          lambda item, key: _on_code_key(session, book, item, key),
          lambda: _undo_message(session.undo()))
    left = session.queue.still_disputed()
    console.print(f"{session.decided} decided in this session; {left} of "
                  f"{session.queue.total} still disputed"
                  + (" (run 'coder review' again to go on)" if left else ""))


class _Quit(Exception):
    pass


def _last_chance(message: str) -> bool:
    """At the end of the queue: True when the reviewer asks to undo the last decision."""
    console.print()
    if message:
        console.print(Text(message, style="red" if message.startswith("error:") else "green"))
    console.print(Text("end of the queue: u undo the last decision, any other key quits",
                       style="bold"))
    return _key() == "u"


def _undo_message(done) -> str:
    if done is None:
        return "nothing to undo"
    return f"undid: {done.action} {done.code} on segment {done.segment_id}"


def _on_code_key(session: ReviewSession, book: Codebook, item: ReviewItem, key: str) -> str:
    """Act on one key; returns the message for the next screen."""
    if key == "a":
        session.accept()
        return f"accepted {item.code}"
    if key == "r":
        session.reject()
        return f"rejected {item.code}"
    if key in ("c", "+"):
        picked = _pick_code(book, "change to" if key == "c" else "add")
        if picked is None:
            return "nothing chosen"
        if key == "c":
            session.change(picked)
            return f"changed {item.code} to {picked}"
        session.add(picked)
        return f"added {picked} to this segment; now decide on {item.code}"
    if key == "n":
        return _take_note(session)
    if key == "s":
        session.skip()
        return f"skipped {item.code} (it stays disputed)"
    if key == "u":
        return _undo_message(session.undo())
    if key == "q":
        raise _Quit
    return f"unknown key {key!r}: {CODE_KEYS}"


def _pick_code(book: Codebook, what: str) -> str | None:
    """Type part of a code id or label, then Enter; a number picks from a list shown."""
    choices: list = []
    while True:
        text = _line(f"{what} (part of a code id or label; empty to cancel):").strip()
        if not text:
            return None
        if choices and text.isdigit() and 1 <= int(text) <= len(choices):
            return choices[int(text) - 1].id
        found = match_codes(book, text)
        if len(found) == 1:
            return found[0].id
        if not found:
            console.print(f"no code matches {escape(text)!r}", highlight=False)
            continue
        choices = found[:20]
        for n, c in enumerate(choices, start=1):
            console.print(f"  {n:>2}  {escape(c.id)}  {escape(c.label)}", highlight=False)
        if len(found) > len(choices):
            console.print(f"  ... and {len(found) - len(choices)} more: type more of it")
        console.print("type a number, or more of the id or label")


def _turn_text(item: ReviewItem) -> Text:
    """The current turn, the segment underlined and bold, the matched words reversed."""
    turn = item.turn
    text = Text(turn.text)
    start, end = item.segment_span
    text.stylize("bold underline", start, end)
    for h in item.highlights:
        text.stylize("reverse yellow" if not (h.negated or h.hypothetical) else "reverse red",
                     h.start, h.end)
    return text


def _short(text: str) -> str:
    return text if len(text) <= OTHER_TURN_CHARS else text[:OTHER_TURN_CHARS - 1] + "…"


def _show_item(session: ReviewSession, item: ReviewItem, message: str) -> None:
    q = session.queue
    console.print()
    console.print(Rule(Text(f"{q.position} of {q.total} · {item.informant_id} · "
                            f"{item.document} · segment {item.segment_id}"), style="dim"))
    for t in item.context:
        who = Text(f"{t.speaker}: ", style="bold cyan" if t.is_interviewer else "bold")
        if t.role == "current":
            console.print(Text.assemble(who, _turn_text(item)))
        else:
            body = Text(_short(t.text), style="italic" if t.role == "question" else "dim")
            console.print(Text.assemble(who, body))
    console.print()
    info = item.code_info
    head = Text.assemble(("proposed: ", "bold"), (item.code, "bold magenta"))
    if info is not None:
        head.append(f"  {info.label} ({category_of(item.code)})")
    else:
        head.append("  (not in this codebook)", style="red")
    console.print(head)
    if info is not None:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim")
        table.add_column()
        table.add_row("definition", Text(info.definition))
        table.add_row("include", Text(info.include))
        table.add_row("exclude", Text(info.exclude))
        console.print(table)
    why = "; ".join(item.reasons) or "no reason stored"
    console.print(Text.assemble(("disputed: ", "bold"), why))
    matched = ", ".join(f'"{h.words}"' for h in item.highlights) or "none (the model's proposal)"
    prob = "none" if item.confidence is None else f"{item.confidence:.2f}"
    console.print(Text(f"matched: {matched} · probability {prob} (source {item.source})"))
    if item.other_codes:
        console.print(Text("other codes here: " + ", ".join(
            f"{o['code']} ({o['status']})" for o in item.other_codes), style="dim"))
    if session.pending_note:
        console.print(Text(f"note for the next decision: {session.pending_note}", style="dim"))
    if message:
        console.print(Text(message, style="red" if message.startswith("error:") else "green"))
    console.print(Text(CODE_KEYS, style="dim"))


# -- placements -----------------------------------------------------------------------


def _run_placements(session: PlacementSession) -> None:
    if session.total == 0:
        console.print("nothing to review: no disputed placements"
                      + (" match" if session.informant else ""))
        return
    def undo() -> str:
        done = session.undo()
        return "nothing to undo" if done is None else f"undid the placement of {done['informant_id']}"

    _loop(session, session.item, lambda item, message: _show_placement(session, item, message),
          lambda item, key: _on_placement_key(session, item, key), undo)
    left = sum(1 for p in session.store.placements()
               if p["disputed"] and p["source"] == "machine" and p["informant_id"] in session.ids)
    console.print(f"{session.decided} placed in this session; {left} of {session.total} "
                  "still disputed")


def _take_note(session: ReviewSession | PlacementSession) -> str:
    """Ask for a note; it goes with the next decision on either kind of item."""
    text = _line("note:")
    session.note(text)
    return "note kept for the next decision" if text.strip() else "no note"


def _on_placement_key(session: PlacementSession, item: PlacementItem, key: str) -> str:
    if key in QUADRANT_KEYS:
        session.place(QUADRANT_KEYS[key])
        return f"placed {item.informant_id} in {QUADRANT_KEYS[key]}"
    if key == "a":
        session.accept()
        return f"accepted {item.quadrant} for {item.informant_id}"
    if key == "n":
        return _take_note(session)
    if key == "s":
        session.skip()
        return f"skipped {item.informant_id} (stays disputed)"
    if key == "u":
        done = session.undo()
        if done is None:
            return "nothing to undo"
        return f"undid the placement of {done['informant_id']} (back to {done['quadrant']})"
    if key == "q":
        raise _Quit
    return f"unknown key {key!r}: {PLACEMENT_KEYS}"


def _show_placement(session: PlacementSession, item: PlacementItem, message: str) -> None:
    console.print()
    console.print(Rule(Text(f"{session.position} of {session.total} · informant "
                            f"{item.informant_id}"), style="dim"))
    conf = "none" if item.confidence is None else f"{item.confidence:.2f}"
    console.print(Text.assemble(("proposed: ", "bold"), (item.quadrant, "bold magenta"),
                                f"  (confidence {conf})"))
    for axis in ("material", "mental"):
        score = getattr(item, f"{axis}_score")
        verdict = getattr(item, axis) or "unclassified"
        shown = "none" if score is None else f"{score:+.2f}"
        console.print(Text.assemble((f"{axis}: ", "bold"), f"score {shown} → {verdict}"))
        for e in item.evidence.get(axis, []):
            sign = {1: "+", -1: "-"}.get(e.polarity, " ")
            console.print(Text(f"  {sign} {e.code} (weight {e.weight:.2f}) "
                               f"[{e.segment_id}] {_short(e.text)}"))
        if not item.evidence.get(axis):
            console.print(Text("  no evidence", style="dim"))
    if item.reasons:
        console.print(Text.assemble(("disputed: ", "bold"), "; ".join(item.reasons)))
    if session.pending_note:
        console.print(Text(f"note for the next decision: {session.pending_note}", style="dim"))
    if message:
        console.print(Text(message, style="red" if message.startswith("error:") else "green"))
    console.print(Text(PLACEMENT_KEYS, style="dim"))


# -- --apply ----------------------------------------------------------------------------


def _print_report(report: ApplyReport, partial: bool) -> None:
    for problem in report.problems:
        err.print(f"[red]bad row:[/red] {escape(problem)}", highlight=False, soft_wrap=True)
    if report.bad and not partial:
        err.print(f"nothing applied: {report.bad} bad row(s) (fix them, or pass --partial to "
                  "apply the good rows)", highlight=False)
    table = Table(title="review --apply", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for what, n in (("accepted", report.accepted), ("rejected", report.rejected),
                    ("recoded", report.recoded), ("left", report.left), ("bad", report.bad)):
        table.add_row(what, str(n))
    console.print(table)
