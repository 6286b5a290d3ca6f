"""On a phone (390 x 844 CSS px) no page scrolls sideways: wide content scrolls in its own box only.

The pages are discovered, not listed: from the home page, every same-site link is followed (nav, case
list, each case's assessment, summary and editor, knowledge base, calculators), so pages added later
are covered as soon as a link leads to them. Each page is visited in English and in French (French
words are longer), except the MDT summaries: each case's summary in one of the two (see the test).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest

from bonemet.demo import demo_cases

WIDTH, HEIGHT = 390, 844
# Files and actions, not pages: figures, downloads, the language switch, sign-in/out.
SKIP = re.compile(r"\.(svg|pdf|png|json|ya?ml|csv|zip)$|/export$|^/lang/|^/auth/|^/static/|^/api/|"
                  r"^/docs|^/redoc|^/openapi|^/cds-services|^/fhir/")
# Pages of one kind beyond the first few teach nothing new about the layout, except the cases:
# every demo case is visited (each has its own tables and figures).
PER_KIND = 6


def _kind(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["cases"] and len(parts) >= 2:
        return path  # every case page
    return "/".join(parts[:2]) if len(parts) > 2 else "/".join(parts[:1])


def _check(page: Any, where: str, wide: dict[str, Any]) -> None:
    found = _overflow(page)
    if found["scroll"] > found["client"] + 1:
        wide[where] = found


def _crawl(page: Any, base: str, wide: dict[str, Any], deferred: list[str]) -> list[str]:
    """Visit (in English) every page reachable by links from the home page, checking each; the MDT
    summaries are not visited but put in `deferred`, in the order they were found (see the test)."""
    seen: set[str] = set()
    queue = ["/"]
    kinds: Counter[str] = Counter()
    visited: list[str] = []
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        kind = _kind(urlsplit(path).path)
        if kinds[kind] >= PER_KIND and not kind.startswith("cases/"):
            continue
        kinds[kind] += 1
        if path.endswith("/summary"):
            deferred.append(path)
            continue
        response = page.goto(base + path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        visited.append(path)
        _check(page, f"en {path}", wide)
        hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            url, _ = urldefrag(href)
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}" != base or SKIP.search(parts.path):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen:
                queue.append(local)
    return visited


def _visit(page: Any, base: str, path: str, lang: str, wide: dict[str, Any]) -> None:
    response = page.goto(base + path)
    assert response is not None and response.ok, f"{lang} {path}: {response and response.status}"
    _check(page, f"{lang} {path}", wide)


def _overflow(page: Any) -> dict[str, Any]:
    """The page's scroll width, and the outermost elements that stick out (to name the culprit)."""
    return page.evaluate("""() => {
        const s = document.scrollingElement, limit = s.clientWidth + 1;
        const clipped = e => { for (let p = e.parentElement; p; p = p.parentElement) {
            if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)
                && p !== document.body && p !== document.documentElement) return true; } return false; };
        const wide = [...document.querySelectorAll('body *')].filter(e =>
            e.getBoundingClientRect().right > limit && !clipped(e)
            && !(e.parentElement && e.parentElement.getBoundingClientRect().right > limit))
          .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                                + (typeof e.className === 'string' && e.className ? '.' + e.className : '')
                                + ' ' + (e.textContent || '').trim().slice(0, 40));
        return {scroll: s.scrollWidth, client: s.clientWidth, wide};
    }""")


@pytest.fixture(scope="module")
def phone(browser_context: Any) -> Any:
    context = browser_context.browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=2, is_mobile=True, has_touch=True,
        locale="en-GB")
    yield context
    context.close()


def _blank_timeline(route: Any) -> None:
    # The figure's drawing takes a second of matplotlib on the server per case; its size on the page
    # is fixed by the <img> attributes and CSS, so a blank image of the same size tests the same layout.
    route.fulfill(status=200, content_type="image/svg+xml",
                  body='<svg xmlns="http://www.w3.org/2000/svg" width="900" height="560"/>')


def test_no_page_scrolls_sideways_at_390_px(live_server: Any, phone: Any) -> None:
    page = phone.new_page()
    page.route(re.compile(r"/timeline\.svg"), _blank_timeline)
    wide: dict[str, Any] = {}
    summaries: list[str] = []
    visited = _crawl(page, live_server.url, wide, summaries)
    # The crawl reached what it must: the nav's sections and every demo case's assessment and summary.
    for section in ("/cases", "/new", "/kb", "/calculators"):
        assert section in visited, visited
    ids = [p.stem for p in demo_cases()]
    case_pages = [v for v in visited if v.startswith("/cases/")]
    assert len({v.split("/")[2] for v in case_pages}) >= len(ids), case_pages
    assert len({v.split("/")[2] for v in summaries if v.startswith("/cases/")}) >= len(ids), summaries
    # An MDT summary costs a second of figure drawing on the server (its timeline is inline: no route
    # to blank), and the summaries share one template: each case's summary is checked once, every
    # other case in English, the others in French (issue 27; they were 63 drawings, 50 now).
    for path in summaries[0::2]:
        _visit(page, live_server.url, path, "en", wide)
    # French words are longer: every page again in French.
    page.goto(f"{live_server.url}/lang/fr?next=%2F")
    for path in [*visited, *summaries[1::2]]:
        _visit(page, live_server.url, path, "fr", wide)
    page.goto(f"{live_server.url}/lang/en?next=%2F")
    page.close()
    assert wide == {}, wide
