"""Issue 22, item 6: a reader opened a case page, its export, its summary PDF and a session PDF and
left no audit row; rows never named the case. Now each access leaves a row naming the reader and
the case, the administrator's API and page answer "who viewed patient X", and a reader is refused
both (real server, real OpenID Connect sign-in)."""

from __future__ import annotations

from typing import Any

from security_harness import Live, sign_in

from bonemet.model.board import AddCase, SessionIn
from bonemet.stores.board_store import BoardStore

CASE = "demo-05-no-pet-centre"
NEIGHBOUR = "demo-04-pet-coverage-unknown"
HTML = {"accept": "text/html"}


def _since(server: Live, first_id: int, **filters: Any) -> list[dict[str, Any]]:
    rows = server.store.audit_rows(1000, **filters)
    return [r for r in rows if r["id"] > first_id]


def _last_id(server: Live) -> int:
    rows = server.store.audit_rows(1)
    return int(rows[0]["id"]) if rows else 0


def test_a_readers_views_of_a_case_each_leave_a_row_naming_the_case(oidc_server: Live) -> None:
    board = BoardStore(oidc_server.store)
    sid = board.create(SessionIn(meeting_date="2026-12-04", site="CHU", attendees=["Dr A"]), "bob")
    for case_id in (CASE, NEIGHBOUR):
        board.add_case(sid, AddCase(case_id=case_id), "bob")
    start = _last_id(oidc_server)
    opened = {
        "/cases/{case_id}": f"/cases/{CASE}",
        "/cases/{case_id}/export": f"/cases/{CASE}/export",
        "/cases/{case_id}/summary.pdf": f"/cases/{CASE}/summary.pdf",
        "/sessions/{session_id}/summary.pdf": f"/sessions/{sid}/summary.pdf",
    }
    with sign_in(oidc_server, "alice") as http:
        for path in opened.values():
            r = http.get(path, headers=HTML)
            assert r.status_code == 200, (path, r.status_code)
    mine = _since(oidc_server, start, case_id=CASE, user="alice")
    assert {r["route"] for r in mine} == set(opened), mine
    assert all(r["method"] == "GET" and r["status"] == 200 for r in mine)
    # The session PDF showed both of its cases: a row for each, so either patient's question finds it.
    neighbour = _since(oidc_server, start, case_id=NEIGHBOUR)
    assert [(r["user_id"], r["route"]) for r in neighbour] == [
        ("alice", "/sessions/{session_id}/summary.pdf")]


def test_the_administrator_answers_who_viewed_the_patient(oidc_server: Live) -> None:
    with sign_in(oidc_server, "alice") as http:
        assert http.get(f"/cases/{CASE}/export", headers=HTML).status_code == 200
    with sign_in(oidc_server, "carol") as http:
        api = http.get(f"/api/audit?case_id={CASE}&limit=50")
        assert api.status_code == 200, api.text
        rows = api.json()["rows"]
        assert rows and {r["case_id"] for r in rows} == {CASE}
        assert ("alice", "GET", "/cases/{case_id}/export", 200) in {
            (r["user_id"], r["method"], r["route"], r["status"]) for r in rows}
        page = http.get(f"/admin/audit?case_id={CASE}", headers=HTML)
        assert page.status_code == 200
        assert "/admin/audit?user=alice" in page.text and "GET /cases/{case_id}/export" in page.text


def test_a_reader_is_refused_the_audit_log(oidc_server: Live) -> None:
    with sign_in(oidc_server, "alice") as http:
        page = http.get(f"/admin/audit?case_id={CASE}", headers=HTML)
        api = http.get(f"/api/audit?case_id={CASE}")
    assert page.status_code == 403 and "administrator" in page.text
    assert api.status_code == 403
