"""Production-mode bonemet servers and a real OpenID Connect provider for the security probes.

* `oidc_provider`: panva's oidc-provider (OpenID certified) run by Node.js from
  tests/security/oidc (installed by `make test` / `make oidc`), on a free port;
* `oidc_server`: bonemet in production mode signing users in with that provider (Authlib);
* `proxy_server`: bonemet in production mode behind a trusted reverse proxy (127.0.0.1 trusted);
* `dev_server`: development mode on loopback (no sign-in, but CSRF and Host checks).

All are real uvicorn servers on free loopback ports; the EHR client keys of CDS Hooks are made
here too, so that the JWT forgeries can be replayed against the production server.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from bonemet.access.config import OidcSettings, ProxySettings, Settings
from bonemet.http.app import create_app

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
EHR = "https://ehr.example.org"
CLIENT_ID = "bonemet"
CLIENT_SECRET = "a-client-secret-of-the-test-provider"
SESSION_SECRET = "x" * 48


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    url: str
    settings: Settings
    app: Any

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    @property
    def store(self) -> Any:
        return self.app.state.bonemet.store


def start(settings: Settings, port: int) -> tuple[Live, Callable[[], None]]:
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="on", server_header=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return Live(f"http://127.0.0.1:{port}", settings, app), stop


@dataclass
class Keys:
    ec_private: ec.EllipticCurvePrivateKey
    rsa_private: rsa.RSAPrivateKey
    other: ec.EllipticCurvePrivateKey

    def jwks(self) -> dict[str, Any]:
        def jwk(private: Any, kid: str, alg: str) -> dict[str, Any]:
            algo = ECAlgorithm if alg.startswith("ES") else RSAAlgorithm
            return {**json.loads(algo.to_jwk(private.public_key())), "kid": kid, "alg": alg}

        return {"keys": [jwk(self.ec_private, "ec-1", "ES384"), jwk(self.rsa_private, "rsa-1", "RS384")]}

    def token(self, aud: str, *, alg: str = "ES384", kid: str = "ec-1", key: Any = None,
              **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": EHR, "aud": aud, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4()),
                   **claims}
        signing = key or (self.rsa_private if alg.startswith("RS") else self.ec_private)
        return jwt.encode(payload, signing, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(ec.generate_private_key(ec.SECP384R1()), rsa.generate_private_key(65537, 2048),
                ec.generate_private_key(ec.SECP384R1()))


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen[bytes]


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("the OIDC provider is not installed: run `make oidc` (npm ci in tests/security/oidc)")
    return node


@pytest.fixture(scope="session")
def bonemet_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def oidc_provider(bonemet_port: int) -> Iterator[Provider]:
    port = free_port()
    redirect = f"http://127.0.0.1:{bonemet_port}/auth/callback"
    process = subprocess.Popen(
        [_node(), "server.mjs", str(port), CLIENT_ID, CLIENT_SECRET, redirect], cwd=OIDC_DIR,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "NODE_ENV": "test"})
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(issuer + "/.well-known/openid-configuration", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            out = process.stdout.read().decode() if process.stdout else ""
            process.kill()
            raise RuntimeError(f"oidc-provider did not start: {out}")
        time.sleep(0.1)
    yield Provider(issuer, process)
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


# The role map of docs/deploy.md: roles come from directory groups, and only through this map.
ROLE_MAP = {"bonemet-readers": "reader", "bonemet-editors": "editor",
            "bonemet-admins": "administrator"}
GROUP_OF = {role: group for group, role in ROLE_MAP.items()}


def production(db: Path, port: int, keys: Keys, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "db_path": db, "public_base_url": f"http://127.0.0.1:{port}",
        "iss_allowlist": (EHR,), "jwks": keys.jwks(), "max_body_bytes": 1024 * 1024,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def oidc_server(tmp_path_factory: pytest.TempPathFactory, keys: Keys, oidc_provider: Provider,
                bonemet_port: int) -> Iterator[Live]:
    settings = production(
        tmp_path_factory.mktemp("oidc") / "store.sqlite3", bonemet_port, keys, auth_mode="oidc",
        oidc=OidcSettings(issuer=oidc_provider.issuer, client_id=CLIENT_ID,
                          client_secret=CLIENT_SECRET, scopes="openid profile roles"),
        session_secret=SESSION_SECRET, role_map=ROLE_MAP)
    live, stop = start(settings, bonemet_port)
    yield live
    stop()


@pytest.fixture(scope="session")
def proxy_server(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[Live]:
    port = free_port()
    settings = production(tmp_path_factory.mktemp("proxy") / "store.sqlite3", port, keys,
                          auth_mode="proxy", proxy=ProxySettings(trusted=("127.0.0.1",)),
                          role_map={**ROLE_MAP, "radiology-staff": "editor"},
                          fhir_servers={EHR: ("http://127.0.0.1:1/fhir",)})
    live, stop = start(settings, port)
    yield live
    stop()


@pytest.fixture(scope="session")
def untrusted_proxy_server(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[Live]:
    """Proxy mode where the test's own address (127.0.0.1) is NOT a trusted proxy."""
    port = free_port()
    settings = production(tmp_path_factory.mktemp("untrusted") / "store.sqlite3", port, keys,
                          auth_mode="proxy", proxy=ProxySettings(trusted=("10.20.30.40",)))
    live, stop = start(settings, port)
    yield live
    stop()


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    port = free_port()
    settings = Settings(db_path=tmp_path_factory.mktemp("dev") / "store.sqlite3", dev_mode=True,
                        max_body_bytes=1024 * 1024)
    live, stop = start(settings, port)
    yield live
    stop()


def as_proxy(user: str, roles: str = "editor") -> dict[str, str]:
    """The headers the trusted proxy sets for a user holding `roles` (bonemet role names, sent as
    the directory groups the role map turns into them; other names are sent as they are)."""
    groups = ",".join(GROUP_OF.get(r.strip(), r.strip()) for r in roles.split(","))
    return {"x-remote-user": user, "x-remote-roles": groups}


CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
VERSION = re.compile(r'name="_version" value="(\d+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)


@contextmanager
def sign_in(server: Live, account: str) -> Iterator[httpx.Client]:
    """The whole authorization code flow, through the real provider: bonemet -> provider login
    form -> consent -> bonemet callback; yields a client holding the bonemet session cookie."""
    with server.client(follow_redirects=True) as http:
        _sign_in(http, account)
        yield http


def _sign_in(http: httpx.Client, account: str) -> None:
    page = http.get("/cases", headers={"accept": "text/html"})
    assert "/interaction/" in str(page.url), page.text[:300]
    action = re.search(r'action="([^"]+)"', page.text)
    assert action is not None
    done = http.post(httpx.URL(str(page.url)).join(action.group(1)), data={"login": account},
                     headers={"accept": "text/html"})
    assert done.url.path == "/cases" and done.status_code in (200, 403), (done.status_code, done.url)
