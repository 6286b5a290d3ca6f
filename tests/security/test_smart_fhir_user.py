"""Review 26 F14: who may open bonemet from the EHR. The ID token's `fhirUser` must name a clinician
(Practitioner or PractitionerRole); a patient, a relative or a Person signed in to the EHR's portal
(a standalone launch) is refused with a page saying why and never gets BONEMET_SMART_ROLE (editor
by default); an ID token without `fhirUser` is refused too (no fallback to `sub`).

Against the real authorization server (oidc-provider, tests/security/oidc/smart.mjs: accounts
paula = Patient/lung-1, rene = RelatedPerson/rel-1, pierre = Person/person-1, nora without fhirUser,
rita = PractitionerRole/role-rita)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from smart_ehr import SmartSite, walk_ehr

from bonemet.access.smart import SmartError, clinician

HTML = {"accept": "text/html"}


def _reason(text: str) -> str | None:
    found = re.search(r'data-reason="([^"]+)"', text)
    return found.group(1) if found else None


@pytest.mark.parametrize("login, reason", [("paula", "not-clinician"), ("rene", "not-clinician"),
                                           ("pierre", "not-clinician"), ("nora", "no-fhir-user")])
def test_a_user_who_is_not_a_clinician_is_refused_on_a_standalone_launch(
        smart_site: SmartSite, login: str, reason: str) -> None:
    start = f"/smart/standalone?iss={quote(smart_site.ehr.fhir.base, safe='')}"
    seen_before = len(smart_site.ehr.fhir.seen)
    with smart_site.client() as http:
        callback = walk_ehr(http, start, smart_site, login=login, patient="lung-1")
        r = http.get(callback, headers=HTML)
        assert r.status_code == 403 and _reason(r.text) == reason, r.text[:400]
        assert "Traceback" not in r.text
        # no launch kept, nothing read from the FHIR server, nothing to save
        assert http.get("/smart/patient", headers=HTML).status_code == 401
        csrf = re.search(r'name="_csrf" value="([^"]+)"', r.text)
        if csrf is not None:
            saved = http.post("/smart/save", data={"_csrf": csrf.group(1)}, headers=HTML)
            assert saved.status_code in (401, 403)
    read = [s for s in smart_site.ehr.fhir.seen[seen_before:] if "/Patient" in s[0] or "patient=" in s[0]]
    assert read == []
    assert smart_site.store.get_case("fhir-lung-1") is None


def test_the_refusal_page_says_why_in_french(smart_site: SmartSite) -> None:
    start = f"/smart/standalone?iss={quote(smart_site.ehr.fhir.base, safe='')}"
    with smart_site.client() as http:
        callback = walk_ehr(http, start, smart_site, login="paula", patient="lung-1")
        http.cookies.set("bonemet_lang", "fr")
        r = http.get(callback, headers=HTML)
    assert r.status_code == 403 and "outil pour les soignants" in r.text, r.text[:400]


def test_a_practitioner_role_user_is_a_clinician(smart_site: SmartSite) -> None:
    start = f"/smart/launch?iss={quote(smart_site.ehr.fhir.base, safe='')}&launch=launch-lung"
    with smart_site.client() as http:
        r = http.get(walk_ehr(http, start, smart_site, login="rita"), headers=HTML, follow_redirects=True)
    assert r.status_code == 200 and r.url.path == "/smart/patient"


@pytest.mark.parametrize("fhir_user", [
    "https://ehr.example.org/fhir/Practitioner/p1", "Practitioner/p1", "PractitionerRole/r-2",
])
def test_clinician_accepts_practitioners(fhir_user: str) -> None:
    assert clinician(fhir_user) == fhir_user


@pytest.mark.parametrize("fhir_user, reason", [
    ("https://ehr.example.org/fhir/Patient/p1", "not-clinician"), ("RelatedPerson/x", "not-clinician"),
    ("Person/x", "not-clinician"), ("Device/d", "not-clinician"), (None, "no-fhir-user"),
    ("", "no-fhir-user"), ("bob", "no-fhir-user"), (42, "no-fhir-user"),
    ("https://ehr.example.org/fhir/Practitioner", "no-fhir-user"),
    ("Practitioner/p1/_history/2/Patient/x", "not-clinician"),
])
def test_clinician_refuses_everyone_else(fhir_user: object, reason: str) -> None:
    with pytest.raises(SmartError) as caught:
        clinician(fhir_user)
    assert caught.value.status == 403 and caught.value.reason == reason
