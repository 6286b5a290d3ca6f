"""POST /api/check over real HTTP: the quick request check as JSON (issue 13)."""

from __future__ import annotations

from service_harness import LiveServer

from bonemet.api import assess, load_case
from bonemet.demo import demo_cases
from bonemet.kb import default_kb
from bonemet.model import RatedModality
from bonemet.report.quick_check import check_request


def _demo(case_id: str):  # type: ignore[no-untyped-def]
    return next(c for c in map(load_case, demo_cases()) if c.case_id == case_id)


def test_check_of_a_demo_case_equals_the_python_api(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        r = http.post("/api/check", json={"exam": "bone_scan", "case_id": "demo-01-staging-no-pet"})
    assert r.status_code == 200
    expected = check_request(assess(_demo("demo-01-staging-no-pet")), RatedModality.bone_scan,
                             default_kb())
    assert r.json() == expected.model_dump(mode="json")
    assert r.json()["alternative"]["modality"] == "fdg_pet_ct"
    assert r.json()["dose"]["statement_id"] == "F02"


def test_check_from_the_minimal_context(dev_server: LiveServer) -> None:
    body = {"exam": "bone_scan", "context": {
        "phase": "staging", "primary_site": "lung", "as_of": "2026-11-27",
        "exams": [{"modality": "fdg_pet_ct", "date": "2026-11-20", "purpose": "staging",
                   "result": "negative"}]}}
    with dev_server.client() as http:
        r = http.post("/api/check", json=body)
    assert r.status_code == 200
    assert r.json()["rating"] == "usually_not_appropriate"
    assert r.json()["reason"]["rule_id"] == "NM-01"


def test_check_errors_name_the_field(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        bad_exam = http.post("/api/check", json={"exam": "xray", "case_id": "demo-01-staging-no-pet"})
        none = http.post("/api/check", json={"exam": "bone_scan"})
        missing = http.post("/api/check", json={"exam": "bone_scan", "case_id": "nope"})
        bad_date = http.post("/api/check", json={"exam": "bone_scan", "context": {
            "phase": "staging", "exams": [{"modality": "bone_scan", "date": "2026-11-31"}]}})
    assert bad_exam.status_code == 422 and bad_exam.json()["problems"][0]["field"] == "exam"
    assert none.status_code == 422 and none.json()["problems"][0]["field"] == "case_id"
    assert missing.status_code == 404
    assert bad_date.status_code == 422
    assert bad_date.json()["problems"][0]["field"] == "exams[0].date"


def test_r13_c04_unavailable_pet_alternative_over_http(dev_server: LiveServer) -> None:
    """Review 13 M2: the JSON answer flags an FDG-PET the centre does not offer, with NM-02's advice."""
    import json
    from pathlib import Path

    import yaml

    path = next((Path(__file__).parents[1] / "report" / "cases").glob("c04-*.yaml"))
    doc = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
    with dev_server.client() as http:
        r = http.post("/api/check", json={"exam": "naf_pet_ct", "case": doc})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["alternative"]["modality"] == "fdg_pet_ct"
    assert body["alternative_unavailable"] is True
    assert [n["trace"]["rule_id"] for n in body["alternative_advice"]] == ["NM-02"]


def test_check_from_the_minimal_context_with_symptoms_raises_safe01(dev_server: LiveServer) -> None:
    # Issue 21: the symptoms reach the quick check over HTTP too (a bone scan is "not now").
    body = {"exam": "bone_scan", "context": {
        "phase": "follow_up", "primary_site": "lung", "as_of": "2026-11-27",
        "new_bone_pain": True, "pain_sites": ["cervical_spine"], "neurological_deficit": True}}
    with dev_server.client() as http:
        r = http.post("/api/check", json=body)
        bad = http.post("/api/check", json={**body, "context": {**body["context"],
                                                                "pain_sites": ["neck"]}})
    assert r.status_code == 200
    assert r.json()["rating"] == "usually_not_appropriate"
    assert r.json()["reason"]["rule_id"] == "SAFE-01"
    assert r.json()["alternative"]["modality"] == "targeted_mri"
    assert bad.status_code == 422 and "pain_sites" in bad.text


def test_api_assess_reads_a_cord_grade_as_a_deficit(dev_server: LiveServer) -> None:
    doc = {"schema_version": "1.0", "case_id": "t21", "cancer": {"primary_site": "lung"},
           "context": {"phase": "follow_up", "as_of": "2026-11-27", "neurological_deficit": False,
                       "new_bone_pain": True, "pain_sites": ["thoracic_spine"]},
           "score_inputs": {"frankel": "C"}}
    with dev_server.client() as http:
        r = http.post("/api/assess", json=doc)
    assert r.status_code == 200
    recs = r.json()["recommendations"]
    assert recs[0]["action"] == "contradiction" and recs[0]["priority"] == "urgent"
    assert any(x["rule_id"] == "SAFE-01" and x["action"] == "urgent_alert" for x in recs)
