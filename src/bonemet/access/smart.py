"""SMART App Launch 2.0: bonemet opened from an EHR (EHR launch) or on its own (standalone launch).

The flow, and what each step refuses:

1. `iss` (the EHR's FHIR base URL) must be on BONEMET_SMART_ISSUERS before anything is fetched:
   a launch link is typed by whoever crafts it, and fetching an arbitrary `iss` would make bonemet
   call any host of the hospital network for them (request forgery; tests/security/test_ssrf.py).
2. Discovery: `{iss}/.well-known/smart-configuration`; S256 must be among its PKCE methods.
3. Authorization code request with PKCE (S256), a `state` kept server-side and bound to this
   browser's session, a `nonce`, `aud` = the FHIR server, and the minimum scopes (`SCOPES_*`).
4. Callback: the `state` must be this session's pending one (single use, 10 minutes); the code is
   exchanged with the verifier; the ID token is verified (signature by the issuer's published keys,
   `iss`, `aud`, `exp`, `nonce`); `patient` and `fhirUser` are read.
5. The access token stays in this process (`LaunchVault`): the browser holds only a random handle
   inside the signed session cookie, never the token (the cookie is signed, not encrypted).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import orjson
from jwt import PyJWKSet

from bonemet.access.config import ASYMMETRIC_ALGORITHMS, Settings, SmartSettings, client_key_algorithm

# The FHIR resources the mapping reads (bonemet.fhir.to_case), read and search only (`.rs`), for
# the launched patient only: nothing written, nothing of other patients, no offline access.
FHIR_TYPES = ("Patient", "Condition", "Observation", "MedicationRequest",
              "MedicationAdministration", "MedicationStatement", "Procedure", "DiagnosticReport",
              "ImagingStudy", "Encounter", "BodyStructure")
# Medication resources are read through `_include` of the orders that reference them (issue 26
# review F12): without them an order written with a medicationReference reads as no treatment.
INCLUDED_TYPES = ("Medication",)
_READ_SCOPES = tuple(f"patient/{t}.rs" for t in (*FHIR_TYPES, *INCLUDED_TYPES))
SCOPES_EHR = ("launch", "openid", "fhirUser", *_READ_SCOPES)
SCOPES_STANDALONE = ("launch/patient", "openid", "fhirUser", *_READ_SCOPES)

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_PENDING_TTL_S = 600.0
_PENDING_MAX = 1000  # launches started and not finished (a flood evicts the oldest, not memory)
_SESSIONS_MAX = 1000


class SmartError(Exception):
    """A launch that cannot go on; `message` is safe to show (no token, no secret)."""

    def __init__(self, message: str, status: int = 400, *, reason: str = "launch") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason  # a short key the page and the tests use


@dataclass(frozen=True)
class SmartConfiguration:
    fhir_base: str  # the iss
    authorization_endpoint: str
    token_endpoint: str
    issuer: str | None  # the OpenID issuer of the ID tokens
    jwks_uri: str | None


@dataclass(frozen=True)
class PendingLaunch:
    config: SmartConfiguration
    verifier: str
    nonce: str
    redirect_uri: str
    created: float


@dataclass
class LaunchedPatient:
    """What one completed launch holds, server-side only."""

    fhir_base: str
    patient: str
    user: str  # fhirUser, a Practitioner or PractitionerRole (`clinician`): the author of a save
    user_name: str
    access_token: str = field(repr=False)
    scope: str
    expires: float
    read: tuple[str, ...] = ()  # "Type/id" of every resource read, for the mapping report
    data: Any = None  # the mapping result (bonemet.fhir.to_case.MappingResult), built once


def allowed_issuer(smart: SmartSettings, iss: str | None) -> str:
    """The configured issuer equal to `iss`, or SmartError. Nothing is fetched before this."""
    if not iss:
        raise SmartError("the launch names no FHIR server (iss is missing)", 400, reason="no-iss")
    wanted = iss.strip().rstrip("/")
    for allowed in smart.issuers:
        if hmac.compare_digest(allowed.encode(), wanted.encode()):
            return allowed
    raise SmartError("this FHIR server (iss) is not one bonemet is registered with; ask the "
                     "administrator to add it to BONEMET_SMART_ISSUERS", 403, reason="iss-refused")


async def discover(settings: Settings, iss: str) -> SmartConfiguration:
    url = iss + "/.well-known/smart-configuration"
    try:
        async with httpx.AsyncClient(timeout=settings.fhir_timeout_s, follow_redirects=False) as http:
            response = await http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise SmartError(f"the EHR's SMART configuration cannot be read ({type(exc).__name__})",
                         502, reason="discovery") from None
    if response.status_code != 200:
        raise SmartError(f"the EHR's SMART configuration answered HTTP {response.status_code}",
                         502, reason="discovery")
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise SmartError("the EHR's SMART configuration is not JSON", 502, reason="discovery")
    endpoints = {k: doc.get(k) for k in ("authorization_endpoint", "token_endpoint")}
    for key, value in endpoints.items():
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise SmartError(f"the EHR's SMART configuration has no usable {key}", 502,
                             reason="discovery")
    methods = doc.get("code_challenge_methods_supported")
    if not isinstance(methods, list) or "S256" not in methods:
        # SMART 2.0 requires PKCE S256; a server without it would take a code without a verifier.
        raise SmartError("the EHR's authorization server does not offer PKCE S256", 502,
                         reason="discovery")
    issuer, jwks_uri = doc.get("issuer"), doc.get("jwks_uri")
    return SmartConfiguration(iss, str(endpoints["authorization_endpoint"]),
                              str(endpoints["token_endpoint"]),
                              issuer if isinstance(issuer, str) else None,
                              jwks_uri if isinstance(jwks_uri, str) else None)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class LaunchVault:
    """Launches in progress (by state) and launched patients (by handle), in this process only.

    Several worker processes would each hold their own: run one (docs/smart.md). A restart loses
    them, and the clinician launches again from the EHR: nothing was stored anyway.
    """

    def __init__(self) -> None:
        self._pending: OrderedDict[str, PendingLaunch] = OrderedDict()
        self._launched: OrderedDict[str, LaunchedPatient] = OrderedDict()

    def begin(self, smart: SmartSettings, config: SmartConfiguration, redirect_uri: str,
              launch: str | None) -> tuple[str, str]:
        """(state, authorization URL). The caller keeps `state` in the browser's session."""
        now = time.monotonic()
        self._expire(now)
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43..128
        nonce = secrets.token_urlsafe(24)
        self._pending[state] = PendingLaunch(config, verifier, nonce, redirect_uri, now)
        while len(self._pending) > _PENDING_MAX:
            self._pending.popitem(last=False)
        params = {"response_type": "code", "client_id": smart.client_id,
                  "redirect_uri": redirect_uri,
                  "scope": " ".join(SCOPES_EHR if launch else SCOPES_STANDALONE),
                  "state": state, "aud": config.fhir_base, "nonce": nonce,
                  "code_challenge": _challenge(verifier), "code_challenge_method": "S256"}
        if launch:
            params["launch"] = launch
        return state, config.authorization_endpoint + "?" + urlencode(params)

    def take(self, session_state: object, state: str | None) -> PendingLaunch:
        """The pending launch of this state, once, and only for the session that began it."""
        if not state or not isinstance(session_state, str) or not hmac.compare_digest(
                session_state.encode(), state.encode()):
            raise SmartError("this sign-in answer does not belong to a launch begun in this "
                             "browser (state mismatch): launch bonemet again from the EHR", 400,
                             reason="state")
        self._expire(time.monotonic())
        pending = self._pending.pop(state, None)
        if pending is None:
            raise SmartError("this launch has expired or was already used: launch bonemet again "
                             "from the EHR", 400, reason="state")
        return pending

    def keep(self, launched: LaunchedPatient) -> str:
        handle = secrets.token_urlsafe(32)
        self._launched[handle] = launched
        while len(self._launched) > _SESSIONS_MAX:
            self._launched.popitem(last=False)
        return handle

    def get(self, handle: object) -> LaunchedPatient | None:
        if not isinstance(handle, str):
            return None
        found = self._launched.get(handle)
        if found is not None and found.expires < time.monotonic():
            del self._launched[handle]
            return None
        return found

    def drop(self, handle: object) -> None:
        if isinstance(handle, str):
            self._launched.pop(handle, None)

    def _expire(self, now: float) -> None:
        while self._pending:
            state, first = next(iter(self._pending.items()))
            if now - first.created <= _PENDING_TTL_S:
                break
            del self._pending[state]


# private_key_jwt (RFC 7523, SMART App Launch "asymmetric" client authentication): a short-lived JWT
# signed with bonemet's private key (RS384 or ES384, the two SMART asks servers to support), audience
# the token endpoint, a fresh `jti` each time; the EHR holds only the public key (`public_jwks`).
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_ASSERTION_LIFETIME_S = 240  # SMART: no more than five minutes


def client_assertion(smart: SmartSettings, token_endpoint: str) -> str:
    assert smart.client_key is not None
    now = int(time.time())
    claims = {"iss": smart.client_id, "sub": smart.client_id, "aud": token_endpoint,
              "jti": secrets.token_urlsafe(24), "iat": now, "exp": now + _ASSERTION_LIFETIME_S}
    headers = {"typ": "JWT", **({"kid": smart.client_key_id} if smart.client_key_id else {})}
    return jwt.encode(claims, smart.client_key, algorithm=client_key_algorithm(smart.client_key),
                      headers=headers)


def public_jwks(smart: SmartSettings) -> dict[str, Any]:
    """bonemet's public key as a JWK Set, for the EHR's registration (its JWKS URL: /smart/jwks)."""
    if smart.client_key is None:
        return {"keys": []}
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    alg = client_key_algorithm(smart.client_key)
    public = load_pem_private_key(smart.client_key.encode(), password=None).public_key()
    jwk: dict[str, Any] = orjson.loads((RSAAlgorithm if alg == "RS384" else ECAlgorithm).to_jwk(public))
    jwk.update({"alg": alg, "use": "sig", **({"kid": smart.client_key_id} if smart.client_key_id else {})})
    return {"keys": [jwk]}


async def finish(settings: Settings, pending: PendingLaunch, code: str) -> LaunchedPatient:
    """Exchange the code (with the PKCE verifier), verify the ID token, read the context."""
    smart = settings.smart
    assert smart is not None
    form = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": pending.redirect_uri, "code_verifier": pending.verifier}
    auth: tuple[str, str] | None = None
    if smart.client_secret is not None:
        auth = (smart.client_id, smart.client_secret)
    else:
        form["client_id"] = smart.client_id
    if smart.client_key is not None:  # review 26 F14: SMART asymmetric client authentication
        form["client_assertion_type"] = CLIENT_ASSERTION_TYPE
        form["client_assertion"] = client_assertion(smart, pending.config.token_endpoint)
    try:
        async with httpx.AsyncClient(timeout=settings.fhir_timeout_s, follow_redirects=False) as http:
            response = await http.post(pending.config.token_endpoint, data=form, auth=auth,
                                       headers={"Accept": "application/json"})
            body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SmartError(f"the EHR's token endpoint cannot be used ({type(exc).__name__})", 502,
                         reason="token") from None
    if response.status_code != 200 or not isinstance(body, dict):
        error = body.get("error") if isinstance(body, dict) else None
        if error == "invalid_grant":
            raise SmartError("the EHR refused the authorization code (expired or already used): "
                             "launch bonemet again", 400, reason="invalid-grant")
        raise SmartError(f"the EHR's token endpoint refused the code ({_safe(error)})", 502,
                         reason="token")
    token = body.get("access_token")
    if not isinstance(token, str) or not token or str(body.get("token_type", "")).lower() != "bearer":
        raise SmartError("the EHR's token answer holds no bearer access token", 502, reason="token")
    patient = body.get("patient")
    if not isinstance(patient, str) or not _FHIR_ID.fullmatch(patient):
        raise SmartError("the EHR gave no patient context: open bonemet from a patient's chart",
                         400, reason="no-patient")
    claims = await _id_token_claims(settings, pending, body.get("id_token"))
    user = clinician(claims.get("fhirUser"))
    lifetime = body.get("expires_in")
    seconds = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else 3600.0
    return LaunchedPatient(fhir_base=pending.config.fhir_base, patient=patient, user=user[:256],
                           user_name=str(claims.get("name") or "")[:128], access_token=token,
                           scope=str(body.get("scope") or ""),
                           expires=time.monotonic() + min(seconds, settings.session_max_age_s))


# Review 26 F14: who may open bonemet from an EHR. SMART's fhirUser names a Patient, a RelatedPerson,
# a Person, a Practitioner or a PractitionerRole; bonemet is a clinician's tool and its SMART role
# (BONEMET_SMART_ROLE, editor by default) is meant for clinicians. A patient or a relative signed in
# to a patient portal (a standalone launch) is refused with a page saying why, never given that role.
CLINICIAN_TYPES = ("Practitioner", "PractitionerRole")
_FHIR_USER = re.compile(r"(?:.*/)?(?P<type>[A-Z][A-Za-z]{1,63})/(?P<id>[A-Za-z0-9\-.]{1,64})")


def clinician(fhir_user: object) -> str:
    """The ID token's `fhirUser` when it names a clinician, else SmartError (403). No fallback to
    `sub`: a subject id says neither who the user is in the EHR nor what kind of user it is."""
    if not isinstance(fhir_user, str) or not fhir_user:
        raise SmartError("the EHR did not say who you are (no fhirUser in the ID token): bonemet "
                         "cannot tell a clinician from a patient", 403, reason="no-fhir-user")
    found = _FHIR_USER.fullmatch(fhir_user.strip())
    if found is None:
        raise SmartError("the EHR's fhirUser is not a FHIR resource reference", 403,
                         reason="no-fhir-user")
    if found["type"] not in CLINICIAN_TYPES:
        raise SmartError(f"you are signed in to the EHR as a {_safe(found['type'])}: bonemet opens "
                         f"for clinicians (Practitioner) only", 403, reason="not-clinician")
    return fhir_user.strip()


async def _id_token_claims(settings: Settings, pending: PendingLaunch,
                           id_token: object) -> dict[str, Any]:
    smart = settings.smart
    assert smart is not None
    config = pending.config
    if not isinstance(id_token, str) or not id_token:
        raise SmartError("the EHR sent no ID token (scope openid fhirUser refused?)", 502,
                         reason="id-token")
    if not config.jwks_uri or not config.issuer:
        raise SmartError("the EHR's SMART configuration names no issuer and jwks_uri to verify "
                         "the ID token with", 502, reason="id-token")
    try:
        async with httpx.AsyncClient(timeout=settings.fhir_timeout_s, follow_redirects=False) as http:
            keys = PyJWKSet.from_dict((await http.get(config.jwks_uri)).json())
        header = jwt.get_unverified_header(id_token)
        alg = header.get("alg")
        if alg not in ASYMMETRIC_ALGORITHMS:
            raise SmartError(f"ID token alg {_safe(alg)} refused", 502, reason="id-token")
        kid = header.get("kid")
        key = next((k for k in keys.keys if kid is None or k.key_id == kid), None)
        if key is None:
            raise SmartError("no key of the EHR verifies the ID token", 502, reason="id-token")
        claims: dict[str, Any] = jwt.decode(
            id_token, key.key, algorithms=[alg], audience=smart.client_id, issuer=config.issuer,
            leeway=settings.jwt_leeway_s, options={"require": ["iss", "aud", "exp", "sub"]})
    except SmartError:
        raise
    except (httpx.HTTPError, ValueError, jwt.PyJWTError, jwt.PyJWKSetError) as exc:
        raise SmartError(f"the ID token does not verify ({type(exc).__name__})", 502,
                         reason="id-token") from None
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(
            claims["nonce"].encode(), pending.nonce.encode()):
        raise SmartError("the ID token belongs to another sign-in (nonce)", 502, reason="id-token")
    return claims


def _safe(value: object) -> str:
    text = str(value or "unknown")
    return re.sub(r"[^A-Za-z0-9_\-. ]", "", text)[:80] or "unknown"
