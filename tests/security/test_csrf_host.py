"""CSRF and DNS rebinding (finding 2), in development mode on loopback as in production."""

from __future__ import annotations

import pytest
from security_harness import Live, csrf_of, sign_in

HTML = {"accept": "text/html"}
CASE = {"schema_version": "1.0", "case_id": "csrf-1", "context.phase": "staging", "_new": "1",
        "_version": "0"}


def test_save_without_the_token_is_refused_and_nothing_is_stored(dev_server: Live) -> None:
    with dev_server.client() as http:
        http.get("/new", headers=HTML)  # a session exists, but the attacker cannot read its token
        r = http.post("/save", data=CASE, headers=HTML)
    assert r.status_code == 403 and "_csrf" in r.text
    assert dev_server.store.get_case("csrf-1") is None


def test_save_with_another_sessions_token_is_refused(dev_server: Live) -> None:
    with dev_server.client() as attacker:
        stolen = csrf_of(attacker.get("/new", headers=HTML).text)
    with dev_server.client() as victim:
        victim.get("/new", headers=HTML)
        r = victim.post("/save", data={**CASE, "_csrf": stolen}, headers=HTML)
    assert r.status_code == 403
    assert dev_server.store.get_case("csrf-1") is None


def test_save_with_the_token_works(dev_server: Live) -> None:
    with dev_server.client() as http:
        token = csrf_of(http.get("/new", headers=HTML).text)
        r = http.post("/save", data={**CASE, "_csrf": token}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert dev_server.store.get_case("csrf-1") is not None


def test_import_without_the_token_is_refused(dev_server: Live) -> None:
    with dev_server.client() as http:
        http.get("/cases", headers=HTML)
        r = http.post("/import", files={"file": ("c.yaml", b"case_id: x\n", "text/plain")})
    assert r.status_code == 403


@pytest.mark.parametrize("headers", [
    {"sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "same-site"},
    {"origin": "https://evil.example"},
    {"origin": "null"},
])
def test_cross_site_posts_are_refused_even_with_a_token(dev_server: Live, headers: dict[str, str]) -> None:
    with dev_server.client() as http:
        token = csrf_of(http.get("/new", headers=HTML).text)
        r = http.post("/save", data={**CASE, "case_id": "csrf-x", "_csrf": token},
                      headers={**HTML, **headers})
    assert r.status_code == 403
    assert dev_server.store.get_case("csrf-x") is None


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.nip.io", "attacker"])
def test_dns_rebinding_host_is_refused(dev_server: Live, host: str) -> None:
    with dev_server.client() as http:
        for path in ("/cases", "/api/cases", "/cases/csrf-1/export", "/openapi.json"):
            r = http.get(path, headers={"host": host})
            assert r.status_code == 421, (path, r.status_code)
        assert http.get("/cases", headers={"host": "localhost"}).status_code == 200


def test_production_host_must_be_the_base_url(oidc_server: Live) -> None:
    with oidc_server.client() as http:
        assert http.get("/version", headers={"host": "other.example"}).status_code == 421
        assert http.get("/health", headers={"host": "10.1.2.3"}).status_code == 200  # probes


def test_production_forms_need_the_token_too(oidc_server: Live) -> None:
    with sign_in(oidc_server, "bob") as http:
        r = http.post("/save", data={**CASE, "case_id": "csrf-prod"}, headers=HTML)
    assert r.status_code == 403
    assert oidc_server.store.get_case("csrf-prod") is None


def test_session_cookie_flags(oidc_server: Live) -> None:
    with oidc_server.client() as http:
        r = http.get("/auth/login?next=/cases")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
