"""Review 26 F14: SMART asymmetric client authentication (private_key_jwt, RFC 7523) against the real
authorization server (oidc-provider, tests/security/oidc/smart.mjs registers `bonemet-smart-jwt`
with bonemet's public key only). bonemet signs a short-lived client assertion (RS384 or ES384) for
the token endpoint; no client secret exists anywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import jwt
import pytest
from smart_ehr import (
    SMART_CLIENT_KEY,
    SMART_CLIENT_KEY_ID,
    SMART_KEY_CLIENT_ID,
    SmartSite,
    _client_key,
    run_site,
    walk_ehr,
)

from bonemet.access.config import Settings, SmartSettings
from bonemet.access.smart import client_assertion, public_jwks
from bonemet.errors import SettingsError

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def key_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmartSite]:
    yield from run_site(tmp_path_factory, client_key=SMART_CLIENT_KEY)


@pytest.fixture(scope="module")
def wrong_key_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmartSite]:
    yield from run_site(tmp_path_factory, client_key=_client_key())  # not the registered key


def _launch(site: SmartSite) -> str:
    return f"/smart/launch?iss={quote(site.ehr.fhir.base, safe='')}&launch=launch-lung"


def test_a_launch_with_a_signed_client_assertion_reaches_the_patient(key_site: SmartSite) -> None:
    with key_site.client() as http:
        r = http.get(walk_ehr(http, _launch(key_site), key_site), headers=HTML, follow_redirects=True)
    assert r.status_code == 200 and r.url.path == "/smart/patient", r.text[:300]
    assert 'id="mapping-report"' in r.text


def test_an_assertion_signed_with_an_unregistered_key_is_refused(wrong_key_site: SmartSite) -> None:
    with wrong_key_site.client() as http:
        r = http.get(walk_ehr(http, _launch(wrong_key_site), wrong_key_site), headers=HTML)
    assert r.status_code == 502 and 'data-reason="token"' in r.text and "Traceback" not in r.text


def test_the_public_key_is_published_and_the_private_one_is_not(key_site: SmartSite) -> None:
    with key_site.client() as http:
        body = http.get("/smart/jwks").json()
    [key] = body["keys"]
    assert key["kid"] == SMART_CLIENT_KEY_ID and key["alg"] == "RS384" and key["kty"] == "RSA"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)  # no private part


def test_the_assertion_is_short_lived_single_use_and_for_the_token_endpoint() -> None:
    smart = SmartSettings(issuers=(), client_id=SMART_KEY_CLIENT_ID, client_key=SMART_CLIENT_KEY,
                          client_key_id=SMART_CLIENT_KEY_ID)
    [jwk] = public_jwks(smart)["keys"]
    public = jwt.PyJWK(jwk).key
    one, two = (client_assertion(smart, "https://ehr.example.org/token") for _ in range(2))
    claims = jwt.decode(one, public, algorithms=["RS384"], audience="https://ehr.example.org/token")
    assert claims["iss"] == claims["sub"] == SMART_KEY_CLIENT_ID
    assert 0 < claims["exp"] - claims["iat"] <= 300  # SMART: at most five minutes
    assert jwt.get_unverified_header(one)["kid"] == SMART_CLIENT_KEY_ID
    assert claims["jti"] != jwt.decode(two, public, algorithms=["RS384"], audience=claims["aud"])["jti"]


def test_an_ec_p384_key_signs_es384() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    smart = SmartSettings(issuers=(), client_id="c", client_key=pem)
    assert jwt.get_unverified_header(client_assertion(smart, "https://t"))["alg"] == "ES384"
    assert public_jwks(smart)["keys"][0]["crv"] == "P-384"


def _env(tmp_path: Path, pem: str, **extra: str) -> dict[str, str]:
    key = tmp_path / "key.pem"
    key.write_text(pem)
    return {"BONEMET_DEV": "1", "BONEMET_SMART_ISSUERS": "https://ehr.example.org/fhir",
            "BONEMET_SMART_CLIENT_ID": "bonemet", "BONEMET_SMART_CLIENT_KEY_FILE": str(key), **extra}


def test_the_key_file_setting(tmp_path: Path) -> None:
    s = Settings.from_env(_env(tmp_path, SMART_CLIENT_KEY, BONEMET_SMART_CLIENT_KEY_ID="k1"))
    assert s.smart is not None and s.smart.client_key_id == "k1" and s.smart.client_secret is None
    assert SMART_CLIENT_KEY not in repr(s)


@pytest.mark.parametrize("pem, words", [
    ("not a key", "not an unencrypted PEM"),
    (None, "RS384"),  # an EC P-256 key: not one SMART asks EHRs to accept
])
def test_a_bad_key_is_refused_at_start(tmp_path: Path, pem: str | None, words: str) -> None:
    if pem is None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
    with pytest.raises(SettingsError, match=words):
        Settings.from_env(_env(tmp_path, pem))


def test_a_secret_and_a_key_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not both"):
        Settings.from_env(_env(tmp_path, SMART_CLIENT_KEY, BONEMET_SMART_CLIENT_SECRET="s"))


def test_no_key_no_jwks(smart_site: SmartSite) -> None:
    with smart_site.client() as http:
        r = http.get("/smart/jwks")
    assert r.status_code == 404 and json.loads(r.text) == {"keys": []}
