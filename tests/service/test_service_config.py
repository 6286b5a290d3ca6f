"""Settings from BONEMET_* variables: safe defaults, clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bonemet.access.config import Settings, SettingsError
from bonemet.http.serve import ServeError, settings_for


def test_dev_mode_needs_no_keys() -> None:
    s = Settings.from_env({"BONEMET_DEV": "1", "BONEMET_LANG": "fr", "BONEMET_DB": "/tmp/x.db"})
    assert s.dev_mode and s.default_lang == "fr" and s.db_path == Path("/tmp/x.db")


# What production mode needs besides the CDS Hooks keys (tests/security covers these refusals).
USERS = {"BONEMET_AUTH": "proxy", "BONEMET_TRUSTED_PROXIES": "10.0.0.5",
         "BONEMET_BASE_URL": "https://bonemet.hospital.example"}


def test_production_mode_refuses_to_start_without_issuers() -> None:
    with pytest.raises(SettingsError, match="BONEMET_ISS_ALLOWLIST"):
        Settings.from_env(USERS)


def test_production_mode_needs_a_key_source() -> None:
    with pytest.raises(SettingsError, match="JWKS"):
        Settings.from_env({**USERS, "BONEMET_ISS_ALLOWLIST": "https://ehr.example.org"})


def test_jwks_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": []}))
    s = Settings.from_env({**USERS, "BONEMET_ISS_ALLOWLIST": "https://a.example/, https://b.example",
                           "BONEMET_JWKS_FILE": str(path)})
    assert s.iss_allowlist == ("https://a.example", "https://b.example")
    assert s.jwks == {"keys": []}


@pytest.mark.parametrize(("env", "message"), [
    ({"BONEMET_DEV": "maybe"}, "BONEMET_DEV"),
    ({"BONEMET_DEV": "1", "BONEMET_LANG": "de"}, "BONEMET_LANG"),
    ({"BONEMET_DEV": "1", "BONEMET_CORS_ORIGINS": "*"}, "'\\*' is refused"),
    ({"BONEMET_DEV": "1", "BONEMET_JWT_ALGORITHMS": "ES384,HS256"}, "HS256"),
    ({"BONEMET_DEV": "1", "BONEMET_FHIR_TIMEOUT": "-1"}, "BONEMET_FHIR_TIMEOUT"),
    ({"BONEMET_DEV": "1", "BONEMET_JWKS_FILE": "/nonexistent/jwks.json"}, "cannot read"),
])
def test_bad_variables_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_dev_mode_refuses_a_public_interface() -> None:
    with pytest.raises(ServeError, match=r"127\.0\.0\.1"):
        settings_for("0.0.0.0", dev=True, db=None)


def test_dev_mode_accepts_loopback(tmp_path: Path) -> None:
    assert settings_for("127.0.0.1", dev=True, db=tmp_path / "s.db").dev_mode
