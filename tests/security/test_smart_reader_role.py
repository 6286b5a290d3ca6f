"""BONEMET_SMART_ROLE=reader: a clinician launched from the EHR sees the assessment but cannot
save it (issue 26)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from smart_ehr import SmartSite, run_site, walk_ehr

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def reader_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmartSite]:
    yield from run_site(tmp_path_factory, role="reader")


def test_a_reader_launch_shows_the_assessment_and_refuses_the_save(reader_site: SmartSite) -> None:
    start = f"/smart/launch?iss={quote(reader_site.ehr.fhir.base, safe='')}&launch=launch-lung"
    with reader_site.client() as http:
        page = http.get(walk_ehr(http, start, reader_site), headers=HTML, follow_redirects=True)
        assert page.status_code == 200 and 'id="mapping-report"' in page.text
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        r = http.post("/smart/save", data={"_csrf": csrf.group(1)}, headers=HTML)
    assert r.status_code == 403 and 'data-reason="role"' in r.text
    assert reader_site.store.get_case("fhir-lung-1") is None
