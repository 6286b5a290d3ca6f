"""SQLite store: cases, assessments, CDS Hooks feedback, JWT ids seen, and an append-only audit log.

The stdlib `sqlite3` in WAL mode: readers never block the writer, and one file is all a hospital
needs to back up. The schema evolves by numbered migrations recorded in `schema_version`; a file
written by a newer bonemet is refused rather than silently misread.

The audit log records who called what, on which case, and how it ended (route template, status,
duration, user or client issuer, hook, card count, case id) and no other patient data: no names, no
bodies, no resource content. A request that touched several cases (a board session) gives one row
per case, so that "who viewed case X" is one indexed lookup (`audit_rows(case_id=X)`). Rows are
written by a background thread in batches (one transaction per batch), so that a request never
waits for a commit or a WAL checkpoint: see `Store.audit` for what that costs in durability.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bonemet.stores.files import StorageFull, create_private, is_storage_full

log = logging.getLogger("bonemet.service")

# Each migration is applied once, in order, inside one transaction with its version row.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, """
        CREATE TABLE cases (
            case_id     TEXT PRIMARY KEY,
            document    TEXT NOT NULL,
            stored_at   TEXT NOT NULL
        );
        CREATE TABLE assessments (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            case_id         TEXT NOT NULL,
            kb_version      TEXT NOT NULL,
            engine_version  TEXT NOT NULL,
            document        TEXT NOT NULL,
            stored_at       TEXT NOT NULL
        );
        CREATE INDEX assessments_case ON assessments(case_id);
        CREATE TABLE feedback (
            key                 TEXT PRIMARY KEY,
            service_id          TEXT NOT NULL,
            card_uuid           TEXT NOT NULL,
            outcome             TEXT NOT NULL,
            outcome_timestamp   TEXT NOT NULL,
            document            TEXT NOT NULL,
            received_at         TEXT NOT NULL
        );
        CREATE INDEX feedback_card ON feedback(card_uuid);
        CREATE TABLE audit (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            at          TEXT NOT NULL,
            method      TEXT NOT NULL,
            route       TEXT NOT NULL,
            status      INTEGER NOT NULL,
            duration_ms REAL NOT NULL,
            client      TEXT,
            hook        TEXT,
            cards       INTEGER
        );
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    """),
    (2, """
        CREATE TABLE jwt_seen (
            iss     TEXT NOT NULL,
            jti     TEXT NOT NULL,
            exp     INTEGER NOT NULL,
            PRIMARY KEY (iss, jti)
        );
        CREATE INDEX jwt_seen_exp ON jwt_seen(exp);
    """),
    (3, """
        ALTER TABLE audit ADD COLUMN user_id TEXT;
        CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit
            WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        ALTER TABLE cases ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE cases ADD COLUMN stored_by TEXT;
        CREATE TABLE case_history (
            case_id     TEXT NOT NULL,
            version     INTEGER NOT NULL,
            document    TEXT NOT NULL,
            stored_at   TEXT NOT NULL,
            stored_by   TEXT,
            PRIMARY KEY (case_id, version)
        );
    """),
    # Tumour-board sessions (issue 13). IF NOT EXISTS: a file from before opens and gains them.
    (4, """
        CREATE TABLE IF NOT EXISTS board_sessions (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            meeting_date    TEXT NOT NULL,
            site            TEXT NOT NULL,
            attendees       TEXT NOT NULL,
            title           TEXT,
            created_at      TEXT NOT NULL,
            created_by      TEXT
        );
        CREATE TABLE IF NOT EXISTS session_cases (
            session_id  INTEGER NOT NULL REFERENCES board_sessions(id),
            case_id     TEXT NOT NULL,
            position    INTEGER NOT NULL,
            document    TEXT NOT NULL,
            version     INTEGER NOT NULL,
            added_at    TEXT NOT NULL,
            added_by    TEXT,
            updated_at  TEXT NOT NULL,
            updated_by  TEXT,
            PRIMARY KEY (session_id, case_id)
        );
        CREATE TABLE IF NOT EXISTS session_case_history (
            session_id  INTEGER NOT NULL,
            case_id     TEXT NOT NULL,
            version     INTEGER NOT NULL,
            document    TEXT NOT NULL,
            updated_at  TEXT NOT NULL,
            updated_by  TEXT,
            PRIMARY KEY (session_id, case_id, version)
        );
        CREATE TRIGGER IF NOT EXISTS session_history_no_update BEFORE UPDATE ON session_case_history
            BEGIN SELECT RAISE(ABORT, 'decision history is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS session_history_no_delete BEFORE DELETE ON session_case_history
            BEGIN SELECT RAISE(ABORT, 'decision history is append-only'); END;
    """),
    # Which case each audit row is about (issue 22): "who viewed patient X" by index, and "what did
    # user U open"; the UPDATE/DELETE/REPLACE triggers of migrations 1 and 3 still guard the table.
    (5, """
        ALTER TABLE audit ADD COLUMN case_id TEXT;
        CREATE INDEX audit_case ON audit(case_id, id);
        CREATE INDEX audit_user ON audit(user_id, id);
    """),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


class StoreError(RuntimeError):
    """The database cannot be used (unreadable, or written by a newer bonemet)."""


class VersionConflict(Exception):
    """Someone else saved the case since the version the writer started from."""

    def __init__(self, case_id: str, expected: int, current: int) -> None:
        super().__init__(f"case {case_id!r} is at version {current}, not {expected}")
        self.expected = expected
        self.current = current


@dataclass(frozen=True)
class AuditEntry:
    method: str
    route: str
    status: int
    duration_ms: float
    client: str | None = None
    hook: str | None = None
    cards: int | None = None
    user: str | None = None  # who (an account id or client:<iss>, never patient data)
    case_ids: tuple[str, ...] = ()  # the cases the call read or wrote (ids only): one row each
    session_id: int | None = None  # a board session shown whole: one row per case it holds


# The columns of an audit row as the API and the administrator page give them, newest first.
AUDIT_COLUMNS = ("id", "at", "user_id", "client", "case_id", "method", "route", "status",
                 "duration_ms", "hook", "cards")
# A request names at most this many cases (a board session holds at most 200).
MAX_CASES_PER_ROW_SET = 256


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Store:
    """One connection shared under a lock: calls are short, and SQLite serialises writers anyway."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._raw_path = str(path)
        self._lock = threading.Lock()
        self._db = self._connect()
        self._open = True
        # Audit rows waiting for the writer thread (deque appends are atomic: no lock needed).
        self._pending: deque[tuple[Any, ...]] = deque()
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._stopping = False
        self._audit_failing: str | None = None  # why the last batch failed, said once per outage
        self.migrate()

    def _connect(self) -> sqlite3.Connection:
        try:
            if self._raw_path != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
                create_private(self.path)  # 0600, and so its -wal/-shm (patient data)
            db = sqlite3.connect(self._raw_path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=5000")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the store at {self._raw_path}: {exc}") from None
        return db

    def reopen(self) -> None:
        """Reconnect after close() (an application restarted by its server in the same process)."""
        with self._lock:
            if not self._open:
                self._db = self._connect()
                self._open = True

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, _full_refused():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # SQLITE_FULL may already have rolled the transaction back (then ROLLBACK would
                # fail and hide it); a failed COMMIT leaves it open.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def version(self) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
            ).fetchone()
            if row is None:
                return 0
            found = self._db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
            return int(found or 0)

    def migrate(self) -> int:
        """Bring the file to SCHEMA_VERSION; returns the number of migrations applied."""
        current = self.version()
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"the store at {self.path} has schema version {current}, newer than this bonemet "
                f"({SCHEMA_VERSION}); upgrade bonemet or point BONEMET_DB elsewhere"
            )
        applied = 0
        with self._tx() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version "
                       "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            for number, script in MIGRATIONS:
                if number <= current:
                    continue
                for statement in _statements(script):
                    db.execute(statement)
                db.execute("INSERT INTO schema_version VALUES (?, ?)", (number, _now()))
                applied += 1
        return applied

    def close(self) -> None:
        """Write the pending audit rows, stop the writer thread, close the file."""
        writer = self._writer
        if writer is not None:
            self._stopping = True
            self._wake.set()
            writer.join(timeout=10)
            self._writer = None
            self._stopping = False
        try:
            self.flush_audit()
        except StorageFull:  # said once, not a traceback at shutdown: the disk, not the code
            log.error("storage full at shutdown: %d audit rows could not be written",
                      len(self._pending))
        with self._lock:
            if self._open:
                self._db.close()
                self._open = False

    # cases and assessments -------------------------------------------------------------------

    def put_case(self, case_id: str, document: dict[str, Any], *, user: str | None = None,
                 expected_version: int | None = None) -> int:
        """Store a case and return its new version; the version replaced goes to `case_history`.

        `expected_version` (0: the case must not exist yet) makes the write conditional: when
        someone else saved in between, VersionConflict is raised and nothing is written, so the
        second of two clinicians editing one case is told instead of silently winning.
        """
        with self._tx() as db:
            row = db.execute("SELECT version, document, stored_at, stored_by FROM cases "
                             "WHERE case_id=?", (case_id,)).fetchone()
            current = 0 if row is None else int(row[0])
            if expected_version is not None and expected_version != current:
                raise VersionConflict(case_id, expected_version, current)
            if row is not None:
                db.execute("INSERT OR IGNORE INTO case_history VALUES (?, ?, ?, ?, ?)",
                           (case_id, current, row[1], row[2], row[3]))
            db.execute("INSERT INTO cases (case_id, document, stored_at, version, stored_by) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT(case_id) DO UPDATE SET "
                       "document=excluded.document, stored_at=excluded.stored_at, "
                       "version=excluded.version, stored_by=excluded.stored_by",
                       (case_id, orjson.dumps(document).decode(), _now(), current + 1, user))
            return current + 1

    def get_case(self, case_id: str) -> dict[str, Any] | None:
        found = self.get_case_version(case_id)
        return None if found is None else found[0]

    def get_case_version(self, case_id: str) -> tuple[dict[str, Any], int] | None:
        """The stored document and its version (for the editor's and the API's If-Match)."""
        with self._lock:
            row = self._db.execute("SELECT document, version FROM cases WHERE case_id=?",
                                   (case_id,)).fetchone()
        return None if row is None else (dict(orjson.loads(row[0])), int(row[1]))

    def case_history(self, case_id: str) -> list[tuple[int, str, str | None]]:
        """(version, stored_at, stored_by) of every earlier version, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT version, stored_at, stored_by FROM case_history "
                                    "WHERE case_id=? ORDER BY version", (case_id,)).fetchall()
        return [(int(r[0]), str(r[1]), r[2]) for r in rows]

    def case_ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT case_id FROM cases ORDER BY case_id")]

    def add_assessment(self, case_id: str, kb_version: str, engine_version: str,
                       document: bytes) -> int:
        with self._tx() as db:
            cur = db.execute("INSERT INTO assessments (case_id, kb_version, engine_version, "
                             "document, stored_at) VALUES (?, ?, ?, ?, ?)",
                             (case_id, kb_version, engine_version, document.decode(), _now()))
            return int(cur.lastrowid or 0)

    def assessments_of(self, case_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT document FROM assessments WHERE case_id=? ORDER BY id",
                                    (case_id,)).fetchall()
        return [dict(orjson.loads(r[0])) for r in rows]

    # CDS Hooks feedback ----------------------------------------------------------------------

    def add_feedback(self, service_id: str, item: dict[str, Any]) -> bool:
        """Store one feedback item; False when the very same item was already stored.

        Clients may resend feedback (retries, several screens): the key is a digest of the
        service id and the canonical item, so a repeat is recognised whatever its key order.
        """
        canonical = orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
        key = hashlib.sha256(service_id.encode() + b"\0" + canonical).hexdigest()
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, service_id, str(item["card"]), str(item["outcome"]),
                 str(item["outcomeTimestamp"]), canonical.decode(), _now()),
            )
            return cur.rowcount == 1

    def feedback_for(self, card_uuid: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT document FROM feedback WHERE card_uuid=? ORDER BY "
                                    "received_at, key", (card_uuid,)).fetchall()
        return [dict(orjson.loads(r[0])) for r in rows]

    # JWT replay protection -------------------------------------------------------------------

    def remember_jti(self, iss: str, jti: str, exp: int, now: int) -> bool:
        """Record a token id; False when this issuer already used it (a replay)."""
        with self._tx() as db:
            db.execute("DELETE FROM jwt_seen WHERE exp < ?", (now,))
            cur = db.execute("INSERT OR IGNORE INTO jwt_seen VALUES (?, ?, ?)", (iss, jti, exp))
            return cur.rowcount == 1

    # audit -----------------------------------------------------------------------------------

    def audit(self, entry: AuditEntry) -> None:
        """Queue one audited call; the writer thread commits it, batched with its neighbours.

        Durability choice: a row is committed within a few milliseconds (the writer wakes at once
        and writes whatever accumulated meanwhile in one transaction); `close()` (server shutdown)
        and every read of the log write the queue first. What a hard crash (kill -9, power loss) can
        lose is the rows of the last few milliseconds, not the order or the content of the others:
        ids stay in call order and the triggers keep the table append-only. Committing each row in
        the request instead cost a transaction (and, every ~1,000 calls, a WAL checkpoint with
        fsync) inside the event loop, on the latency of every call.
        """
        self._pending.append((_now(), entry))
        if self._writer is None:
            self._start_writer()
        self._wake.set()

    def _start_writer(self) -> None:
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_audit, name="bonemet-audit",
                                                daemon=True)
                self._writer.start()

    def _write_audit(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self.flush_audit()
            except (sqlite3.Error, OSError, StorageFull) as exc:
                # Kept queued: the next wake-up (or close) retries; the service keeps answering.
                # One line per outage, not a traceback per retry (a full disk retries per call).
                reason = "storage full" if is_storage_full(exc) else f"{type(exc).__name__}: {exc}"
                if reason != self._audit_failing:
                    log.error("audit rows could not be written (%s); %d rows kept, retried with "
                              "the next call", reason, len(self._pending))
                self._audit_failing = reason
            else:
                if self._audit_failing is not None:
                    log.warning("audit rows written again (after %s)", self._audit_failing)
                self._audit_failing = None
            if self._stopping:
                return

    def flush_audit(self) -> None:
        """Commit every queued audit row now, in call order, in one transaction."""
        with self._lock, _full_refused():
            if not self._pending or not self._open:
                return
            queued = list(self._pending)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = [row for at, entry in queued for row in self._rows_of(at, entry)]
                self._db.executemany(
                    "INSERT INTO audit (at, method, route, status, duration_ms, client, hook, cards, "
                    "user_id, case_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            for _ in queued:  # only now: a failed batch stays queued, in order
                self._pending.popleft()

    def _rows_of(self, at: str, entry: AuditEntry) -> list[tuple[Any, ...]]:
        """One row per case the call touched (one row without a case when it touched none).

        A board session shown whole names the cases it held when the answer was sent (`added_at`
        not after the row's time), read here, in the writer's transaction, not on the request path.
        """
        cases = list(entry.case_ids)
        if entry.session_id is not None:
            cases += [r[0] for r in self._db.execute(
                "SELECT case_id FROM session_cases WHERE session_id=? AND added_at<=? "
                "ORDER BY position", (entry.session_id, at))]
        head = (at, entry.method, entry.route, entry.status, round(entry.duration_ms, 3),
                entry.client, entry.hook, entry.cards, entry.user)
        unique = list(dict.fromkeys(cases))[:MAX_CASES_PER_ROW_SET]
        return [(*head, case_id) for case_id in unique] or [(*head, None)]

    def audit_rows(self, limit: int = 100, *, case_id: str | None = None, user: str | None = None,
                   before: int | None = None) -> list[dict[str, Any]]:
        """The latest audit rows, newest first: all of them, or those of one case and/or one user
        ("who viewed patient X", "what did U open"), each an indexed lookup. `before` (a row id)
        pages back: pass the smallest id of the previous page."""
        self.flush_audit()
        where, params = [], []
        for column, value in (("case_id", case_id), ("user_id", user)):
            if value is not None:
                where.append(f"{column}=?")
                params.append(value)
        if before is not None:
            where.append("id<?")
            params.append(before)
        # A case has few rows and a user many: with both, SQLite would walk the user's index in id
        # order (43 ms at a million rows); the case's index answers in well under a millisecond.
        hint = " INDEXED BY audit_case" if case_id is not None else ""
        sql = (f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit{hint}"
               + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY id DESC LIMIT ?")
        with self._lock:
            cur = self._db.execute(sql, (*params, limit))
            return [dict(zip(AUDIT_COLUMNS, row, strict=True)) for row in cur.fetchall()]

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Raw access for tests and maintenance scripts (the triggers still guard the audit log)."""
        self.flush_audit()
        with self._lock:
            return self._db.execute(sql, params).fetchall()


@contextmanager
def _full_refused() -> Iterator[None]:
    """SQLITE_FULL or ENOSPC as StorageFull (answered 507 "storage full"), other errors as they are."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        if is_storage_full(exc):
            raise StorageFull() from None
        raise


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (trigger bodies contain `;` of their own)."""
    out: list[str] = []
    buf = ""
    for line in script.strip().splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise StoreError(f"incomplete statement in a migration: {buf.strip()[:60]}")
    return out
