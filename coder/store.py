"""The project database: the only module that knows SQL (stdlib sqlite3).

One SQLite file per project, WAL journal, foreign keys on. The schema is a list of
numbered migrations; migration N leaves `PRAGMA user_version = N`. Every write that
belongs together runs in one transaction, and each document is committed on its own,
so a killed run leaves a database that opens and holds every finished document.

Human decisions (an assignment with status accepted/rejected, or source "human") are
never removed or altered by a machine re-save.
"""

from __future__ import annotations

import difflib
import json
import sqlite3
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, Iterator

from coder.errors import StoreError
from coder.transcript import Segment, Transcript

STATUSES = ("auto", "disputed", "accepted", "rejected")
HUMAN_STATUSES = ("accepted", "rejected")
MACHINE_STATUSES = ("auto", "disputed")
RUN_STATUSES = ("running", "done", "failed")

MIGRATIONS: list[str] = [
    # 1: initial schema
    """
    CREATE TABLE codebooks (
        hash        TEXT PRIMARY KEY,
        path        TEXT NOT NULL,
        version     TEXT,
        first_seen  TEXT NOT NULL
    );
    CREATE TABLE runs (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at     TEXT NOT NULL,
        finished_at    TEXT,
        codebook_hash  TEXT,
        settings       TEXT NOT NULL DEFAULT '{}',
        summary        TEXT,
        status         TEXT NOT NULL DEFAULT 'running'
                       CHECK (status IN ('running', 'done', 'failed'))
    );
    CREATE TABLE informants (
        id    TEXT PRIMARY KEY,
        meta  TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE documents (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        path           TEXT NOT NULL UNIQUE,
        content_hash   TEXT NOT NULL,
        codebook_hash  TEXT,
        format         TEXT,
        informant_id   TEXT REFERENCES informants(id),
        meta           TEXT NOT NULL DEFAULT '{}',
        text           TEXT NOT NULL,
        run_id         INTEGER REFERENCES runs(id),
        coded_at       TEXT
    );
    CREATE INDEX documents_informant ON documents(informant_id);
    CREATE TABLE turns (
        document_id     INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        idx             INTEGER NOT NULL,
        speaker         TEXT NOT NULL,
        is_interviewer  INTEGER NOT NULL,
        start           INTEGER NOT NULL,
        "end"           INTEGER NOT NULL,
        timestamp       TEXT,
        PRIMARY KEY (document_id, idx)
    ) WITHOUT ROWID;
    CREATE TABLE segments (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        document_id  INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        turn_index   INTEGER NOT NULL,
        speaker      TEXT NOT NULL,
        start        INTEGER NOT NULL,
        "end"        INTEGER NOT NULL,
        timestamp    TEXT,
        text         TEXT NOT NULL,
        current      INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX segments_document ON segments(document_id, current, start);
    CREATE TABLE assignments (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        segment_id      INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        code            TEXT NOT NULL,
        source          TEXT NOT NULL,
        confidence      REAL,
        status          TEXT NOT NULL
                        CHECK (status IN ('auto', 'disputed', 'accepted', 'rejected')),
        evidence        TEXT NOT NULL DEFAULT '[]',
        dispute_reason  TEXT,
        coder           TEXT,
        decided_at      TEXT,
        run_id          INTEGER REFERENCES runs(id),
        UNIQUE (segment_id, code)
    );
    CREATE INDEX assignments_status ON assignments(status);
    CREATE INDEX assignments_code ON assignments(code);
    CREATE TABLE decisions (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        assignment_id  INTEGER REFERENCES assignments(id) ON DELETE SET NULL,
        segment_id     INTEGER,
        code           TEXT NOT NULL,
        action         TEXT NOT NULL,
        old_status     TEXT,
        new_status     TEXT,
        coder          TEXT NOT NULL,
        note           TEXT,
        at             TEXT NOT NULL
    );
    CREATE INDEX decisions_assignment ON decisions(assignment_id);
    """,
    # 2: rules plus model, and the typology
    """
    ALTER TABLE segments ADD COLUMN unused TEXT NOT NULL DEFAULT '[]';
    CREATE TABLE models (
        codebook_hash  TEXT PRIMARY KEY,
        created_at     TEXT NOT NULL,
        summary        TEXT NOT NULL DEFAULT '{}',
        segment_model  BLOB NOT NULL,
        typology_model BLOB
    );
    CREATE TABLE placements (
        informant_id    TEXT PRIMARY KEY REFERENCES informants(id),
        quadrant        TEXT NOT NULL,
        material        TEXT,
        mental          TEXT,
        material_score  REAL,
        mental_score    REAL,
        confidence      REAL,
        disputed        INTEGER NOT NULL,
        reasons         TEXT NOT NULL DEFAULT '[]',
        evidence        TEXT NOT NULL DEFAULT '{}',
        source          TEXT NOT NULL DEFAULT 'machine',
        coder           TEXT,
        decided_at      TEXT
    );
    """,
    # 3: people's decisions: each coder's codings, and the placements' audit trail
    """
    CREATE TABLE codings (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        segment_id  INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        code        TEXT NOT NULL,
        coder       TEXT NOT NULL,
        applies     INTEGER NOT NULL,
        source      TEXT NOT NULL,
        at          TEXT NOT NULL
    );
    CREATE INDEX codings_coder ON codings(coder, segment_id, code);
    CREATE TABLE placement_decisions (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        informant_id  TEXT NOT NULL,
        action        TEXT NOT NULL,
        old_quadrant  TEXT,
        new_quadrant  TEXT,
        coder         TEXT NOT NULL,
        note          TEXT,
        at            TEXT NOT NULL
    );
    """,
]

# A stored assignment is a human decision when a person accepted, rejected or added it.
_HUMAN_SQL = "(a.status IN ('accepted', 'rejected') OR a.source = 'human')"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _statements(script: str) -> Iterator[str]:
    """Split an SQL script into complete statements (trigger bodies stay whole)."""
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf
            buf = ""
    if buf.strip():
        yield buf


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _check_header(path: Path, name: str) -> None:
    """Refuse an existing non-empty file that is not SQLite (SQLite itself would treat a
    short file as empty and overwrite it)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        return
    except IsADirectoryError:
        raise StoreError(f"{name}: is a directory, not a coder database") from None
    except OSError as exc:
        raise StoreError(f"{name}: cannot open the database ({exc.strerror})") from None
    if head and head != _SQLITE_MAGIC:
        raise StoreError(f"{name}: not a coder database (not an SQLite file)")


def _evidence_json(evidence: list) -> str:
    return json.dumps([asdict(e) for e in evidence], ensure_ascii=False) if evidence else "[]"


def _closest(speaker: str, text: str, candidates: dict[int, tuple[str, str]],
             at_least: float = 0.8) -> int | None:
    """The candidate segment of the same speaker whose text is most like `text`."""
    best, best_ratio = None, at_least
    for sid, (who, old) in candidates.items():
        if who != speaker:
            continue
        ratio = difflib.SequenceMatcher(None, old, text).ratio()
        if ratio >= best_ratio:
            best, best_ratio = sid, ratio
    return best


def category_of(code: str) -> str:
    """A code id's category id: the part before the first dot."""
    return code.split(".", 1)[0]


class Store:
    """A coder project database. Use as a context manager or call `close()`."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        _check_header(Path(path), self.path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the database ({exc})") from None
        try:
            self._open()
        except StoreError:
            self.conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            msg = str(exc)
            if "not a database" in msg or "malformed" in msg:
                raise StoreError(f"{self.path}: not a coder database ({msg})") from None
            raise StoreError(f"{self.path}: cannot open the database ({msg})") from None

    def _open(self) -> None:
        conn = self.conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        known = len(MIGRATIONS)
        if version > known:
            raise StoreError(f"{self.path}: made by a newer version of coder "
                             f"(schema {version}, this version knows {known})")
        if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(f"{self.path}: not a coder database (an SQLite file with other tables)")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    def _migrate(self) -> None:
        """Apply the missing migrations in order, each in its own transaction."""
        for number, script in enumerate(MIGRATIONS, start=1):
            with self._transaction() as conn:
                # re-read under the write lock: another process may have migrated meanwhile
                if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                    continue
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any exception."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            yield self.conn

    # -- lifecycle ---------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- codebooks and runs ------------------------------------------------------

    def record_codebook(self, hash: str, path: str, version: str) -> None:
        """Remember a codebook by content hash (first sighting wins for first_seen)."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO codebooks(hash, path, version, first_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(hash) DO UPDATE SET path = excluded.path, version = excluded.version",
                (hash, str(path), version, _now()))

    def start_run(self, codebook_hash: str, settings: dict) -> int:
        """Open a run with status 'running'; returns its id."""
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO runs(started_at, codebook_hash, settings, status) "
                "VALUES (?, ?, ?, 'running')", (_now(), codebook_hash, _json(settings)))
            return int(cur.lastrowid)

    def finish_run(self, run_id: int, summary: dict, status: str = "done") -> None:
        """Close a run with a summary and status 'done' or 'failed'."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        with self._transaction() as conn:
            conn.execute("UPDATE runs SET finished_at = ?, summary = ?, status = ? WHERE id = ?",
                         (_now(), _json(summary), status, run_id))

    def run(self, run_id: int) -> dict | None:
        """One run as a dict (settings and summary parsed), or None."""
        row = self.conn.execute(
            "SELECT id, started_at, finished_at, codebook_hash, settings, summary, status "
            "FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        keys = ("id", "started_at", "finished_at", "codebook_hash", "settings", "summary", "status")
        out = dict(zip(keys, row))
        out["settings"] = json.loads(out["settings"]) if out["settings"] else {}
        out["summary"] = json.loads(out["summary"]) if out["summary"] else None
        return out

    # -- documents ---------------------------------------------------------------

    def document_state(self, path: str) -> tuple[str, str] | None:
        """(content_hash, codebook_hash) of the stored document at `path`, or None."""
        row = self.conn.execute("SELECT content_hash, codebook_hash FROM documents WHERE path = ?",
                                (str(path),)).fetchone()
        return (row[0], row[1]) if row else None

    def save_document(self, run_id: int, transcript: Transcript, segments: list[Segment],
                      codebook_hash: str) -> None:
        """Store one coded document in ONE transaction, keeping every human decision.

        Segments are matched to stored ones of the same document by (speaker, text) and
        keep their ids; stored segments no longer produced are kept with current=0 if they
        carry a human decision and deleted otherwise. Machine assignments are replaced;
        a human row for the same (segment, code) wins over a new machine proposal.
        """
        for seg in segments:
            for a in seg.assignments:
                if a.status not in STATUSES:
                    raise ValueError(f"unknown assignment status {a.status!r}")
        with self._transaction() as conn:
            self._upsert_informant(conn, transcript)
            doc_id = self._upsert_document(conn, run_id, transcript, codebook_hash)
            self._replace_turns(conn, doc_id, transcript)
            seg_ids = self._reconcile_segments(conn, doc_id, segments)
            self._insert_assignments(conn, run_id, list(zip(seg_ids, segments)))

    def _upsert_informant(self, conn: sqlite3.Connection, t: Transcript) -> None:
        row = conn.execute("SELECT meta FROM informants WHERE id = ?", (t.informant_id,)).fetchone()
        meta = json.loads(row[0]) if row and row[0] else {}
        meta.update(t.meta)
        conn.execute("INSERT INTO informants(id, meta) VALUES (?, ?) "
                     "ON CONFLICT(id) DO UPDATE SET meta = excluded.meta",
                     (t.informant_id, _json(meta)))

    def _upsert_document(self, conn: sqlite3.Connection, run_id: int, t: Transcript,
                         codebook_hash: str) -> int:
        conn.execute(
            "INSERT INTO documents(path, content_hash, codebook_hash, format, informant_id, meta, "
            "text, run_id, coded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET content_hash = excluded.content_hash, "
            "codebook_hash = excluded.codebook_hash, format = excluded.format, "
            "informant_id = excluded.informant_id, meta = excluded.meta, text = excluded.text, "
            "run_id = excluded.run_id, coded_at = excluded.coded_at",
            (t.path, t.content_hash, codebook_hash, t.format, t.informant_id, _json(t.meta),
             t.text, run_id, _now()))
        return int(conn.execute("SELECT id FROM documents WHERE path = ?", (t.path,)).fetchone()[0])

    def _replace_turns(self, conn: sqlite3.Connection, doc_id: int, t: Transcript) -> None:
        conn.execute("DELETE FROM turns WHERE document_id = ?", (doc_id,))
        conn.executemany(
            'INSERT INTO turns(document_id, idx, speaker, is_interviewer, start, "end", timestamp) '
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(doc_id, u.index, u.speaker, int(u.is_interviewer), u.start, u.end, u.timestamp)
             for u in t.turns])

    def _reconcile_segments(self, conn: sqlite3.Connection, doc_id: int,
                            segments: list[Segment]) -> list[int]:
        """Match, update, retire and insert segments; returns the id of each new segment."""
        existing = conn.execute(
            f"SELECT s.id, s.speaker, s.text, EXISTS (SELECT 1 FROM assignments a "
            f"WHERE a.segment_id = s.id AND {_HUMAN_SQL}) "
            f"FROM segments s WHERE s.document_id = ? ORDER BY s.current DESC, s.start, s.id",
            (doc_id,)).fetchall()
        pool: dict[tuple[str, str], list[int]] = defaultdict(list)
        has_human: dict[int, bool] = {}
        old_text: dict[int, tuple[str, str]] = {}
        for sid, speaker, text, human in existing:
            pool[(speaker, text)].append(sid)
            has_human[sid] = bool(human)
            old_text[sid] = (speaker, text)
        for ids in pool.values():
            ids.reverse()  # pop() from the end takes the earliest first

        # machine proposals of this document are replaced wholesale
        conn.execute(
            "DELETE FROM assignments WHERE segment_id IN "
            "(SELECT id FROM segments WHERE document_id = ?) "
            f"AND NOT {_HUMAN_SQL.replace('a.', '')}", (doc_id,))

        next_id = int(conn.execute(
            "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'segments'), 0), "
            "COALESCE((SELECT max(id) FROM segments), 0))").fetchone()[0]) + 1
        seg_ids: list[int | None] = [None] * len(segments)
        for k, seg in enumerate(segments):
            ids = pool.get((seg.speaker, seg.text))
            if ids:
                seg_ids[k] = ids.pop()
        leftovers = [sid for ids in pool.values() for sid in ids]
        # A segment edited a little (a corrected typo) keeps its id, so people's decisions
        # on it follow the new text instead of being retired.
        decided = {sid for sid in leftovers if has_human[sid]}
        for k, seg in enumerate(segments):
            if seg_ids[k] is None and decided:
                sid = _closest(seg.speaker, seg.text, {d: old_text[d] for d in decided})
                if sid is not None:
                    seg_ids[k] = sid
                    decided.discard(sid)
                    leftovers.remove(sid)
        updates: list[tuple] = []
        inserts: list[tuple] = []
        for k, seg in enumerate(segments):
            sid = seg_ids[k]
            if sid is not None:
                updates.append((seg.turn_index, seg.start, seg.end, seg.timestamp, seg.text,
                                _evidence_json(seg.unused), sid))
            else:
                sid = seg_ids[k] = next_id
                next_id += 1
                inserts.append((sid, doc_id, seg.turn_index, seg.speaker, seg.start, seg.end,
                                seg.timestamp, seg.text, _evidence_json(seg.unused)))

        retire = [(sid,) for sid in leftovers if has_human[sid]]
        drop = [(sid,) for sid in leftovers if not has_human[sid]]
        conn.executemany("UPDATE segments SET current = 0 WHERE id = ?", retire)
        conn.executemany("DELETE FROM segments WHERE id = ?", drop)
        conn.executemany(
            'UPDATE segments SET turn_index = ?, start = ?, "end" = ?, timestamp = ?, text = ?, '
            "unused = ?, current = 1 WHERE id = ?", updates)
        conn.executemany(
            'INSERT INTO segments(id, document_id, turn_index, speaker, start, "end", timestamp, '
            "text, unused, current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", inserts)
        return [int(sid) for sid in seg_ids if sid is not None]

    def _insert_assignments(self, conn: sqlite3.Connection, run_id: int,
                            pairs: list[tuple[int, Segment]]) -> None:
        """Insert machine assignments; a surviving human row for (segment, code) wins."""
        conn.executemany(
            "INSERT INTO assignments(segment_id, code, source, confidence, status, evidence, "
            "dispute_reason, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(segment_id, code) DO NOTHING",
            [(sid, a.code, a.source, a.confidence, a.status,
              json.dumps([asdict(e) for e in a.evidence], ensure_ascii=False),
              a.dispute_reason, run_id)
             for sid, seg in pairs for a in seg.assignments])

    # -- human decisions ---------------------------------------------------------

    def set_status(self, assignment_id: int, status: str, coder: str,
                   note: str | None = None) -> None:
        """Record a person's decision on an assignment, with an audit row."""
        if status not in STATUSES:
            raise ValueError(f"unknown assignment status {status!r}")
        with self._transaction() as conn:
            row = conn.execute("SELECT segment_id, code, status FROM assignments WHERE id = ?",
                               (assignment_id,)).fetchone()
            if row is None:
                raise StoreError(f"{self.path}: no assignment {assignment_id}")
            segment_id, code, old = row
            at = _now()
            conn.execute("UPDATE assignments SET status = ?, coder = ?, decided_at = ? WHERE id = ?",
                         (status, coder, at, assignment_id))
            self._audit(conn, assignment_id, segment_id, code, "set_status", old, status, coder,
                        note, at)

    def add_human(self, segment_id: int, code: str, coder: str) -> int:
        """A person adds `code` to a segment (status accepted); returns the assignment id.

        If the segment already has that code, the existing row is marked accepted instead.
        """
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM segments WHERE id = ?", (segment_id,)).fetchone() is None:
                raise StoreError(f"{self.path}: no segment {segment_id}")
            at = _now()
            row = conn.execute("SELECT id, status FROM assignments WHERE segment_id = ? AND code = ?",
                               (segment_id, code)).fetchone()
            if row is None:
                old = None
                cur = conn.execute(
                    "INSERT INTO assignments(segment_id, code, source, confidence, status, evidence, "
                    "coder, decided_at) VALUES (?, ?, 'human', 1.0, 'accepted', '[]', ?, ?)",
                    (segment_id, code, coder, at))
                assignment_id = int(cur.lastrowid)
            else:
                assignment_id, old = int(row[0]), row[1]
                conn.execute("UPDATE assignments SET status = 'accepted', coder = ?, decided_at = ? "
                             "WHERE id = ?", (coder, at, assignment_id))
            self._audit(conn, assignment_id, segment_id, code, "add", old, "accepted", coder,
                        None, at)
            return assignment_id

    @staticmethod
    def _audit(conn: sqlite3.Connection, assignment_id: int, segment_id: int, code: str,
               action: str, old: str | None, new: str | None, coder: str, note: str | None,
               at: str) -> None:
        conn.execute(
            "INSERT INTO decisions(assignment_id, segment_id, code, action, old_status, new_status, "
            "coder, note, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (assignment_id, segment_id, code, action, old, new, coder, note, at))

    def decisions(self) -> list[dict]:
        """The audit trail, oldest first."""
        cur = self.conn.execute(
            "SELECT id, assignment_id, segment_id, code, action, old_status, new_status, coder, "
            "note, at FROM decisions ORDER BY id")
        keys = [d[0] for d in cur.description]
        return [dict(zip(keys, row)) for row in cur]

    # -- reading -----------------------------------------------------------------

    def iter_segment_rows(self, statuses: set[str] | None = None, codes: set[str] | None = None,
                          include_rejected: bool = False) -> Iterator[dict]:
        """One dict per (current segment, assignment), ordered by document path, start, code.

        Keys: informant_id, document, segment_id, speaker, start, end, timestamp, text, code,
        source, confidence, status, dispute_reason, evidence (parsed list), assignment_id.
        Rejected rows are left out unless `include_rejected` or `statuses` names "rejected".
        """
        where = ["s.current = 1"]
        params: list[Any] = []
        if statuses is not None:
            where.append(f"a.status IN ({','.join('?' * len(statuses))})")
            params.extend(sorted(statuses))
        if not include_rejected and not (statuses and "rejected" in statuses):
            where.append("a.status != 'rejected'")
        if codes is not None:
            where.append(f"a.code IN ({','.join('?' * len(codes))})")
            params.extend(sorted(codes))
        cur = self.conn.execute(
            'SELECT d.informant_id, d.path, s.id, s.speaker, s.start, s."end", s.timestamp, s.text, '
            "a.code, a.source, a.confidence, a.status, a.dispute_reason, a.evidence, a.id "
            "FROM assignments a JOIN segments s ON s.id = a.segment_id "
            "JOIN documents d ON d.id = s.document_id "
            f"WHERE {' AND '.join(where)} ORDER BY d.path, s.start, s.id, a.code", params)
        keys = ("informant_id", "document", "segment_id", "speaker", "start", "end", "timestamp",
                "text", "code", "source", "confidence", "status", "dispute_reason", "evidence",
                "assignment_id")
        for row in cur:
            out = dict(zip(keys, row))
            out["evidence"] = json.loads(out["evidence"]) if out["evidence"] else []
            yield out

    def counts(self) -> dict:
        """Totals: documents, informants, current segments, assignments by status."""
        one = lambda sql: int(self.conn.execute(sql).fetchone()[0])  # noqa: E731
        by_status = {s: 0 for s in STATUSES}
        for status, n in self.conn.execute(
                "SELECT a.status, count(*) FROM assignments a JOIN segments s ON s.id = a.segment_id "
                "WHERE s.current = 1 GROUP BY a.status"):
            by_status[status] = int(n)
        return {
            "documents": one("SELECT count(*) FROM documents"),
            "informants": one("SELECT count(*) FROM informants"),
            "segments": one("SELECT count(*) FROM segments WHERE current = 1"),
            "assignments": by_status,
        }

    def assignments_by_category(self) -> dict[str, int]:
        """Non-rejected assignments on current segments, counted by category id."""
        out: dict[str, int] = defaultdict(int)
        for code, n in self.conn.execute(
                "SELECT a.code, count(*) FROM assignments a JOIN segments s ON s.id = a.segment_id "
                "WHERE s.current = 1 AND a.status != 'rejected' GROUP BY a.code"):
            out[category_of(code)] += int(n)
        return dict(sorted(out.items()))

    def documents(self) -> list[dict]:
        """Stored documents (path, informant_id, format, content_hash), by path."""
        cur = self.conn.execute(
            "SELECT path, informant_id, format, content_hash FROM documents ORDER BY path")
        return [dict(zip(("path", "informant_id", "format", "content_hash"), r)) for r in cur]

    def segments(self, path: str, include_retired: bool = False) -> list[dict]:
        """Segments of one document (id, turn_index, speaker, start, end, timestamp, text,
        current), by start."""
        sql = ('SELECT s.id, s.turn_index, s.speaker, s.start, s."end", s.timestamp, s.text, '
               "s.current FROM segments s JOIN documents d ON d.id = s.document_id WHERE d.path = ?")
        if not include_retired:
            sql += " AND s.current = 1"
        cur = self.conn.execute(sql + " ORDER BY s.current DESC, s.start, s.id", (str(path),))
        keys = ("id", "turn_index", "speaker", "start", "end", "timestamp", "text", "current")
        return [dict(zip(keys, r)) for r in cur]

    def assignments(self, segment_id: int) -> list[dict]:
        """All assignments of one segment, by code."""
        cur = self.conn.execute(
            "SELECT id, code, source, confidence, status, dispute_reason, coder, decided_at, "
            "evidence FROM assignments WHERE segment_id = ? ORDER BY code", (segment_id,))
        keys = [d[0] for d in cur.description]
        rows = [dict(zip(keys, r)) for r in cur]
        for r in rows:
            r["evidence"] = json.loads(r["evidence"])
        return rows

    def turns(self, path: str) -> list[dict]:
        """Turns of one document (interviewer turns included), by index."""
        cur = self.conn.execute(
            'SELECT t.idx, t.speaker, t.is_interviewer, t.start, t."end", t.timestamp '
            "FROM turns t JOIN documents d ON d.id = t.document_id WHERE d.path = ? ORDER BY t.idx",
            (str(path),))
        keys = ("index", "speaker", "is_interviewer", "start", "end", "timestamp")
        return [dict(zip(keys, r)) for r in cur]

    # -- models and placements -----------------------------------------------------------
    def save_model(self, codebook_hash: str, summary: dict, segment_model: bytes,
                   typology_model: bytes | None) -> None:
        """Keep the trained models for one codebook version (replacing older ones for it)."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO models(codebook_hash, created_at, summary, segment_model, "
                "typology_model) VALUES (?, ?, ?, ?, ?)",
                (codebook_hash, _now(), _json(summary), segment_model, typology_model))

    def load_model(self, codebook_hash: str) -> tuple[bytes, bytes | None] | None:
        row = self.conn.execute("SELECT segment_model, typology_model FROM models "
                                "WHERE codebook_hash = ?", (codebook_hash,)).fetchone()
        return (bytes(row[0]), bytes(row[1]) if row[1] is not None else None) if row else None

    def model_versions(self) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT codebook_hash FROM models ORDER BY created_at DESC")]

    def informant_evidence(self) -> Iterator[tuple[str, dict, list[dict]]]:
        """Per informant (by id): its metadata and its live codes (segment_id, code, source,
        confidence, status, text), rejected ones left out."""
        informants = {r[0]: json.loads(r[1] or "{}") for r in self.conn.execute(
            "SELECT id, meta FROM informants ORDER BY id")}
        rows: dict[str, list[dict]] = {i: [] for i in informants}
        cur = self.conn.execute(
            "SELECT d.informant_id, s.id, a.code, a.source, a.confidence, a.status, s.text "
            "FROM assignments a JOIN segments s ON s.id = a.segment_id "
            "JOIN documents d ON d.id = s.document_id "
            "WHERE s.current = 1 AND a.status != 'rejected' ORDER BY d.informant_id, s.id, a.code")
        keys = ("segment_id", "code", "source", "confidence", "status", "text")
        for inf, *rest in cur:
            rows.setdefault(inf, []).append(dict(zip(keys, rest)))
        for inf in sorted(rows):
            yield inf, informants.get(inf, {}), rows[inf]

    def human_turn_labels(self) -> Iterator[dict]:
        """People's decisions, by informant turn: informant, turn text, the question before
        it, code and whether it applies (accepted or added: yes; rejected: no)."""
        cur = self.conn.execute(
            "SELECT d.informant_id, d.id, d.text, s.turn_index, a.code, "
            "a.status != 'rejected' FROM assignments a "
            "JOIN segments s ON s.id = a.segment_id JOIN documents d ON d.id = s.document_id "
            f"WHERE s.current = 1 AND {_HUMAN_SQL} ORDER BY d.id, s.turn_index, a.code")
        turns: dict[int, list[tuple]] = {}
        for inf, doc_id, text, turn_index, code, applies in cur:
            if doc_id not in turns:
                turns[doc_id] = self.conn.execute(
                    'SELECT idx, is_interviewer, start, "end" FROM turns WHERE document_id = ? '
                    "ORDER BY idx", (doc_id,)).fetchall()
            question = ""
            for idx, is_int, start, end in turns[doc_id]:
                if idx >= turn_index:
                    break
                if is_int:
                    question = text[start:end]
            here = next((t for t in turns[doc_id] if t[0] == turn_index), None)
            if here is not None:
                yield {"informant": inf, "text": text[here[2]:here[3]], "question": question,
                       "code": code, "applies": bool(applies)}

    def save_placements(self, placements: list[dict]) -> None:
        """Store machine placements; a placement a person decided is never overwritten."""
        with self._transaction() as conn:
            conn.executemany(
                "INSERT INTO placements(informant_id, quadrant, material, mental, material_score, "
                "mental_score, confidence, disputed, reasons, evidence) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(informant_id) DO UPDATE SET "
                "quadrant = excluded.quadrant, material = excluded.material, "
                "mental = excluded.mental, material_score = excluded.material_score, "
                "mental_score = excluded.mental_score, confidence = excluded.confidence, "
                "disputed = excluded.disputed, reasons = excluded.reasons, "
                "evidence = excluded.evidence WHERE placements.source = 'machine'",
                [(p["informant_id"], p["quadrant"], p["material"], p["mental"],
                  p["material_score"], p["mental_score"], p["confidence"], int(p["disputed"]),
                  _json(p["reasons"]), _json(p["evidence"])) for p in placements])

    def placements(self) -> list[dict]:
        cur = self.conn.execute(
            "SELECT informant_id, quadrant, material, mental, material_score, mental_score, "
            "confidence, disputed, reasons, evidence, source, coder, decided_at "
            "FROM placements ORDER BY informant_id")
        keys = [d[0] for d in cur.description]
        rows = [dict(zip(keys, r)) for r in cur]
        for r in rows:
            r["disputed"] = bool(r["disputed"])
            r["reasons"] = json.loads(r["reasons"])
            r["evidence"] = json.loads(r["evidence"])
        return rows
