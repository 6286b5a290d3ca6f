"""Service settings, read once from BONEMET_* environment variables into a frozen dataclass.

Every variable is optional except that authentication needs keys: outside development mode a
JWKS (file) or a `jku` allowlist, and an `iss` allowlist, must be configured — the service refuses
to start otherwise rather than run open by accident.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from bonemet.kb.models import Lang

# Algorithms the spec recommends (ES384, RS384). Others may be added by configuration, but only
# asymmetric ones: a shared secret would let anyone holding it impersonate the EHR.
DEFAULT_ALGORITHMS = ("ES384", "RS384")
ASYMMETRIC_ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}
)


class SettingsError(ValueError):
    """A BONEMET_* variable is invalid; the message names it and says why."""


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path("bonemet.sqlite3")
    dev_mode: bool = False
    iss_allowlist: tuple[str, ...] = ()
    jku_allowlist: tuple[str, ...] = ()
    jwks: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)
    jwt_algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    cors_origins: tuple[str, ...] = ()
    default_lang: Lang = "en"
    public_base_url: str | None = None  # the URL clients call, when behind a proxy (used for `aud`)
    fhir_timeout_s: float = 5.0
    jwt_leeway_s: int = 30
    jwt_max_lifetime_s: int = 3600

    def __post_init__(self) -> None:
        bad = [a for a in self.jwt_algorithms if a not in ASYMMETRIC_ALGORITHMS]
        if bad:
            raise SettingsError(
                f"BONEMET_JWT_ALGORITHMS: {', '.join(bad)} not accepted; only asymmetric "
                f"algorithms ({', '.join(sorted(ASYMMETRIC_ALGORITHMS))})"
            )
        if "*" in self.cors_origins:
            raise SettingsError("BONEMET_CORS_ORIGINS: '*' is refused; list the allowed origins")
        if not self.dev_mode:
            if not self.iss_allowlist:
                raise SettingsError("BONEMET_ISS_ALLOWLIST: required outside development mode")
            if self.jwks is None and not self.jku_allowlist:
                raise SettingsError(
                    "BONEMET_JWKS_FILE or BONEMET_JKU_ALLOWLIST: one is required outside "
                    "development mode (where do client keys come from?)"
                )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read BONEMET_* variables; explicit keyword overrides win (used by `bonemet serve`)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        if "BONEMET_DB" in env:
            values["db_path"] = Path(env["BONEMET_DB"])
        if "BONEMET_DEV" in env:
            values["dev_mode"] = _flag("BONEMET_DEV", env["BONEMET_DEV"])
        for key, name in (("iss_allowlist", "BONEMET_ISS_ALLOWLIST"),
                          ("jku_allowlist", "BONEMET_JKU_ALLOWLIST"),
                          ("cors_origins", "BONEMET_CORS_ORIGINS"),
                          ("jwt_algorithms", "BONEMET_JWT_ALGORITHMS")):
            if name in env:
                values[key] = _list(env[name])
        if "BONEMET_JWKS_FILE" in env:
            values["jwks"] = _jwks_file(Path(env["BONEMET_JWKS_FILE"]))
        if "BONEMET_LANG" in env:
            values["default_lang"] = _lang(env["BONEMET_LANG"])
        if "BONEMET_BASE_URL" in env:
            values["public_base_url"] = env["BONEMET_BASE_URL"].rstrip("/")
        if "BONEMET_FHIR_TIMEOUT" in env:
            values["fhir_timeout_s"] = _positive("BONEMET_FHIR_TIMEOUT", env["BONEMET_FHIR_TIMEOUT"])
        values.update(overrides)
        return cls(**values)


def _flag(name: str, raw: str) -> bool:
    low = raw.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name}: expected true/false, got {raw!r}")


def _list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip().rstrip("/") for item in raw.split(",") if item.strip())


def _lang(raw: str) -> Literal["en", "fr"]:
    low = raw.strip().lower()
    if low == "en":
        return "en"
    if low == "fr":
        return "fr"
    raise SettingsError(f"BONEMET_LANG: expected en or fr, got {raw!r}")


def _positive(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: expected a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name}: must be > 0, got {raw!r}")
    return value


def _jwks_file(path: Path) -> Mapping[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise SettingsError(f"BONEMET_JWKS_FILE: cannot read {path}: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise SettingsError(f"BONEMET_JWKS_FILE: {path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise SettingsError(f"BONEMET_JWKS_FILE: {path} is not a JWK Set (no 'keys' array)")
    return data
