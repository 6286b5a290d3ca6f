"""Audit of every access to patient data (issue 22, item 6): the route table covers every route,
each kind of route names its case(s), the log is append-only and answers "who viewed X" by index."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bonemet.access.config import Settings
from bonemet.api import read_document
from bonemet.http.app import create_app
from bonemet.http.audit_trail import (
    ROUTES,
    NoPatientData,
    PathCase,
    SessionCases,
    app_routes,
    carries_patient_data,
    route_key,
)
from bonemet.model.board import AddCase, SessionIn
from bonemet.stores.board_store import BoardStore
from bonemet.stores.store import MIGRATIONS, AuditEntry, Store, _statements

DEMO = "demo-03-pet-mid-thigh"
DEMO_FILE = Path(__file__).resolve().parents[2] / "src/bonemet/demo/cases/03-staging-pet-mid-thigh.yaml"
OTHER = "demo-01-staging-no-pet"
HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return create_app(Settings(db_path=tmp_path_factory.mktemp("trail") / "s.sqlite3", dev_mode=True))


@pytest.fixture(scope="module")
def http(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://localhost") as client:
        yield client


def _rows(app: Any, **filters: Any) -> list[dict[str, Any]]:
    return app.state.bonemet.store.audit_rows(1000, **filters)  # type: ignore[no-any-return]


def _last(app: Any, route: str, method: str = "GET") -> list[dict[str, Any]]:
    """The rows of the latest call of `method route` (one per case it touched)."""
    rows = [r for r in _rows(app) if r["route"] == route and r["method"] == method]
    assert rows, f"no audit row for {method} {route}"
    return [r for r in rows if r["at"] == rows[0]["at"]]


# ---- the table covers every route ----------------------------------------------------------


def test_every_route_of_the_app_is_declared_in_the_audit_table(app: Any) -> None:
    routes = {route_key(m, p) for m, p in app_routes(app)}
    assert len(routes) > 60
    missing = sorted(routes - set(ROUTES))
    assert not missing, f"routes with no audit declaration (add them to ROUTES): {missing}"
    stale = sorted(set(ROUTES) - routes)
    assert not stale, f"declared routes that no longer exist: {stale}"


def test_a_route_with_a_case_or_session_in_its_path_cannot_be_declared_without_patient_data() -> None:
    for key, sources in ROUTES.items():
        template = key.split(" ", 1)[1]
        if "{case_id}" in template or "{session_id}" in template:
            assert carries_patient_data(sources), key
        for source in sources:
            if isinstance(source, (PathCase, SessionCases)):
                assert "{" + source.param + "}" in template, (key, source)
            assert not isinstance(source, NoPatientData) or source.why, key


def test_the_test_sees_a_new_route_nobody_declared(app: Any) -> None:
    """The check above is not vacuous: a route added to the app shows up as missing."""
    from fastapi import APIRouter, FastAPI

    extra = APIRouter()

    @extra.get("/cases/{case_id}/new-figure")
    async def figure(case_id: str) -> str:
        return case_id

    other = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    other.include_router(extra)
    assert {route_key(m, p) for m, p in app_routes(other)} - set(ROUTES) == {
        "GET /cases/{case_id}/new-figure"}


# ---- each kind of route names its case -----------------------------------------------------


@pytest.mark.parametrize("path", [
    f"/cases/{DEMO}", f"/cases/{DEMO}/export", f"/cases/{DEMO}/export?format=json",
    f"/cases/{DEMO}/summary", f"/cases/{DEMO}/edit", f"/cases/{DEMO}/timeline.svg",
    f"/api/cases/{DEMO}",
])
def test_reading_a_case_names_it(app: Any, http: TestClient, path: str) -> None:
    r = http.get(path, headers=HTML)
    rows = _last(app, re.sub(r"/" + DEMO, "/{case_id}", path.split("?")[0]))
    assert [(row["case_id"], row["user_id"], row["status"]) for row in rows] == [
        (DEMO, "developer", r.status_code)]


def test_query_and_body_ids_are_named(app: Any, http: TestClient) -> None:
    http.get(f"/check?case_id={DEMO}&exam=mri", headers=HTML)
    assert [r["case_id"] for r in _last(app, "/check")] == [DEMO]
    doc = read_document(DEMO_FILE)
    assert http.post("/api/assess", json=doc).status_code in (200, 422)
    assert [r["case_id"] for r in _last(app, "/api/assess", "POST")] == [DEMO]
    http.post("/api/check", json={"exam": "not-an-exam", "case_id": DEMO})
    assert [r["case_id"] for r in _last(app, "/api/check", "POST")] == [DEMO]
    created = http.post("/api/cases", json={**doc, "case_id": "trail-new-1"})
    assert created.status_code == 201, created.text
    assert [r["case_id"] for r in _last(app, "/api/cases", "POST")] == ["trail-new-1"]


def test_a_web_save_names_the_case_and_a_bad_id_is_not_logged(app: Any, http: TestClient) -> None:
    token = re.search(r'name="_csrf" value="([^"]+)"', http.get("/new", headers=HTML).text)
    assert token
    form = {"_csrf": token.group(1), "_new": "1", "case_id": "trail-web-1",
            "context.phase": "staging", "cancer.primary_site": "lung"}
    http.post("/save", data=form, headers=HTML, follow_redirects=False)
    assert [r["case_id"] for r in _last(app, "/save", "POST")] == ["trail-web-1"]
    http.post("/save", data={**form, "case_id": "Jane Doe, born 1950"}, headers=HTML)
    assert [r["case_id"] for r in _last(app, "/save", "POST")] == [None]
    assert "Jane Doe" not in str(_rows(app))


def test_a_cds_hooks_call_names_the_ehr_patient(app: Any, http: TestClient) -> None:
    body = {"hook": "patient-view", "hookInstance": "trail-1",
            "context": {"patientId": "pat-77", "userId": "Practitioner/9"}}
    r = http.post("/cds-services/bonemet-imaging-review", json=body)
    assert r.status_code == 412  # nothing prefetched: still an access attempt on that patient
    rows = _last(app, "/cds-services/{service_id}", "POST")
    assert [(row["case_id"], row["hook"]) for row in rows] == [("Patient/pat-77", "patient-view")]


def test_a_board_session_names_each_of_its_cases(app: Any, http: TestClient) -> None:
    board = BoardStore(app.state.bonemet.store)
    sid = board.create(SessionIn(meeting_date="2026-11-27", site="CHU", attendees=["Dr A"]), "x")
    for case_id in (DEMO, OTHER):
        board.add_case(sid, AddCase(case_id=case_id), "x")
    for path, route in ((f"/sessions/{sid}", "/sessions/{session_id}"),
                        (f"/api/sessions/{sid}", "/api/sessions/{session_id}")):
        assert http.get(path, headers=HTML).status_code == 200
        assert sorted(r["case_id"] for r in _last(app, route)) == sorted([DEMO, OTHER])
    http.get(f"/sessions/{sid}/cases/{OTHER}/decision", headers=HTML)
    assert [r["case_id"] for r in _last(app, "/sessions/{session_id}/cases/{case_id}/decision")] \
        == [OTHER]
    http.get("/sessions/999999", headers=HTML)  # no such session: one row, no case
    assert [r["case_id"] for r in _last(app, "/sessions/{session_id}")] == [None]


def test_pages_without_patient_data_are_not_audited(app: Any, http: TestClient) -> None:
    before = len(_rows(app))
    for path in ("/kb", "/calculators", "/new", "/static/app.css", "/health", "/sessions"):
        assert http.get(path, headers=HTML).status_code == 200
    assert len(_rows(app)) == before


# ---- the store: migration, append-only, indexed question ------------------------------------


def test_a_version_4_store_gains_the_case_column_and_its_index(tmp_path: Path) -> None:
    path = tmp_path / "v4.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    for number, script in MIGRATIONS[:4]:
        for statement in _statements(script):
            db.execute(statement)
        db.execute("INSERT INTO schema_version VALUES (?, 'then')", (number,))
    db.execute("INSERT INTO audit (at, method, route, status, duration_ms, user_id) "
               "VALUES ('then', 'GET', '/api/cases/{case_id}', 200, 1, 'old')")
    db.commit()
    db.close()
    store = Store(path)
    assert store.version() >= 5
    assert store.audit_rows()[0]["user_id"] == "old" and store.audit_rows()[0]["case_id"] is None
    indexes = {r[1] for r in store.execute("PRAGMA index_list(audit)")}
    assert {"audit_case", "audit_user"} <= indexes
    store.close()


def test_the_audit_table_refuses_update_and_delete_from_raw_sqlite(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    store.audit(AuditEntry("GET", "/cases/{case_id}", 200, 1.0, user="alice", case_ids=(DEMO,)))
    store.close()
    db = sqlite3.connect(tmp_path / "a.sqlite3")
    for sql in ("UPDATE audit SET case_id='someone-else'", "UPDATE audit SET user_id=NULL",
                "DELETE FROM audit", f"DELETE FROM audit WHERE case_id='{DEMO}'"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)
    assert db.execute("SELECT user_id, case_id FROM audit").fetchall() == [("alice", DEMO)]
    db.close()


def test_who_viewed_a_case_is_an_indexed_lookup(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    for n in range(300):
        store.audit(AuditEntry("GET", "/cases/{case_id}", 200, 1.0, user=f"u{n % 7}",
                               case_ids=(f"case-{n % 50}",)))
    plan = " ".join(str(r) for r in store.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM audit WHERE case_id=? ORDER BY id DESC LIMIT 50",
        ("case-3",)))
    assert "audit_case" in plan, plan
    rows = store.audit_rows(4, case_id="case-3")
    assert len(rows) == 4 and {r["case_id"] for r in rows} == {"case-3"}
    older = store.audit_rows(100, case_id="case-3", before=rows[-1]["id"])
    assert len(rows) + len(older) == 6 and max(r["id"] for r in older) < rows[-1]["id"]
    assert {r["user_id"] for r in store.audit_rows(100, case_id="case-3", user="u3")} == {"u3"}
    store.close()


def test_a_session_row_names_only_the_cases_it_held_when_answered(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.sqlite3")
    board = BoardStore(store)
    sid = board.create(SessionIn(meeting_date="2026-11-27", site="CHU", attendees=["A"]), "x")
    board.add_case(sid, AddCase(case_id=DEMO), "x")
    store.audit(AuditEntry("GET", "/sessions/{session_id}/summary.pdf", 200, 1.0, user="alice",
                           session_id=sid))
    store.execute("UPDATE session_cases SET added_at='2999-01-01' WHERE case_id=?", (DEMO,))
    board.add_case(sid, AddCase(case_id=OTHER), "x")
    store.audit(AuditEntry("GET", "/sessions/{session_id}/summary.pdf", 200, 1.0, user="bob",
                           session_id=sid))
    rows = store.audit_rows(10)
    assert [(r["user_id"], r["case_id"]) for r in reversed(rows)] == [
        ("alice", DEMO), ("bob", OTHER)]
    store.close()


def test_the_admin_api_filters_and_pages(app: Any, http: TestClient) -> None:
    for _ in range(3):
        http.get(f"/cases/{DEMO}/export")
    first = http.get(f"/api/audit?case_id={DEMO}&limit=2").json()
    assert len(first["rows"]) == 2 and {r["case_id"] for r in first["rows"]} == {DEMO}
    assert first["next"].startswith(f"/api/audit?case_id={DEMO}&limit=2&before=")
    second = http.get(first["next"]).json()
    assert second["rows"][0]["id"] < first["rows"][-1]["id"]
    by_user = http.get("/api/audit?user=developer&limit=5").json()["rows"]
    assert by_user and {r["user_id"] for r in by_user} == {"developer"}
    for bad in ("case_id=a%20b", "case_id=x%0A", "limit=0", "before=-1", "user="):
        r = http.get(f"/api/audit?{bad}")
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["problems"][0]["field"].endswith(bad.split("=")[0]), r.text


def test_the_admin_page_answers_in_both_languages(app: Any, http: TestClient) -> None:
    http.get(f"/cases/{DEMO}/summary", headers=HTML)
    page = http.get(f"/admin/audit?case_id={DEMO}", headers=HTML)
    assert page.status_code == 200 and "who opened which case" in page.text
    assert f">{DEMO}</a>" in page.text and "GET /cases/{case_id}/summary" in page.text
    french = TestClient(app, base_url="http://localhost", cookies={"bonemet_lang": "fr"})
    fr = french.get(f"/admin/audit?case_id={DEMO}", headers=HTML)
    assert "qui a ouvert quel dossier" in fr.text and "lecture" in fr.text
    bad = french.get("/admin/audit?case_id=not%20an%20id", headers=HTML)
    assert bad.status_code == 422 and "identifiant de dossier" in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert [r["route"] for r in _rows(app)[:1]] == ["/admin/audit"]  # reading the log is logged
