"""The plain JSON API over real HTTP: assess, knowledge base, health/version, errors, CORS, audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from service_harness import EXAMPLES, LiveServer

from bonemet import __version__
from bonemet.api import assess, load_case
from bonemet.kb import default_kb
from golden import normalised

GOLDEN = Path(__file__).resolve().parent / "golden"


def _case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(load_case(EXAMPLES / name).model_dump_json())
    return data


def test_health_and_version(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        assert http.get("/health").json() == {"status": "ok"}
        version = http.get("/version").json()
    assert version["version"] == __version__
    assert version["knowledge_base"]["version"] == default_kb().version


def test_index_leaves_root_as_a_small_json_index(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        body = http.get("/").json()
    assert body["links"]["cds_hooks_discovery"] == "/cds-services"
    assert "not a medical device" in body["disclaimer"]


@pytest.mark.parametrize("path", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_assess_over_http_equals_the_python_api(dev_server: LiveServer, path: str) -> None:
    expected = json.loads(assess(load_case(EXAMPLES / path)).model_dump_json())
    with dev_server.client() as http:
        r = http.post("/api/assess", json=_case(path))
    assert r.status_code == 200
    assert r.json() == expected


def test_golden_assess_response(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        body = http.post("/api/assess", json=_case("03-staging-pet-mid-thigh.yaml")).json()
    golden = json.loads((GOLDEN / "api-assess-03.json").read_text())
    assert normalised(body) == normalised(golden)  # the knowledge-base version aside (tests/golden.py)


@pytest.mark.parametrize(("body", "status", "field"), [
    (b"{not json", 400, ""),
    (b"[1, 2]", 400, ""),
    (b"", 400, ""),
    (json.dumps({"case_id": "x"}).encode(), 422, "context"),
    (json.dumps({"case_id": "x", "context": {"phase": "later"}}).encode(), 422, "context.phase"),
    (json.dumps({"case_id": "x", "context": {"phase": "staging"},
                 "exams": [{"id": "e", "date": "2025-13-01", "modality": "bone_scan"}]}).encode(),
     422, "exams[0].date"),
    (json.dumps({"resourceType": "Patient"}).encode(), 422, "resourceType"),
    # HZ-IN-01: a field given twice is refused, not resolved to its last value
    (b'{"case_id": "x", "context": {"phase": "staging", "phase": "on_treatment"}}', 422,
     "context.phase"),
])
def test_bad_input_gets_a_clear_error_never_a_500(dev_server: LiveServer, body: bytes, status: int,
                                                  field: str) -> None:
    with dev_server.client() as http:
        r = http.post("/api/assess", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status
    problems = r.json()["problems"]
    assert problems and all(p["message"] for p in problems)
    assert any(p["field"] == field for p in problems)


def test_kb_routes(dev_server: LiveServer) -> None:
    kb = default_kb()
    with dev_server.client() as http:
        rules = http.get("/api/kb/rules").json()
        rule = http.get("/api/kb/rules/nm-09").json()
        statement = http.get("/api/kb/statements/REC3").json()
        reference = http.get("/api/kb/references/1").json()
        missing = http.get("/api/kb/rules/NM-99")
        bad = http.get("/api/kb/references/0")
    assert kb.plan is not None
    assert [r["id"] for r in rules["rules"]] == [*kb.rules, *kb.plan.rules]
    assert rule["id"] == "NM-09" and rule["references"] == list(kb.refs_for("NM-09"))
    assert statement["kb_version"] == kb.version and statement["text"]["fr"]
    assert reference["number"] == 1
    assert missing.status_code == 404 and "NM-99" in missing.text
    assert bad.status_code == 422


def test_schema_routes(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        assert "properties" in http.get("/api/schema/case").json()
        assert http.get("/api/schema/nope").status_code == 422


def test_openapi_has_the_assess_example(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        spec = http.get("/openapi.json").json()
    example = spec["paths"]["/api/assess"]["post"]["requestBody"]["content"]["application/json"]
    assert example["examples"]["case"]["value"]["case_id"] == "demo-03-pet-mid-thigh"
    assert "/cds-services/{service_id}/feedback" in spec["paths"]


def test_store_round_trip_in_dev_mode(dev_server: LiveServer) -> None:
    doc = _case("14-isolated-lesion-pet.yaml")
    with dev_server.client() as http:
        put = http.put(f"/api/cases/{doc['case_id']}", json=doc)
        listed = http.get("/api/cases").json()
        got = http.get(f"/api/cases/{doc['case_id']}").json()
        assessed = http.post(f"/api/cases/{doc['case_id']}/assessments")
        mismatch = http.put("/api/cases/other-id", json=doc)
        absent = http.get("/api/cases/nope")
    assert put.status_code == 200 and doc["case_id"] in listed["case_ids"]
    assert got == doc
    assert assessed.status_code == 200 and "NM-09" in assessed.text
    assert len(dev_server.app.state.bonemet.store.assessments_of(doc["case_id"])) >= 1
    assert mismatch.status_code == 422 and absent.status_code == 404


def test_req_208_cors_echoes_an_allowed_origin_never_a_wildcard(dev_server: LiveServer) -> None:
    allowed = "https://ehr.example.org"
    with dev_server.client() as http:
        pre = http.options("/cds-services", headers={
            "Origin": allowed, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"})
        other = http.options("/cds-services", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        simple = http.get("/cds-services", headers={"Origin": allowed})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == allowed
    assert "authorization" in pre.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in pre.headers
    assert other.headers.get("access-control-allow-origin") is None
    assert simple.headers["access-control-allow-origin"] == allowed


def test_audit_log_names_the_case_id_and_no_other_patient_data(dev_server: LiveServer) -> None:
    doc = _case("03-staging-pet-mid-thigh.yaml")
    with dev_server.client() as http:
        http.post("/api/assess", json=doc)
        http.get(f"/api/cases/{doc['case_id']}")
    rows = dev_server.app.state.bonemet.store.audit_rows(limit=500)
    assert any(r["route"] == "/api/assess" and r["status"] == 200 and r["case_id"] == doc["case_id"]
               for r in rows)
    assert any(r["route"] == "/api/cases/{case_id}" and r["case_id"] == doc["case_id"] for r in rows)
    # The case id in its own column only (issue 22): no label, no birth year, no id in the route.
    dumped = json.dumps([{k: v for k, v in r.items() if k != "case_id"} for r in rows])
    for secret in (doc["case_id"], doc["patient"]["label"], "1955"):
        assert secret not in dumped


def test_examples_dir_matches_demo_cases() -> None:
    # The API golden depends on this demo file staying what it is.
    assert yaml.safe_load((EXAMPLES / "03-staging-pet-mid-thigh.yaml").read_text())["case_id"]


def _bundle(name: str) -> dict[str, Any]:
    from hooks import as_server_data

    from bonemet.fhir import case_to_bundle

    return as_server_data(case_to_bundle(load_case(EXAMPLES / name)))


def test_assess_accepts_a_fhir_bundle(dev_server: LiveServer) -> None:
    expected = assess(load_case(EXAMPLES / "03-staging-pet-mid-thigh.yaml"))
    with dev_server.client() as http:
        r = http.post("/api/assess", json=_bundle("03-staging-pet-mid-thigh.yaml"))
    assert r.status_code == 200, r.text
    assert r.headers["x-bonemet-unmapped"] == "0"
    assert tuple(sorted({x["rule_id"] for x in r.json()["recommendations"]})) == expected.rule_ids()


def test_assess_as_fhir_guidance_response(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        r = http.post("/api/assess?format=fhir", json=_case("14-isolated-lesion-pet.yaml"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/fhir+json")
    assert r.json()["resourceType"] == "GuidanceResponse"
    assert "NM-09" in r.text and default_kb().version in r.text


def test_bad_bundle_on_the_fhir_route_is_an_operation_outcome(dev_server: LiveServer) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": {"resourceType": "Nonsense", "id": "x"}}, {"resource": 3}]}
    with dev_server.client() as http:
        r = http.post("/api/assess?format=fhir", json=bundle)
        plain = http.post("/api/assess", json=bundle)
    assert r.status_code == 422
    assert r.json()["resourceType"] == "OperationOutcome"
    assert "entry[1].resource" in r.text
    assert plain.status_code == 422 and plain.json()["problems"]


def test_fhir_case_lists_what_could_not_be_mapped(dev_server: LiveServer) -> None:
    bundle = _bundle("01-staging-no-pet.yaml")
    patient = next(e["resource"]["id"] for e in bundle["entry"]
                   if e["resource"]["resourceType"] == "Patient")
    bundle["entry"].append({"resource": {"resourceType": "Observation", "id": "odd", "status": "final",
                                         "code": {"text": "shoe size"},
                                         "subject": {"reference": f"Patient/{patient}"},
                                         "effectiveDateTime": "2025-01-10"}})
    with dev_server.client() as http:
        r = http.post("/api/fhir/case", json=bundle)
    assert r.status_code == 200, r.text
    unmapped = [u for u in r.json()["unmapped"] if u["resource_id"] == "odd"]
    assert unmapped and unmapped[0]["resource_type"] == "Observation" and unmapped[0]["reason"]
    assert r.json()["case"]["cancer"]["primary_site"] == "lung"


def test_a_fact_after_the_decision_date_or_after_today_is_refused_naming_its_field(
        dev_server: LiveServer) -> None:
    # Issue 21 (class 7): a scan typed seven weeks late used to vanish; a typo year moved as_of.
    import datetime as dt

    late = {"schema_version": "1.0", "case_id": "late", "cancer": {"primary_site": "lung"},
            "context": {"phase": "follow_up", "as_of": "2025-06-01"},
            "exams": [{"id": "bs", "date": "2025-07-20", "modality": "bone_scan",
                       "result": "positive"}]}
    typo = {**late, "context": {"phase": "follow_up"},
            "exams": [{"id": "bs", "date": (dt.date.today() + dt.timedelta(days=500)).isoformat(),
                       "modality": "bone_scan", "result": "positive"}]}
    booked = {**late, "exams": [{"id": "bs", "date": "2025-07-20", "modality": "bone_scan",
                                 "status": "planned"}]}
    with dev_server.client() as http:
        refused = http.post("/api/assess", json=late)
        future = http.post("/api/assess", json=typo)
        accepted = http.post("/api/assess", json=booked)
    assert refused.status_code == 422
    assert [p["field"] for p in refused.json()["problems"]] == ["exams[0].date"]
    assert "context.as_of" in refused.json()["problems"][0]["message"]
    assert future.status_code == 422
    assert [p["field"] for p in future.json()["problems"]] == ["exams[0].date"]
    assert "after today" in future.json()["problems"][0]["message"]
    assert accepted.status_code == 200, accepted.text
