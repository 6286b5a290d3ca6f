"""Review 26 F13: the embedded launch. BONEMET_FRAME_ANCESTORS lists the EHR origins that may frame
the SMART pages; everything else stays unframeable, and the session cookie a frame needs
(SameSite=None; Secure) does not open bonemet to other sites' requests (a hostile tester frames it,
posts to it and embeds it).

HTTP level against the real authorization server (smart.mjs) and a live bonemet; the browser's own
enforcement of frame-ancestors in test_smart_frame_browser.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from smart_ehr import SmartSite, run_site, walk_ehr

from bonemet.access.config import Settings
from bonemet.errors import SettingsError

EHR_ORIGIN = "https://ehr.example.org"
OTHER_EHR = "http://localhost:9"  # a loopback test EHR may be plain http
HTML = {"accept": "text/html"}
# What Chromium sends for a navigation inside the EHR's iframe, and for a hostile page's requests.
IN_EHR_FRAME = {**HTML, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate",
                "sec-fetch-dest": "iframe"}
SAME_ORIGIN = {**HTML, "sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate",
               "sec-fetch-dest": "iframe"}


@pytest.fixture(scope="module")
def framed_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmartSite]:
    yield from run_site(tmp_path_factory, frame_ancestors=(EHR_ORIGIN, OTHER_EHR))


def _client(site: SmartSite) -> httpx.Client:
    """A browser's cookie jar: the Secure session cookie goes back to the loopback site (browsers
    treat http://127.0.0.1 as a secure context; the standard library's jar does not)."""
    http = httpx.Client(base_url=site.url, timeout=30)

    def as_a_browser(response: httpx.Response) -> None:
        for cookie in http.cookies.jar:
            if cookie.secure:
                assert cookie.get_nonstandard_attr("samesite") == "none"
                cookie.secure = False

    http.event_hooks["response"] = [as_a_browser]
    return http


def _csp(r: httpx.Response) -> str:
    return r.headers["content-security-policy"]


def _launched(site: SmartSite, http: httpx.Client) -> httpx.Response:
    start = f"/smart/launch?iss={quote(site.ehr.fhir.base, safe='')}&launch=launch-lung"
    callback = walk_ehr(http, start, site)
    r = http.get(callback, headers=IN_EHR_FRAME)
    assert r.status_code == 303, re.findall(r"data-reason=\"[^\"]+\"[^<]*", r.text)
    page = http.get("/smart/patient", headers=IN_EHR_FRAME)
    assert page.status_code == 200 and 'id="mapping-report"' in page.text
    return page


# ---------------------------------------------------------------- headers
def test_smart_pages_name_the_ehr_origins_and_drop_x_frame_options(framed_site: SmartSite) -> None:
    with framed_site.client() as http:
        iss = quote(framed_site.ehr.fhir.base, safe="")
        for path in ("/smart/patient", "/smart/launch", f"/smart/standalone?iss={iss}"):
            r = http.get(path, headers=HTML)
            assert f"frame-ancestors {EHR_ORIGIN} {OTHER_EHR}" in _csp(r), path
            assert "'none'" not in _csp(r).split("frame-ancestors")[1].split(";")[0]
            assert "x-frame-options" not in r.headers, path
            assert "script-src 'self'" in _csp(r)  # the rest of the policy is unchanged


@pytest.mark.parametrize("path", ["/cases", "/health", "/new", "/auth/login", "/static/app.css", "/kb"])
def test_the_rest_of_the_app_stays_unframeable(framed_site: SmartSite, path: str) -> None:
    with framed_site.client() as http:
        r = http.get(path, headers=HTML)
    assert "frame-ancestors 'none'" in _csp(r) and r.headers["x-frame-options"] == "DENY"


def test_without_the_setting_nothing_may_frame_the_smart_pages(smart_site: SmartSite) -> None:
    with smart_site.client() as http:
        r = http.get("/smart/patient", headers=HTML)
    assert "frame-ancestors 'none'" in _csp(r) and r.headers["x-frame-options"] == "DENY"
    cookie = httpx.get(smart_site.url + "/smart/standalone", headers=HTML).headers.get("set-cookie", "")
    assert "samesite=lax" in cookie.lower()


def test_the_session_cookie_of_a_framed_launch_is_samesite_none_secure_httponly(
        framed_site: SmartSite) -> None:
    r = httpx.get(framed_site.url + f"/smart/standalone?iss={quote(framed_site.ehr.fhir.base, safe='')}",
                  headers=IN_EHR_FRAME)
    assert r.status_code == 302
    cookie = r.headers["set-cookie"].lower()
    assert "samesite=none" in cookie and "secure" in cookie and "httponly" in cookie


# ---------------------------------------------------------------- the embedded launch works
def test_an_embedded_launch_shows_the_patient_and_saves_from_inside_the_frame(framed_site: SmartSite) -> None:
    with _client(framed_site) as http:
        page = _launched(framed_site, http)
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        # the Save button of the framed page: a same-origin POST
        r = http.post("/smart/save", data={"_csrf": csrf.group(1)},
                      headers={**SAME_ORIGIN, "origin": framed_site.url})
        assert r.status_code == 200 and 'id="smart-case-link"' in r.text
        assert 'target="_blank"' in r.text  # the stored case (not framable) opens in its own window
    assert framed_site.store.get_case("fhir-lung-1") is not None


# ---------------------------------------------------------------- what a hostile site can do with it
@pytest.mark.parametrize("hostile", [
    {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document",
     "origin": "https://evil.example"},  # an auto-submitted form on another site
    {"sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "empty",
     "origin": "https://evil.example"},  # fetch(..., {mode: "no-cors", credentials: "include"})
    {"origin": "https://evil.example"},  # an older browser: Origin only
    {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "iframe",
     "origin": EHR_ORIGIN},  # even from the allowed EHR's own page: it frames, it does not post
])
def test_a_cross_site_post_carrying_the_samesite_none_cookie_is_refused(
        framed_site: SmartSite, hostile: dict[str, str]) -> None:
    before = framed_site.store.get_case_version("fhir-lung-1")
    with _client(framed_site) as http:
        page = _launched(framed_site, http)
        token = re.search(r'name="_csrf" value="([^"]+)"', page.text)
        assert token is not None
        # the worst case: the attacker somehow has the CSRF token too
        r = http.post("/smart/save", data={"_csrf": token.group(1)}, headers={**HTML, **hostile})
        assert r.status_code == 403, r.text[:300]
        assert http.get("/smart/patient", headers=IN_EHR_FRAME).status_code == 200  # launch intact
    assert framed_site.store.get_case_version("fhir-lung-1") == before  # nothing stored


def test_a_same_origin_post_without_the_csrf_token_is_refused(framed_site: SmartSite) -> None:
    with _client(framed_site) as http:
        _launched(framed_site, http)
        r = http.post("/smart/save", data={}, headers={**SAME_ORIGIN, "origin": framed_site.url})
    assert r.status_code == 403 and 'data-reason="csrf"' in r.text


@pytest.mark.parametrize("path, fetch", [
    ("/smart/standalone", {"sec-fetch-mode": "no-cors", "sec-fetch-dest": "image"}),  # <img> ends a launch?
    ("/smart/patient", {"sec-fetch-mode": "no-cors", "sec-fetch-dest": "script"}),
    ("/smart/patient", {"sec-fetch-mode": "cors", "sec-fetch-dest": "empty"}),
    ("/cases", {"sec-fetch-mode": "navigate", "sec-fetch-dest": "iframe"}),  # framing a non-SMART page
    ("/smart/patient", {"sec-fetch-mode": "navigate", "sec-fetch-dest": "object"}),
])
def test_other_sites_requests_that_are_not_navigations_are_refused(
        framed_site: SmartSite, path: str, fetch: dict[str, str]) -> None:
    with _client(framed_site) as http:
        _launched(framed_site, http)
        r = http.get(path, headers={**HTML, "sec-fetch-site": "cross-site", **fetch})
        assert r.status_code == 403, (path, fetch, r.status_code)
        # the clinician's launch was not ended by the hostile request
        assert http.get("/smart/patient", headers=IN_EHR_FRAME).status_code == 200


def test_a_link_from_another_site_still_opens_a_page(framed_site: SmartSite) -> None:
    top = {**HTML, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}
    r = httpx.get(framed_site.url + "/smart/patient", headers=top)
    assert r.status_code == 401 and 'data-reason="no-session"' in r.text  # a page, not a 403


# ---------------------------------------------------------------- the setting
def _env(**extra: str) -> dict[str, str]:
    return {"BONEMET_DEV": "1", "BONEMET_SMART_ISSUERS": "https://ehr.example.org/fhir",
            "BONEMET_SMART_CLIENT_ID": "bonemet", "BONEMET_BASE_URL": "https://bonemet.example.org", **extra}


def test_the_setting_reads_origins() -> None:
    s = Settings.from_env(_env(BONEMET_FRAME_ANCESTORS="https://EHR.example.org, https://ehr2.example.org:8443/"))
    assert s.smart is not None
    assert s.smart.frame_ancestors == ("https://ehr.example.org", "https://ehr2.example.org:8443")
    assert Settings.from_env(_env()).smart.frame_ancestors == ()  # type: ignore[union-attr]


@pytest.mark.parametrize("value", [
    "*", "https://*.example.org", "https://ehr.example.org/path", "'self'", "'none'",
    "https://ehr.example.org; script-src *", "https://ehr.example.org 'unsafe-inline'",
    "http://ehr.example.org", "ehr.example.org", "javascript:alert(1)", "https://ehr.example.org?x",
])
def test_anything_but_an_https_origin_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="BONEMET_FRAME_ANCESTORS"):
        Settings.from_env(_env(BONEMET_FRAME_ANCESTORS=value))


def test_an_embedded_launch_needs_an_https_base_url_and_smart() -> None:
    with pytest.raises(SettingsError, match="https BONEMET_BASE_URL"):
        Settings.from_env(_env(BONEMET_FRAME_ANCESTORS=EHR_ORIGIN, BONEMET_BASE_URL="http://bonemet.example.org"))
    with pytest.raises(SettingsError, match="BONEMET_SMART_ISSUERS"):
        Settings.from_env({"BONEMET_DEV": "1", "BONEMET_FRAME_ANCESTORS": EHR_ORIGIN})
