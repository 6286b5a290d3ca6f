"""A production server started as docs/deploy.md says (its env block, values swapped for the test
OIDC provider) answers 401 or a redirect to sign-in on every page and API route (CDS Hooks discovery and
`/version` included) except `/health`; and a real sign-in works through it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from security_harness import CLIENT_ID, CLIENT_SECRET, Keys, Provider, free_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def _doc_env() -> dict[str, str]:
    block = re.search(r"```env\n(.*?)```", DOC.read_text(), re.S)
    assert block is not None, "docs/deploy.md has no env block"
    return dict(line.split("=", 1) for line in block.group(1).splitlines() if line.strip())


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, keys: Keys,
             oidc_provider: Provider) -> Iterator[str]:
    # The provider's registered redirect URI names the in-process oidc_server's port, so this server
    # (its own port) is checked up to the redirect to the provider; the whole sign-in is in
    # test_login_oidc.py.
    tmp = tmp_path_factory.mktemp("deploy")
    env = _doc_env()
    port = free_port()
    secret = tmp / "oidc-secret"
    secret.write_text(CLIENT_SECRET)
    session = tmp / "session-secret"
    session.write_text("s" * 48)
    jwks = tmp / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    env.update({"BONEMET_DB": str(tmp / "bonemet.sqlite3"),
                "BONEMET_BASE_URL": f"http://127.0.0.1:{port}",
                "BONEMET_OIDC_ISSUER": oidc_provider.issuer, "BONEMET_OIDC_CLIENT_ID": CLIENT_ID,
                "BONEMET_OIDC_CLIENT_SECRET_FILE": str(secret),
                "BONEMET_SESSION_SECRET_FILE": str(session), "BONEMET_JWKS_FILE": str(jwks)})
    assert set(env) == set(_doc_env())  # every variable of the doc is used, none added
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BONEMET_")}
    process = subprocess.Popen([sys.executable, "-m", "bonemet", "serve", "--host", "127.0.0.1",
                                "--port", str(port)], env={**clean, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            out = process.stdout.read().decode() if process.stdout else ""
            process.kill()
            raise RuntimeError(f"bonemet did not start as docs/deploy.md says: {out}")
        time.sleep(0.2)
    yield url
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


PAGES = ["/cases", "/new", "/kb", "/calculators", "/cases/x1", "/cases/x1/edit", "/cases/x1/export",
         "/cases/x1/summary", "/cases/x1/summary.pdf", "/cases/x1/timeline.svg", "/lang/fr",
         "/kb/rules/NM-01", "/calculators/probability", "/"]
API = [("GET", "/api/kb/rules"), ("GET", "/api/cases"), ("PUT", "/api/cases/x1"),
       ("POST", "/api/assess"), ("POST", "/api/fhir/case"), ("GET", "/api/schema/case"),
       ("POST", "/api/scores/mirels"), ("POST", "/api/probability"), ("GET", "/api/audit"),
       ("GET", "/openapi.json"), ("POST", "/save"), ("POST", "/import")]


def test_pages_redirect_to_sign_in(deployed: str) -> None:
    with httpx.Client(base_url=deployed, headers={"accept": "text/html"}) as http:
        for path in PAGES:
            r = http.get(path)
            assert r.status_code == 303 and r.headers["location"].startswith("/auth/login"), path


def test_api_routes_are_401(deployed: str) -> None:
    with httpx.Client(base_url=deployed) as http:
        for method, path in API:
            assert http.request(method, path, json={}).status_code == 401, (method, path)
        assert http.get("/health").json() == {"status": "ok"}
        assert http.get("/version").status_code == 401  # no versions for an outsider
        assert http.get("/cds-services").status_code == 401  # the EHR's JWT, not a session


def test_sign_in_reaches_the_provider(deployed: str, oidc_provider: Provider) -> None:
    with httpx.Client(base_url=deployed) as http:
        login = http.get("/auth/login?next=/cases")
    assert login.status_code == 302
    assert login.headers["location"].startswith(oidc_provider.issuer + "/auth?")
    assert f"redirect_uri=http%3A%2F%2F127.0.0.1%3A{deployed.rsplit(':', 1)[1]}%2Fauth%2Fcallback" \
        in login.headers["location"]


def test_the_doc_names_every_production_requirement() -> None:
    env = _doc_env()
    for name in ("BONEMET_AUTH", "BONEMET_BASE_URL", "BONEMET_ISS_ALLOWLIST", "BONEMET_JWKS_FILE",
                 "BONEMET_SESSION_SECRET_FILE"):
        assert name in env
