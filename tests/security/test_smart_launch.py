"""SMART App Launch 2.0 (issue 26): the security properties of the launch, over HTTP, against the
real authorization server (oidc-provider, tests/security/oidc/smart.mjs) and the FHIR stand-in
(smart_ehr.py). The same flows in Chromium: test_smart_browser.py."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

import httpx
import pytest
from smart_ehr import LAUNCHES, SMART_CLIENT_ID, SmartSite, cookie_texts, walk_ehr

from bonemet.access.smart import SCOPES_EHR, SCOPES_STANDALONE

HTML = {"accept": "text/html"}
LUNG_CASE = "fhir-lung-1"


def _launch(site: SmartSite, launch: str = "launch-lung") -> str:
    return f"/smart/launch?iss={quote(site.ehr.fhir.base, safe='')}&launch={launch}"


def _reason(response: httpx.Response) -> str | None:
    found = re.search(r'data-reason="([^"]+)"', response.text)
    return found.group(1) if found else None


def test_ehr_launch_requests_the_minimum_scopes_with_pkce_s256_and_a_state(smart_site: SmartSite) -> None:
    with smart_site.client() as http:
        r = http.get(_launch(smart_site), headers=HTML)
    assert r.status_code == 302
    target = httpx.URL(r.headers["location"])
    assert str(target).startswith(smart_site.ehr.issuer + "/auth?")
    params = target.params
    scopes = params["scope"].split()
    assert scopes == list(SCOPES_EHR)
    assert set(scopes) == {"launch", "openid", "fhirUser", *(
        f"patient/{t}.rs" for t in ("Patient", "Condition", "Observation", "MedicationRequest",
                                    "MedicationAdministration", "MedicationStatement", "Procedure",
                                    "DiagnosticReport", "ImagingStudy", "Encounter", "BodyStructure",
                                    "Medication"))}
    # Read and search only, the launched patient only, no refresh token.
    assert not any(s.startswith("user/") or s.startswith("system/") or "*" in s for s in scopes)
    assert not any(re.search(r"\.[a-z]*[cud][a-z]*$", s) for s in scopes if "/" in s and "." in s)
    assert "offline_access" not in scopes and "online_access" not in scopes
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["launch"] == "launch-lung" and params["aud"] == smart_site.ehr.fhir.base
    assert len(params["state"]) >= 32 and params["nonce"]
    assert params["client_id"] == SMART_CLIENT_ID
    assert params["redirect_uri"] == smart_site.url + "/smart/callback"


def test_standalone_launch_asks_launch_patient_not_launch(smart_site: SmartSite) -> None:
    with smart_site.client() as http:
        r = http.get("/smart/standalone", headers=HTML)
    params = httpx.URL(r.headers["location"]).params
    assert params["scope"].split() == list(SCOPES_STANDALONE) and "launch" not in params


def test_issuer_not_on_the_allow_list_is_refused_without_any_request(
        smart_site: SmartSite, evil_fhir: object) -> None:
    evil = evil_fhir.base  # type: ignore[attr-defined]
    with smart_site.client() as http:
        for iss in (evil, "http://127.0.0.1:1/fhir", "http://169.254.169.254/latest",
                    smart_site.ehr.fhir.base + ".evil.example", smart_site.ehr.fhir.base + "/../x"):
            r = http.get(f"/smart/launch?iss={quote(iss, safe='')}&launch=launch-lung", headers=HTML)
            assert r.status_code == 403 and _reason(r) == "iss-refused", (iss, r.text[:300])
            assert "Traceback" not in r.text
        r = http.get("/smart/launch?launch=launch-lung", headers=HTML)
        assert r.status_code == 400 and _reason(r) == "no-iss"
    assert evil_fhir.seen == []  # type: ignore[attr-defined]


def test_ehr_launch_over_http_builds_the_assessment_and_stores_nothing_before_save(
        smart_site: SmartSite) -> None:
    with smart_site.client() as http:
        callback = walk_ehr(http, _launch(smart_site), smart_site)
        r = http.get(callback, headers=HTML, follow_redirects=True)
        assert r.status_code == 200 and r.url.path == "/smart/patient", r.text[:500]
        assert "Patient/lung-1" in r.text and 'id="mapping-report"' in r.text
        assert "DiagnosticReport/bone-scan-report" in r.text  # the report accounts for it
        assert smart_site.store.get_case(LUNG_CASE) is None
        tokens = smart_site.tokens()
        assert tokens and not any(t in r.text or t in str(r.url) for t in tokens)
        cookies = cookie_texts([c.value or "" for c in http.cookies.jar])
        assert not any(t in v for t in tokens for v in cookies)
        assert any("smart_launch" in v for v in cookies)  # the decoding works: the handle is seen


def test_a_code_without_the_pkce_verifier_is_refused_by_the_authorization_server(
        smart_site: SmartSite) -> None:
    with smart_site.client() as http:
        callback = httpx.URL(walk_ehr(http, _launch(smart_site), smart_site))
    code = callback.params["code"]
    from smart_ehr import SMART_CLIENT_SECRET

    r = httpx.post(smart_site.ehr.issuer + "/token", auth=(SMART_CLIENT_ID, SMART_CLIENT_SECRET),
                   data={"grant_type": "authorization_code", "code": code,
                         "redirect_uri": smart_site.url + "/smart/callback"})
    assert r.status_code == 400 and r.json()["error"] in ("invalid_grant", "invalid_request")


def test_a_refused_code_gives_a_clear_page(smart_site: SmartSite) -> None:
    # An expired, used or forged code with this session's state: the authorization server refuses
    # it at the token endpoint (invalid_grant), and the clinician is told to launch again.
    with smart_site.client() as http:
        callback = httpx.URL(walk_ehr(http, _launch(smart_site), smart_site))
        r = http.get(callback.copy_set_param("code", "expired-or-forged-code"), headers=HTML)
    assert r.status_code == 400 and _reason(r) == "invalid-grant" and "Traceback" not in r.text


def test_state_mismatch_is_refused(smart_site: SmartSite) -> None:
    with smart_site.client() as http:
        callback = httpx.URL(walk_ehr(http, _launch(smart_site), smart_site))
        r = http.get(callback.copy_set_param("state", "forged-state"), headers=HTML)
        assert r.status_code == 400 and _reason(r) == "state"
        assert http.get("/smart/patient", headers=HTML).status_code == 401
    assert smart_site.store.get_case(LUNG_CASE) is None


def test_another_browser_session_cannot_use_the_launch(smart_site: SmartSite) -> None:
    with smart_site.client() as mine, smart_site.client() as other:
        callback = walk_ehr(mine, _launch(smart_site), smart_site)
        r = other.get(callback, headers=HTML)  # the callback URL, code and state, stolen
        assert r.status_code == 400 and _reason(r) == "state"
        assert mine.get(callback, headers=HTML, follow_redirects=True).status_code == 200
        assert other.get("/smart/patient", headers=HTML).status_code == 401
        # Nor by copying only the patient page's address after the launch.
        page = other.post("/smart/save", data={"_csrf": "x"}, headers=HTML)
        assert page.status_code in (401, 403)
        # The callback is single use, even for its own session.
        assert mine.get(callback, headers=HTML).status_code == 400


def test_denied_consent_gives_a_clear_page(smart_site: SmartSite) -> None:
    with smart_site.client() as http:
        callback = walk_ehr(http, _launch(smart_site), smart_site, decision="deny")
        assert "error=access_denied" in callback
        r = http.get(callback, headers=HTML)
    assert r.status_code == 403 and _reason(r) == "denied" and "access_denied" in r.text


def test_fhir_server_down_gives_a_clear_page(smart_site: SmartSite) -> None:
    smart_site.ehr.fhir.set_down(True)
    try:
        with smart_site.client() as http:
            callback = walk_ehr(http, _launch(smart_site), smart_site)
            r = http.get(callback, headers=HTML)
    finally:
        smart_site.ehr.fhir.set_down(False)
    assert r.status_code == 502 and _reason(r) == "fhir-down" and "503" in r.text
    assert "Traceback" not in r.text


def test_patient_with_no_cancer_gives_a_clear_page_and_no_assessment(smart_site: SmartSite) -> None:
    assert LAUNCHES["launch-nocancer"] == "nocancer-1"
    with smart_site.client() as http:
        callback = walk_ehr(http, _launch(smart_site, "launch-nocancer"), smart_site)
        r = http.get(callback, headers=HTML)
        assert r.status_code == 422 and _reason(r) == "out-of-scope"
        assert "no cancer recorded" in r.text
        assert http.get("/smart/patient", headers=HTML).status_code == 401


def test_save_needs_the_form_token_then_stores_with_the_smart_user_as_author(
        smart_site: SmartSite) -> None:
    logs: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: logs.append(record.getMessage())  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        with smart_site.client() as http:
            callback = walk_ehr(http, _launch(smart_site), smart_site, login="dora")
            page = http.get(callback, headers=HTML, follow_redirects=True)
            assert smart_site.store.get_case(LUNG_CASE) is None
            assert http.post("/smart/save", data={}, headers=HTML).status_code == 403
            assert smart_site.store.get_case(LUNG_CASE) is None
            csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text)
            assert csrf is not None
            r = http.post("/smart/save", data={"_csrf": csrf.group(1)}, headers=HTML)
            assert r.status_code == 200 and 'id="smart-case-link"' in r.text
            again = http.post("/smart/save", data={"_csrf": csrf.group(1)}, headers=HTML)
            assert again.status_code == 409  # a second save replaces nothing
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    stored = smart_site.store.execute("SELECT stored_by, version FROM cases WHERE case_id=?",
                                      (LUNG_CASE,))
    assert stored == [(smart_site.ehr.fhir.base + "/Practitioner/prac-dora", 1)]
    # the osimertinib order names its drug through a Medication resource, read with _include (issue
    # 26 review F12: without it the patient looked untreated)
    saved = smart_site.store.get_case(LUNG_CASE)
    assert saved is not None
    assert [(t["type"], t.get("agents"), t.get("end")) for t in saved["treatments"]] == [
        ("egfr_tki", ["osimertinib"], None)]
    smart_site.store.flush_audit()
    rows = smart_site.store.audit_rows(100)
    save = next(row for row in rows if row["route"] == "/smart/save" and row["status"] == 200)
    assert save["user_id"] == smart_site.ehr.fhir.base + "/Practitioner/prac-dora"
    assert save["case_id"] == LUNG_CASE
    assert any(row["case_id"] == "Patient/lung-1" for row in rows if row["route"] == "/smart/callback")
    tokens = smart_site.tokens()
    assert tokens
    assert not any(t in str(row) for t in tokens for row in rows)
    assert not any(t in line for t in tokens for line in logs)
    smart_site.store.execute("DELETE FROM cases WHERE case_id=?", (LUNG_CASE,))


@pytest.mark.parametrize("path", ["/smart/patient", "/smart/callback?code=x&state=y"])
def test_without_a_launch_the_pages_say_so(smart_site: SmartSite, path: str) -> None:
    with smart_site.client() as http:
        r = http.get(path, headers=HTML)
    assert r.status_code in (400, 401) and _reason(r) in ("no-session", "state")


def test_french_page_in_the_project_words_without_raw_codes(smart_site: SmartSite) -> None:
    with smart_site.client(cookies={"bonemet_lang": "fr"}) as http:
        callback = walk_ehr(http, _launch(smart_site), smart_site)
        r = http.get(callback, headers=HTML, follow_redirects=True)
    assert r.status_code == 200 and r.headers["content-language"] == "fr"
    main = r.text.split('id="main"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<code>.*?</code>", "", main)  # field paths shown as code, as on every page
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))
    assert "Ouvert depuis le dossier patient" in text and "Rien n’est enregistré" in text
    assert "Ce qui a été lu dans le dossier" in text
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", text)  # no snake_case code shown
    assert not re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text)  # no ISO date


def test_french_texts_have_a_non_breaking_space_before_double_punctuation() -> None:
    from bonemet.web.smart import TEXTS

    for key, texts in TEXTS.items():
        assert not re.search(r"[^\u00a0\u202f][:;?!]", texts["fr"]), key


def test_smart_routes_are_public_yet_show_nothing_without_a_launch(oidc_server: object) -> None:
    # The access gate lets /smart/ through (the EHR's authorization server signs the clinician
    # in): without SMART configured, or without a launch in this browser, they show no patient.
    with oidc_server.client() as http:  # type: ignore[attr-defined]
        r = http.get("/smart/launch?iss=https%3A%2F%2Fehr.example.org%2Ffhir&launch=x", headers=HTML)
        assert r.status_code == 404 and _reason(r) == "not-configured"
        assert http.get("/smart/standalone", headers=HTML).status_code == 404
        r = http.get("/smart/patient", headers=HTML)
        assert r.status_code == 401 and _reason(r) == "no-session"
        assert http.post("/smart/save", data={}, headers=HTML).status_code in (401, 403)


def test_error_pages_read_in_french(smart_site: SmartSite, evil_fhir: object) -> None:
    evil = evil_fhir.base  # type: ignore[attr-defined]
    with smart_site.client(cookies={"bonemet_lang": "fr"}) as http:
        r = http.get(f"/smart/launch?iss={quote(evil, safe='')}&launch=x", headers=HTML)
        assert r.status_code == 403 and "n’est pas de ceux" in r.text
        assert "BONEMET_SMART_ISSUERS" not in r.text and 'id="smart-error-detail"' not in r.text
        r = http.get("/smart/patient", headers=HTML)
        assert "Aucune ouverture depuis le dossier patient" in r.text


def test_every_failure_reason_is_said_in_both_languages() -> None:
    from bonemet.web.smart import REASONS

    for reason, texts in REASONS.items():
        assert set(texts) == {"en", "fr"}, reason
        assert not re.search(r"[^\u00a0\u202f][:;?!]", texts["fr"]), reason


def test_an_answer_from_another_authorization_server_is_refused(smart_site: SmartSite) -> None:
    # RFC 9207: the authorization server names itself in the answer (`iss`); a mix-up is refused.
    with smart_site.client() as http:
        callback = httpx.URL(walk_ehr(http, _launch(smart_site), smart_site))
        assert callback.params["iss"] == smart_site.ehr.issuer
        r = http.get(callback.copy_set_param("iss", "https://other-as.example.org"), headers=HTML)
    assert r.status_code == 400 and _reason(r) == "mix-up"


def test_another_patients_data_in_the_record_stops_the_launch(smart_site: SmartSite) -> None:
    # A faulty FHIR server answers another patient's Condition in this patient's search: the
    # mapping refuses a record mixing two patients, and nothing is shown.
    smart_site.ehr.fhir.set_leak(True)
    try:
        with smart_site.client() as http:
            callback = walk_ehr(http, _launch(smart_site), smart_site)
            r = http.get(callback, headers=HTML)
            assert http.get("/smart/patient", headers=HTML).status_code == 401
    finally:
        smart_site.ehr.fhir.set_leak(False)
    assert r.status_code == 422 and _reason(r) == "unreadable", r.text[-800:]
    detail = re.search(r'id="smart-error-detail">([^<]*)<', r.text)
    assert detail is not None and "hip-pain" in detail.group(1), r.text[-800:]
    assert "Traceback" not in r.text and 'id="mapping-report"' not in r.text
