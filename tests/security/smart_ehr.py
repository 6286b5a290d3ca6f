"""The EHR side of the SMART App Launch tests: its authorization server and its FHIR server.

* Authorization server: panva's oidc-provider (the real one the login tests run), configured for
  SMART by `oidc/smart.mjs` (launch context, `patient` in the token response, `fhirUser`, SMART v2
  scopes, PKCE S256 required, JWT access tokens for the FHIR server's audience).
* FHIR server: a STAND-IN. No real FHIR server can run here: HAPI and the Microsoft server need a
  JVM / .NET and registries this machine cannot reach, the npm `node-fhir-server-core` is a
  framework whose resource services one writes oneself (with MongoDB), and PyPI's `fhirsnake`
  serves files without search or authorization (and pins an old FastAPI). So this is the smallest
  read-only FHIR R4 REST server that the launch needs: `.well-known/smart-configuration`, read by
  id, search by `patient`, and every resource call checked against the access token (a JWT signed
  by the authorization server: signature with its published keys, audience, expiry, SMART v2 scope
  of the resource type, and the patient compartment of the token's `patient`).

Records: one lung patient with bone metastases written the mCODE way (profiles of mCODE STU4,
codes as the IG's examples use them: PrimaryCancerCondition, SecondaryCancerCondition with a bone
site, ECOG, a cancer-related medication request, a bone scan report and study) and a patient with
no cancer. Written for these tests (no PHI); mCODE is HL7's, CC0.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from security_harness import OIDC_DIR, _node, free_port

from bonemet.access.config import Settings

SMART_CLIENT_ID = "bonemet-smart"
SMART_KEY_CLIENT_ID = SMART_CLIENT_ID + "-jwt"  # the same app registered for private_key_jwt


def _client_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


# bonemet's private key for private_key_jwt (review 26 F14); the EHR is given its public half only.
SMART_CLIENT_KEY = _client_key()
SMART_CLIENT_KEY_ID = "bonemet-key-1"
SMART_CLIENT_SECRET = "a-smart-client-secret-of-the-test-ehr"
LAUNCHES = {"launch-lung": "lung-1", "launch-nocancer": "nocancer-1"}
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"


def _cond(cid: str, patient: str, profile: str, code: str, display: str, site: str,
          site_display: str, onset: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "meta": {"profile": [MCODE + profile]},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                               "code": "confirmed"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                      "code": "problem-list-item"}]}],
            "code": {"coding": [{"system": SCT, "code": code, "display": display}]},
            "bodySite": [{"coding": [{"system": SCT, "code": site, "display": site_display}]}],
            "subject": {"reference": f"Patient/{patient}"}, "onsetDateTime": onset,
            "recordedDate": onset}


def records() -> dict[str, dict[str, dict[str, Any]]]:
    """resource type -> id -> resource."""
    lung = "lung-1"
    out: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in (
        "Patient", "Condition", "Observation", "MedicationRequest", "MedicationAdministration",
        "Procedure", "DiagnosticReport", "ImagingStudy", "Practitioner", "Medication")}
    out["Patient"][lung] = {"resourceType": "Patient", "id": lung,
                            "meta": {"profile": [MCODE + "mcode-cancer-patient"]},
                            "gender": "male", "birthDate": "1958-04-02"}
    out["Patient"]["nocancer-1"] = {"resourceType": "Patient", "id": "nocancer-1",
                                    "gender": "female", "birthDate": "1970-01-01"}
    for c in (
        _cond("primary-1", lung, "mcode-primary-cancer-condition", "254637007",
              "Non-small cell lung cancer", "39607008", "Lung structure", "2026-05-04"),
        _cond("secondary-1", lung, "mcode-secondary-cancer-condition", "94222008",
              "Secondary malignant neoplasm of bone", "51282000", "Bone structure of spine",
              "2026-09-15"),
    ):
        out["Condition"][c["id"]] = c
    hip = _cond("hip-pain", "nocancer-1", "", "49218002", "Hip pain", "24136001",
                "Hip joint structure", "2026-10-01")
    del hip["meta"]  # not a cancer condition: no mCODE profile
    out["Condition"]["hip-pain"] = hip
    out["Observation"]["ecog-1"] = {
        "resourceType": "Observation", "id": "ecog-1", "status": "final",
        "meta": {"profile": [MCODE + "mcode-ecog-performance-status"]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "survey"}]}],
        "code": {"coding": [{"system": LOINC, "code": "89247-1",
                             "display": "ECOG Performance Status score"}]},
        "subject": {"reference": f"Patient/{lung}"}, "effectiveDateTime": "2026-11-20",
        "valueInteger": 1}
    out["MedicationRequest"]["osimertinib-1"] = {
        "resourceType": "MedicationRequest", "id": "osimertinib-1", "status": "active",
        "intent": "order",
        "meta": {"profile": [MCODE + "mcode-cancer-related-medication-request"]},
        # as many EHRs write it: a reference to a Medication resource, read through _include
        # (issue 26 review F12: without it the patient looked untreated)
        "medicationReference": {"reference": "Medication/osimertinib-80"},
        "subject": {"reference": f"Patient/{lung}"}, "authoredOn": "2026-06-01"}
    out["Medication"]["osimertinib-80"] = {
        "resourceType": "Medication", "id": "osimertinib-80",
        "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                             "code": "1721560", "display": "osimertinib"}], "text": "osimertinib 80 mg"}}
    out["DiagnosticReport"]["bone-scan-report"] = {
        "resourceType": "DiagnosticReport", "id": "bone-scan-report", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "39812-3", "display": "NM Bone Whole body"}]},
        "subject": {"reference": f"Patient/{lung}"}, "effectiveDateTime": "2026-09-10",
        "conclusion": "Multiple foci of uptake in the thoracic spine consistent with metastases."}
    out["Practitioner"]["prac-bob"] = {"resourceType": "Practitioner", "id": "prac-bob",
                                       "name": [{"family": "Clinician", "given": ["Bob"]}]}
    return out


@dataclass
class FhirServer:
    base: str
    server: ThreadingHTTPServer
    handler: type[Any]

    @property
    def seen(self) -> list[tuple[str, str | None]]:
        return self.handler.seen  # type: ignore[no-any-return]

    def set_down(self, down: bool) -> None:
        self.handler.down = down

    def set_leak(self, leak: bool) -> None:
        """A faulty server: searches also answer another patient's resources."""
        self.handler.leak = leak


class FhirHandler(BaseHTTPRequestHandler):
    """Read-only FHIR R4 over the records; every resource call needs a valid access token."""

    data: ClassVar[dict[str, dict[str, dict[str, Any]]]] = {}
    seen: ClassVar[list[tuple[str, str | None]]] = []
    down: ClassVar[bool] = False
    leak: ClassVar[bool] = False
    base: ClassVar[str] = ""
    auth_server: ClassVar[str] = ""
    jwks: ClassVar[Any] = None

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _outcome(self, status: int, code: str, text: str) -> None:
        self._send(status, {"resourceType": "OperationOutcome",
                            "issue": [{"severity": "error", "code": code, "diagnostics": text}]})

    def do_GET(self) -> None:
        cls = type(self)
        cls.seen.append((self.path, self.headers.get("Authorization")))
        parts = urlsplit(self.path)
        path = parts.path.removeprefix("/fhir").strip("/")
        if path == ".well-known/smart-configuration":
            a = cls.auth_server
            self._send(200, {
                "issuer": a, "jwks_uri": a + "/jwks", "authorization_endpoint": a + "/auth",
                "token_endpoint": a + "/token", "grant_types_supported": ["authorization_code"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "scopes_supported": ["openid", "fhirUser", "launch", "launch/patient",
                                     "patient/*.rs"],
                "response_types_supported": ["code"],
                "capabilities": ["launch-ehr", "launch-standalone", "client-confidential-symmetric",
                                 "context-ehr-patient", "context-standalone-patient",
                                 "sso-openid-connect", "permission-patient", "permission-v2"]})
            return
        if cls.down:
            self._outcome(503, "transient", "the FHIR server is down for maintenance")
            return
        claims = self._token()
        if claims is None:
            return
        rtype, _, rid = path.partition("/")
        granted = set(str(claims.get("scope", "")).split())
        if f"patient/{rtype}.rs" not in granted and "patient/*.rs" not in granted:
            self._outcome(403, "forbidden", f"scope patient/{rtype}.rs not granted")
            return
        patient = claims.get("patient")
        store = cls.data.get(rtype, {})
        if rid:
            found = store.get(rid)
            if found is None:
                self._outcome(404, "not-found", f"{rtype}/{rid}")
                return
            if rtype == "Patient" and rid != patient:
                self._outcome(403, "forbidden", "outside the token's patient compartment")
                return
            self._send(200, found)
            return
        query = parse_qs(parts.query)
        asked = (query.get("patient") or query.get("subject") or [""])[0].removeprefix("Patient/")
        if asked != patient:
            self._outcome(403, "forbidden", "search outside the token's patient compartment")
            return
        hits = [r for r in store.values()
                if (r.get("subject") or {}).get("reference") == f"Patient/{patient}"
                or (rtype == "Patient" and r["id"] == patient)
                or (cls.leak and rtype != "Patient")]
        entries = [{"fullUrl": f"{cls.base}/{rtype}/{r['id']}", "resource": r,
                    "search": {"mode": "match"}} for r in hits]
        if f"{rtype}:medication" in query.get("_include", []):  # the referenced Medications
            for r in hits:
                ref = str((r.get("medicationReference") or {}).get("reference", ""))
                med = cls.data["Medication"].get(ref.removeprefix("Medication/"))
                if med is not None:
                    entries.append({"fullUrl": f"{cls.base}/{ref}", "resource": med,
                                    "search": {"mode": "include"}})
        self._send(200, {"resourceType": "Bundle", "type": "searchset", "total": len(hits),
                         "entry": entries})

    def _token(self) -> dict[str, Any] | None:
        cls = type(self)
        header = self.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            self._outcome(401, "login", "Bearer access token required")
            return None
        try:
            if cls.jwks is None:
                cls.jwks = jwt.PyJWKClient(cls.auth_server + "/jwks")
            key = cls.jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(token, key.key, algorithms=["RS256"],
                                                audience=cls.base)
        except jwt.PyJWTError as exc:
            self._outcome(401, "login", f"access token refused: {exc}")
            return None
        return claims


def serve_fhir(name: str, auth_server: str = "") -> FhirServer:
    handler = type(name, (FhirHandler,), {"data": records(), "seen": [], "down": False,
                                          "leak": False, "jwks": None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_address[1]}/fhir"
    handler.base = base
    handler.auth_server = auth_server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return FhirServer(base, server, handler)


@dataclass
class Ehr:
    fhir: FhirServer
    issuer: str  # the authorization server
    process: subprocess.Popen[bytes]
    notes: list[str] = field(default_factory=list)


def start_ehr(bonemet_port: int) -> Iterator[Ehr]:
    fhir = serve_fhir("EhrFhir")
    port = free_port()
    redirect = f"http://127.0.0.1:{bonemet_port}/smart/callback"
    from bonemet.access.config import SmartSettings
    from bonemet.access.smart import public_jwks

    registered = public_jwks(SmartSettings(issuers=(), client_id=SMART_KEY_CLIENT_ID,
                                           client_key=SMART_CLIENT_KEY, client_key_id=SMART_CLIENT_KEY_ID))
    process = subprocess.Popen(
        [_node(), "smart.mjs", str(port), SMART_CLIENT_ID, SMART_CLIENT_SECRET, redirect,
         fhir.base, json.dumps(LAUNCHES), json.dumps(registered)], cwd=OIDC_DIR,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "NODE_ENV": "test"})
    issuer = f"http://127.0.0.1:{port}"
    fhir.handler.auth_server = issuer
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
            raise RuntimeError(f"the SMART authorization server did not start: {out}")
        time.sleep(0.1)
    try:
        yield Ehr(fhir, issuer, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        fhir.server.shutdown()


@pytest.fixture(scope="module")
def evil_fhir() -> Iterator[FhirServer]:
    """An issuer NOT on the allow-list: it must never be called."""
    server = serve_fhir("EvilFhir")
    yield server
    server.server.shutdown()


@dataclass
class SmartSite:
    """bonemet in production mode, registered with the test EHR as a SMART app."""

    url: str
    ehr: Ehr
    app: Any

    @property
    def store(self) -> Any:
        return self.app.state.bonemet.store

    @property
    def vault(self) -> Any:
        return self.app.state.smart_vault

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def tokens(self) -> list[str]:
        """The access tokens bonemet holds (read from the server's memory, for the leak checks)."""
        return [launched.access_token for launched in self.vault._launched.values()]


def run_site(tmp_path_factory: pytest.TempPathFactory, role: str = "editor",
             frame_ancestors: tuple[str, ...] = (), client_key: str | None = None) -> Iterator[SmartSite]:
    """The test EHR, and bonemet registered with it (SMART launches get `role`; the EHR origins of
    `frame_ancestors` may frame the SMART pages)."""
    from security_harness import SESSION_SECRET, start

    from bonemet.access.config import ProxySettings, SmartSettings

    port = free_port()
    for ehr in start_ehr(port):
        settings = Settings(
            db_path=tmp_path_factory.mktemp("smart") / "store.sqlite3",
            public_base_url=f"http://127.0.0.1:{port}", iss_allowlist=("https://ehr.example.org",),
            jku_allowlist=("https://ehr.example.org/jwks",), auth_mode="proxy",
            proxy=ProxySettings(trusted=("10.9.9.9",)), session_secret=SESSION_SECRET,
            smart=SmartSettings(issuers=(ehr.fhir.base,),
                                client_id=SMART_KEY_CLIENT_ID if client_key else SMART_CLIENT_ID,
                                client_secret=None if client_key else SMART_CLIENT_SECRET, role=role,
                                frame_ancestors=frame_ancestors, client_key=client_key,
                                client_key_id=SMART_CLIENT_KEY_ID if client_key else None))
        live, stop = start(settings, port)
        try:
            yield SmartSite(live.url, ehr, live.app)
        finally:
            stop()


@pytest.fixture(scope="module")
def smart_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmartSite]:
    yield from run_site(tmp_path_factory)


def cookie_texts(values: list[str]) -> list[str]:
    """Each cookie value as sent and as anyone can read it: Starlette's session cookie is signed,
    not encrypted (base64 JSON before the signature), so a token inside it would be readable."""
    import base64
    import binascii

    out = []
    for value in values:
        out.append(value)
        for part in value.split("."):
            padded = part + "=" * (-len(part) % 4)
            try:
                out.append(base64.b64decode(padded).decode("utf-8", "replace"))
            except binascii.Error:
                continue  # not base64 (the timestamp or signature part)
    return out


_ACTION = re.compile(r'action="([^"]+)"')
_LAUNCH_PATIENT = re.compile(r'name="launch_patient" value="([^"]*)"')


def walk_ehr(http: httpx.Client, start: str, site: SmartSite, *, login: str = "bob",
             decision: str = "allow", patient: str = "") -> str:
    """Follow the EHR's pages (sign-in, consent) as a browser would, from a bonemet launch URL,
    until the EHR sends the browser back to bonemet; return that callback URL (not yet called)."""
    response = http.get(start)
    for _ in range(30):
        if response.is_redirect:
            location = str(response.url.join(response.headers["location"]))
            if location.startswith(site.url + "/smart/"):
                return location
            response = http.get(location)
            continue
        action = _ACTION.search(response.text)
        shown = re.sub(r"(?s)<style.*?</style>", "", response.text)[:900]
        assert response.status_code == 200 and action is not None, shown
        target = response.url.join(action.group(1))
        if action.group(1).endswith("/login"):
            response = http.post(target, data={"login": login})
        else:
            chosen = _LAUNCH_PATIENT.search(response.text)
            response = http.post(target, data={"decision": decision, "patient": patient,
                                               "launch_patient": chosen.group(1) if chosen else ""})
    raise AssertionError("the EHR never sent the browser back to bonemet")
