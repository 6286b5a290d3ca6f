"""The 500s of finding 8, each replayed against a real server: every one is now a 4xx naming
the field, or works."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from security_harness import Keys, Live, csrf_of

HTML = {"accept": "text/html"}
FIXTURE = Path(__file__).resolve().parents[1] / "service" / "fixtures" / "order-select-staging.json"
ORDER = "/cds-services/bonemet-imaging-order"


def test_jwt_with_es384_naming_an_rsa_key_is_401(proxy_server: Live, keys: Keys) -> None:
    # Signed with the EC key but naming the RSA key's kid: PyJWT raised TypeError (a 500).
    forged = keys.token(proxy_server.url + "/cds-services", alg="ES384", kid="rsa-1")
    with proxy_server.client() as http:
        r = http.get("/cds-services", headers={"authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and "does not match" in r.text


def _form(http: Any) -> dict[str, str]:
    page = http.get("/new", headers=HTML).text
    return {"_csrf": csrf_of(page), "_new": "1", "_version": "0", "schema_version": "1.0",
            "context.phase": "staging"}


@pytest.mark.parametrize(("extra", "field"), [
    ({}, "case_id"),  # /save without a case id
    ({"case_id": "f1", "exams": "x"}, "exams"),
    ({"case_id": "f2", "context": "x"}, "context"),
    ({"case_id": "f3", "exams[0].lesions": "x", "exams[0].id": "e1"}, "exams[0].lesions"),
    ({"case_id": "f4", "cancer.diagnosis_date": "0001-01-01"}, "cancer.diagnosis_date"),
    ({"case_id": "f5", "cancer.diagnosis_date": "9999-12-31"}, "cancer.diagnosis_date"),
    ({"case_id": "a/b"}, "case_id"),  # saved before, then impossible to open
    ({"case_id": "../x"}, "case_id"),
])
def test_bad_editor_forms_are_422_naming_the_field(dev_server: Live, extra: dict[str, str],
                                                   field: str) -> None:
    with dev_server.client() as http:
        r = http.post("/save", data={**_form(http), **extra}, headers=HTML)
    assert r.status_code == 422, r.text[:300]
    assert field in r.text


def test_add_lesion_on_a_new_empty_exam_row(dev_server: Live) -> None:
    with dev_server.client() as http:
        form = {**_form(http), "case_id": "lesion-row", "exams[0].id": "", "_add": "exams[0].lesions"}
        r = http.post("/save", data=form, headers=HTML)
    assert r.status_code == 200, r.text[:300]
    assert 'name="exams[0].lesions[0].site"' in r.text


@pytest.mark.parametrize("target", ["exams[99999].lesions", "case_id.lesions", "]]", "exams[0]"])
def test_add_row_at_a_forged_place_is_422(dev_server: Live, target: str) -> None:
    with dev_server.client() as http:
        r = http.post("/save", data={**_form(http), "case_id": "forged", "_add": target}, headers=HTML)
    assert r.status_code in (200, 422), r.text[:300]


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31"])
def test_extreme_dates_are_422_in_the_api(dev_server: Live, date: str) -> None:
    case = {"schema_version": "1.0", "case_id": "dates", "context": {"phase": "follow_up"},
            "treatments": [{"id": "t1", "type": "chemotherapy", "start": date}],
            "exams": [{"id": "e1", "date": date, "modality": "bone_scan", "result": "positive"}]}
    with dev_server.client() as http:
        r = http.post("/api/assess", json=case)
    assert r.status_code == 422
    fields = {p["field"] for p in r.json()["problems"]}
    assert {"treatments[0].start", "exams[0].date"} <= fields


def test_dollar_in_a_treatment_name_does_not_break_the_timeline(dev_server: Live) -> None:
    case = {"schema_version": "1.0", "case_id": "dollar", "context": {"phase": "follow_up"},
            "treatments": [{"id": "t1", "type": "chemotherapy", "start": "2024-01-01",
                            "agents": ["$\\frac$", "cis$platin"]}],
            "exams": [{"id": "e1", "date": "2024-03-01", "modality": "bone_scan", "result": "positive"}]}
    with dev_server.client() as http:
        assert http.put("/api/cases/dollar", json=case).status_code == 200
        r = http.get("/cases/dollar/timeline.svg")
        assert r.status_code == 200 and "cis$platin" in r.text
        assert http.get("/cases/dollar/summary.pdf").status_code == 200


def _cds(prefetch_patch: dict[str, Any]) -> dict[str, Any]:
    req = copy.deepcopy(json.loads(FIXTURE.read_text()))
    req["prefetch"].update(prefetch_patch)
    return req


@pytest.mark.parametrize(("patch", "field"), [
    ({"conditions": {"resourceType": "Bundle", "entry": "x"}}, "prefetch.conditions.entry"),
    ({"conditions": {"resourceType": "Bundle", "entry": {"a": 1}}}, "prefetch.conditions.entry"),
])
def test_malformed_prefetch_bundles_are_422(dev_server: Live, patch: dict[str, Any], field: str) -> None:
    with dev_server.client() as http:
        r = http.post(ORDER, json=_cds(patch))
    assert r.status_code == 422, r.text[:300]
    assert field in r.text


def test_prefetch_entry_with_a_string_search_is_read(dev_server: Live) -> None:
    req = _cds({})
    bundle = req["prefetch"]["conditions"]
    for entry in bundle.get("entry", []):
        entry["search"] = "match"
    with dev_server.client() as http:
        r = http.post(ORDER, json=req)
    assert r.status_code == 200, r.text[:300]


def test_no_error_answer_leaks_a_traceback(dev_server: Live) -> None:
    with dev_server.client() as http:
        for path in ("/cases/%2e%2e%2fetc", "/cases/" + "x" * 5000, "/api/cases/a%2Fb"):
            r = http.get(path)
            assert r.status_code in (404, 422), (path, r.status_code)
            assert not re.search(r"Traceback|File \"", r.text)
