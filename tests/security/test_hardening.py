"""Hardening (finding 11): headers, no inline script, no CDN, append-only audit, safe case ids,
optimistic concurrency, logs without case ids."""

from __future__ import annotations

import logging
import re
import sqlite3
import time

import pytest
from security_harness import Live, csrf_of

HTML = {"accept": "text/html"}
CASE = {"schema_version": "1.0", "case_id": "conc-1", "context": {"phase": "staging"}}


@pytest.mark.parametrize("path", ["/cases", "/new", "/kb", "/calculators", "/api/kb/rules", "/health"])
def test_security_headers_on_every_answer(dev_server: Live, path: str) -> None:
    with dev_server.client() as http:
        r = http.get(path, headers=HTML)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"


def test_patient_pages_are_not_cached(dev_server: Live) -> None:
    with dev_server.client() as http:
        http.put("/api/cases/cache-1", json={**CASE, "case_id": "cache-1"})
        for path in ("/cases/cache-1", "/cases/cache-1/export", "/api/cases/cache-1"):
            assert http.get(path).headers["cache-control"] == "no-store", path
        assert "no-store" not in http.get("/static/app.css").headers.get("cache-control", "")


@pytest.mark.parametrize("path", ["/cases", "/new", "/kb", "/calculators", "/calculators/probability"])
def test_pages_have_no_inline_script_and_nothing_from_outside(dev_server: Live, path: str) -> None:
    with dev_server.client() as http:
        html = http.get(path, headers=HTML).text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_swagger_ui_from_a_cdn_is_not_served(dev_server: Live) -> None:
    with dev_server.client() as http:
        assert http.get("/docs").status_code == 404
        assert http.get("/redoc").status_code == 404
        assert http.get("/openapi.json").status_code == 200


def test_audit_table_refuses_insert_or_replace(dev_server: Live) -> None:
    store = dev_server.store
    with dev_server.client() as http:
        http.get("/api/kb/rules")
    first = store.audit_rows(1000)[-1]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("INSERT OR REPLACE INTO audit (id, at, method, route, status, duration_ms) "
                      "VALUES (?, 'x', 'GET', '/forged', 200, 0)", (first["id"],))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("REPLACE INTO audit (id, at, method, route, status, duration_ms) "
                      "VALUES (?, 'x', 'GET', '/forged', 200, 0)", (first["id"],))
    assert store.audit_rows(1000)[-1] == first


@pytest.mark.parametrize("case_id", ["a/b", "../etc", "x y", ".hidden", "a" * 129, "é"])
def test_unsafe_case_ids_are_refused_by_the_api(dev_server: Live, case_id: str) -> None:
    from urllib.parse import quote

    with dev_server.client() as http:
        r = http.put(f"/api/cases/{quote(case_id, safe='')}", json={**CASE, "case_id": case_id})
    assert r.status_code in (404, 422)
    assert dev_server.store.get_case(case_id) is None


def test_second_web_save_of_the_same_version_is_refused(dev_server: Live) -> None:
    with dev_server.client() as http:
        http.put("/api/cases/conc-1", json=CASE)
    with dev_server.client() as first, dev_server.client() as second:
        page1 = first.get("/cases/conc-1/edit", headers=HTML).text
        page2 = second.get("/cases/conc-1/edit", headers=HTML).text
        version = re.search(r'name="_version" value="(\d+)"', page1)
        assert version is not None and version.group(1) == "1"
        form = {"case_id": "conc-1", "schema_version": "1.0", "context.phase": "staging",
                "_new": "0", "_version": version.group(1)}
        ok = first.post("/save", data={**form, "context.question_text": "first",
                                       "_csrf": csrf_of(page1)}, headers=HTML, follow_redirects=False)
        assert ok.status_code == 303
        late = second.post("/save", data={**form, "context.question_text": "second",
                                          "_csrf": csrf_of(page2)}, headers=HTML)
        assert late.status_code == 409 and "NOT saved" in late.text
    doc = dev_server.store.get_case("conc-1")
    assert doc is not None and doc["context"].get("question_text") == "first"
    assert [v for v, _, _ in dev_server.store.case_history("conc-1")] == [1]  # version 1 kept


def test_new_case_cannot_overwrite_a_stored_one(dev_server: Live) -> None:
    with dev_server.client() as http:
        http.put("/api/cases/taken-1", json={**CASE, "case_id": "taken-1"})
        page = http.get("/new", headers=HTML).text
        r = http.post("/save", data={"case_id": "taken-1", "schema_version": "1.0",
                                     "context.phase": "follow_up", "_new": "1", "_version": "0",
                                     "_csrf": csrf_of(page)}, headers=HTML)
    assert r.status_code == 409 and "already" in r.text
    assert dev_server.store.get_case("taken-1")["context"]["phase"] == "staging"  # type: ignore[index]


def test_api_put_with_a_stale_etag_is_409(dev_server: Live) -> None:
    with dev_server.client() as http:
        http.put("/api/cases/etag-1", json={**CASE, "case_id": "etag-1"})
        etag = http.get("/api/cases/etag-1").headers["etag"]
        assert http.put("/api/cases/etag-1", json={**CASE, "case_id": "etag-1"},
                        headers={"if-match": etag}).status_code == 200
        stale = http.put("/api/cases/etag-1", json={**CASE, "case_id": "etag-1"},
                         headers={"if-match": etag})
        assert stale.status_code == 409
        assert http.put("/api/cases/etag-1", json={**CASE, "case_id": "etag-1"},
                        headers={"if-none-match": "*"}).status_code == 409
        assert http.put("/api/cases/etag-1", json={**CASE, "case_id": "etag-1"},
                        headers={"if-match": "garbage"}).status_code == 412


def test_error_log_names_the_route_not_the_case(dev_server: Live, caplog: pytest.LogCaptureFixture,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from bonemet.web import pages

    def boom(case: object, *args: object) -> None:
        raise RuntimeError(f"{case.case_id} leaked")  # type: ignore[attr-defined]

    with dev_server.client() as http:
        http.put("/api/cases/secret-case-id-77", json={**CASE, "case_id": "secret-case-id-77"})
        monkeypatch.setattr(pages, "skeleton_map", boom)
        with caplog.at_level(logging.ERROR):  # every logger: bonemet's, uvicorn's, starlette's
            r = http.get("/cases/secret-case-id-77", headers=HTML)
            time.sleep(0.5)  # uvicorn logs a re-raised exception after the answer has left
    assert r.status_code == 500 and "secret-case-id-77" not in r.text
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "/cases/{case_id}" in logged and "RuntimeError" in logged
    assert "secret-case-id-77" not in caplog.text  # messages and formatted tracebacks alike

