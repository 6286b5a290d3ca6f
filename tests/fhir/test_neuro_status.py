"""Neurological status and spinal pain from FHIR, as EHRs write them (issue 21, HZ-EHR-11).

The cases below were written from the clinical question (is cord compression suspected?) and from
how problem lists and nursing/physician observations record the facts, before the reader's code
was read. Each names the resources, the decision date and what the case must hold.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bonemet import api
from bonemet.fhir import case_from_fhir, case_to_bundle, default_valuesets, observation_search_codes
from bonemet.model import Assessment
from bonemet.model.case import SkeletalSite

SCT = "http://snomed.info/sct"
P = "Patient/p1"

# Codes as the cases use them (the value-set rows carry their sources).
BACKACHE, LOW_BACK, NECK, THORACIC_SPINE_PAIN, CERVICAL_SPINE_PAIN = (
    "161891005", "279039007", "81680005", "267981009", "279029001")
BONE_PAIN, CHRONIC_BACK = "12584003", "134407002"
PARAPARESIS, PARAPLEGIA, WEAK_LIMB, URINE_RETENTION, CAUDA_EQUINA, CORD_COMPRESSION, NUMB_LEG = (
    "1845001", "60389000", "309774006", "267064002", "192970008", "71286001", "309537005")
T_SPINE_SITE, L_SPINE_SITE, FEMUR_SHAFT_SITE = "35769007", "73903008", "41111004"

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
- id: weak_legs_answered_absent_with_a_snomed_qualifier
  as_of: 2025-05-10
  resources:
    - {{type: Observation, code: {LOW_BACK}, date: 2025-05-09, value_code: 373066001}}
    - {{type: Observation, code: {WEAK_LIMB}, date: 2025-05-09, value_code: 2667000}}
  expect: {{deficit: false, pain: true, sites: [lumbar_spine]}}
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
- id: unlocated_back_pain_next_to_femur_pain_stays_possibly_spinal
  as_of: 2025-05-10
  resources:
    - {{type: Condition, code: {BACKACHE}, onset: 2025-05-01}}
    - {{type: Observation, code: {BONE_PAIN}, date: 2025-05-09, value: true, body_site: {FEMUR_SHAFT_SITE}}}
    - {{type: Observation, code: {WEAK_LIMB}, date: 2025-05-09, value: true}}
  expect: {{deficit: true, pain: true, sites: []}}        # not [femur_shaft]: SAFE-01 must still see it
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
    if "body_site" in spec:  # Condition.bodySite is a list, Observation.bodySite one concept (R4)
        site = {"coding": [{"system": SCT, "code": str(spec["body_site"])}]}
        out["bodySite"] = [site] if spec["type"] == "Condition" else site
    if spec["type"] == "Condition":
        out["clinicalStatus"] = {"coding": [{"code": spec.get("clinical", "active")}]}
        out["verificationStatus"] = {"coding": [{"code": spec.get("verification", "confirmed")}]}
        out["onsetDateTime"] = str(spec["onset"])
        if "abatement" in spec:
            out["abatementDateTime"] = str(spec["abatement"])
    else:
        out["status"] = "final"
        out["effectiveDateTime"] = str(spec["date"])
        if "value_code" in spec:  # a SNOMED CT qualifier answer (Absent 2667000, No 373067005...)
            out["valueCodeableConcept"] = {"coding": [{"system": SCT, "code": str(spec["value_code"])}]}
        else:
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


# ------------------------------------------------------------------------ SAFE-01 from FHIR, end to end
AS_OF = dt.date(2025, 5, 10)
VS = default_valuesets()
LUNG = {"resourceType": "Condition", "id": "c-lung", "subject": {"reference": P},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "code": {"coding": [{"system": SCT, "code": "254626006"}]}, "onsetDateTime": "2024-11-02"}
DEFICIT_CODES = [r.code for concept in VS.groups["neuro_deficit"] for r in concept.codes]
SPINAL_PAIN_CODES = [r.code for concept in VS.groups["spinal_pain"] for r in concept.codes]
PAIN_CODES = [*SPINAL_PAIN_CODES, BONE_PAIN]


def _alert(a: Assessment) -> bool:
    return any(r.rule_id == "SAFE-01" and r.action == "urgent_alert" and r.priority == "urgent"
               for r in a.recommendations)


def _assess(specs: list[dict[str, Any]], extra: tuple[dict[str, Any], ...] = ()) -> tuple[Assessment, Any]:
    doc = record(specs)
    doc["entry"] += [{"resource": r} for r in (LUNG, *extra)]
    raw = orjson.dumps(doc)
    # bonemet.api as an adapter uses it: decode, map, bound, assess, serialise.
    result = case_from_fhir(api.decode(raw, "json"),
                            context={"phase": "on_treatment", "as_of": AS_OF.isoformat()})
    assessment = api.assess(api.check_case_size(result.case))
    return assessment, result


def test_unlocated_back_pain_with_a_femur_pain_and_weak_legs_still_alerts() -> None:
    assessment, result = _assess([
        {"type": "Condition", "code": BACKACHE, "onset": "2025-05-01"},
        {"type": "Observation", "code": BONE_PAIN, "date": "2025-05-09", "value": True,
         "body_site": FEMUR_SHAFT_SITE},
        {"type": "Observation", "code": WEAK_LIMB, "date": "2025-05-09", "value": True},
    ])
    assert _alert(assessment)
    assert any("pain sites left empty" in a.reason for a in result.assumptions)


def test_fhir_spinal_pain_and_paraparesis_give_the_urgent_cord_compression_alert() -> None:
    assessment, result = _assess([
        {"type": "Condition", "code": THORACIC_SPINE_PAIN, "onset": "2025-05-02"},
        {"type": "Observation", "code": PARAPARESIS, "date": "2025-05-09", "value": True},
    ])
    assert result.in_scope
    out = orjson.loads(api.to_json(assessment))
    urgent = [r for r in out["recommendations"]
              if r["rule_id"] == "SAFE-01" and r["action"] == "urgent_alert"]
    assert [r["priority"] for r in urgent] == ["urgent"]
    facts = {f["path"]: f["value"] for f in urgent[0]["facts"]}
    assert facts["context.neurological_deficit"] is True
    assert facts["context.pain_sites"] == "thoracic_spine"


@pytest.mark.parametrize("verification", ["refuted", "entered-in-error"])
def test_a_refuted_or_mistaken_deficit_does_not_trigger_the_alert(verification: str) -> None:
    assessment, result = _assess([
        {"type": "Condition", "code": LOW_BACK, "onset": "2025-05-02"},
        {"type": "Condition", "code": PARAPARESIS, "onset": "2025-05-08", "verification": verification},
    ])
    assert not _alert(assessment)
    # Refuted is a recorded "no"; entered in error is nothing, and SAFE-01 asks for the examination.
    want = False if verification == "refuted" else None
    assert result.case.context.neurological_deficit is want
    asks = [r for r in assessment.recommendations if r.rule_id == "SAFE-01"]
    assert bool(asks) is (want is None)


def _finding_spec(kind: str, code: str, day: dt.date, value: bool) -> dict[str, Any]:
    if kind == "Condition":
        return {"type": "Condition", "code": code, "onset": day.isoformat(),
                "verification": "confirmed" if value else "refuted"}
    return {"type": "Observation", "code": code, "date": day.isoformat(), "value": value}


_days = st.integers(min_value=0, max_value=400).map(lambda n: AS_OF - dt.timedelta(days=n))
_kinds = st.sampled_from(["Condition", "Observation"])
_pain = st.builds(_finding_spec, _kinds, st.sampled_from(SPINAL_PAIN_CODES), _days, st.just(True))
_deficit = st.builds(_finding_spec, _kinds, st.sampled_from(DEFICIT_CODES), _days, st.just(True))
# A reassuring record: any deficit or pain finding recorded absent (a "no" value, a refuted
# Condition), at any date before or after the decision date.
_reassuring = st.builds(
    _finding_spec, _kinds, st.sampled_from([*DEFICIT_CODES, *PAIN_CODES]),
    st.integers(min_value=-30, max_value=400).map(lambda n: AS_OF - dt.timedelta(days=n)), st.just(False))


@settings(max_examples=40, deadline=None)
@given(pain=_pain, deficit=_deficit, reassuring=st.lists(_reassuring, min_size=1, max_size=4))
def test_adding_a_contradicting_reassuring_record_never_removes_the_alert(
        pain: dict[str, Any], deficit: dict[str, Any], reassuring: list[dict[str, Any]]) -> None:
    before, _ = _assess([pain, deficit])
    assert _alert(before)
    after, result = _assess([pain, deficit, *reassuring])
    assert _alert(after)
    assert result.case.context.neurological_deficit is True
    # The negative records that contradict the safe reading are said, with their sources.
    current = [r for r in reassuring if dt.date.fromisoformat(r.get("onset") or r["date"]) <= AS_OF]
    if any(r["code"] in DEFICIT_CODES for r in current):
        (said,) = [a for a in result.contradictions if a.path == "context.neurological_deficit"]
        assert "present" in said.reason and "absent" in said.reason


@settings(max_examples=25, deadline=None)
@given(pain=_pain, code=st.sampled_from(DEFICIT_CODES), day=_days,
       verification=st.sampled_from(["refuted", "entered-in-error"]))
def test_no_refuted_or_mistaken_deficit_condition_triggers_the_alert(
        pain: dict[str, Any], code: str, day: dt.date, verification: str) -> None:
    spec = {"type": "Condition", "code": code, "onset": day.isoformat(), "verification": verification}
    assessment, _ = _assess([pain, spec])
    assert not _alert(assessment)


# ------------------------------------------------------------------------ FHIR out and back
_sites = st.lists(st.sampled_from(list(SkeletalSite)), unique=True, max_size=4)


@settings(max_examples=40, deadline=None)
@given(pain=st.sampled_from([None, True, False]), sites=_sites,
       deficit=st.sampled_from([None, True, False]), with_context=st.booleans())
def test_the_writer_keeps_pain_sites_and_neurology_through_a_round_trip(
        pain: bool | None, sites: list[SkeletalSite], deficit: bool | None, with_context: bool) -> None:
    from factories import case_doc

    context = {"new_bone_pain": pain, "pain_sites": [s.value for s in sites], "neurological_deficit": deficit}
    case = api.parse_case(case_doc("follow_up", context=context))
    bundle = case_to_bundle(case, include_context=with_context)
    back = case_from_fhir(bundle, strict=True,
                          context=None if with_context else {"phase": "follow_up", "as_of": "2025-06-01"})
    if with_context:
        assert back.case == case
    got = back.case.context
    assert got.neurological_deficit is deficit
    assert got.new_bone_pain is pain
    if pain:  # written as standard Observations with their body site, read back without Parameters
        assert list(got.pain_sites) == sites
    if deficit is not None:
        (obs,) = [e["resource"] for e in bundle["entry"]
                  if "neurological-deficit" in str(e["resource"].get("code"))]
        assert obs["valueBoolean"] is deficit


def test_cds_observation_prefetch_asks_for_the_pain_and_deficit_codes() -> None:
    tokens = observation_search_codes(VS)
    for code in [*DEFICIT_CODES, *SPINAL_PAIN_CODES, BONE_PAIN]:
        assert f"{SCT}|{code}" in tokens, code
    assert any(t.endswith("|neurological-deficit") for t in tokens)
    assert not any(t.endswith(f"|{CHRONIC_BACK}") for t in tokens)  # read only to say why not used
