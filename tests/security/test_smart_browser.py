"""SMART App Launch 2.0 end to end in real Chromium (issue 26): the EHR launch and the standalone
launch through the real authorization server (oidc-provider with smart.mjs) and the FHIR stand-in,
down to the stored case; the access token never reaches the browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from smart_ehr import SmartSite, cookie_texts

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
LUNG_CASE = "fhir-lung-1"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """One browser session (its own cookies), recording every URL it asks for."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        self.urls: list[str] = []
        self.context.on("request", lambda request: self.urls.append(request.url))
        self.page = self.context.new_page()

    def through_ehr(self, start: str, login: str, *, patient: str = "", allow: bool = True) -> None:
        page = self.page
        page.goto(start)
        page.fill("input[name=login]", login)
        page.click("text=Sign in")
        page.wait_for_selector("text=EHR consent")
        if patient:
            page.fill("input[name=patient]", patient)
        page.click("button[value=allow]" if allow else "button[value=deny]")
        page.wait_for_load_state()

    def close(self) -> None:
        self.context.close()


def _no_token_reaches_the_browser(site: SmartSite, visit: Visit) -> None:
    tokens = site.tokens()
    assert tokens
    html = visit.page.content()
    readable = visit.page.evaluate("document.cookie")
    cookies = visit.context.cookies()
    for token in tokens:
        assert token not in html
        assert not any(token in url for url in visit.urls)
        assert token not in readable
        assert not any(token in text for text in cookie_texts([c["value"] for c in cookies]))
    session = [c for c in cookies if c["name"] == "bonemet_session"]
    assert session and session[0]["httpOnly"]  # not readable by the page's scripts either
    assert "bonemet_session" not in readable


def test_ehr_launch_in_chromium_lands_on_the_assessment_and_saves_only_on_save(
        chromium: Any, smart_site: SmartSite, tmp_path: Path) -> None:
    visit = Visit(chromium)
    try:
        start = (f"{smart_site.url}/smart/launch?iss={quote(smart_site.ehr.fhir.base, safe='')}"
                 f"&launch=launch-lung")
        visit.through_ehr(start, "bob")
        page = visit.page
        page.wait_for_selector("#smart-title")
        assert page.url == smart_site.url + "/smart/patient"
        assert page.inner_text("#smart-patient") == "Patient/lung-1"
        assert page.inner_text("#smart-user") == smart_site.ehr.fhir.base + "/Practitioner/prac-bob"
        assert "lung" in page.inner_text("main").lower()
        report = page.inner_text("#mapping-report")
        assert "Condition: 2" in report and "DiagnosticReport/bone-scan-report" in report
        assert page.locator(".cards").count() == 1
        shot = Path(os.environ.get("BONEMET_SHOTS", tmp_path)) / "smart-ehr-launch.png"
        page.screenshot(path=str(shot), full_page=False)
        assert smart_site.store.get_case(LUNG_CASE) is None  # nothing stored before Save
        _no_token_reaches_the_browser(smart_site, visit)
        page.click("#smart-save button")
        page.wait_for_selector("#smart-status")
        assert "Saved as case fhir-lung-1" in page.inner_text("#smart-status")
        _no_token_reaches_the_browser(smart_site, visit)
    finally:
        visit.close()
    stored = smart_site.store.execute("SELECT stored_by FROM cases WHERE case_id=?", (LUNG_CASE,))
    assert stored == [(smart_site.ehr.fhir.base + "/Practitioner/prac-bob",)]
    smart_site.store.execute("DELETE FROM cases WHERE case_id=?", (LUNG_CASE,))


def test_standalone_launch_in_chromium_picks_the_patient_at_the_ehr(
        chromium: Any, smart_site: SmartSite) -> None:
    visit = Visit(chromium)
    try:
        visit.through_ehr(smart_site.url + "/smart/standalone", "dora", patient="lung-1")
        page = visit.page
        page.wait_for_selector("#smart-title")
        assert page.inner_text("#smart-patient") == "Patient/lung-1"
        assert page.inner_text("#smart-user").endswith("/Practitioner/prac-dora")
        _no_token_reaches_the_browser(smart_site, visit)
        # Another browser session (another clinician's workstation) cannot open this launch.
        other = Visit(chromium)
        try:
            other.page.goto(smart_site.url + "/smart/patient")
            assert other.page.get_attribute("#smart-error", "data-reason") == "no-session"
        finally:
            other.close()
    finally:
        visit.close()
    assert smart_site.store.get_case(LUNG_CASE) is None


def test_denied_consent_in_chromium_shows_a_clear_page(chromium: Any, smart_site: SmartSite) -> None:
    visit = Visit(chromium)
    try:
        start = (f"{smart_site.url}/smart/launch?iss={quote(smart_site.ehr.fhir.base, safe='')}"
                 f"&launch=launch-lung")
        visit.through_ehr(start, "bob", allow=False)
        page = visit.page
        page.wait_for_selector("#smart-error")
        assert page.get_attribute("#smart-error", "data-reason") == "denied"
        assert "Access was not granted" in page.inner_text("#smart-error")
        assert "Traceback" not in page.content()
    finally:
        visit.close()
