"""The CDS client JWT forgeries, replayed against a production-mode server, on the CDS Hooks
discovery and on the JSON API (where a JWT stands in for a signed-in user)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from security_harness import EHR, Keys, Live


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unsigned(keys: Keys, aud: str) -> str:
    now = int(time.time())
    return f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'ec-1'})}." \
           f"{_b64({'iss': EHR, 'aud': aud, 'exp': now + 60, 'iat': now, 'jti': 'n1'})}."


def _hs256_with_public_key(keys: Keys, aud: str) -> str:
    public = keys.rsa_private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"})
    body = _b64({"iss": EHR, "aud": aud, "exp": now + 60, "iat": now, "jti": "h1"})
    import hashlib
    import hmac

    sig = hmac.new(public, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"


FORGERIES: dict[str, Callable[[Keys, str], str]] = {
    "alg-none": _unsigned,
    "hs256-with-the-public-key": _hs256_with_public_key,
    "untrusted-key": lambda k, aud: k.token(aud, key=k.other),
    "es384-naming-the-rsa-key": lambda k, aud: k.token(aud, kid="rsa-1"),
    "unknown-kid": lambda k, aud: k.token(aud, kid="nope"),
    "expired": lambda k, aud: k.token(aud, exp=int(time.time()) - 600, iat=int(time.time()) - 900),
    "lifetime-too-long": lambda k, aud: k.token(aud, exp=int(time.time()) + 86400),
    "iat-in-the-future": lambda k, aud: k.token(aud, iat=int(time.time()) + 3600),
    "wrong-audience": lambda k, aud: k.token(aud + "/other"),
    "host-header-audience": lambda k, aud: k.token(aud.replace("127.0.0.1", "evil.example")),
    "unknown-issuer": lambda k, aud: k.token(aud, iss="https://evil.example"),
    "no-jti": lambda k, aud: jwt.encode({"iss": EHR, "aud": aud, "exp": int(time.time()) + 60,
                                         "iat": int(time.time())}, k.ec_private, algorithm="ES384",
                                        headers={"kid": "ec-1"}),
    "no-kid": lambda k, aud: jwt.encode({"iss": EHR, "aud": aud, "exp": int(time.time()) + 60,
                                         "iat": int(time.time()), "jti": "x"}, k.ec_private,
                                        algorithm="ES384"),
    "jku-not-allowed": lambda k, aud: jwt.encode(
        {"iss": EHR, "aud": aud, "exp": int(time.time()) + 60, "iat": int(time.time()), "jti": "j"},
        k.ec_private, algorithm="ES384", headers={"kid": "ec-1", "jku": "http://127.0.0.1:1/jwks"}),
    "garbage": lambda k, aud: "not.a.jwt",
}


@pytest.mark.parametrize("path", ["/cds-services", "/api/cases"])
@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_jwt_is_401(proxy_server: Live, keys: Keys, forgery: str, path: str) -> None:
    token = FORGERIES[forgery](keys, proxy_server.url + path)
    with proxy_server.client() as http:
        r = http.get(path, headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 401, (forgery, r.status_code, r.text[:200])


def test_replayed_jwt_is_401(proxy_server: Live, keys: Keys) -> None:
    token = keys.token(proxy_server.url + "/api/cases")
    with proxy_server.client() as http:
        assert http.get("/api/cases", headers={"authorization": f"Bearer {token}"}).status_code == 200
        again = http.get("/api/cases", headers={"authorization": f"Bearer {token}"})
    assert again.status_code == 401 and "replayed" in again.text


def test_a_valid_jwt_cannot_reach_the_web_pages_or_the_audit_log(proxy_server: Live, keys: Keys) -> None:
    with proxy_server.client() as http:
        page_jwt = keys.token(proxy_server.url + "/cases")
        audit_jwt = keys.token(proxy_server.url + "/api/audit")
        page = http.get("/cases", headers={"authorization": f"Bearer {page_jwt}"})
        audit = http.get("/api/audit", headers={"authorization": f"Bearer {audit_jwt}"})
    assert page.status_code == 401  # pages are for people (proxy), not for EHR clients
    assert audit.status_code == 403  # an EHR client is an editor, never an administrator
