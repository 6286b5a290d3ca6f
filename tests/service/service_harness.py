"""Real servers on free loopback ports: bonemet under uvicorn (one in development mode, one with
client authentication), a JWKS server for `jku`, and a small FHIR server for prefetch fallback."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from bonemet.access.config import ProxySettings, Settings
from bonemet.http.app import create_app

ISSUER = "https://ehr.example.org"
JKU_ISSUER = "https://other-ehr.example.org"
FHIR_TOKEN = "fhir-access-token-123"
PUBLIC_URL = "https://bonemet.test"  # dev server: stable absolute URLs in cards (goldens)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    settings: Settings
    app: Any

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)


def _start_uvicorn(settings: Settings, port: int | None = None) -> tuple[LiveServer, Callable[[], None]]:
    app = create_app(settings)
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="on", server_header=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return LiveServer(f"http://127.0.0.1:{port}", settings, app), stop


@dataclass
class Keys:
    ec_private: ec.EllipticCurvePrivateKey
    rsa_private: rsa.RSAPrivateKey
    jku_private: ec.EllipticCurvePrivateKey
    other_private: ec.EllipticCurvePrivateKey  # a key nobody trusts

    @staticmethod
    def jwk(private: Any, kid: str, alg: str) -> dict[str, Any]:
        public = private.public_key()
        algo = ECAlgorithm if alg.startswith("ES") else RSAAlgorithm
        data: dict[str, Any] = json.loads(algo.to_jwk(public))
        return {**data, "kid": kid, "alg": alg, "use": "sig"}


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(ec.generate_private_key(ec.SECP384R1()), rsa.generate_private_key(65537, 2048),
                ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP384R1()))


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, bytes]]] = {}
    seen: ClassVar[list[dict[str, Any]]] = []
    token: str | None = None

    def do_GET(self) -> None:
        type(self).seen.append({"path": self.path, "authorization": self.headers.get("Authorization")})
        if self.token and self.headers.get("Authorization") != f"Bearer {self.token}":
            self._send(401, b'{"resourceType":"OperationOutcome"}')
            return
        status, body = self.routes.get(self.path, (404, b'{"resourceType":"OperationOutcome"}'))
        self._send(status, body)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass


@dataclass
class StaticServer:
    url: str
    handler: type[_Handler]
    server: ThreadingHTTPServer = field(repr=False)

    def set(self, path: str, body: Any, status: int = 200) -> None:
        self.handler.routes[path] = (status, json.dumps(body).encode())


def _static_server(token: str | None = None) -> Iterator[StaticServer]:
    handler = type("Handler", (_Handler,), {"routes": {}, "seen": [], "token": token})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield StaticServer(f"http://127.0.0.1:{server.server_address[1]}", handler, server)
    server.shutdown()


@pytest.fixture(scope="session")
def jwks_server(keys: Keys) -> Iterator[StaticServer]:
    for srv in _static_server():
        srv.set("/jwks.json", {"keys": [Keys.jwk(keys.jku_private, "jku-key-1", "ES384")]})
        yield srv


@pytest.fixture(scope="session")
def fhir_server() -> Iterator[StaticServer]:
    yield from _static_server(token=FHIR_TOKEN)


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = Settings(db_path=tmp_path_factory.mktemp("dev") / "store.sqlite3", dev_mode=True,
                        cors_origins=("https://ehr.example.org",), public_base_url=PUBLIC_URL)
    live, stop = _start_uvicorn(settings)
    yield live
    stop()


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory: pytest.TempPathFactory, keys: Keys,
                jwks_server: StaticServer) -> Iterator[LiveServer]:
    jwks = {"keys": [Keys.jwk(keys.ec_private, "ec-key-1", "ES384"),
                     Keys.jwk(keys.rsa_private, "rsa-key-1", "RS384")]}
    port = free_port()
    # Production mode: users come through a reverse proxy (none trusted here: only the JWT of an
    # EHR client opens the API), and the JWT audience is the configured base URL.
    settings = Settings(db_path=tmp_path_factory.mktemp("auth") / "store.sqlite3",
                        iss_allowlist=(ISSUER, JKU_ISSUER),
                        jku_allowlist=(f"{jwks_server.url}/jwks.json",), jwks=jwks,
                        auth_mode="proxy", proxy=ProxySettings(trusted=("10.255.255.1",)),
                        public_base_url=f"http://127.0.0.1:{port}")
    live, stop = _start_uvicorn(settings, port)
    yield live
    stop()


@pytest.fixture()
def token(keys: Keys) -> Callable[..., str]:
    """A signed client JWT for the given audience; keyword arguments override any claim."""

    def make(aud: str | list[str], *, alg: str = "ES384", kid: str = "ec-key-1",
             key: Any = None, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": aud, "exp": now + 300, "iat": now,
                   "jti": str(uuid.uuid4()), **claims}
        signing = key or (keys.rsa_private if alg.startswith("RS") else keys.ec_private)
        return jwt.encode(payload, signing, algorithm=alg,
                          headers={"kid": kid, "typ": "JWT", **(headers or {})})

    return make


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
