"""Review 26 F11: the mCODE export writes what the case holds beyond the bone questions.

Written before the code, from the review (B1/B3: ECOG in plan_inputs, Karnofsky, cIVB/cM1c; B8:
the femur written with the local code only, the surgery without a profile; B3: two course summaries
without a reason): each fact the case holds comes out as its mCODE resource, validates with 0 errors
(the project's validator, tests/fhir/mcode_validator) and reads back as the same case.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_mcode_export import by_profile, errors, resources, validate

from bonemet.fhir import case_from_fhir, case_to_bundle
from bonemet.fhir import write_mcode as mc
from bonemet.fhir import write_oncology as wo
from bonemet.model.case import Case

Json = dict[str, Any]
SCT = "http://snomed.info/sct"

ONCOLOGY_CASE: Json = {
    "case_id": "mcode-oncology",
    "patient": {"sex": "male", "birth_year": 1955},
    "cancer": {"primary_site": "lung", "histology": "adenocarcinoma", "diagnosis_date": "2026-03-20",
               "bone_metastases_known": True},
    "context": {"phase": "on_treatment", "as_of": "2026-11-18"},
    "treatments": [
        {"id": "rt1", "type": "radiotherapy", "site": "femur_proximal", "start": "2026-11-18",
         "end": "2026-11-18", "dose_gy": 8, "fractions": 1},
        {"id": "nail", "type": "surgery", "site": "femur_proximal", "start": "2026-11-17"},
    ],
    "clinical_status": [{"date": "2026-10-01", "state": "stable", "ecog": 1}],
    "plan_inputs": {"ecog": 2, "ecog_date": "2026-11-10", "weight_kg": 70, "weight_date": "2026-11-10"},
    "oncology": {
        "staging": [
            {"kind": "clinical", "element": "stage_group", "value": "IVB", "code": "1222808002",
             "date": "2026-03-20"},
            {"kind": "clinical", "element": "M", "value": "cM1c", "date": "2026-03-20"},
            {"kind": "pathologic", "element": "T", "value": "pT2a", "date": "2026-04-01"},
        ],
        "performance": [{"scale": "karnofsky", "value": 60, "date": "2026-11-10"}],
        "surgeries": [{"name": "Lobectomy of lung", "code": "173171007", "date": "2026-04-01"}],
        "bone_metastasis_sites": [{"site": "femur_proximal", "side": "right", "since": "2026-09-01"}],
    },
}


@pytest.fixture(scope="module")
def onco() -> tuple[Case, Json]:
    case = Case.model_validate(ONCOLOGY_CASE)
    return case, case_to_bundle(case)


def _url(bundle: Json, res: Json) -> str:
    return next(e["fullUrl"] for e in bundle["entry"] if e["resource"] is res)


def _case_data(bundle: Json) -> dict[str, Any]:
    """The Patient's case-data extension: path → value."""
    [patient] = by_profile(bundle, mc.CANCER_PATIENT)
    out = {}
    for x in patient.get("extension", []):
        parts = {p["url"]: p["valueString"] for p in x.get("extension", [])}
        if "path" in parts:
            out[parts["path"]] = orjson.loads(parts["value"])
    return out


def test_tnm_is_written_as_mcode_stage_group_and_categories(onco: tuple[Case, Json]) -> None:
    _, b = onco
    [primary] = by_profile(b, mc.PRIMARY_CANCER)
    [group] = by_profile(b, wo.TNM_PROFILE["stage_group"])
    [m] = by_profile(b, wo.TNM_PROFILE["M"])
    [t] = by_profile(b, wo.TNM_PROFILE["T"])
    assert group["code"]["coding"] == [{"system": SCT, "code": "399537006"}]  # clinical stage group
    assert group["valueCodeableConcept"] == {"text": "IVB", "coding": [{"system": SCT, "code": "1222808002"}]}
    assert group["focus"] == [{"reference": _url(b, primary)}] and group["method"]["text"]
    assert group["hasMember"] == [{"reference": _url(b, m)}]  # same kind and day: not the pathologic T
    assert m["code"]["coding"][0]["code"] == "399387003" and m["valueCodeableConcept"]["text"] == "cM1c"
    assert t["code"]["coding"][0]["code"] == "384625004"  # pathologic T
    assert primary["stage"] == [{"summary": group["valueCodeableConcept"],
                                 "assessment": [{"reference": _url(b, group)}]}]


def test_performance_surgery_and_the_plan_ecog_are_written(onco: tuple[Case, Json]) -> None:
    _, b = onco
    [kps] = by_profile(b, wo.KARNOFSKY)
    assert kps["code"]["coding"][0]["code"] == "89243-0" and kps["valueInteger"] == 60
    ecogs = by_profile(b, mc.ECOG)
    assert sorted((e["effectiveDateTime"], e["valueInteger"]) for e in ecogs) == [
        ("2026-10-01", 1), ("2026-11-10", 2)]  # the course's and plan_inputs' own
    [primary] = by_profile(b, mc.PRIMARY_CANCER)
    [secondary] = by_profile(b, mc.SECONDARY_CANCER)
    surgeries = by_profile(b, mc.SURGICAL_PROCEDURE)
    lobectomy = next(s for s in surgeries if s["code"].get("text") == "Lobectomy of lung")
    assert lobectomy["code"]["coding"] == [{"system": SCT, "code": "173171007"}]
    assert lobectomy["reasonReference"] == [{"reference": _url(b, primary)}]
    nail = next(s for s in surgeries if s is not lobectomy)
    assert nail["reasonReference"] == [{"reference": _url(b, secondary)}]  # it treats the bone metastasis
    # what became resources no longer rides in the Patient's case-data extension
    hidden = _case_data(b)
    assert set(hidden.get("oncology", {})) == {"bone_metastasis_sites"}  # on the Secondary, as before
    assert "ecog" not in hidden.get("plan_inputs", {})


def test_radiotherapy_has_its_reason_and_the_femur_its_snomed_code(onco: tuple[Case, Json]) -> None:
    _, b = onco
    [secondary] = by_profile(b, mc.SECONDARY_CANCER)
    [rt] = by_profile(b, mc.RADIOTHERAPY_COURSE)
    assert rt["reasonReference"] == [{"reference": _url(b, secondary)}]
    for site in (rt["bodySite"][0], secondary["bodySite"][0]):
        codes = [(c["system"], c["code"]) for c in site["coding"]]
        assert codes[0] == (SCT, "71341001") and codes[-1][1] == "femur_proximal", codes


def test_the_oncology_case_validates_and_comes_back_whole(onco: tuple[Case, Json], tmp_path: Path) -> None:
    case, b = onco
    issues = validate({"onco": b}, tmp_path)
    assert errors(issues) == []
    checked = {i["profile"] for i in issues}
    wanted = {wo.TNM_PROFILE["stage_group"], wo.TNM_PROFILE["M"], wo.KARNOFSKY, mc.SURGICAL_PROCEDURE}
    assert wanted <= checked
    assert not [i for i in issues if "mcode-reason-required" in i["message"]]
    back = case_from_fhir(orjson.dumps(b))
    assert back.case == case and back.unmapped == () and back.assumptions == ()


def test_the_resources_are_what_is_read_not_a_hidden_copy(onco: tuple[Case, Json]) -> None:
    """Changed in the EHR, the resource wins: no case-data copy of a written field overrides it."""
    _, good = onco
    b = copy.deepcopy(good)
    by_profile(b, wo.KARNOFSKY)[0]["valueInteger"] = 40
    by_profile(b, wo.TNM_PROFILE["M"])[0]["valueCodeableConcept"]["text"] = "cM1b"
    [plan_ecog] = [e for e in by_profile(b, mc.ECOG) if e["effectiveDateTime"] == "2026-11-10"]
    plan_ecog["valueInteger"] = 3
    read = case_from_fhir(b).case
    assert read.oncology is not None and read.plan_inputs is not None
    assert read.oncology.performance[0].value == 40
    assert [f.value for f in read.oncology.staging if f.element == "M"] == ["cM1b"]
    assert read.plan_inputs.ecog == 3


def test_the_validator_refuses_a_stage_group_without_its_primary(onco: tuple[Case, Json],
                                                                  tmp_path: Path) -> None:
    _, good = onco
    b = copy.deepcopy(good)
    del by_profile(b, wo.TNM_PROFILE["stage_group"])[0]["focus"]
    del by_profile(b, wo.KARNOFSKY)[0]["category"]
    found = errors(validate({"broken": b}, tmp_path))
    assert {i["profile"] for i in found} >= {wo.TNM_PROFILE["stage_group"], wo.KARNOFSKY}, found


# ---------------------------------------------------------------- what stays in case-data, and why
def _round_trip(doc: Json) -> tuple[Case, Json]:
    case = Case.model_validate(doc)
    bundle = case_to_bundle(case)
    back = case_from_fhir(orjson.dumps(bundle))
    assert back.case == case, (back.case.oncology, back.case.plan_inputs)
    assert back.unmapped == () and back.assumptions == ()
    return case, bundle


def _with(**oncology: Any) -> Json:
    doc = copy.deepcopy(ONCOLOGY_CASE)
    doc["oncology"] = {**doc["oncology"], **oncology}
    return doc


@pytest.mark.parametrize("oncology, absent", [
    ({"staging": [{"kind": "clinical", "element": "stage_group", "value": "Stage IV (clinical)"}]},
     wo.TNM_PROFILE["stage_group"]),  # the reader trims "(…)": kept as written in case-data
    ({"staging": [{"kind": "clinical", "element": "T", "value": "American Joint Committee on Cancer cT3"}]},
     wo.TNM_PROFILE["T"]),
    ({"performance": [{"scale": "karnofsky", "value": 75}]}, wo.KARNOFSKY),  # not a Karnofsky step
    ({"surgeries": [{"name": "Wedge resection (left)"}]}, "surgery-text"),
])
def test_a_value_the_reader_would_change_stays_in_case_data(oncology: Json, absent: str) -> None:
    _, bundle = _round_trip(_with(**oncology))
    if absent == "surgery-text":
        assert not [s for s in by_profile(bundle, mc.SURGICAL_PROCEDURE) if "Wedge" in str(s)]
    else:
        assert by_profile(bundle, absent) == []


def test_lansky_is_written_without_a_profile_and_comes_back() -> None:
    _, bundle = _round_trip(_with(performance=[{"scale": "lansky", "value": 80, "date": "2026-11-01"},
                                               {"scale": "karnofsky", "value": 70}]))
    assert [r["valueInteger"] for r in resources(bundle) if "C38144" in str(r.get("code"))] == [80]


def test_a_stage_group_without_a_primary_stays_in_case_data() -> None:
    doc = _with()
    doc["cancer"] = {"primary_site": None}
    _, bundle = _round_trip(doc)
    assert by_profile(bundle, wo.TNM_PROFILE["stage_group"]) == []


@pytest.mark.parametrize("plan, written", [
    ({"ecog": 2, "ecog_date": "2026-10-01"}, False),  # the course's day: the reader would pair them
    ({"ecog": 2}, False),  # no date: an Observation must be placed in time
    ({"ecog": 0, "ecog_date": "2026-11-18"}, True),
])
def test_the_plan_ecog_is_its_own_observation_only_when_it_reads_back(plan: Json, written: bool) -> None:
    doc = copy.deepcopy(ONCOLOGY_CASE)
    doc["plan_inputs"] = plan
    _, bundle = _round_trip(doc)
    mine = [e for e in by_profile(bundle, mc.ECOG) if "plan" in e["id"]]
    assert bool(mine) is written


def test_staging_and_recorded_sites_both_survive_the_round_trip() -> None:
    """Found writing these tests: the reader's oncology record replaced the whole case-data copy, so
    a case with recorded bone sites lost its staging and Karnofsky (before F11 too)."""
    doc = _with(staging=[{"kind": "clinical", "element": "stage_group", "value": "IVB (clinical)"}],
                performance=[{"scale": "karnofsky", "value": 65}])
    case, _ = _round_trip(doc)
    assert case.oncology is not None and case.oncology.bone_metastasis_sites


# ---------------------------------------------------------------- property: any oncology record
_values = st.sampled_from(["IVB", "IVA", "cT3", "cN2", "cM1c", "pT1a", "Stage IIIC", "ypT0",
                           "IV (clinical)", " IVB", "American Joint Committee on Cancer cT2"])
_finding = st.fixed_dictionaries({
    "kind": st.sampled_from(["clinical", "pathologic", "post_therapy", "unspecified"]),
    "element": st.sampled_from(["stage_group", "T", "N", "M"]), "value": _values,
    "code": st.none() | st.sampled_from(["1222808002", "1228938002"]),
    "date": st.none() | st.sampled_from(["2026-03-20", "2026-04-01"])})
_score = st.fixed_dictionaries({"scale": st.sampled_from(["karnofsky", "lansky"]),
                                "value": st.integers(0, 100), "date": st.none() | st.just("2026-11-01")})
_surgery = st.fixed_dictionaries({"name": st.sampled_from(["Lobectomy", "Pneumonectomy", "Wedge (left)"]),
                                  "code": st.none() | st.just("173171007"),
                                  "date": st.none() | st.just("2026-04-01")})


@st.composite
def _oncology_case(draw: st.DrawFn) -> Case:
    doc = copy.deepcopy(ONCOLOGY_CASE)
    doc["cancer"]["primary_site"] = draw(st.sampled_from(["lung", None, "breast"]))
    if doc["cancer"]["primary_site"] is None:
        doc["cancer"] = {"primary_site": None}
    doc["oncology"] = {"staging": draw(st.lists(_finding, max_size=4)),
                       "performance": draw(st.lists(_score, max_size=2)),
                       "surgeries": draw(st.lists(_surgery, max_size=2))}
    doc["plan_inputs"] = draw(st.sampled_from([None, {"ecog": 1, "ecog_date": "2026-11-01"},
                                               {"ecog": 3, "ecog_date": "2026-10-01"}]))
    return Case.model_validate(doc)


@settings(max_examples=60, deadline=None)
@given(case=_oncology_case())
def test_any_oncology_record_comes_back_whole(case: Case) -> None:
    back = case_from_fhir(orjson.dumps(case_to_bundle(case)))
    assert back.case == case


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_oncology_case())
def test_any_oncology_record_exports_valid_mcode(case: Case, tmp_path: Path) -> None:
    assert errors(validate({"gen": case_to_bundle(case)}, tmp_path)) == []
