"""Who reaches what in production mode (findings 1 and 7): every route needs a user except
health, version and the CDS Hooks services (their own client JWT); proxy headers only from the
trusted proxy; production refuses to start without its authentication settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from security_harness import EHR, Keys, Live, as_proxy

from bonemet.access.config import Settings, SettingsError

PUBLIC = {"/health"}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route, included routers flattened (FastAPI >= 0.12x keeps them
    as one entry each)."""
    out = []

    def walk(routes: Any, prefix: str) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                out.extend((m, prefix + route.path) for m in sorted(route.methods - {"HEAD"}))
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes, prefix + route.include_context.prefix)

    walk(app.routes, "")
    return out


def test_every_route_without_a_user_is_401_or_a_redirect_to_login(oidc_server: Live) -> None:
    routes = _routes(oidc_server.app)
    assert len(routes) > 30
    checked = 0
    with oidc_server.client() as http:
        for method, path in routes:
            if path in PUBLIC or path.startswith(("/auth/", "/cds-services", "/smart/")):
                continue
            for accept in ("text/html", "application/json"):
                r = http.request(method, _concrete(path), headers={"accept": accept})
                if method == "GET" and accept == "text/html":
                    assert r.status_code == 303, (method, path, r.status_code)
                    assert r.headers["location"].startswith("/auth/login")
                else:
                    assert r.status_code == 401, (method, path, r.status_code)
                checked += 1
        assert http.get("/openapi.json").status_code == 401
        assert http.get("/health").status_code == 200
        assert http.get("/version").status_code == 401  # versions only for signed-in users
        assert http.get("/static/app.css").status_code == 200
        # CDS Hooks: no session involved; the services keep their client JWT.
        assert http.get("/cds-services").status_code == 401
        assert "WWW-Authenticate" in http.get("/cds-services").headers
    assert checked > 60


def test_every_route_without_a_user_is_refused_in_proxy_mode(untrusted_proxy_server: Live) -> None:
    with untrusted_proxy_server.client() as http:
        for method, path in _routes(untrusted_proxy_server.app):
            if path in PUBLIC or path.startswith(("/auth/", "/cds-services", "/smart/")):
                continue
            r = http.request(method, _concrete(path), headers=as_proxy("eve", "administrator"))
            assert r.status_code == 401, (method, path, r.status_code)


def test_proxy_headers_from_an_untrusted_address_are_refused(untrusted_proxy_server: Live) -> None:
    with untrusted_proxy_server.client() as http:
        r = http.get("/api/kb/rules", headers=as_proxy("eve", "administrator"))
    assert r.status_code == 401 and "reverse proxy" in r.text


def test_trusted_proxy_user_and_mapped_role_write_and_are_audited(proxy_server: Live) -> None:
    case = {"schema_version": "1.0", "case_id": "proxy-1", "context": {"phase": "staging"}}
    with proxy_server.client() as http:
        assert http.get("/api/kb/rules", headers=as_proxy("dr.reader", "reader")).status_code == 200
        refused = http.put("/api/cases/proxy-1", json=case, headers=as_proxy("dr.reader", "reader"))
        assert refused.status_code == 403
        ok = http.put("/api/cases/proxy-1", json=case,
                      headers=as_proxy("dr.house", "radiology-staff"))  # mapped to editor
        assert ok.status_code == 200, ok.text
        assert http.get("/api/cases", headers={"x-remote-roles": "editor"}).status_code == 401
    rows = proxy_server.store.audit_rows(20)
    put = [r for r in rows if r["method"] == "PUT" and r["status"] == 200]
    assert put and put[0]["user_id"] == "dr.house" and put[0]["route"] == "/api/cases/{case_id}"
    assert put[0]["case_id"] == "proxy-1"  # in its own column (issue 22), nowhere else
    assert not any("proxy-1" in str(v) for r in rows for k, v in r.items() if k != "case_id")


def test_jwt_client_writes_are_audited_with_the_client(proxy_server: Live, keys: Keys) -> None:
    case = {"schema_version": "1.0", "case_id": "jwt-1", "context": {"phase": "staging"}}
    with proxy_server.client() as http:
        url = f"{proxy_server.url}/api/cases/jwt-1"
        r = http.put("/api/cases/jwt-1", json=case,
                     headers={"authorization": f"Bearer {keys.token(url)}"})
    assert r.status_code == 200, r.text
    row = next(r for r in proxy_server.store.audit_rows(20) if r["method"] == "PUT")
    assert row["user_id"] == f"client:{EHR}"


@pytest.mark.parametrize(("missing", "message"), [
    ("BONEMET_AUTH", "BONEMET_AUTH: required outside development mode"),
    ("BONEMET_BASE_URL", "BONEMET_BASE_URL: required outside development mode"),
    ("BONEMET_SESSION_SECRET", "BONEMET_SESSION_SECRET: required"),
])
def test_production_refuses_to_start_without_its_settings(tmp_path: Path, missing: str,
                                                          message: str) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    env = {"BONEMET_ISS_ALLOWLIST": EHR, "BONEMET_JWKS_FILE": str(jwks), "BONEMET_AUTH": "oidc",
           "BONEMET_OIDC_ISSUER": "https://idp.example", "BONEMET_OIDC_CLIENT_ID": "c",
           "BONEMET_OIDC_CLIENT_SECRET": "s", "BONEMET_SESSION_SECRET": "y" * 40,
           "BONEMET_BASE_URL": "https://bonemet.example", "BONEMET_DB": str(tmp_path / "s.db")}
    Settings.from_env(env)  # complete: accepted
    del env[missing]
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)
    # The command refuses too, before binding anything, and says why (exit 2, no traceback).
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BONEMET_")}
    result = subprocess.run([sys.executable, "-m", "bonemet", "serve", "--host", "0.0.0.0",
                             "--port", "0"], env={**clean, **env}, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2, result.stderr
    assert missing in result.stderr and "Traceback" not in result.stderr
    assert "serving" not in result.stderr


def test_proxy_mode_needs_trusted_addresses() -> None:
    with pytest.raises(SettingsError, match="BONEMET_TRUSTED_PROXIES"):
        Settings.from_env({"BONEMET_DEV": "1", "BONEMET_AUTH": "proxy"})
    with pytest.raises(SettingsError, match="not an address"):
        Settings.from_env({"BONEMET_DEV": "1", "BONEMET_AUTH": "proxy",
                           "BONEMET_TRUSTED_PROXIES": "proxy.example"})


def test_audience_comes_from_the_base_url_not_the_host_header(proxy_server: Live, keys: Keys) -> None:
    # Finding 7: a token minted for another host name must not pass because the caller sent
    # that name in Host. (HostCheck refuses the foreign Host outright; the audience check is
    # tested with the right Host and a wrong audience.)
    with proxy_server.client() as http:
        forged = keys.token("http://evil.example/api/cases")
        r = http.get("/api/cases", headers={"authorization": f"Bearer {forged}",
                                            "host": "evil.example"})
        assert r.status_code == 421
        r = http.get("/api/cases", headers={"authorization": f"Bearer {forged}"})
        assert r.status_code == 401 and "aud" in r.text
