"""Tumour-board sessions in the SQLite store: sessions, their ordered cases, recorded decisions.

Every write names who made it and when (`added_by`/`updated_by` and the times), and the decision
replaced by a new one goes to `session_case_history` (append-only), so a printed decision can be
traced to the version it showed. Decisions are written conditionally on the version the writer
read (like cases), so that the second of two secretaries recording the same case is told.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import orjson

from bonemet.model import Case
from bonemet.model.board import (
    LONG,
    MAX_ATTENDEES,
    MAX_CASES,
    AddCase,
    AddCases,
    DecisionIn,
    RemovedCase,
    Session,
    SessionCase,
    SessionIn,
)
from bonemet.stores.store import Store, _now


class BoardError(Exception):
    """A session write that cannot be done: `status` (404, 409, 422), `field` and a message key."""

    def __init__(self, status: int, field: str, key: str, **values: Any) -> None:
        super().__init__(f"{field}: {key}")
        self.status = status
        self.field = field
        self.key = key
        self.values = values

    def message(self, lang: str) -> str:
        """The message in `lang`, its dates written as the language writes them."""
        from bonemet.base import format_day
        from bonemet.report.labels import labels

        values = {k: format_day(v, lang) if isinstance(v, dt.date) else v
                  for k, v in self.values.items()}
        return labels()(self.key, lang).format(**values)


@lru_cache(maxsize=1)
def _demo_cases() -> dict[str, Case]:
    from bonemet.api import load_case
    from bonemet.demo import demo_cases

    return {c.case_id: c for c in (load_case(p) for p in demo_cases())}


def find_case(store: Store, case_id: str) -> Case | None:
    """A stored case (which may be an edited demo case), else a bundled demo case."""
    from bonemet.api import parse_case

    doc = store.get_case(case_id)
    if doc is not None:
        return parse_case(doc)
    return _demo_cases().get(case_id)


_DECISION_FIELDS = tuple(DecisionIn.model_fields)


class BoardStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    # sessions ---------------------------------------------------------------------------------

    def create(self, data: SessionIn, user: str | None) -> int:
        with self.store._tx() as db:
            cur = db.execute(
                "INSERT INTO board_sessions (meeting_date, site, attendees, title, created_at, "
                "created_by) VALUES (?, ?, ?, ?, ?, ?)",
                (data.meeting_date.isoformat(), data.site, orjson.dumps(data.attendees).decode(),
                 data.title or None, _now(), user))
            return int(cur.lastrowid or 0)

    def sessions(self) -> list[tuple[Session, int]]:
        """Every session (latest meeting first) with its number of cases."""
        with self.store._lock:
            rows = self.store._db.execute(
                f"SELECT {_SESSION_COLUMNS}, (SELECT COUNT(*) FROM session_cases c WHERE "
                "c.session_id = s.id) FROM board_sessions s ORDER BY s.meeting_date DESC, "
                "s.id DESC").fetchall()
        return [(_session(r[:-1], []), int(r[-1])) for r in rows]

    def sessions_in_full(self) -> list[Session]:
        """Every session with its cases (latest meeting first): the meetings list shows each
        meeting's progress (decided / cases) and its urgent patients."""
        with self.store._lock:
            rows = self.store._db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM board_sessions s "
                "ORDER BY s.meeting_date DESC, s.id DESC").fetchall()
            items: dict[int, list[SessionCase]] = {}
            for r in self.store._db.execute(
                    f"SELECT session_id, {_CASE_COLUMNS} FROM session_cases ORDER BY session_id, "
                    "position").fetchall():
                items.setdefault(int(r[0]), []).append(_item(r[1:]))
        return [_session(r, items.get(int(r[0]), [])) for r in rows]

    def get(self, session_id: int) -> Session | None:
        with self.store._lock:
            row = self.store._db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM board_sessions s WHERE id=?",
                (session_id,)).fetchone()
            if row is None:
                return None
            items = self.store._db.execute(
                f"SELECT {_CASE_COLUMNS} FROM session_cases WHERE session_id=? ORDER BY position",
                (session_id,)).fetchall()
            removed = self.store._db.execute(
                "SELECT case_id, position, version, removed_at, removed_by FROM "
                "session_case_removals WHERE session_id=? ORDER BY id", (session_id,)).fetchall()
        return _session(row, [_item(r) for r in items], [
            RemovedCase(case_id=r[0], position=int(r[1]), version=int(r[2]), removed_at=r[3],
                        removed_by=r[4]) for r in removed])

    def update(self, session_id: int, data: SessionIn, user: str | None,
               expected_version: int | None) -> Session:
        """Edit the meeting (date, site, title, attendees) if nobody did since `expected_version`;
        the replaced version goes to `board_session_history`."""
        with self.store._tx() as db:
            row = db.execute(f"SELECT {_SESSION_COLUMNS} FROM board_sessions s WHERE id=?",
                             (session_id,)).fetchone()
            if row is None:
                raise BoardError(404, "session_id", "board_err_no_session", session_id=session_id)
            current = int(row[7])
            if expected_version is not None and expected_version != current:
                raise BoardError(409, "version", "board_err_session_stale", v=current)
            _meeting_before_reviews(db, session_id, data.meeting_date)
            self._keep_meeting(db, row)
            db.execute("UPDATE board_sessions SET meeting_date=?, site=?, attendees=?, title=?, "
                       "version=?, updated_at=?, updated_by=? WHERE id=?",
                       (data.meeting_date.isoformat(), data.site,
                        orjson.dumps(data.attendees).decode(), data.title or None, current + 1,
                        _now(), user, session_id))
        found = self.get(session_id)
        assert found is not None
        return found

    def add_attendee(self, session_id: int, name: str, user: str | None) -> Session:
        """One more attendee, on the day: appended to the list as it is now (no version needed,
        an addition cannot undo someone else's edit), and versioned like an edit."""
        with self.store._tx() as db:
            row = db.execute(f"SELECT {_SESSION_COLUMNS} FROM board_sessions s WHERE id=?",
                             (session_id,)).fetchone()
            if row is None:
                raise BoardError(404, "session_id", "board_err_no_session", session_id=session_id)
            attendees = list(orjson.loads(row[3]))
            if name in attendees:
                raise BoardError(409, "attendees", "board_err_attendee_in", name=name)
            if len(attendees) >= MAX_ATTENDEES:
                raise BoardError(422, "attendees", "board_err_too_many", n=MAX_ATTENDEES)
            self._keep_meeting(db, row)
            db.execute("UPDATE board_sessions SET attendees=?, version=?, updated_at=?, "
                       "updated_by=? WHERE id=?",
                       (orjson.dumps([*attendees, name]).decode(), int(row[7]) + 1, _now(), user,
                        session_id))
        found = self.get(session_id)
        assert found is not None
        return found

    def meeting_history(self, session_id: int) -> list[tuple[int, str, str | None]]:
        """(version, recorded_at, recorded_by) of every replaced version of the meeting."""
        with self.store._lock:
            rows = self.store._db.execute(
                "SELECT version, updated_at, updated_by FROM board_session_history WHERE "
                "session_id=? ORDER BY version", (session_id,)).fetchall()
        return [(int(r[0]), str(r[1]), r[2]) for r in rows]

    @staticmethod
    def _keep_meeting(db: Any, row: Any) -> None:
        document = orjson.dumps({"meeting_date": row[1], "site": row[2],
                                 "attendees": orjson.loads(row[3]), "title": row[4]}).decode()
        db.execute("INSERT OR IGNORE INTO board_session_history VALUES (?, ?, ?, ?, ?)",
                   (int(row[0]), int(row[7]), document, row[8] or row[5], row[9] or row[6]))

    # cases in a session ----------------------------------------------------------------------

    def add_case(self, session_id: int, data: AddCase, user: str | None) -> SessionCase:
        return self.add_cases(session_id, AddCases(cases=[data]), user)[0]

    def add_cases(self, session_id: int, data: AddCases, user: str | None) -> list[SessionCase]:
        """Add cases at the end, in the order given: all of them, or none (the first that cannot
        be added is named)."""
        asked: dict[str, str] = {}
        for one in data.cases:
            case = find_case(self.store, one.case_id)
            if case is None:
                raise BoardError(404, "case_id", "board_err_no_case", case_id=one.case_id)
            # No question typed: the one the file asks (review 25 F7), never an empty line beside
            # a file that says what the request is
            asked[one.case_id] = one.question or (case.context.question_text or "").strip()
        now = _now()
        with self.store._tx() as db:
            self._session_row(db, session_id)
            for one in data.cases:
                if db.execute("SELECT 1 FROM session_cases WHERE session_id=? AND case_id=?",
                              (session_id, one.case_id)).fetchone():
                    raise BoardError(409, "case_id", "board_err_already_in", case_id=one.case_id)
            count, last = db.execute("SELECT COUNT(*), COALESCE(MAX(position), 0) FROM "
                                     "session_cases WHERE session_id=?", (session_id,)).fetchone()
            if int(count) + len(data.cases) > MAX_CASES:
                raise BoardError(422, "case_id", "board_err_full", n=MAX_CASES)
            for offset, one in enumerate(data.cases, start=1):
                # A case taken out and added again goes on from its last version, so that the
                # history keeps every decision it had (its key is the version).
                before = db.execute("SELECT COALESCE(MAX(version), 0) FROM session_case_history "
                                    "WHERE session_id=? AND case_id=?",
                                    (session_id, one.case_id)).fetchone()[0]
                db.execute("INSERT INTO session_cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (session_id, one.case_id, int(last) + offset,
                            _doc(DecisionIn(question=asked[one.case_id][:LONG])), int(before) + 1,
                            now, user, now, user))
        items = [self._item(session_id, one.case_id) for one in data.cases]
        return [item for item in items if item is not None]

    def remove(self, session_id: int, case_id: str, user: str | None) -> RemovedCase:
        """Take a case out of a session: its decision goes to the history, a removal row says
        who and when, and the others close up (positions 1..n again)."""
        at = _now()
        with self.store._tx() as db:
            self._session_row(db, session_id)
            row = db.execute("SELECT document, version, updated_at, updated_by, position FROM "
                             "session_cases WHERE session_id=? AND case_id=?",
                             (session_id, case_id)).fetchone()
            if row is None:
                raise BoardError(404, "case_id", "board_err_not_in", case_id=case_id)
            db.execute("INSERT OR IGNORE INTO session_case_history VALUES (?, ?, ?, ?, ?, ?)",
                       (session_id, case_id, int(row[1]), row[0], row[2], row[3]))
            db.execute("INSERT INTO session_case_removals (session_id, case_id, position, version, "
                       "removed_at, removed_by) VALUES (?, ?, ?, ?, ?, ?)",
                       (session_id, case_id, int(row[4]), int(row[1]), at, user))
            db.execute("DELETE FROM session_cases WHERE session_id=? AND case_id=?",
                       (session_id, case_id))
            self._renumber(db, session_id)
        return RemovedCase(case_id=case_id, position=int(row[4]), version=int(row[1]),
                           removed_at=at, removed_by=user)

    @staticmethod
    def _renumber(db: Any, session_id: int) -> None:
        order = [r[0] for r in db.execute("SELECT case_id FROM session_cases WHERE session_id=? "
                                          "ORDER BY position", (session_id,))]
        for position, cid in enumerate(order, start=1):
            db.execute("UPDATE session_cases SET position=? WHERE session_id=? AND case_id=?",
                       (position, session_id, cid))

    def move(self, session_id: int, case_id: str, direction: str, user: str | None) -> None:
        """Swap a case with its neighbour above ("up") or below ("down"); at an end, nothing."""
        with self.store._tx() as db:
            self._session_row(db, session_id)
            order = [r[0] for r in db.execute("SELECT case_id FROM session_cases WHERE "
                                              "session_id=? ORDER BY position", (session_id,))]
            if case_id not in order:
                raise BoardError(404, "case_id", "board_err_not_in", case_id=case_id)
            i = order.index(case_id)
            j = i - 1 if direction == "up" else i + 1
            if not 0 <= j < len(order):
                return
            order[i], order[j] = order[j], order[i]
            # Positions are rewritten 1..n (no gaps), who moved is not a decision: not versioned.
            for position, cid in enumerate(order, start=1):
                db.execute("UPDATE session_cases SET position=? WHERE session_id=? AND case_id=?",
                           (position, session_id, cid))

    def record(self, session_id: int, case_id: str, decision: DecisionIn, user: str | None,
               expected_version: int | None) -> SessionCase:
        """Record the board's decision for one case; the one it replaces goes to the history."""
        with self.store._tx() as db:
            self._session_row(db, session_id)
            row = db.execute("SELECT document, version, updated_at, updated_by FROM session_cases "
                             "WHERE session_id=? AND case_id=?", (session_id, case_id)).fetchone()
            if row is None:
                raise BoardError(404, "case_id", "board_err_not_in", case_id=case_id)
            current = int(row[1])
            if expected_version is not None and expected_version != current:
                raise BoardError(409, "version", "board_err_stale", v=current)
            stored = dict(orjson.loads(row[0]))
            if stored.get("signed"):
                raise BoardError(409, "signed", "board_err_signed")
            _review_after_meeting(db, session_id, decision)
            new = _decision_doc(decision, stored)
            # Saved unchanged (issue 25, item 7): nothing written, no new version; the caller
            # compares the version to say "nothing changed".
            if new != _decision_doc(_read_decision(stored), stored):
                self._replace(db, session_id, case_id, row, new, user)
        item = self._item(session_id, case_id)
        assert item is not None
        return item

    # the chair's validation (issue 25) ---------------------------------------------------------

    def sign(self, session_id: int, case_id: str, user: str | None,
             expected_version: int | None) -> SessionCase:
        """The chair validates the decision as recorded: it is read-only until reopened."""
        return self._signature(session_id, case_id, user, expected_version, sign=True)

    def reopen(self, session_id: int, case_id: str, user: str | None,
               expected_version: int | None) -> SessionCase:
        """Reopen a validated decision (traced: who and when, and the signed version stays in the
        history)."""
        return self._signature(session_id, case_id, user, expected_version, sign=False)

    def _signature(self, session_id: int, case_id: str, user: str | None,
                   expected_version: int | None, *, sign: bool) -> SessionCase:
        with self.store._tx() as db:
            self._session_row(db, session_id)
            row = db.execute("SELECT document, version, updated_at, updated_by FROM session_cases "
                             "WHERE session_id=? AND case_id=?", (session_id, case_id)).fetchone()
            if row is None:
                raise BoardError(404, "case_id", "board_err_not_in", case_id=case_id)
            current = int(row[1])
            if expected_version is not None and expected_version != current:
                raise BoardError(409, "version", "board_err_stale", v=current)
            doc = dict(orjson.loads(row[0]))
            if bool(doc.get("signed")) == sign:
                raise BoardError(409, "signed", "board_err_signed" if sign else "board_err_not_signed")
            mark = {"by": user, "at": _now()}
            if sign:
                doc["signed"] = mark
            else:
                doc["signed"] = None
                doc["reopened"] = mark
            self._replace(db, session_id, case_id, row, orjson.dumps(doc).decode(), user)
        item = self._item(session_id, case_id)
        assert item is not None
        return item

    @staticmethod
    def _replace(db: Any, session_id: int, case_id: str, row: Any, document: str,
                 user: str | None) -> None:
        """Write a new version; the one it replaces goes to the append-only history."""
        current = int(row[1])
        db.execute("INSERT OR IGNORE INTO session_case_history VALUES (?, ?, ?, ?, ?, ?)",
                   (session_id, case_id, current, row[0], row[2], row[3]))
        db.execute("UPDATE session_cases SET document=?, version=?, updated_at=?, updated_by=? "
                   "WHERE session_id=? AND case_id=?",
                   (document, current + 1, _now(), user, session_id, case_id))

    def history(self, session_id: int, case_id: str) -> list[tuple[int, str, str | None]]:
        """(version, recorded_at, recorded_by) of every replaced decision, oldest first."""
        with self.store._lock:
            rows = self.store._db.execute(
                "SELECT version, updated_at, updated_by FROM session_case_history WHERE "
                "session_id=? AND case_id=? ORDER BY version", (session_id, case_id)).fetchall()
        return [(int(r[0]), str(r[1]), r[2]) for r in rows]

    def _item(self, session_id: int, case_id: str) -> SessionCase | None:
        with self.store._lock:
            row = self.store._db.execute(
                f"SELECT {_CASE_COLUMNS} FROM session_cases WHERE session_id=? AND case_id=?",
                (session_id, case_id)).fetchone()
        return None if row is None else _item(row)

    @staticmethod
    def _session_row(db: Any, session_id: int) -> None:
        if db.execute("SELECT 1 FROM board_sessions WHERE id=?", (session_id,)).fetchone() is None:
            raise BoardError(404, "session_id", "board_err_no_session", session_id=session_id)


def _doc(decision: DecisionIn) -> str:
    return orjson.dumps(decision.model_dump(mode="json")).decode()


_SESSION_COLUMNS = ("s.id, s.meeting_date, s.site, s.attendees, s.title, s.created_at, "
                    "s.created_by, s.version, s.updated_at, s.updated_by")
_CASE_COLUMNS = "case_id, position, document, version, added_at, added_by, updated_at, updated_by"


# ---- decisions of issue 25: new fields inside the JSON document ------------------------------
# The RCP fields and the chair's signature live in `session_cases.document` (JSON), so no SQL
# migration is needed: a document written before them reads with their defaults (not stated).
_SIGNATURE_KEYS = ("signed", "reopened")


def _read_decision(stored: dict[str, Any]) -> DecisionIn:
    return DecisionIn.model_validate({k: v for k, v in stored.items() if k in _DECISION_FIELDS})


def _decision_doc(decision: DecisionIn, stored: dict[str, Any]) -> str:
    """The document to store: the decision, with the signature keys of the stored one kept."""
    doc: dict[str, Any] = decision.model_dump(mode="json")
    doc.update({k: stored[k] for k in _SIGNATURE_KEYS if stored.get(k)})
    return orjson.dumps(doc).decode()


def _review_after_meeting(db: Any, session_id: int, decision: DecisionIn) -> None:
    """A next review dated before the meeting that decides it is refused (issue 25, item 4)."""
    if decision.next_review is None:
        return
    row = db.execute("SELECT meeting_date FROM board_sessions WHERE id=?", (session_id,)).fetchone()
    if row is not None and decision.next_review < dt.date.fromisoformat(row[0]):
        raise BoardError(422, "next_review", "board_err_review_before_meeting",
                         meeting=row[0])


def _meeting_before_reviews(db: Any, session_id: int, meeting: dt.date) -> None:
    """The meeting moved after a next review its board already set is refused (review 25 F12),
    the reverse of `_review_after_meeting`: the decision is changed first, knowingly."""
    for case_id, document in db.execute("SELECT case_id, document FROM session_cases WHERE "
                                        "session_id=? ORDER BY position", (session_id,)):
        review = orjson.loads(document).get("next_review")
        if review and dt.date.fromisoformat(review) < meeting:
            raise BoardError(422, "meeting_date", "board_err_meeting_after_review", case=case_id,
                             review=dt.date.fromisoformat(review))


def _session(row: Any, items: list[SessionCase], removed: list[RemovedCase] | None = None) -> Session:
    return Session(id=int(row[0]), meeting_date=row[1], site=row[2],
                   attendees=list(orjson.loads(row[3])), title=row[4], created_at=row[5],
                   created_by=row[6], cases=items, version=int(row[7]), updated_at=row[8],
                   updated_by=row[9], removed=removed or [])


def _item(row: Any) -> SessionCase:
    doc = {k: v for k, v in dict(orjson.loads(row[2])).items()
           if k in _DECISION_FIELDS or k in _SIGNATURE_KEYS}
    return SessionCase(**doc, case_id=row[0], position=int(row[1]), version=int(row[3]),
                       added_at=row[4], added_by=row[5], updated_at=row[6], updated_by=row[7])
