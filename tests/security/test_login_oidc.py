"""Sign-in with a real OpenID Connect provider (finding 1): sessions, roles, audit, refusals."""

from __future__ import annotations

import re

import httpx
from security_harness import Live, csrf_of, sign_in

HTML = {"accept": "text/html"}
CASE = {"schema_version": "1.0", "case_id": "oidc-case-1", "context.phase": "staging",
        "cancer.primary_site": "lung", "_new": "1", "_version": "0"}


def test_unauthenticated_page_redirects_to_the_provider(oidc_server: Live) -> None:
    with oidc_server.client() as http:
        r = http.get("/cases", headers=HTML)
        assert r.status_code == 303 and r.headers["location"].startswith("/auth/login?next=")
        login = http.get(r.headers["location"])
    assert login.status_code == 302
    target = httpx.URL(login.headers["location"])
    assert str(target).startswith(oidc_server.settings.oidc.issuer + "/auth")  # type: ignore[union-attr]
    assert target.params["code_challenge_method"] == "S256" and target.params["nonce"]


def test_editor_signs_in_saves_and_the_audit_names_the_user_and_the_case_id(oidc_server: Live) -> None:
    with sign_in(oidc_server, "bob") as http:
        page = http.get("/new", headers=HTML)
        assert page.status_code == 200 and "Bob Editor" in page.text
        r = http.post("/save", data={**CASE, "_csrf": csrf_of(page.text)}, headers=HTML,
                      follow_redirects=False)
        assert r.status_code == 303, r.text[:500]
    assert oidc_server.store.get_case("oidc-case-1") is not None
    rows = oidc_server.store.audit_rows(50)
    save = next(row for row in rows if row["route"] == "/save")
    assert save["user_id"] == "bob" and save["status"] == 303
    login = next(row for row in rows if row["route"] == "/auth/callback")
    assert login["user_id"] == "bob"
    # The case id in its own column (issue 22), never in the route or elsewhere.
    assert save["case_id"] == "oidc-case-1"
    assert not any("oidc-case-1" in str(v) for row in rows for k, v in row.items() if k != "case_id")


def test_reader_reads_but_cannot_write(oidc_server: Live) -> None:
    with sign_in(oidc_server, "alice") as http:
        page = http.get("/new", headers=HTML)
        assert page.status_code == 200
        r = http.post("/save", data={**CASE, "case_id": "by-a-reader", "_csrf": csrf_of(page.text)},
                      headers=HTML, follow_redirects=False)
        assert r.status_code == 403 and "editor" in r.text
        assert http.get("/api/kb/rules/NM-01").status_code == 200
        assert http.get("/api/audit").status_code == 403
    assert oidc_server.store.get_case("by-a-reader") is None


def test_account_without_a_bonemet_role_is_refused(oidc_server: Live) -> None:
    with sign_in(oidc_server, "mallory") as http:
        r = http.get("/cases", headers=HTML, follow_redirects=False)
    assert r.status_code == 403


def test_administrator_reads_the_audit_log(oidc_server: Live) -> None:
    with sign_in(oidc_server, "carol") as http:
        r = http.get("/api/audit?limit=5")
    assert r.status_code == 200 and isinstance(r.json()["rows"], list)


def test_forged_session_cookie_is_not_a_session(oidc_server: Live) -> None:
    import base64
    import json

    forged = base64.b64encode(json.dumps({"user": {"id": "carol", "roles": ["administrator"]}})
                              .encode()).decode() + ".AAAAAA.forgedsignature"
    with oidc_server.client(cookies={"bonemet_session": forged}) as http:
        assert http.get("/api/audit").status_code == 401
        assert http.get("/cases", headers=HTML).status_code == 303


def test_callback_with_a_forged_state_signs_nobody_in(oidc_server: Live) -> None:
    with oidc_server.client() as http:
        r = http.get("/auth/callback?code=abc&state=forged", headers=HTML)
        assert r.status_code == 401
        assert http.get("/api/audit").status_code == 401


def test_login_next_is_never_an_open_redirect(oidc_server: Live) -> None:
    with sign_in(oidc_server, "alice") as http:
        r = http.get("/auth/login?next=//evil.example/x", headers=HTML)
    assert r.url.host == "127.0.0.1" and r.url.path == "/cases"


def test_logout_needs_the_csrf_token_then_ends_the_session(oidc_server: Live) -> None:
    with sign_in(oidc_server, "alice") as http:
        page = http.get("/cases", headers=HTML)
        assert http.post("/auth/logout", data={}).status_code == 403
        assert http.get("/api/kb/rules").status_code == 200  # still signed in
        assert http.post("/auth/logout", data={"_csrf": csrf_of(page.text)}).status_code == 200
        assert http.get("/api/kb/rules").status_code == 401


def test_the_id_token_is_checked_by_authlib_nonce_and_audience(oidc_server: Live) -> None:
    # Replaying a finished callback (same code, same state) must not sign in a second browser.
    with oidc_server.client(follow_redirects=True) as http:
        page = http.get("/cases", headers=HTML)
        action = re.search(r'action="([^"]+)"', page.text)
        assert action is not None
        callback = None

        def keep(response: httpx.Response) -> None:
            nonlocal callback
            if response.url.path == "/auth/callback":
                callback = str(response.url)

        http.event_hooks["response"] = [keep]
        http.post(httpx.URL(str(page.url)).join(action.group(1)), data={"login": "bob"})
    assert callback is not None
    with oidc_server.client() as other:
        r = other.get(callback, headers=HTML)
        assert r.status_code == 401
        assert other.get("/api/kb/rules").status_code == 401
