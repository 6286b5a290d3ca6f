"""Issue 25, meeting management (observed item 4): a case added by mistake is taken out (traced,
its decision kept), the meeting is edited with a version check, attendees are not needed at
creation and are added on the day, several cases are added in one action (all or none); a store
written before these changes opens and works. Store and JSON API (real uvicorn)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from service_harness import LiveServer

from bonemet.model.board import AddCase, AddCases, DecisionIn, SessionIn
from bonemet.stores.board_store import BoardError, BoardStore
from bonemet.stores.store import MIGRATIONS, SCHEMA_VERSION, Store, _statements

DEMO = ["demo-03-pet-mid-thigh", "demo-11-response-early", "demo-21-early-flare-likely",
        "demo-48-suspected-cord-compression", "demo-50-bilsky-high-grade"]
MEETING = {"meeting_date": "2026-11-27", "site": "CHU Lyon-Sud"}


@pytest.fixture()
def board(tmp_path: Path) -> BoardStore:
    return BoardStore(Store(tmp_path / "s.sqlite3"))


def _meeting(board: BoardStore, *cases: str) -> int:
    sid = board.create(SessionIn.model_validate(MEETING), "dr.martin")
    if cases:
        board.add_cases(sid, AddCases(cases=[AddCase(case_id=c) for c in cases]), "dr.martin")
    return sid


# ---- store ---------------------------------------------------------------------------------


def test_a_meeting_needs_no_attendee_and_gains_them_on_the_day(board: BoardStore) -> None:
    sid = _meeting(board)
    assert board.get(sid).attendees == []  # type: ignore[union-attr]
    board.add_attendee(sid, "Dr Martin, pneumologue", "secretary")
    after = board.add_attendee(sid, "Dr Durand, radiothérapeute", "secretary")
    assert after.attendees == ["Dr Martin, pneumologue", "Dr Durand, radiothérapeute"]
    assert (after.version, after.updated_by) == (3, "secretary")
    with pytest.raises(BoardError) as twice:
        board.add_attendee(sid, "Dr Martin, pneumologue", "secretary")
    assert (twice.value.status, twice.value.field) == (409, "attendees")
    assert [v for v, _, _ in board.meeting_history(sid)] == [1, 2]


def test_editing_the_meeting_checks_the_version_and_keeps_the_replaced_one(board: BoardStore) -> None:
    sid = _meeting(board, DEMO[0])
    edited = board.update(sid, SessionIn(meeting_date=dt.date(2026, 12, 3), site="CHU Lyon-Sud",
                                         attendees=["Dr A", "Dr B"], title="RCP os"), "dr.petit", 1)
    assert (edited.meeting_date, edited.attendees, edited.title) == (
        dt.date(2026, 12, 3), ["Dr A", "Dr B"], "RCP os")
    assert (edited.version, edited.updated_by) == (2, "dr.petit")
    assert [c.case_id for c in edited.cases] == [DEMO[0]]  # the agenda is untouched
    with pytest.raises(BoardError) as stale:
        board.update(sid, SessionIn.model_validate(MEETING), "dr.roux", 1)
    assert (stale.value.status, stale.value.field, stale.value.values) == (409, "version", {"v": 2})
    assert board.get(sid).title == "RCP os"  # type: ignore[union-attr]  # nothing written
    with pytest.raises(BoardError) as missing:
        board.update(424242, SessionIn.model_validate(MEETING), None, None)
    assert missing.value.status == 404
    assert [(v, by) for v, _, by in board.meeting_history(sid)] == [(1, "dr.martin")]
    rows = board.store.execute("SELECT document FROM board_session_history WHERE session_id=?", (sid,))
    assert '"meeting_date":"2026-11-27"' in rows[0][0]
    with pytest.raises(sqlite3.DatabaseError):  # append-only
        board.store.execute("DELETE FROM board_session_history")


def test_removing_a_case_is_traced_keeps_its_decision_and_closes_the_gap(board: BoardStore) -> None:
    sid = _meeting(board, *DEMO[:3])
    board.record(sid, DEMO[1], DecisionIn(status="discussed", decision="IRM"), "dr.petit", 1)
    gone = board.remove(sid, DEMO[1], "secretary")
    assert (gone.case_id, gone.position, gone.version, gone.removed_by) == (DEMO[1], 2, 2, "secretary")
    session = board.get(sid)
    assert session is not None
    assert [(c.case_id, c.position) for c in session.cases] == [(DEMO[0], 1), (DEMO[2], 2)]
    assert [(r.case_id, r.removed_by) for r in session.removed] == [(DEMO[1], "secretary")]
    # The decision it had is in the history, with who recorded it.
    assert [(v, by) for v, _, by in board.history(sid, DEMO[1])] == [(1, "dr.martin"), (2, "dr.petit")]
    with pytest.raises(BoardError) as again:
        board.remove(sid, DEMO[1], "secretary")
    assert again.value.status == 404
    # Added back, it goes on from its last version: the history keeps every decision.
    back = board.add_case(sid, AddCase(case_id=DEMO[1]), "secretary")
    assert (back.position, back.version, back.decision) == (3, 3, "")
    board.record(sid, DEMO[1], DecisionIn(decision="TEP"), "dr.roux", 3)
    assert [v for v, _, _ in board.history(sid, DEMO[1])] == [1, 2, 3]
    # Append-only: the removal rows cannot be changed or deleted.
    for sql in ("UPDATE session_case_removals SET removed_by='x'", "DELETE FROM session_case_removals"):
        with pytest.raises(sqlite3.DatabaseError):
            board.store.execute(sql)


def test_several_cases_are_added_in_order_all_or_none(board: BoardStore) -> None:
    sid = _meeting(board, DEMO[0])
    with pytest.raises(BoardError) as dup:
        board.add_cases(sid, AddCases(cases=[AddCase(case_id=DEMO[1]), AddCase(case_id=DEMO[0])]), None)
    assert (dup.value.status, dup.value.values) == (409, {"case_id": DEMO[0]})
    with pytest.raises(BoardError) as unknown:
        board.add_cases(sid, AddCases(cases=[AddCase(case_id=DEMO[1]), AddCase(case_id="nobody")]),
                        None)
    assert (unknown.value.status, unknown.value.values) == (404, {"case_id": "nobody"})
    assert [c.case_id for c in board.get(sid).cases] == [DEMO[0]]  # type: ignore[union-attr]
    added = board.add_cases(sid, AddCases(cases=[AddCase(case_id=c, question=f"{c}?")
                                                 for c in DEMO[1:]]), "secretary")
    assert [(c.case_id, c.position, c.question) for c in added] == [
        (c, n, f"{c}?") for n, c in enumerate(DEMO[1:], start=2)]
    with pytest.raises(ValueError, match="listed twice"):
        AddCases(cases=[AddCase(case_id=DEMO[0]), AddCase(case_id=DEMO[0])])


def test_a_store_of_schema_5_with_a_meeting_opens_and_the_meeting_is_managed(tmp_path: Path) -> None:
    path = tmp_path / "v5.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    for number, script in MIGRATIONS[:5]:  # the file as bonemet wrote it before issue 25
        for statement in _statements(script):
            db.execute(statement)
        db.execute("INSERT INTO schema_version VALUES (?, '2026-01-01')", (number,))
    db.execute("INSERT INTO board_sessions (meeting_date, site, attendees, title, created_at, "
               "created_by) VALUES ('2026-10-02', 'CHU', '[\"Dr A\"]', NULL, '2026-09-30', 'old')")
    db.execute("INSERT INTO session_cases VALUES (1, ?, 1, '{\"status\": \"discussed\", "
               "\"decision\": \"IRM\"}', 2, '2026-09-30', 'old', '2026-10-02', 'old')", (DEMO[0],))
    db.execute("INSERT INTO session_cases VALUES (1, ?, 2, '{}', 1, '2026-09-30', 'old', "
               "'2026-09-30', 'old')", (DEMO[1],))
    db.close()
    store = Store(path)
    assert store.version() == SCHEMA_VERSION >= 6
    board = BoardStore(store)
    old = board.get(1)
    assert old is not None and (old.version, old.attendees, old.cases[0].decision) == (1, ["Dr A"], "IRM")
    assert board.sessions()[0][1] == 2 and board.sessions_in_full()[0].cases[1].case_id == DEMO[1]
    board.remove(1, DEMO[1], "new")
    assert board.update(1, SessionIn.model_validate(MEETING), "new", 1).version == 2
    store.close()
    assert Store(path).migrate() == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["up", "down", "remove", "add"]), st.integers(0, 4)),
                max_size=20))
def test_any_removals_adds_and_moves_keep_positions_a_permutation(ops: list[tuple[str, int]]) -> None:
    board = BoardStore(Store(":memory:"))
    sid = _meeting(board, *DEMO[:3])
    expected = list(DEMO[:3])
    for op, index in ops:
        cid = DEMO[index]
        if op == "add":
            if cid in expected:
                continue
            board.add_case(sid, AddCase(case_id=cid), None)
            expected.append(cid)
        elif op == "remove":
            if cid not in expected:
                with pytest.raises(BoardError):
                    board.remove(sid, cid, None)
                continue
            board.remove(sid, cid, None)
            expected.remove(cid)
        elif cid in expected:
            board.move(sid, cid, op, None)
            i = expected.index(cid)
            j = i - 1 if op == "up" else i + 1
            if 0 <= j < len(expected):
                expected[i], expected[j] = expected[j], expected[i]
    cases = board.get(sid).cases  # type: ignore[union-attr]
    assert [c.case_id for c in cases] == expected
    assert [c.position for c in cases] == list(range(1, len(expected) + 1))


# ---- JSON API (real uvicorn) ---------------------------------------------------------------


def test_api_remove_edit_batch_and_attendees(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        created = http.post("/api/sessions", json=MEETING)  # no attendees: accepted
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        batch = http.post(f"/api/sessions/{sid}/cases/batch", json={"cases": [
            {"case_id": c, "question": "?"} for c in DEMO]})
        assert batch.status_code == 201, batch.text
        assert [c["case_id"] for c in batch.json()["cases"]] == DEMO
        dup = http.post(f"/api/sessions/{sid}/cases/batch", json={"cases": [{"case_id": DEMO[0]}]})
        assert dup.status_code == 409 and DEMO[0] in dup.json()["problems"][0]["message"]
        twice = http.post(f"/api/sessions/{sid}/cases/batch",
                          json={"cases": [{"case_id": "a-1"}, {"case_id": "a-1"}]})
        assert twice.status_code == 422 and twice.json()["problems"][0]["field"].startswith("cases")
        assert http.post(f"/api/sessions/{sid}/cases/batch", json={"cases": []}).status_code == 422

        removed = http.delete(f"/api/sessions/{sid}/cases/{DEMO[2]}")
        assert removed.status_code == 200, removed.text
        assert (removed.json()["case_id"], removed.json()["position"]) == (DEMO[2], 3)
        assert removed.json()["removed_by"] == "developer"
        again = http.delete(f"/api/sessions/{sid}/cases/{DEMO[2]}")
        assert again.status_code == 404 and again.json()["problems"][0]["field"] == "case_id"
        assert http.delete(f"/api/sessions/424242/cases/{DEMO[0]}").status_code == 404
        assert http.delete(f"/api/sessions/{sid}/cases/bad%20id").status_code == 422
        read = http.get(f"/api/sessions/{sid}")
        assert read.headers["etag"] == '"1"'
        got = read.json()
        assert [c["position"] for c in got["cases"]] == [1, 2, 3, 4]
        assert [r["case_id"] for r in got["removed"]] == [DEMO[2]]

        edit = {**MEETING, "site": "CHU Lyon-Sud, salle 2", "attendees": ["Dr A", "Dr B"]}
        ok = http.put(f"/api/sessions/{sid}", json=edit, headers={"If-Match": '"1"'})
        assert ok.status_code == 200 and ok.headers["etag"] == '"2"', ok.text
        assert ok.json()["attendees"] == ["Dr A", "Dr B"] and len(ok.json()["cases"]) == 4
        stale = http.put(f"/api/sessions/{sid}", json=edit, headers={"If-Match": '"1"'})
        assert stale.status_code == 409 and stale.json()["problems"][0]["field"] == "version"
        bad_tag = http.put(f"/api/sessions/{sid}", json=edit, headers={"If-Match": "v2"})
        assert bad_tag.status_code == 412
        bad = http.put(f"/api/sessions/{sid}", json={**edit, "meeting_date": "2026-02-30"})
        assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "meeting_date"
        assert http.put("/api/sessions/424242", json=edit).status_code == 404
        one = http.post(f"/api/sessions/{sid}/attendees", json={"name": "Dr C"})
        assert one.status_code == 200 and one.json()["attendees"] == ["Dr A", "Dr B", "Dr C"]
        assert one.headers["etag"] == '"3"'
        assert http.post(f"/api/sessions/{sid}/attendees", json={"name": "Dr C"}).status_code == 409
        assert http.post(f"/api/sessions/{sid}/attendees", json={"name": " "}).status_code == 422
    rows = dev_server.app.state.bonemet.store.audit_rows(300)
    deletes = [r for r in rows if r["method"] == "DELETE" and r["status"] == 200]
    assert [(r["case_id"], r["user_id"]) for r in deletes] == [(DEMO[2], "developer")]


def test_a_case_added_without_a_question_brings_the_question_its_file_asks(board: BoardStore) -> None:
    """Review 25 F7: the file's own question (context.question_text) is the board's question when
    none is typed; a typed one wins; a file without one leaves it empty."""
    asked = "demo-09-follow-up-question"
    sid = _meeting(board, asked, DEMO[0])
    items = {c.case_id: c.question for c in board.get(sid).cases}  # type: ignore[union-attr]
    assert items == {asked: "Alkaline phosphatase rising: bone relapse?", DEMO[0]: ""}
    sid2 = board.create(SessionIn.model_validate(MEETING), None)
    board.add_case(sid2, AddCase(case_id=asked, question="Typed by the secretary"), None)
    assert board.get(sid2).cases[0].question == "Typed by the secretary"  # type: ignore[union-attr]
