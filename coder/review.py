"""Review: a person settles disputed codes and placements. No SQL here (see `Store`), and no
terminal either: `coder/cli/review.py` draws the screen and reads the keys.

A decision is written at once, in its own transaction, with the coder's name and the time,
into the audit table that keeps every decision ever made (`decisions`, or
`placement_decisions` for placements) and, for codes, into `codings`. An undo is a new audit
entry. Settled means accepted or rejected: a skipped item stays disputed and comes back next
time, so quitting and coming back resumes at the first unsettled item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .codebook import Code, Codebook
from .csvin import read_records
from .errors import CoderError, UsageError
from .store import Store, category_of
from .typology import AXES, QUADRANT

# Keys 1-4 choose a quadrant, in the study's table order.
QUADRANT_KEYS = {"1": "integration", "2": "isolation", "3": "acculturation", "4": "marginality"}
AXES_OF: dict[str, tuple[str | None, str | None]] = {q: axes for axes, q in QUADRANT.items()}
AXES_OF["unclassified"] = (None, None)

ACCEPT, REJECT = "accept", "reject"
CSV_DECISIONS = (ACCEPT, REJECT)


class ReviewError(CoderError):
    """A decision that cannot be made (not disputed any more, unknown code, nothing to undo)."""


# -- codes: what is on screen ---------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which disputed codes to review; None means any."""

    code: str | None = None
    category: str | None = None
    informant: str | None = None


@dataclass
class ContextTurn:
    """A turn around the segment. `role`: question (the interviewer's preceding question),
    before, current or after."""

    index: int
    speaker: str
    text: str
    is_interviewer: bool
    role: str
    timestamp: str | None = None


@dataclass
class Highlight:
    """Matched words, as offsets into the current turn's text."""

    start: int
    end: int
    words: str
    negated: bool = False
    hypothetical: bool = False


@dataclass
class ReviewItem:
    """One disputed assignment with everything a reviewer needs to settle it."""

    assignment_id: int
    segment_id: int
    code: str
    source: str
    confidence: float | None
    dispute_reason: str | None
    informant_id: str
    document: str
    speaker: str
    text: str
    timestamp: str | None
    turn: ContextTurn
    segment_span: tuple[int, int]          # the segment inside `turn.text`
    highlights: list[Highlight]
    context: list[ContextTurn]             # turns in order, the current one included
    evidence: list[dict]
    code_info: Code | None                 # None when the codebook no longer has the code
    other_codes: list[dict] = field(default_factory=list)   # code, status of the segment's others

    @property
    def question(self) -> str | None:
        return next((t.text for t in self.context if t.role == "question"), None)

    @property
    def reasons(self) -> list[str]:
        """Why it is disputed: the stored reason, then what each piece of evidence says."""
        out = [self.dispute_reason] if self.dispute_reason else []
        for e in self.evidence:
            flags = [f for f in ("negated", "hypothetical") if e.get(f)]
            if flags or e.get("note"):
                what = f'"{e.get("words", "")}" ' + " and ".join(flags)
                out.append(what.strip() + (f" ({e['note']})" if e.get("note") else ""))
        return out


def _load_item(store: Store, book: Codebook, row: dict, around: int) -> ReviewItem | None:
    ctx = store.review_segment_context(row["segment_id"])
    if ctx is None:
        return None
    text, turns = ctx["document_text"], ctx["turns"]
    k = next((i for i, t in enumerate(turns) if t["index"] == ctx["turn_index"]), None)
    if k is None:  # turns out of step with the segment: show the segment alone
        here = ContextTurn(ctx["turn_index"], ctx["speaker"], ctx["text"], False, "current",
                           ctx["timestamp"])
        return _item(book, store, row, ctx, here, (0, len(ctx["text"])), [], [here])
    t0 = turns[k]
    turn_text = text[t0["start"]:t0["end"]]

    def ctx_turn(t: dict, role: str) -> ContextTurn:
        return ContextTurn(t["index"], t["speaker"], text[t["start"]:t["end"]],
                           t["is_interviewer"], role, t["timestamp"])

    q = next((j for j in range(k - 1, -1, -1) if turns[j]["is_interviewer"]), None)
    first = max(0, k - around)
    before = [ctx_turn(turns[j], "question" if j == q else "before") for j in range(first, k)]
    if q is not None and q < first:
        before.insert(0, ctx_turn(turns[q], "question"))
    after = [ctx_turn(t, "after") for t in turns[k + 1:k + 1 + around]]
    here = ctx_turn(t0, "current")
    span = (max(0, ctx["start"] - t0["start"]), min(len(turn_text), ctx["end"] - t0["start"]))
    highlights = []
    for e in row["evidence"]:
        s, t = int(e.get("start", 0)) - t0["start"], int(e.get("end", 0)) - t0["start"]
        if 0 <= s < t <= len(turn_text):
            highlights.append(Highlight(s, t, turn_text[s:t], bool(e.get("negated")),
                                        bool(e.get("hypothetical"))))
    return _item(book, store, row, ctx, here, span, highlights, before + [here] + after)


def _item(book: Codebook, store: Store, row: dict, ctx: dict, here: ContextTurn,
          span: tuple[int, int], highlights: list[Highlight], context: list[ContextTurn]
          ) -> ReviewItem:
    try:
        info: Code | None = book.code(row["code"])
    except KeyError:
        info = None
    others = [{"code": a["code"], "status": a["status"]}
              for a in store.assignments(row["segment_id"]) if a["id"] != row["id"]]
    return ReviewItem(row["id"], row["segment_id"], row["code"], row["source"],
                      row["confidence"], row["dispute_reason"], ctx["informant_id"],
                      ctx["document"], ctx["speaker"], ctx["text"], ctx["timestamp"], here, span,
                      highlights, context, row["evidence"], info, others)


class ReviewQueue:
    """The disputed assignments matching `filters`, in export order (document, position,
    code), as they stood when the queue was made. `current()` skips those settled since."""

    def __init__(self, store: Store, book: Codebook, filters: Filters = Filters(),
                 around: int = 1) -> None:
        self.store, self.book, self.filters, self.around = store, book, filters, around
        codes = {filters.code} if filters.code else None
        self.ids = [r["assignment_id"] for r in store.iter_segment_rows({"disputed"}, codes)
                    if self._wanted(r["code"], r["informant_id"])]
        self.pos = 0

    def _wanted(self, code: str, informant: str | None) -> bool:
        f = self.filters
        return ((f.category is None or category_of(code) == f.category)
                and (f.informant is None or informant == f.informant))

    @property
    def total(self) -> int:
        return len(self.ids)

    @property
    def position(self) -> int:
        """1-based position of the current item."""
        return self.pos + 1

    def current(self) -> ReviewItem | None:
        """The item on screen: the first still disputed at or after the position."""
        while self.pos < len(self.ids):
            row = self.store.review_assignment(self.ids[self.pos])
            if row is not None and row["status"] == "disputed" and row["current"]:
                item = _load_item(self.store, self.book, row, self.around)
                if item is not None:
                    return item
            self.pos += 1
        return None

    def skip(self) -> None:
        self.pos += 1

    def revisit(self, assignment_id: int) -> None:
        """Go back to an item (after an undo); one not in the queue is put in front."""
        if assignment_id in self.ids:
            self.pos = self.ids.index(assignment_id)
        else:
            self.ids.insert(self.pos, assignment_id)

    def still_disputed(self) -> int:
        """How many of the queue's items are still disputed."""
        n = 0
        for aid in self.ids:
            row = self.store.review_assignment(aid)
            n += bool(row and row["status"] == "disputed" and row["current"])
        return n


def match_codes(book: Codebook, query: str) -> list[Code]:
    """Codes whose id or label contains `query` (case-insensitive), in codebook order; an
    exact id wins alone."""
    q = query.strip().lower()
    if not q:
        return []
    exact = [c for c in book.codes if c.id.lower() == q]
    if exact:
        return exact
    return [c for c in book.codes if q in c.id.lower() or q in c.label.lower()]


def _known(book: Codebook, code: str) -> None:
    if code not in {c.id for c in book.codes}:
        raise ReviewError(f"unknown code {code!r} (not in the codebook)")


def decide(store: Store, item: ReviewItem, action: str, coder: str, code: str | None = None,
           note: str | None = None, book: Codebook | None = None) -> None:
    """Record one decision on a disputed item, committed at once: accept, reject, change (to
    `code`), add (`code` as a further code on the segment) or note (a memo on its own)."""
    if not coder:
        raise UsageError("a decision needs a coder's name (--coder NAME)")
    if action in ("change", "add"):
        if not code:
            raise ReviewError(f"{action} needs a code")
        if book is not None:
            _known(book, code)
        if code == item.code:
            raise ReviewError(f"{code} is the proposed code: accept it with 'a'")
        if action == "add":
            there = store.review_find_assignment(item.segment_id, code)
            if there is not None and there["status"] == "accepted":
                raise ReviewError(f"the segment already has {code}")
        op = {"action": action, "assignment_id": item.assignment_id,
              "segment_id": item.segment_id, "code": code, "note": note}
    elif action in (ACCEPT, REJECT, "note"):
        op = {"action": action, "assignment_id": item.assignment_id, "note": note}
    else:
        raise ValueError(f"unknown review action {action!r}")
    if action != "note" and action != "add":
        row = store.review_assignment(item.assignment_id)
        if row is None or row["status"] != "disputed":
            raise ReviewError(f"{item.code} on segment {item.segment_id} is no longer disputed")
    store.review_apply([op], coder)


@dataclass
class Undone:
    """What an undo put back: the decision's action, code and segment, and the assignment
    to show again (None when the decision had created it)."""

    action: str
    code: str
    segment_id: int
    assignment_id: int | None
    status: str | None


def undo(store: Store, coder: str) -> Undone | None:
    """Undo `coder`'s last decision still in force (a new audit entry); None when there is
    none. A change is undone whole."""
    rows = store.review_undo(coder)
    if not rows:
        return None
    first = rows[-1]  # for a change, the source code: the item that was on screen
    action = "change" if first["action"] == "change_from" else first["action"]
    return Undone(action, first["code"], first["segment_id"], first["assignment_id"],
                  first["status"])


class ReviewSession:
    """One sitting: the queue, the coder, and a note waiting for the item's next decision."""

    def __init__(self, store: Store, book: Codebook, coder: str,
                 filters: Filters = Filters(), around: int = 1) -> None:
        if not coder:
            raise UsageError("a review needs a coder's name (--coder NAME)")
        self.store, self.book, self.coder = store, book, coder
        self.queue = ReviewQueue(store, book, filters, around)
        self.pending_note: str | None = None
        self._note_for: int | None = None
        self.decided = 0

    def item(self) -> ReviewItem | None:
        item = self.queue.current()
        if self.pending_note is not None and (item is None
                                              or item.assignment_id != self._note_for):
            self._flush_note()
        return item

    def _take_note(self, item: ReviewItem) -> str | None:
        note = self.pending_note if self._note_for == item.assignment_id else None
        return note

    def _decide(self, action: str, code: str | None = None) -> None:
        item = self._need()
        decide(self.store, item, action, self.coder, code, self._take_note(item), self.book)
        self.pending_note, self._note_for = None, None
        self.decided += 1

    def _need(self) -> ReviewItem:
        item = self.queue.current()
        if item is None:
            raise ReviewError("nothing left to review")
        return item

    def accept(self) -> None:
        self._decide(ACCEPT)

    def reject(self) -> None:
        self._decide(REJECT)

    def change(self, code: str) -> None:
        self._decide("change", code)

    def add(self, code: str) -> None:
        """A further code on the segment; the item itself stays on screen, undecided."""
        self._decide("add", code)

    def note(self, text: str) -> None:
        """A memo for the item's next decision (kept on its own audit row if none comes)."""
        item = self._need()
        text = text.strip()
        if not text:
            return
        if self.pending_note is not None and self._note_for == item.assignment_id:
            text = f"{self.pending_note}\n{text}"
        self.pending_note, self._note_for = text, item.assignment_id

    def skip(self) -> None:
        self._flush_note()
        self.queue.skip()

    def undo(self) -> Undone | None:
        self._flush_note()
        done = undo(self.store, self.coder)
        if done is not None:
            self.decided = max(0, self.decided - 1)
            if done.assignment_id is not None and done.status == "disputed":
                self.queue.revisit(done.assignment_id)
        return done

    def finish(self) -> None:
        """Keep a note that no decision took (call on quitting)."""
        self._flush_note()

    def _flush_note(self) -> None:
        if self.pending_note is None or self._note_for is None:
            self.pending_note = self._note_for = None
            return
        note, aid = self.pending_note, self._note_for
        self.pending_note = self._note_for = None
        if self.store.review_assignment(aid) is not None:
            self.store.review_apply([{"action": "note", "assignment_id": aid, "note": note}],
                                    self.coder)


# -- codes from a spreadsheet ----------------------------------------------------------


@dataclass
class ApplyReport:
    accepted: int = 0
    rejected: int = 0
    recoded: int = 0
    left: int = 0
    bad: int = 0
    problems: list[str] = field(default_factory=list)   # "FILE:LINE: message", one per bad row
    applied: bool = False

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected + self.recoded


def apply_csv(store: Store, book: Codebook, path: Path | str, coder: str,
              partial: bool = False) -> ApplyReport:
    """Apply a filled `decision` column (accept, reject or a code id; empty: leave) to the
    disputed assignments a CSV names. Every bad row gets a message naming its line; with any
    bad row nothing is applied unless `partial`, which applies the good rows one by one.
    Without `partial` the whole file is one transaction."""
    if not coder:
        raise UsageError("a decision needs a coder's name (--coder NAME)")
    path = Path(path)
    report = ApplyReport()
    known = {c.id for c in book.codes}
    seen: dict[int, int] = {}
    good: list[tuple[int, dict, str]] = []   # line, op, kind

    def bad(line: int, message: str) -> None:
        report.bad += 1
        report.problems.append(f"{path}:{line}: {message}")

    for line, row in read_records(path, ("segment_id", "code", "decision")):
        decision = (row.get("decision") or "").strip()
        if not decision:
            report.left += 1
            continue
        sid_text, code = (row.get("segment_id") or "").strip(), (row.get("code") or "").strip()
        try:
            segment_id = int(sid_text)
        except ValueError:
            bad(line, f"segment_id {sid_text!r} is not a number")
            continue
        if store.review_segment_context(segment_id) is None:
            bad(line, f"unknown segment {segment_id}")
            continue
        found = store.review_find_assignment(segment_id, code)
        if found is None:
            bad(line, f"unknown code {code!r}" if code not in known
                else f"segment {segment_id} has no assignment {code}")
            continue
        if found["status"] != "disputed":
            bad(line, f"{code} on segment {segment_id} is not disputed (it is {found['status']})")
            continue
        if found["id"] in seen:
            bad(line, f"{code} on segment {segment_id} is decided already on line "
                      f"{seen[found['id']]}")
            continue
        choice = decision.lower()
        if choice == code.lower():
            choice = ACCEPT
        if choice in CSV_DECISIONS:
            op = {"action": choice, "assignment_id": found["id"]}
            kind = choice
        elif decision in known:
            op = {"action": "change", "assignment_id": found["id"], "code": decision}
            kind = "change"
        elif "." in decision:
            bad(line, f"unknown code {decision!r} in the decision column")
            continue
        else:
            bad(line, f"unknown decision {decision!r} (use accept, reject or a code id)")
            continue
        seen[found["id"]] = line
        good.append((line, op, kind))

    if report.bad and not partial:
        return report
    if partial:
        for line, op, kind in good:
            try:
                store.review_apply([op], coder)
            except CoderError as exc:
                bad(line, str(exc))
                continue
            _count(report, kind)
    else:
        store.review_apply([op for _, op, _ in good], coder)
        for _, _, kind in good:
            _count(report, kind)
    report.applied = report.decided > 0
    return report


def _count(report: ApplyReport, kind: str) -> None:
    if kind == ACCEPT:
        report.accepted += 1
    elif kind == REJECT:
        report.rejected += 1
    else:
        report.recoded += 1


# -- placements -----------------------------------------------------------------------


@dataclass
class AxisEvidence:
    segment_id: int | None
    code: str
    label: str
    polarity: int | None
    weight: float
    text: str


@dataclass
class PlacementItem:
    """A disputed machine placement, with both scores and the evidence for each axis."""

    informant_id: str
    quadrant: str
    material: str | None
    mental: str | None
    material_score: float | None
    mental_score: float | None
    confidence: float | None
    reasons: list[str]
    evidence: dict[str, list[AxisEvidence]]


def _placement_item(store: Store, book: Codebook | None, p: dict) -> PlacementItem:
    ids = [e.get("segment_id") for items in p["evidence"].values() for e in items]
    texts = store.review_segment_texts([i for i in ids if i is not None])
    evidence: dict[str, list[AxisEvidence]] = {}
    for axis in AXES:
        rows = []
        for e in p["evidence"].get(axis, []):
            label, polarity = e.get("code", ""), None
            if book is not None:
                try:
                    c = book.code(e.get("code", ""))
                    label, polarity = c.label, c.polarity
                except KeyError:
                    pass
            sid = e.get("segment_id")
            rows.append(AxisEvidence(sid, e.get("code", ""), label, polarity,
                                     float(e.get("weight") or 0.0), texts.get(sid, "")))
        evidence[axis] = rows
    return PlacementItem(p["informant_id"], p["quadrant"], p["material"], p["mental"],
                         p["material_score"], p["mental_score"], p["confidence"],
                         list(p["reasons"]), evidence)


def disputed_placements(store: Store, book: Codebook | None = None,
                        informant: str | None = None) -> list[PlacementItem]:
    """Machine placements still disputed, by informant."""
    return [_placement_item(store, book, p) for p in store.placements()
            if p["disputed"] and p["source"] == "machine"
            and (informant is None or p["informant_id"] == informant)]


def decide_placement(store: Store, item: PlacementItem, coder: str,
                     quadrant: str | None = None, note: str | None = None) -> None:
    """Place an informant: `quadrant` (one of QUADRANT_KEYS' values), or None to accept the
    proposed one. Committed at once, with an audit row."""
    if not coder:
        raise UsageError("a decision needs a coder's name (--coder NAME)")
    if quadrant is not None and quadrant not in AXES_OF:
        raise ReviewError(f"unknown quadrant {quadrant!r}")
    chosen = item.quadrant if quadrant is None else quadrant
    material, mental = AXES_OF.get(chosen, (None, None))
    store.review_decide_placement(item.informant_id, "accept" if quadrant is None else "place",
                                  chosen, material, mental, coder, note)


def undo_placement(store: Store, coder: str) -> dict | None:
    """Undo `coder`'s last placement decision (a new audit entry); None when there is none."""
    return store.review_undo_placement(coder, AXES_OF)


class PlacementSession:
    """One sitting over the disputed placements (same shape as ReviewSession)."""

    def __init__(self, store: Store, book: Codebook | None, coder: str,
                 informant: str | None = None) -> None:
        if not coder:
            raise UsageError("a review needs a coder's name (--coder NAME)")
        self.store, self.book, self.coder, self.informant = store, book, coder, informant
        self.ids = [p.informant_id for p in disputed_placements(store, book, informant)]
        self.pos = 0
        self.pending_note: str | None = None
        self._note_for: str | None = None
        self.decided = 0

    @property
    def total(self) -> int:
        return len(self.ids)

    @property
    def position(self) -> int:
        return self.pos + 1

    def item(self) -> PlacementItem | None:
        while self.pos < len(self.ids):
            found = [p for p in self.store.placements() if p["informant_id"] == self.ids[self.pos]]
            if found and found[0]["disputed"] and found[0]["source"] == "machine":
                if self.pending_note is not None and self._note_for != self.ids[self.pos]:
                    self._flush_note()
                return _placement_item(self.store, self.book, found[0])
            self.pos += 1
        self._flush_note()
        return None

    def _need(self) -> PlacementItem:
        item = self.item()
        if item is None:
            raise ReviewError("nothing left to review")
        return item

    def place(self, quadrant: str | None = None) -> None:
        """`quadrant`, or None to accept the proposed one."""
        item = self._need()
        note = self.pending_note if self._note_for == item.informant_id else None
        decide_placement(self.store, item, self.coder, quadrant, note)
        self.pending_note = self._note_for = None
        self.decided += 1

    def accept(self) -> None:
        self.place(None)

    def note(self, text: str) -> None:
        item = self._need()
        text = text.strip()
        if not text:
            return
        if self.pending_note is not None and self._note_for == item.informant_id:
            text = f"{self.pending_note}\n{text}"
        self.pending_note, self._note_for = text, item.informant_id

    def skip(self) -> None:
        self._flush_note()
        self.pos += 1

    def undo(self) -> dict | None:
        self._flush_note()
        done = undo_placement(self.store, self.coder)
        if done is not None:
            self.decided = max(0, self.decided - 1)
            inf = done["informant_id"]
            if inf in self.ids:
                self.pos = self.ids.index(inf)
            else:
                self.ids.insert(self.pos, inf)
        return done

    def finish(self) -> None:
        self._flush_note()

    def _flush_note(self) -> None:
        note, inf = self.pending_note, self._note_for
        self.pending_note = self._note_for = None
        if note is not None and inf is not None:
            self.store.review_note_placement(inf, self.coder, note)
