"""Review 26 F13 in real Chromium: the EHR page that frames bonemet (embedded launch) gets it, a
hostile page does not, and the launch works through the real authorization server inside the frame,
down to Save.

Three origins on the loopback: bonemet, the EHR's page (listed in BONEMET_FRAME_ANCESTORS) and a
hostile page (not listed). CSP origins carry the port, so the allow-list is genuinely exercised.
They share the 127.0.0.1 site, so the authorization server's own Lax cookies work inside the frame;
the cross-site cookie (SameSite=None) and the cross-site requests are tested over HTTP in
test_smart_frame.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest
from smart_ehr import SmartSite, run_site
from test_smart_browser import chromium  # noqa: F401 - the Chromium fixture

LUNG_CASE = "fhir-lung-1"


class _Pages(BaseHTTPRequestHandler):
    frame_src = ""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = (f'<!doctype html><title>EHR</title><h1>EHR chart</h1>'
                f'<iframe id="app" src="{self.frame_src}{self.path.lstrip("/")}" width="1000" height="700">'
                f'</iframe>').encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(name: str) -> tuple[ThreadingHTTPServer, type[_Pages]]:
    handler = type(name, (_Pages,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler


@pytest.fixture(scope="module")
def framing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SmartSite, str, str]]:
    ehr, ehr_pages = _serve("EhrPage")
    evil, evil_pages = _serve("EvilPage")
    ehr_origin = f"http://127.0.0.1:{ehr.server_address[1]}"
    for site in run_site(tmp_path_factory, frame_ancestors=(ehr_origin,)):
        ehr_pages.frame_src = evil_pages.frame_src = site.url + "/"
        yield site, ehr_origin, f"http://127.0.0.1:{evil.server_address[1]}"
    ehr.shutdown()
    evil.shutdown()


def _frame(page: Any) -> Any:
    page.wait_for_load_state()
    [frame] = [f for f in page.frames if f is not page.main_frame]
    return frame


def _shown(page: Any, path: str) -> str | None:
    """The framed document's text, or None when Chromium refused to show it."""
    page.wait_for_timeout(300)
    frame = _frame(page)
    if not frame.url.startswith("http://127.0.0.1") or path not in frame.url:
        return None
    return str(frame.evaluate("document.body ? document.body.innerText : ''"))


def test_the_listed_ehr_page_shows_bonemet_and_a_hostile_page_does_not(
        chromium: Any, framing: tuple[SmartSite, str, str]) -> None:  # noqa: F811 - the fixture
    _, ehr, evil = framing
    context = chromium.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(ehr + "/smart/patient")
        shown = _shown(page, "/smart/patient")
        assert shown is not None and "No launch from the EHR" in shown  # bonemet's own page, framed
        page.goto(evil + "/smart/patient")
        assert _shown(page, "/smart/patient") is None  # refused by frame-ancestors
        page.goto(ehr + "/cases")
        assert _shown(page, "/cases") is None  # only the SMART pages may be framed, even by the EHR
    finally:
        context.close()


def test_an_embedded_ehr_launch_runs_inside_the_frame_down_to_save(
        chromium: Any, framing: tuple[SmartSite, str, str]) -> None:  # noqa: F811 - the fixture
    site, ehr, _ = framing
    context = chromium.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{ehr}/smart/launch?iss={quote(site.ehr.fhir.base, safe='')}&launch=launch-lung")
        app = page.frame_locator("#app")
        app.locator("input[name=login]").fill("bob")
        app.locator("text=Sign in").click()
        app.locator("text=EHR consent").wait_for()
        app.locator("button[value=allow]").click()
        app.locator("#smart-title").wait_for()
        assert _frame(page).url == site.url + "/smart/patient"
        assert app.locator("#smart-patient").inner_text() == "Patient/lung-1"
        assert site.store.get_case(LUNG_CASE) is None
        app.locator("#smart-save button").click()
        app.locator("#smart-status").wait_for()
        assert "Saved as case fhir-lung-1" in app.locator("#smart-status").inner_text()
        assert app.locator("#smart-case-link").get_attribute("target") == "_blank"
        cookie = next(c for c in context.cookies(site.url) if c["name"] == "bonemet_session")
        assert cookie["sameSite"] == "None" and cookie["secure"] and cookie["httpOnly"]
    finally:
        context.close()
    assert site.store.get_case(LUNG_CASE) is not None
