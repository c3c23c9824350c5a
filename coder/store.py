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
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, Iterator

from coder.errors import StoreError
from coder.transcript import Evidence, Segment, Transcript

STATUSES = ("auto", "disputed", "accepted", "rejected")
HUMAN_STATUSES = ("accepted", "rejected")
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


_EVIDENCE_FIELDS = tuple(f.name for f in fields(Evidence))
_encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False)


def _evidence_json(evidence: list[Evidence]) -> str:
    """The evidence as JSON objects, as `dataclasses.asdict` gives them but without its deep
    copies (Evidence holds plain values): asdict cost more than the INSERTs it feeds."""
    if not evidence:
        return "[]"
    return _encode([{name: getattr(e, name) for name in _EVIDENCE_FIELDS} for e in evidence])


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
        # Checkpoint (copy the WAL into the database, syncing both to disk) every ~40 MB of
        # WAL rather than every 4 MB: a run commits once per document. A commit is in the
        # WAL either way, so a killed run still keeps every finished document.
        conn.execute("PRAGMA wal_autocheckpoint = 10000")
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
            [(sid, a.code, a.source, a.confidence, a.status, _evidence_json(a.evidence),
              a.dispute_reason, run_id)
             for sid, seg in pairs for a in seg.assignments])

    # -- human decisions ---------------------------------------------------------

    def set_status(self, assignment_id: int, status: str, coder: str,
                   note: str | None = None) -> None:
        """Record a person's decision on an assignment, with an audit row (and a coding
        row when it accepts or rejects)."""
        if status not in STATUSES:
            raise ValueError(f"unknown assignment status {status!r}")
        with self._transaction() as conn:
            row = conn.execute("SELECT segment_id, code, status FROM assignments WHERE id = ?",
                               (assignment_id,)).fetchone()
            if row is None:
                raise StoreError(f"{self.path}: no assignment {assignment_id}")
            segment_id, code, old = row
            self._write_status(conn, assignment_id, segment_id, code, old, status,
                               "set_status", coder, note, _now())

    def add_human(self, segment_id: int, code: str, coder: str) -> int:
        """A person adds `code` to a segment (status accepted); returns the assignment id.

        If the segment already has that code, the existing row is marked accepted instead.
        """
        with self._transaction() as conn:
            return self._review_upsert_accepted(conn, segment_id, code, "add", coder, None,
                                                _now())

    def _write_status(self, conn: sqlite3.Connection, assignment_id: int, segment_id: int,
                      code: str, old: str, new: str, action: str, coder: str,
                      note: str | None, at: str) -> None:
        """A person sets an assignment's status: the row, its audit entry, and (for accept
        or reject) the person's coding, which agreement reads."""
        conn.execute("UPDATE assignments SET status = ?, coder = ?, decided_at = ? WHERE id = ?",
                     (new, coder, at, assignment_id))
        self._audit(conn, assignment_id, segment_id, code, action, old, new, coder, note, at)
        if new in HUMAN_STATUSES:
            self._review_coding(conn, segment_id, code, coder, new == "accepted", at)

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
        confidence, status, text, document_id, turn_index), rejected ones left out."""
        informants = {r[0]: json.loads(r[1] or "{}") for r in self.conn.execute(
            "SELECT id, meta FROM informants ORDER BY id")}
        rows: dict[str, list[dict]] = {i: [] for i in informants}
        cur = self.conn.execute(
            "SELECT d.informant_id, s.id, a.code, a.source, a.confidence, a.status, s.text, "
            "s.document_id, s.turn_index "
            "FROM assignments a JOIN segments s ON s.id = a.segment_id "
            "JOIN documents d ON d.id = s.document_id "
            "WHERE s.current = 1 AND a.status != 'rejected' ORDER BY d.informant_id, s.id, a.code")
        keys = ("segment_id", "code", "source", "confidence", "status", "text", "document_id",
                "turn_index")
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

    # -- coders and agreement ----------------------------------------------------

    def segment_currency(self) -> dict[int, bool]:
        """Every stored segment id, and whether it is current (retired segments: False)."""
        return {int(sid): bool(current)
                for sid, current in self.conn.execute("SELECT id, current FROM segments")}

    def import_codings(self, coder: str, codings: list[tuple[int, str, bool]],
                       source: str = "import") -> int:
        """Record one coder's codings, (segment_id, code, applies) each, in ONE transaction
        (all or nothing); returns how many were written. Later rows win over earlier ones."""
        at = _now()
        with self._transaction() as conn:
            conn.executemany(
                "INSERT INTO codings(segment_id, code, coder, applies, source, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(int(sid), code, coder, int(bool(applies)), source, at)
                 for sid, code, applies in codings])
        return len(codings)

    def coding_coders(self) -> dict[str, int]:
        """Each coder with codings on current segments, and how many segments they coded."""
        return {str(coder): int(n) for coder, n in self.conn.execute(
            "SELECT c.coder, count(DISTINCT c.segment_id) FROM codings c "
            "JOIN segments s ON s.id = c.segment_id WHERE s.current = 1 "
            "GROUP BY c.coder ORDER BY c.coder")}

    def latest_codings(self, coder: str) -> dict[tuple[int, str], bool]:
        """One coder's decision per (current segment, code): their latest coding (the
        highest id), True when the code applies."""
        cur = self.conn.execute(
            "SELECT c.segment_id, c.code, c.applies FROM codings c "
            "JOIN segments s ON s.id = c.segment_id "
            "WHERE s.current = 1 AND c.coder = ? AND c.id = (SELECT max(c2.id) FROM codings c2 "
            "WHERE c2.coder = c.coder AND c2.segment_id = c.segment_id AND c2.code = c.code)",
            (coder,))
        return {(int(sid), str(code)): bool(applies) for sid, code, applies in cur}

    def machine_proposed(self) -> set[tuple[int, str]]:
        """(segment_id, code) of every machine proposal on a current segment: an assignment
        with source rule, model or both, whatever its status now."""
        cur = self.conn.execute(
            "SELECT a.segment_id, a.code FROM assignments a JOIN segments s ON s.id = a.segment_id "
            "WHERE s.current = 1 AND a.source IN ('rule', 'model', 'both')")
        return {(int(sid), str(code)) for sid, code in cur}

    # -- review: people's decisions ----------------------------------------------
    # A person settles disputed codes and placements (coder/review.py). Every decision is
    # one audit row in `decisions` (or `placement_decisions`) and, for codes, one row in
    # `codings`; an undo is a new audit row ("undo"), never a deletion of audit rows.

    REVIEW_ACTIONS = ("accept", "reject", "change_from", "change_to", "add")
    PLACEMENT_ACTIONS = ("accept", "place")

    def review_assignment(self, assignment_id: int) -> dict | None:
        """One assignment (id, segment_id, code, source, confidence, status, dispute_reason,
        evidence parsed, current: whether its segment is current), or None."""
        row = self.conn.execute(
            "SELECT a.id, a.segment_id, a.code, a.source, a.confidence, a.status, "
            "a.dispute_reason, a.evidence, s.current FROM assignments a "
            "JOIN segments s ON s.id = a.segment_id WHERE a.id = ?", (assignment_id,)).fetchone()
        if row is None:
            return None
        keys = ("id", "segment_id", "code", "source", "confidence", "status", "dispute_reason",
                "evidence", "current")
        out = dict(zip(keys, row))
        out["evidence"] = json.loads(out["evidence"]) if out["evidence"] else []
        out["current"] = bool(out["current"])
        return out

    def review_find_assignment(self, segment_id: int, code: str) -> dict | None:
        """The assignment of `code` on a segment, as `review_assignment` gives it, or None."""
        row = self.conn.execute("SELECT id FROM assignments WHERE segment_id = ? AND code = ?",
                                (segment_id, code)).fetchone()
        return self.review_assignment(int(row[0])) if row else None

    def review_segment_context(self, segment_id: int) -> dict | None:
        """A segment with what a reviewer needs around it, or None: id, turn_index, speaker,
        start, end, timestamp, text, current, document (path), informant_id, document_text,
        and turns (index, speaker, is_interviewer, start, end, timestamp) by index."""
        row = self.conn.execute(
            'SELECT s.id, s.document_id, s.turn_index, s.speaker, s.start, s."end", s.timestamp, '
            "s.text, s.current, d.path, d.informant_id, d.text FROM segments s "
            "JOIN documents d ON d.id = s.document_id WHERE s.id = ?", (segment_id,)).fetchone()
        if row is None:
            return None
        keys = ("id", "document_id", "turn_index", "speaker", "start", "end", "timestamp", "text",
                "current", "document", "informant_id", "document_text")
        out = dict(zip(keys, row))
        out["current"] = bool(out["current"])
        cur = self.conn.execute(
            'SELECT idx, speaker, is_interviewer, start, "end", timestamp FROM turns '
            "WHERE document_id = ? ORDER BY idx", (out.pop("document_id"),))
        tkeys = ("index", "speaker", "is_interviewer", "start", "end", "timestamp")
        out["turns"] = [dict(zip(tkeys, r)) for r in cur]
        for t in out["turns"]:
            t["is_interviewer"] = bool(t["is_interviewer"])
        return out

    def review_segment_texts(self, segment_ids: list[int]) -> dict[int, str]:
        """segment id -> text, for the ids that exist."""
        ids = sorted({int(i) for i in segment_ids if i is not None})
        out: dict[int, str] = {}
        for k in range(0, len(ids), 500):
            chunk = ids[k:k + 500]
            out.update({int(sid): text for sid, text in self.conn.execute(
                f"SELECT id, text FROM segments WHERE id IN ({','.join('?' * len(chunk))})",
                chunk)})
        return out

    def review_apply(self, ops: list[dict], coder: str) -> None:
        """Apply people's decisions in ONE transaction (all or none). Each op is a dict with
        `action` and:
        - accept / reject: `assignment_id` (must be disputed);
        - change: `assignment_id` (must be disputed) and `code`: the assignment is rejected
          and `code` accepted on its segment (audit actions change_from, change_to);
        - add: `segment_id` and `code`: a person adds the code (accepted);
        - note: `assignment_id`: a memo on its own audit row (status unchanged);
        and optionally `note`. accept/reject/change/add also write a `codings` row each
        (source "review")."""
        with self._transaction() as conn:
            at = _now()
            for op in ops:
                self._review_op(conn, op, coder, at)

    def _review_op(self, conn: sqlite3.Connection, op: dict, coder: str, at: str) -> None:
        action, note = op["action"], op.get("note")
        if action == "add":
            self._review_upsert_accepted(conn, int(op["segment_id"]), op["code"], "add", coder,
                                         note, at)
            return
        row = conn.execute("SELECT segment_id, code, status FROM assignments WHERE id = ?",
                           (op["assignment_id"],)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no assignment {op['assignment_id']}")
        segment_id, code, old = row
        if action == "note":
            self._audit(conn, op["assignment_id"], segment_id, code, "note", old, old, coder,
                        note, at)
            return
        if action not in ("accept", "reject", "change"):
            raise ValueError(f"unknown review action {action!r}")
        if old != "disputed":
            raise StoreError(f"{self.path}: {code} on segment {segment_id} is not disputed "
                             f"(it is {old})")
        if action == "change" and op["code"] == code:
            raise ValueError("a change needs another code")
        new = "accepted" if action == "accept" else "rejected"
        self._write_status(conn, op["assignment_id"], segment_id, code, old, new,
                           "change_from" if action == "change" else action, coder, note, at)
        if action == "change":
            self._review_upsert_accepted(conn, segment_id, op["code"], "change_to", coder, note,
                                         at)

    def _review_upsert_accepted(self, conn: sqlite3.Connection, segment_id: int, code: str,
                                action: str, coder: str, note: str | None, at: str) -> int:
        if conn.execute("SELECT 1 FROM segments WHERE id = ?", (segment_id,)).fetchone() is None:
            raise StoreError(f"{self.path}: no segment {segment_id}")
        row = conn.execute("SELECT id, status FROM assignments WHERE segment_id = ? AND code = ?",
                           (segment_id, code)).fetchone()
        if row is None:
            old = None
            assignment_id = int(conn.execute(
                "INSERT INTO assignments(segment_id, code, source, confidence, status, evidence, "
                "coder, decided_at) VALUES (?, ?, 'human', 1.0, 'accepted', '[]', ?, ?)",
                (segment_id, code, coder, at)).lastrowid)
        else:
            assignment_id, old = int(row[0]), row[1]
            conn.execute("UPDATE assignments SET status = 'accepted', coder = ?, decided_at = ? "
                         "WHERE id = ?", (coder, at, assignment_id))
        self._audit(conn, assignment_id, segment_id, code, action, old, "accepted", coder, note,
                    at)
        self._review_coding(conn, segment_id, code, coder, True, at)
        return assignment_id

    @staticmethod
    def _review_coding(conn: sqlite3.Connection, segment_id: int, code: str, coder: str,
                       applies: bool, at: str) -> None:
        conn.execute("INSERT INTO codings(segment_id, code, coder, applies, source, at) "
                     "VALUES (?, ?, ?, ?, 'review', ?)",
                     (segment_id, code, coder, int(applies), at))

    def review_undo(self, coder: str) -> list[dict]:
        """Undo `coder`'s last review decision still in force (a change: both its rows), in
        ONE transaction. Writes one "undo" audit row per row undone, restores the earlier
        status (an assignment the decision created is removed) and drops the decision's
        `codings` row. Returns what was undone (decision id, action, assignment_id or None
        when removed, segment_id, code, status now), newest first; [] when nothing is left."""
        with self._transaction() as conn:
            actions = self.REVIEW_ACTIONS + ("undo",)
            cur = conn.execute(
                "SELECT id, assignment_id, segment_id, code, action, old_status, new_status "
                f"FROM decisions WHERE coder = ? AND action IN ({','.join('?' * len(actions))}) "
                "ORDER BY id", (coder, *actions))
            stack: list[tuple] = []
            for row in cur:
                if row[4] == "undo":
                    if stack:
                        stack.pop()
                else:
                    stack.append(row)
            if not stack:
                return []
            group = [stack.pop()]
            if group[0][4] == "change_to" and stack and stack[-1][4] == "change_from":
                group.append(stack.pop())
            at = _now()
            done = []
            for did, aid, sid, code, action, old, new in group:
                now = conn.execute("SELECT status FROM assignments WHERE id = ?",
                                   (aid,)).fetchone() if aid is not None else None
                if now is None or now[0] != new:
                    raise StoreError(f"cannot undo: {code} on segment {sid} has changed since "
                                     f"(now {now[0] if now else 'removed'})")
                if old is None:
                    self._audit(conn, None, sid, code, "undo", new, None, coder,
                                f"undoes decision {did}", at)
                    conn.execute("DELETE FROM assignments WHERE id = ?", (aid,))
                    aid = None
                else:
                    who, when = None, None
                    if old in HUMAN_STATUSES:
                        prev = conn.execute(
                            "SELECT coder, at FROM decisions WHERE assignment_id = ? AND id < ? "
                            "AND new_status = ? ORDER BY id DESC LIMIT 1",
                            (aid, did, old)).fetchone()
                        who, when = prev if prev else (coder, at)
                    conn.execute("UPDATE assignments SET status = ?, coder = ?, decided_at = ? "
                                 "WHERE id = ?", (old, who, when, aid))
                    self._audit(conn, aid, sid, code, "undo", new, old, coder,
                                f"undoes decision {did}", at)
                conn.execute(
                    "DELETE FROM codings WHERE id = (SELECT max(id) FROM codings WHERE "
                    "segment_id = ? AND code = ? AND coder = ? AND source = 'review')",
                    (sid, code, coder))
                done.append({"decision_id": did, "action": action, "assignment_id": aid,
                             "segment_id": sid, "code": code, "status": old})
            return done

    def review_codings(self, coder: str | None = None) -> list[dict]:
        """Rows of `codings` (all coders, or one), oldest first."""
        sql = "SELECT id, segment_id, code, coder, applies, source, at FROM codings"
        cur = self.conn.execute(sql + (" WHERE coder = ? ORDER BY id" if coder else " ORDER BY id"),
                                (coder,) if coder else ())
        keys = [d[0] for d in cur.description]
        return [dict(zip(keys, r)) for r in cur]

    def review_decide_placement(self, informant_id: str, action: str, quadrant: str,
                                material: str | None, mental: str | None, coder: str,
                                note: str | None = None) -> None:
        """A person places an informant (action "accept": the proposed quadrant, or "place");
        the placement must be a disputed machine one. Source becomes "human", with an audit
        row in placement_decisions; one transaction."""
        if action not in self.PLACEMENT_ACTIONS:
            raise ValueError(f"unknown placement action {action!r}")
        with self._transaction() as conn:
            row = conn.execute("SELECT quadrant, disputed, source FROM placements "
                               "WHERE informant_id = ?", (informant_id,)).fetchone()
            if row is None:
                raise StoreError(f"{self.path}: no placement for informant {informant_id}")
            old, disputed, source = row
            if source != "machine" or not disputed:
                raise StoreError(f"{self.path}: the placement of {informant_id} is not disputed")
            at = _now()
            conn.execute("UPDATE placements SET quadrant = ?, material = ?, mental = ?, "
                         "disputed = 0, source = 'human', coder = ?, decided_at = ? "
                         "WHERE informant_id = ?",
                         (quadrant, material, mental, coder, at, informant_id))
            self._placement_audit(conn, informant_id, action, old, quadrant, coder, note, at)

    def review_note_placement(self, informant_id: str, coder: str, note: str) -> None:
        """A memo on an informant's placement, on its own audit row."""
        with self._transaction() as conn:
            row = conn.execute("SELECT quadrant FROM placements WHERE informant_id = ?",
                               (informant_id,)).fetchone()
            quadrant = row[0] if row else None
            self._placement_audit(conn, informant_id, "note", quadrant, quadrant, coder, note,
                                  _now())

    def review_undo_placement(self, coder: str,
                              axes: dict[str, tuple[str | None, str | None]]) -> dict | None:
        """Undo `coder`'s last placement decision still in force: the machine's placement
        comes back (quadrant restored, its axes from `axes`: quadrant -> (material, mental)),
        disputed again, with an "undo" audit row. Returns (decision_id, informant_id,
        quadrant now) or None when nothing is left to undo."""
        with self._transaction() as conn:
            actions = self.PLACEMENT_ACTIONS + ("undo",)
            stack: list[tuple] = []
            for row in conn.execute(
                    "SELECT id, informant_id, action, old_quadrant, new_quadrant "
                    "FROM placement_decisions WHERE coder = ? AND action IN "
                    f"({','.join('?' * len(actions))}) ORDER BY id", (coder, *actions)):
                if row[2] == "undo":
                    if stack:
                        stack.pop()
                else:
                    stack.append(row)
            if not stack:
                return None
            did, informant, _action, old, new = stack[-1]
            now = conn.execute("SELECT quadrant, source FROM placements WHERE informant_id = ?",
                               (informant,)).fetchone()
            if now is None or now[1] != "human" or now[0] != new:
                raise StoreError(f"cannot undo: the placement of {informant} has changed since")
            material, mental = axes.get(old, (None, None))
            conn.execute("UPDATE placements SET quadrant = ?, material = ?, mental = ?, "
                         "disputed = 1, source = 'machine', coder = NULL, decided_at = NULL "
                         "WHERE informant_id = ?", (old, material, mental, informant))
            self._placement_audit(conn, informant, "undo", new, old, coder,
                                  f"undoes decision {did}", _now())
            return {"decision_id": did, "informant_id": informant, "quadrant": old}

    @staticmethod
    def _placement_audit(conn: sqlite3.Connection, informant_id: str, action: str,
                         old: str | None, new: str | None, coder: str, note: str | None,
                         at: str) -> None:
        conn.execute("INSERT INTO placement_decisions(informant_id, action, old_quadrant, "
                     "new_quadrant, coder, note, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (informant_id, action, old, new, coder, note, at))

    def review_placement_decisions(self) -> list[dict]:
        """The placements' audit trail, oldest first."""
        cur = self.conn.execute(
            "SELECT id, informant_id, action, old_quadrant, new_quadrant, coder, note, at "
            "FROM placement_decisions ORDER BY id")
        keys = [d[0] for d in cur.description]
        return [dict(zip(keys, r)) for r in cur]
