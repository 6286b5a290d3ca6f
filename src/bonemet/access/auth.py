"""CDS Hooks client authentication: a signed JWT on every call (CDS Hooks 2.0 §Trusting CDS Clients).

What is checked, in this order, so that nothing is fetched or verified for a token that an earlier,
cheaper check already refuses:

1. `Authorization: Bearer <jwt>`;
2. header: `alg` asymmetric and allowed (never `none`, never HMAC), `kid` present, `typ` JWT;
3. `iss` in the allowlist (read before verification only to pick the keys; verified below);
4. keys: the `jku` URL when it is in the allowlist (fetched over HTTP, cached), else the JWKS
   configured out of band; the key is chosen by `kid`;
5. signature, `aud` equal to the URL called, `exp` (and `iat`, not too far in the future), `jti`;
6. `jti` never seen before for this issuer (replays are refused; ids are kept until `exp`).

Every failure is a 401 whose body says which check failed (nothing secret is echoed).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from jwt import PyJWK, PyJWKSet

from bonemet.access.config import ASYMMETRIC_ALGORITHMS, Settings
from bonemet.stores.store import Store

_JKU_CACHE_S = 300.0
_JKU_MIN_REFRESH_S = 10.0  # an unknown kid triggers at most one re-fetch per 10 s per URL


class AuthError(Exception):
    """Authentication failed; `reason` is safe to show to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Client:
    """The authenticated caller, as recorded in the audit log."""

    iss: str
    kid: str
    jti: str
    tenant: str | None = None


class Authenticator:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._static = _keyset(settings.jwks, "the configured JWKS") if settings.jwks else None
        self._jku: dict[str, tuple[float, PyJWKSet]] = {}

    async def verify(self, authorization: str | None, audiences: tuple[str, ...]) -> Client:
        token = _bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthError(f"malformed JWT: {exc}") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg.lower() == "none":
            raise AuthError("JWT alg 'none' is refused: the token must be signed")
        if alg not in ASYMMETRIC_ALGORITHMS:
            raise AuthError(f"JWT alg {alg!r} is refused: only asymmetric algorithms are accepted")
        if alg not in self.settings.jwt_algorithms:
            raise AuthError(f"JWT alg {alg!r} is not accepted here "
                            f"(accepted: {', '.join(self.settings.jwt_algorithms)})")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("JWT header has no kid")
        typ = header.get("typ")
        if typ is not None and str(typ).upper() != "JWT":
            raise AuthError(f"JWT typ must be 'JWT', got {typ!r}")
        iss = unverified.get("iss")
        if not isinstance(iss, str) or iss.rstrip("/") not in self.settings.iss_allowlist:
            raise AuthError(f"issuer {iss!r} is not in the allowlist")
        key = await self._key(kid, header.get("jku"))
        family = {"ES": "EC", "RS": "RSA", "PS": "RSA", "Ed": "OKP"}.get(alg[:2])
        if family is not None and key.key_type != family:
            raise AuthError(f"JWT alg {alg!r} does not match the {key.key_type} key of kid {kid!r}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key=key.key, algorithms=[alg], audience=list(audiences), issuer=iss,
                leeway=self.settings.jwt_leeway_s,
                options={"require": ["iss", "aud", "exp", "iat", "jti"], "verify_iat": True},
            )
        except jwt.InvalidAudienceError:
            raise AuthError(f"JWT aud does not name this endpoint ({audiences[0]})") from None
        except jwt.ExpiredSignatureError:
            raise AuthError("JWT expired") from None
        except jwt.InvalidSignatureError:
            raise AuthError("JWT signature does not verify with the key of this kid") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"JWT refused: {exc}") from None
        except (TypeError, ValueError):  # a key the library cannot use with this algorithm
            raise AuthError(f"JWT alg {alg!r} cannot be verified with the key of kid {kid!r}") from None
        now = int(time.time())
        exp = int(claims["exp"])
        if exp > now + self.settings.jwt_max_lifetime_s:
            raise AuthError(f"JWT lifetime too long: exp more than "
                            f"{self.settings.jwt_max_lifetime_s} s ahead")
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise AuthError("JWT jti must be a non-empty string")
        if not self.store.remember_jti(iss, jti, exp + self.settings.jwt_leeway_s, now):
            raise AuthError("JWT replayed: this jti was already used")
        tenant = claims.get("tenant")
        return Client(iss=iss, kid=kid, jti=jti, tenant=tenant if isinstance(tenant, str) else None)

    async def _key(self, kid: str, jku: object) -> PyJWK:
        if jku is not None:
            if not isinstance(jku, str) or jku.rstrip("/") not in self.settings.jku_allowlist:
                raise AuthError(f"jku {jku!r} is not in the allowlist")
            keyset = await self._fetch(jku, force=False)
            if kid not in _kids(keyset):
                keyset = await self._fetch(jku, force=True)  # the client may have rotated keys
        elif self._static is not None:
            keyset = self._static
        else:
            raise AuthError("no jku in the JWT header and no JWKS configured for out-of-band keys")
        for key in keyset.keys:
            if key.key_id == kid:
                return key
        raise AuthError(f"no key with kid {kid!r} in the client's JWK Set")

    async def _fetch(self, url: str, force: bool) -> PyJWKSet:
        cached = self._jku.get(url)
        now = time.monotonic()
        if cached and (now - cached[0] < (_JKU_MIN_REFRESH_S if force else _JKU_CACHE_S)):
            return cached[1]
        try:
            async with httpx.AsyncClient(timeout=self.settings.fhir_timeout_s) as http:
                response = await http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AuthError(f"cannot fetch the JWK Set at {url}: {type(exc).__name__}") from None
        keyset = _keyset(data, url)
        self._jku[url] = (now, keyset)
        return keyset


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("missing Authorization header (Bearer JWT required)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization header must be 'Bearer <JWT>'")
    return token.strip()


def _keyset(data: Mapping[str, Any] | Any, where: str) -> PyJWKSet:
    try:
        return PyJWKSet.from_dict(dict(data))
    except (jwt.PyJWKSetError, jwt.InvalidKeyError, TypeError, ValueError) as exc:
        raise AuthError(f"{where} is not a usable JWK Set: {exc}") from None


def _kids(keyset: PyJWKSet) -> set[str]:
    return {k.key_id for k in keyset.keys if k.key_id}
