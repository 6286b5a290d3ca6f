"""Neurological status and spinal pain from FHIR, as EHRs write them (issue 21, HZ-EHR-11).

The cases below were written from the clinical question (is cord compression suspected?) and from
how problem lists and nursing/physician observations record the facts, before the reader's code
was read. Each names the resources, the decision date and what the case must hold.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bonemet.fhir import case_from_fhir

SCT = "http://snomed.info/sct"
P = "Patient/p1"

# Codes as the cases use them (the value-set rows carry their sources).
BACKACHE, LOW_BACK, NECK, THORACIC_SPINE_PAIN, CERVICAL_SPINE_PAIN = (
    "161891005", "279039007", "81680005", "267981009", "279029001")
BONE_PAIN, CHRONIC_BACK = "12584003", "134407002"
PARAPARESIS, PARAPLEGIA, WEAK_LIMB, URINE_RETENTION, CAUDA_EQUINA, CORD_COMPRESSION, NUMB_LEG = (
    "1845001", "60389000", "309774006", "267064002", "192970008", "71286001", "309537005")
T_SPINE_SITE, L_SPINE_SITE = "35769007", "73903008"

CASES = yaml.safe_load(f"""
# id: what the record says -> what the case must hold (deficit, pain, sites)
- id: backache_and_paraparesis_on_the_problem_list
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {BACKACHE}, onset: 2025-05-01}}
    - {{type: Condition, code: {PARAPARESIS}, onset: 2025-05-08}}
  expect: {{deficit: true, pain: true, sites: []}}          # back pain with no level: unlocated
- id: low_back_pain_and_weak_legs_as_observations
  as_of: 2025-05-10
  resources:
    - {{type: Observation, code: {LOW_BACK}, date: 2025-05-09, value: true}}
    - {{type: Observation, code: {WEAK_LIMB}, date: 2025-05-09, value: true}}
  expect: {{deficit: true, pain: true, sites: [lumbar_spine]}}
- id: bone_pain_at_the_thoracic_spine_with_urinary_retention
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {BONE_PAIN}, onset: 2025-04-20, body_site: {T_SPINE_SITE}}}
    - {{type: Condition, code: {URINE_RETENTION}, onset: 2025-05-09}}
  expect: {{deficit: true, pain: true, sites: [thoracic_spine]}}
- id: neck_pain_alone_says_nothing_of_the_neurology
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {NECK}, onset: 2025-05-02}}
  expect: {{deficit: null, pain: true, sites: [cervical_spine]}}
- id: thoracic_spine_pain_and_paraplegia_examined_absent
  as_of: 2025-05-10
  resources:
    - {{type: Observation, code: {THORACIC_SPINE_PAIN}, date: 2025-05-09, value: true}}
    - {{type: Observation, code: {PARAPLEGIA}, date: 2025-05-09, value: false}}
  expect: {{deficit: false, pain: true, sites: [thoracic_spine]}}
- id: refuted_paraparesis_is_a_no
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {PARAPARESIS}, onset: 2025-05-08, verification: refuted}}
  expect: {{deficit: false, pain: null, sites: []}}
- id: entered_in_error_paraparesis_is_nothing
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {PARAPARESIS}, onset: 2025-05-08, verification: entered-in-error}}
  expect: {{deficit: null, pain: null, sites: []}}
- id: paraparesis_that_resolved_years_ago_is_not_current
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {PARAPARESIS}, onset: 2019-02-01, abatement: 2019-06-01, clinical: resolved}}
  expect: {{deficit: null, pain: null, sites: []}}
- id: paraparesis_that_resolved_after_the_decision_was_present_then
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {PARAPARESIS}, onset: 2025-05-01, abatement: 2025-06-01, clinical: resolved}}
  expect: {{deficit: true, pain: null, sites: []}}
- id: weakness_recorded_after_the_decision_date_is_not_read
  as_of: 2025-05-10
  resources:
    - {{type: Observation, code: {WEAK_LIMB}, date: 2025-06-01, value: true}}
  expect: {{deficit: null, pain: null, sites: []}}
- id: provisional_cauda_equina_counts_as_suspected_deficit
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {LOW_BACK}, onset: 2025-05-01}}
    - {{type: Condition, code: {CAUDA_EQUINA}, onset: 2025-05-09, verification: provisional}}
  expect: {{deficit: true, pain: true, sites: [lumbar_spine]}}
- id: recorded_cord_compression_counts_as_deficit
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {CORD_COMPRESSION}, onset: 2025-05-09}}
  expect: {{deficit: true, pain: null, sites: []}}
- id: numb_leg_is_a_sensory_deficit
  as_of: 2025-05-10
  resources:
    - {{type: Observation, code: {NUMB_LEG}, date: 2025-05-09, value: true}}
  expect: {{deficit: true, pain: null, sites: []}}
- id: chronic_back_pain_for_years_is_not_new_pain
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {CHRONIC_BACK}, onset: 2012-01-01}}
  expect: {{deficit: null, pain: null, sites: []}}
- id: french_text_only_record
  as_of: 2025-05-10
  resources:
    - {{type: Condition, text: "Lombalgie d'horaire inflammatoire", onset: 2025-05-01}}
    - {{type: Condition, text: "Paraparésie des membres inférieurs", onset: 2025-05-09}}
  expect: {{deficit: true, pain: true, sites: [lumbar_spine]}}
- id: french_dorsalgia_and_urinary_retention_text
  as_of: 2025-05-10
  resources:
    - {{type: Observation, text: Dorsalgie, date: 2025-05-09, value: true}}
    - {{type: Observation, text: "Rétention aiguë d'urine", date: 2025-05-09, value: true}}
  expect: {{deficit: true, pain: true, sites: [thoracic_spine]}}
- id: a_deficit_and_a_no_deficit_the_deficit_wins
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {PARAPARESIS}, onset: 2025-05-08}}
    - {{type: Observation, code: {PARAPARESIS}, date: 2025-05-09, value: false}}
  expect: {{deficit: true, pain: null, sites: [], contradiction: true}}
- id: back_pain_located_by_its_body_site
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {BACKACHE}, onset: 2025-05-01, body_site: {L_SPINE_SITE}}}
  expect: {{deficit: null, pain: true, sites: [lumbar_spine]}}
""")


def resource(spec: dict[str, Any], n: int) -> dict[str, Any]:
    """One Condition or Observation the way an EHR writes it, from a case line."""
    code: dict[str, Any] = ({"coding": [{"system": SCT, "code": str(spec["code"])}]} if "code" in spec
                            else {"text": spec["text"]})
    out: dict[str, Any] = {"resourceType": spec["type"], "id": f"r{n}", "code": code,
                           "subject": {"reference": P}}
    if "body_site" in spec:
        out["bodySite"] = [{"coding": [{"system": SCT, "code": str(spec["body_site"])}]}]
    if spec["type"] == "Condition":
        out["clinicalStatus"] = {"coding": [{"code": spec.get("clinical", "active")}]}
        out["verificationStatus"] = {"coding": [{"code": spec.get("verification", "confirmed")}]}
        out["onsetDateTime"] = str(spec["onset"])
        if "abatement" in spec:
            out["abatementDateTime"] = str(spec["abatement"])
    else:
        out["status"] = "final"
        out["effectiveDateTime"] = str(spec["date"])
        out["valueBoolean"] = spec["value"]
    return out


def record(specs: list[dict[str, Any]]) -> dict[str, Any]:
    resources = [{"resourceType": "Patient", "id": "p1"}, *(resource(s, i) for i, s in enumerate(specs))]
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_neurological_status_and_spinal_pain_as_ehrs_write_them(case: dict[str, Any]) -> None:
    r = case_from_fhir(record(case["resources"]),
                       context={"phase": "on_treatment", "as_of": str(case["as_of"])}, strict=True)
    ctx, want = r.case.context, case["expect"]
    assert ctx.neurological_deficit is want["deficit"]
    assert ctx.new_bone_pain is want["pain"]
    assert [str(s) for s in ctx.pain_sites] == want["sites"]
    # A contradiction is never silent: it is reported with both sources named.
    said = [str(a) for a in r.assumptions if "contradict" in a.reason]
    assert bool(said) is want.get("contradiction", False), said
    if said:
        assert "Condition/r0" in said[0] and "Observation/r1" in said[0]
