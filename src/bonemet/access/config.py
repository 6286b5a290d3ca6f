"""Service settings, read once from BONEMET_* environment variables into a frozen dataclass.

Every variable is optional except that authentication needs keys: outside development mode a
JWKS (file) or a `jku` allowlist, and an `iss` allowlist, must be configured — the service refuses
to start otherwise rather than run open by accident.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from bonemet.base.text import Lang
from bonemet.errors import SettingsError

# Algorithms the spec recommends (ES384, RS384). Others may be added by configuration, but only
# asymmetric ones: a shared secret would let anyone holding it impersonate the EHR.
DEFAULT_ALGORITHMS = ("ES384", "RS384")
ASYMMETRIC_ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}
)


ROLES = ("reader", "editor", "administrator")  # each includes the rights of those before it
AuthMode = Literal["none", "oidc", "proxy"]


@dataclass(frozen=True)
class OidcSettings:
    """Single sign-on with the hospital's OpenID Connect provider (authorization code + PKCE)."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str = "openid profile"
    roles_claim: str = "roles"


# ---- SMART App Launch (issue 26): bonemet launched from an EHR ---------------------------------


@dataclass(frozen=True)
class SmartSettings:
    """bonemet as a SMART on FHIR app (App Launch 2.0, docs/smart.md).

    `issuers` are the FHIR base URLs an EHR may name as `iss`: nothing is fetched from any other
    (an `iss` is typed by whoever crafts the launch link: fetching it would be a request forgery).
    `role` is the bonemet role of a clinician launched from the EHR, for the launched patient only.
    """

    issuers: tuple[str, ...]
    client_id: str
    client_secret: str | None = field(default=None, repr=False)  # None: a public client (PKCE)
    role: str = "editor"
    # Review 26 F13: the EHR origins that may show the SMART pages in a frame (embedded launch);
    # empty: nobody may (frame-ancestors 'none'). With origins, the session cookie is
    # SameSite=None; Secure so that it reaches bonemet inside the EHR's frame.
    frame_ancestors: tuple[str, ...] = ()
    # Review 26 F14: private_key_jwt client authentication (SMART confidential asymmetric client):
    # the PEM private key (RSA → RS384, EC P-384 → ES384) and the key id the EHR registered.
    client_key: str | None = field(default=None, repr=False)
    client_key_id: str | None = None


@dataclass(frozen=True)
class ProxySettings:
    """A reverse proxy that authenticates users and passes who they are in headers.

    The headers are believed only on connections from `trusted` addresses: anyone else could set
    them, so a request from elsewhere is refused outright.
    """

    trusted: tuple[str, ...]  # addresses or networks (CIDR) of the proxies
    user_header: str = "x-remote-user"
    roles_header: str = "x-remote-roles"


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
    # Users (web app and JSON API): none in development mode, else OIDC or a trusted proxy.
    auth_mode: AuthMode = "none"
    oidc: OidcSettings | None = None
    proxy: ProxySettings | None = None
    smart: SmartSettings | None = None  # SMART on FHIR launch from an EHR (BONEMET_SMART_*)
    # Maps the groups the identity provider or the proxy sends to bonemet roles: the only source of
    # roles (a group named `editor` grants nothing unless listed, e.g. `editor=editor`).
    role_map: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    session_secret: str | None = field(default=None, repr=False)
    session_max_age_s: int = 8 * 3600
    extra_hosts: tuple[str, ...] = ()  # Host header values accepted besides the base URL's
    # FHIR servers a CDS client may name as `fhirServer`, per issuer (iss -> URL prefixes). Empty
    # means any server of the client's own choice is refused outside development mode.
    fhir_servers: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False,
                                                        compare=False)
    max_body_bytes: int = 5 * 1024 * 1024
    # Drawing (MDT summary HTML/PDF, timeline): processes at a time, drawings in flight per user
    # (one more is answered 429), and the time one drawing may take before it is stopped (503).
    render_workers: int = 2
    renders_per_user: int = 2
    render_timeout_s: float = 120.0

    def __post_init__(self) -> None:
        bad = [a for a in self.jwt_algorithms if a not in ASYMMETRIC_ALGORITHMS]
        if bad:
            raise SettingsError(
                f"BONEMET_JWT_ALGORITHMS: {', '.join(bad)} not accepted; only asymmetric "
                f"algorithms ({', '.join(sorted(ASYMMETRIC_ALGORITHMS))})"
            )
        if "*" in self.cors_origins:
            raise SettingsError("BONEMET_CORS_ORIGINS: '*' is refused; list the allowed origins")
        if self.auth_mode == "oidc" and self.oidc is None:
            raise SettingsError("BONEMET_AUTH=oidc needs BONEMET_OIDC_ISSUER, BONEMET_OIDC_CLIENT_ID "
                                "and BONEMET_OIDC_CLIENT_SECRET")
        if self.auth_mode == "proxy" and (self.proxy is None or not self.proxy.trusted):
            raise SettingsError("BONEMET_AUTH=proxy needs BONEMET_TRUSTED_PROXIES (the addresses "
                                "of the reverse proxies whose user header is believed)")
        bad_roles = sorted({r for r in self.role_map.values() if r not in ROLES})
        if bad_roles:
            raise SettingsError(f"BONEMET_ROLE_MAP: unknown role(s) {', '.join(bad_roles)}; "
                                f"roles are {', '.join(ROLES)}")
        if self.smart is not None and self.smart.role not in ROLES:
            raise SettingsError(f"BONEMET_SMART_ROLE: unknown role {self.smart.role!r}; roles are "
                                f"{', '.join(ROLES)}")
        if self.smart is not None and self.smart.client_key is not None:
            client_key_algorithm(self.smart.client_key)  # refused at start, not at the first launch
        if self.smart is not None and self.smart.frame_ancestors:
            _check_frame_ancestors(self.smart.frame_ancestors, self.public_base_url)
        if self.session_secret is not None and len(self.session_secret) < 32:
            raise SettingsError("BONEMET_SESSION_SECRET: at least 32 characters")
        if not self.dev_mode:
            if self.auth_mode == "none":
                raise SettingsError("BONEMET_AUTH: required outside development mode (oidc or "
                                    "proxy): the web app and the API hold patient data")
            if self.auth_mode == "oidc" and self.session_secret is None:
                raise SettingsError("BONEMET_SESSION_SECRET: required with BONEMET_AUTH=oidc "
                                    "(signs the session cookies)")
            if not self.public_base_url:
                raise SettingsError("BONEMET_BASE_URL: required outside development mode (the "
                                    "JWT audience and the login redirect are built from it, "
                                    "never from the Host header)")
            if not self.public_base_url.startswith(("https://", "http://")):
                raise SettingsError(f"BONEMET_BASE_URL: expected an http(s) URL, got "
                                    f"{self.public_base_url!r}")
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
        _read_auth(env, values)
        if "BONEMET_MAX_BODY_MB" in env:
            values["max_body_bytes"] = int(_positive("BONEMET_MAX_BODY_MB",
                                                     env["BONEMET_MAX_BODY_MB"]) * 1024 * 1024)
        for name, key in (("BONEMET_RENDER_WORKERS", "render_workers"),
                          ("BONEMET_RENDERS_PER_USER", "renders_per_user")):
            if name in env:
                values[key] = max(1, int(_positive(name, env[name])))
        if "BONEMET_RENDER_TIMEOUT" in env:
            values["render_timeout_s"] = _positive("BONEMET_RENDER_TIMEOUT",
                                                   env["BONEMET_RENDER_TIMEOUT"])
        if "BONEMET_FHIR_TIMEOUT" in env:
            values["fhir_timeout_s"] = _positive("BONEMET_FHIR_TIMEOUT", env["BONEMET_FHIR_TIMEOUT"])
        _read_smart(env, values)
        values.update(overrides)
        return cls(**values)


def _read_auth(env: Mapping[str, str], values: dict[str, Any]) -> None:
    if "BONEMET_AUTH" in env:
        mode = env["BONEMET_AUTH"].strip().lower()
        if mode not in ("oidc", "proxy"):
            raise SettingsError(f"BONEMET_AUTH: expected oidc or proxy, got {env['BONEMET_AUTH']!r}")
        values["auth_mode"] = mode
    if "BONEMET_OIDC_ISSUER" in env:
        secret = env.get("BONEMET_OIDC_CLIENT_SECRET")
        if secret is None and "BONEMET_OIDC_CLIENT_SECRET_FILE" in env:
            secret = _secret_file("BONEMET_OIDC_CLIENT_SECRET_FILE",
                                  env["BONEMET_OIDC_CLIENT_SECRET_FILE"])
        if not env.get("BONEMET_OIDC_CLIENT_ID") or not secret:
            raise SettingsError("BONEMET_OIDC_CLIENT_ID and BONEMET_OIDC_CLIENT_SECRET (or _FILE) "
                                "are required with BONEMET_OIDC_ISSUER")
        values["oidc"] = OidcSettings(
            issuer=env["BONEMET_OIDC_ISSUER"].rstrip("/"), client_id=env["BONEMET_OIDC_CLIENT_ID"],
            client_secret=secret, scopes=env.get("BONEMET_OIDC_SCOPES", "openid profile"),
            roles_claim=env.get("BONEMET_OIDC_ROLES_CLAIM", "roles"))
    if "BONEMET_TRUSTED_PROXIES" in env:
        trusted = _list(env["BONEMET_TRUSTED_PROXIES"])
        for item in trusted:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise SettingsError(f"BONEMET_TRUSTED_PROXIES: {item!r} is not an address or "
                                    f"network") from None
        values["proxy"] = ProxySettings(
            trusted=trusted,
            user_header=env.get("BONEMET_PROXY_USER_HEADER", "x-remote-user").lower(),
            roles_header=env.get("BONEMET_PROXY_ROLES_HEADER", "x-remote-roles").lower())
    if "BONEMET_ROLE_MAP" in env:
        mapping: dict[str, str] = {}
        for item in _list(env["BONEMET_ROLE_MAP"]):
            group, sep, role = item.partition("=")
            if not sep:
                raise SettingsError(f"BONEMET_ROLE_MAP: expected group=role, got {item!r}")
            mapping[group.strip()] = role.strip()
        values["role_map"] = mapping
    if "BONEMET_SESSION_SECRET_FILE" in env:
        values["session_secret"] = _secret_file("BONEMET_SESSION_SECRET_FILE",
                                                env["BONEMET_SESSION_SECRET_FILE"])
    elif "BONEMET_SESSION_SECRET" in env:
        values["session_secret"] = env["BONEMET_SESSION_SECRET"]
    if "BONEMET_ALLOWED_HOSTS" in env:
        values["extra_hosts"] = _list(env["BONEMET_ALLOWED_HOSTS"])
    if "BONEMET_FHIR_SERVERS" in env:
        # iss=url prefix, comma separated; one issuer may appear several times.
        servers: dict[str, list[str]] = {}
        for item in _list(env["BONEMET_FHIR_SERVERS"]):
            iss, sep, url = item.partition("=")
            if not sep or not url.startswith(("https://", "http://")):
                raise SettingsError(f"BONEMET_FHIR_SERVERS: expected iss=https://fhir.example/r4, "
                                    f"got {item!r}")
            servers.setdefault(iss.strip().rstrip("/"), []).append(url.strip().rstrip("/"))
        values["fhir_servers"] = {k: tuple(v) for k, v in servers.items()}


def _read_smart(env: Mapping[str, str], values: dict[str, Any]) -> None:
    if "BONEMET_SMART_ISSUERS" not in env:
        for name in ("BONEMET_FRAME_ANCESTORS", "BONEMET_SMART_CLIENT_KEY_FILE"):
            if env.get(name):
                raise SettingsError(f"{name}: only for the SMART launch (set BONEMET_SMART_ISSUERS)")
        return
    issuers = _list(env["BONEMET_SMART_ISSUERS"])
    bad = [i for i in issuers if not i.startswith(("https://", "http://"))]
    if bad or not issuers:
        raise SettingsError(f"BONEMET_SMART_ISSUERS: expected FHIR base URLs "
                            f"(https://ehr.example/fhir), got {env['BONEMET_SMART_ISSUERS']!r}")
    if not env.get("BONEMET_SMART_CLIENT_ID"):
        raise SettingsError("BONEMET_SMART_CLIENT_ID: required with BONEMET_SMART_ISSUERS (the "
                            "client id the EHR registered bonemet under)")
    secret = env.get("BONEMET_SMART_CLIENT_SECRET")
    if secret is None and "BONEMET_SMART_CLIENT_SECRET_FILE" in env:
        secret = _secret_file("BONEMET_SMART_CLIENT_SECRET_FILE",
                              env["BONEMET_SMART_CLIENT_SECRET_FILE"])
    key = None
    if "BONEMET_SMART_CLIENT_KEY_FILE" in env:
        key = _secret_file("BONEMET_SMART_CLIENT_KEY_FILE", env["BONEMET_SMART_CLIENT_KEY_FILE"])
        if secret:
            raise SettingsError("BONEMET_SMART_CLIENT_KEY_FILE: give a client secret or a client key, "
                                "not both (the EHR registered one way of authenticating bonemet)")
    values["smart"] = SmartSettings(issuers=issuers, client_id=env["BONEMET_SMART_CLIENT_ID"],
                                    client_secret=secret or None,
                                    role=env.get("BONEMET_SMART_ROLE", "editor").strip(),
                                    frame_ancestors=tuple(
                                        o.lower() for o in _list(env.get("BONEMET_FRAME_ANCESTORS", ""))),
                                    client_key=key, client_key_id=env.get("BONEMET_SMART_CLIENT_KEY_ID"))


def client_key_algorithm(pem: str) -> str:
    """RS384 for an RSA key (2048 bits at least), ES384 for an EC P-384 key: the algorithms SMART
    asks EHRs to accept for asymmetric client authentication. Anything else is a SettingsError."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise SettingsError("BONEMET_SMART_CLIENT_KEY_FILE: not an unencrypted PEM private key") from None
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return "RS384"
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP384R1):
        return "ES384"
    raise SettingsError("BONEMET_SMART_CLIENT_KEY_FILE: an RSA key of 2048 bits or more (RS384) or an EC "
                        "P-384 key (ES384) is needed")


# An origin and nothing else: a path, a wildcard, a quote or a `;` would change the CSP directive.
_ORIGIN = re.compile(r"https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}"
                     r"[a-z0-9])?(?::[0-9]{1,5})?")
_LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def _loopback(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0] if "]" not in url else "[::1]"
    return host in _LOOPBACK


def _check_frame_ancestors(origins: tuple[str, ...], base_url: str | None) -> None:
    """Origins only (https, or http on loopback for a test EHR); and an https base URL (or a loopback
    one, which browsers treat as secure): a SameSite=None cookie must be Secure."""
    for origin in origins:
        if not _ORIGIN.fullmatch(origin) or (origin.startswith("http://") and not _loopback(origin)):
            raise SettingsError(f"BONEMET_FRAME_ANCESTORS: {origin!r} is not an https origin "
                                f"(https://ehr.example.org, no path, no wildcard)")
    if not base_url or not (base_url.startswith("https://") or _loopback(base_url)):
        raise SettingsError("BONEMET_FRAME_ANCESTORS needs an https BONEMET_BASE_URL: the session "
                            "cookie of a framed page is SameSite=None, which browsers keep only "
                            "when Secure")


def _secret_file(name: str, path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise SettingsError(f"{name}: cannot read {path}: {exc.strerror}") from None


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
