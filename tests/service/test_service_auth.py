"""Client authentication (CDS Hooks 2.0 §Trusting CDS Clients) against a real server."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from service_harness import ISSUER, JKU_ISSUER, Keys, LiveServer, StaticServer


def _discovery(server: LiveServer, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with server.client() as http:
        return http.get("/cds-services", headers=headers)


def test_req_199_out_of_band_jwks_es384_token_is_accepted(auth_server: LiveServer, token: Any) -> None:
    r = _discovery(auth_server, token(f"{auth_server.url}/cds-services"))
    assert r.status_code == 200
    assert r.json()["services"]


def test_valid_rs384_token_is_accepted(auth_server: LiveServer, token: Any) -> None:
    t = token(f"{auth_server.url}/cds-services", alg="RS384", kid="rsa-key-1")
    assert _discovery(auth_server, t).status_code == 200


def test_aud_as_array_naming_the_endpoint_is_accepted(auth_server: LiveServer, token: Any) -> None:
    t = token(["https://elsewhere.example", f"{auth_server.url}/cds-services"])
    assert _discovery(auth_server, t).status_code == 200


def test_missing_token_is_401_with_operation_outcome(auth_server: LiveServer) -> None:
    r = _discovery(auth_server, None)
    assert r.status_code == 401
    body = r.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "Bearer" in r.headers["www-authenticate"]
    assert "Authorization" in str(body)


def test_expired_token_is_refused(auth_server: LiveServer, token: Any) -> None:
    now = int(time.time())
    t = token(f"{auth_server.url}/cds-services", exp=now - 120, iat=now - 400)
    r = _discovery(auth_server, t)
    assert r.status_code == 401
    assert "expired" in r.text


def test_wrong_aud_is_refused(auth_server: LiveServer, token: Any) -> None:
    r = _discovery(auth_server, token(f"{auth_server.url}/cds-services/other"))
    assert r.status_code == 401
    assert "aud" in r.text


def test_unknown_iss_is_refused(auth_server: LiveServer, token: Any) -> None:
    r = _discovery(auth_server, token(f"{auth_server.url}/cds-services", iss="https://evil.example"))
    assert r.status_code == 401
    assert "allowlist" in r.text


def test_req_201_alg_none_is_refused(auth_server: LiveServer) -> None:
    now = int(time.time())
    unsigned = jwt.encode({"iss": ISSUER, "aud": f"{auth_server.url}/cds-services", "exp": now + 60,
                           "iat": now, "jti": "none-1"}, key=None, algorithm="none",
                          headers={"kid": "ec-key-1"})
    r = _discovery(auth_server, unsigned)
    assert r.status_code == 401
    assert "none" in r.text


def test_req_203_symmetric_hs256_is_refused(auth_server: LiveServer) -> None:
    now = int(time.time())
    # The attack this guards against: HMAC "signed" with the public key text as the secret.
    hs = jwt.encode({"iss": ISSUER, "aud": f"{auth_server.url}/cds-services", "exp": now + 60,
                     "iat": now, "jti": "hs-1"}, "a-shared-secret-of-32-bytes-or-more!",
                    algorithm="HS256", headers={"kid": "ec-key-1"})
    r = _discovery(auth_server, hs)
    assert r.status_code == 401
    assert "HS256" in r.text


def test_replayed_jti_is_refused(auth_server: LiveServer, token: Any) -> None:
    t = token(f"{auth_server.url}/cds-services")
    assert _discovery(auth_server, t).status_code == 200
    r = _discovery(auth_server, t)
    assert r.status_code == 401
    assert "replayed" in r.text


def test_signature_by_an_untrusted_key_is_refused(auth_server: LiveServer, token: Any,
                                                  keys: Keys) -> None:
    r = _discovery(auth_server, token(f"{auth_server.url}/cds-services", key=keys.other_private))
    assert r.status_code == 401
    assert "signature" in r.text


def test_missing_kid_is_refused(auth_server: LiveServer, keys: Keys) -> None:
    now = int(time.time())
    t = jwt.encode({"iss": ISSUER, "aud": f"{auth_server.url}/cds-services", "exp": now + 60,
                    "iat": now, "jti": "nokid"}, keys.ec_private, algorithm="ES384")
    r = _discovery(auth_server, t)
    assert r.status_code == 401
    assert "kid" in r.text


def test_missing_jti_is_refused(auth_server: LiveServer, keys: Keys) -> None:
    now = int(time.time())
    t = jwt.encode({"iss": ISSUER, "aud": f"{auth_server.url}/cds-services", "exp": now + 60,
                    "iat": now}, keys.ec_private, algorithm="ES384", headers={"kid": "ec-key-1"})
    assert _discovery(auth_server, t).status_code == 401


def test_jku_in_allowlist_is_fetched_from_a_real_server(auth_server: LiveServer, token: Any,
                                                        keys: Keys, jwks_server: StaticServer) -> None:
    jku = f"{jwks_server.url}/jwks.json"
    t = token(f"{auth_server.url}/cds-services", iss=JKU_ISSUER, kid="jku-key-1",
              key=keys.jku_private, headers={"jku": jku})
    assert _discovery(auth_server, t).status_code == 200
    assert any(s["path"] == "/jwks.json" for s in jwks_server.handler.seen)


def test_jku_outside_allowlist_is_refused_without_fetching(auth_server: LiveServer, token: Any,
                                                           keys: Keys, jwks_server: StaticServer) -> None:
    before = len(jwks_server.handler.seen)
    jku = f"{jwks_server.url}/other-jwks.json"
    t = token(f"{auth_server.url}/cds-services", kid="jku-key-1", key=keys.jku_private,
              headers={"jku": jku})
    r = _discovery(auth_server, t)
    assert r.status_code == 401
    assert "jku" in r.text
    assert len(jwks_server.handler.seen) == before


def test_req_176_service_calls_need_a_jwt(auth_server: LiveServer) -> None:
    with auth_server.client() as http:
        r = http.post("/cds-services/bonemet-imaging-order", json={"hook": "order-select"})
    assert r.status_code == 401


def test_stored_cases_need_a_jwt_outside_dev_mode(auth_server: LiveServer, token: Any) -> None:
    with auth_server.client() as http:
        assert http.get("/api/cases").status_code == 401
        ok = http.get("/api/cases",
                      headers={"Authorization": f"Bearer {token(f'{auth_server.url}/api/cases')}"})
    assert ok.status_code == 200


def test_public_routes_do_not_need_a_jwt(auth_server: LiveServer) -> None:
    with auth_server.client() as http:
        assert http.get("/health").status_code == 200
        # Everything else needs a user (issue 12): the knowledge base too, outside dev mode, and
        # the versions (issue 22: they would tell an outsider which exploit to pick).
        assert http.get("/version").status_code == 401
        assert http.get("/api/kb/rules/NM-01").status_code == 401


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer not.a.jwt"])
def test_malformed_authorization_is_401(auth_server: LiveServer, header: str) -> None:
    with auth_server.client() as http:
        r = http.get("/cds-services", headers={"Authorization": header})
    assert r.status_code == 401
