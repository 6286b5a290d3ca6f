"""Issue 24: the labs and measures of the systemic bone treatment read from FHIR Observations.

Cases written from the sources before the code: LOINC rows from HL7 IGs (CPG ckd-valueset-creatinine
and ckd-valueset-egfr, PDDI valueset-calcium-LOINC, Order Catalog creatinine renal clearance, US Core
body weight), a Synthea-shaped creatinine (2160-0, mg/dL) and a US Core / mCODE-shaped lab. Safety:
an eGFR is never read as the Cockcroft-Gault clearance; a value without a unit or with a unit bonemet
does not convert is skipped with the field and reason named; an impossible value is skipped, never a
crash nor a refused bundle; corrected calcium is never mixed with total calcium.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bonemet.api import bone_plan, parse_case
from bonemet.core.plan_renal import ClearanceInputs
from bonemet.fhir import case_from_fhir, case_to_bundle
from bonemet.model.case import Case
from factories import case_doc

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CTX = {"phase": "on_treatment", "as_of": "2025-06-01"}


def obs(code: str | None, value: Any = None, unit: str | None = None, *, ucum: str | None = None,
        day: str = "2025-05-25", text: str | None = None, oid: str = "o1", **extra: Any) -> dict[str, Any]:
    cc: dict[str, Any] = {"coding": [{"system": LOINC, "code": code}]} if code else {}
    if text:
        cc["text"] = text
    res: dict[str, Any] = {"resourceType": "Observation", "id": oid, "status": "final", "code": cc,
                           "subject": {"reference": "Patient/p"}, "effectiveDateTime": day, **extra}
    if value is not None:
        q: dict[str, Any] = {"value": value}
        if unit is not None:
            q["unit"] = unit
        if ucum is not None:
            q |= {"system": UCUM, "code": ucum}
        res["valueQuantity"] = q
    return res


def bundle(*resources: dict[str, Any], sex: str = "male", birth: str = "1955-03-02") -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p", "gender": sex, "birthDate": birth}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in (patient, *resources)]}


def read(*resources: dict[str, Any], **kw: Any) -> Any:
    return case_from_fhir(bundle(*resources, **kw), context=CTX)


def reasons(result: Any) -> dict[str | None, str]:
    return {u.resource_id: u.reason for u in result.unmapped}


# ----------------------------------------------------------------------------- table per code/unit
@pytest.mark.parametrize("code, value, unit, ucum, analyte, out_unit", [
    ("2160-0", 1.2, "mg/dL", "mg/dL", "creatinine", "mg/dL"),       # CPG ckd-valueset-creatinine
    ("2160-0", 1.2, "mg/dl", None, "creatinine", "mg/dL"),           # unit string only, other case
    ("14682-9", 106, "µmol/L", "umol/L", "creatinine", "µmol/L"),    # the unit string, as written
    ("14682-9", 106, "µmol/L", None, "creatinine", "µmol/L"),
    ("77140-2", 80, "umol/L", "umol/L", "creatinine", "umol/L"),
    ("17861-6", 9.6, "mg/dL", "mg/dL", "calcium", "mg/dL"),         # PDDI valueset-calcium-LOINC
    ("2000-8", 2.35, "mmol/L", "mmol/L", "calcium", "mmol/L"),
    ("49765-1", 9.1, "mg/dL", "mg/dL", "calcium", "mg/dL"),         # Synthea's calcium
    ("62292-8", 14, "ng/mL", "ng/mL", "vitamin_d_25oh", "ng/mL"),
    ("62292-8", 35, "nmol/L", "nmol/L", "vitamin_d_25oh", "nmol/L"),  # read by the unit it states
])
def test_each_code_and_unit_is_read(code: str, value: float, unit: str, ucum: str | None, analyte: str,
                                     out_unit: str) -> None:
    result = read(obs(code, value, unit, ucum=ucum))
    [lab] = result.case.labs
    assert (lab.analyte.value, lab.value, lab.unit) == (analyte, value, out_unit)
    assert "o1" not in reasons(result)


def test_synthea_style_creatinine() -> None:
    # The shape Synthea writes: LOINC 2160-0, display, text, UCUM mg/dL, a dateTime with an offset.
    synthea = {
        "resourceType": "Observation", "id": "syn-creat", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "laboratory", "display": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": "2160-0",
                             "display": "Creatinine [Mass/volume] in Serum or Plasma"}],
                 "text": "Creatinine"},
        "subject": {"reference": "urn:uuid:p"}, "encounter": {"reference": "urn:uuid:e1"},
        "effectiveDateTime": "2025-05-20T09:14:02+02:00", "issued": "2025-05-20T09:14:02.123+02:00",
        "valueQuantity": {"value": 1.3, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"},
    }
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1950-01-01"}
    result = case_from_fhir({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:p", "resource": patient}, {"resource": synthea}]}, context=CTX)
    [lab] = result.case.labs
    assert (lab.analyte.value, lab.value, lab.unit, lab.date) == ("creatinine", 1.3, "mg/dL",
                                                                   dt.date(2025, 5, 20))


def test_mcode_style_lab() -> None:
    # mCODE reuses US Core Observation Lab for its labs: profile, category, LOINC and UCUM code.
    mcode = obs("14682-9", 97.0, "µmol/L", ucum="umol/L", oid="mcode-creat",
                meta={"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab"]},
                category=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                       "code": "laboratory"}]}])
    mcode["code"]["coding"][0]["display"] = "Creatinine [Moles/volume] in Serum or Plasma"
    [lab] = read(mcode).case.labs
    assert (lab.value, lab.unit) == (97.0, "µmol/L")


# ----------------------------------------------------------------------------- refusals, with reasons
@pytest.mark.parametrize("resource", [
    obs("33914-3", 45, "mL/min/{1.73_m2}", ucum="mL/min/{1.73_m2}", oid="egfr"),     # MDRD
    obs("62238-1", 45, "mL/min/1.73m2", oid="egfr"),                                 # CKD-EPI
    obs(None, 45, "mL/min", text="eGFR (CKD-EPI)", oid="egfr"),                      # text only
    obs(None, 45, "mL/min/1,73m²", text="DFG estimé MDRD", oid="egfr"),
], ids=["mdrd", "ckd-epi", "egfr-text", "dfg-text"])
def test_an_egfr_is_never_read_as_the_clearance(resource: dict[str, Any]) -> None:
    result = read(resource)
    pi = result.case.plan_inputs
    assert pi is None or pi.creatinine_clearance_ml_min is None
    assert "not a Cockcroft-Gault" in reasons(result)["egfr"]


def test_a_clearance_code_with_a_per_1_73_m2_unit_is_an_egfr() -> None:
    result = read(obs("2164-2", 52, "mL/min/1.73 m2", ucum="mL/min/{1.73_m2}", oid="egfr"))
    assert result.case.plan_inputs is None
    assert "not a Cockcroft-Gault" in reasons(result)["egfr"]


def test_a_measured_clearance_is_taken_as_entered() -> None:
    result = read(obs("2164-2", 52, "mL/min", ucum="mL/min", day="2025-05-10"))
    pi = result.case.plan_inputs
    assert pi is not None
    assert (pi.creatinine_clearance_ml_min, pi.creatinine_clearance_date) == (52, dt.date(2025, 5, 10))


def test_a_clearance_estimated_by_the_record_is_not_read() -> None:
    result = read(obs("35591-7", 52, "mL/min", oid="cg"),
                  obs(None, 50, "mL/min", text="Clairance de la créatinine", oid="txt"))
    assert result.case.plan_inputs is None
    assert "only a measured clearance" in reasons(result)["cg"]
    assert "only a measured clearance" in reasons(result)["txt"]


@pytest.mark.parametrize("q, field, fragment", [
    ({"value": 90}, "valueQuantity.unit", "not accepted for creatinine"),               # no unit
    ({"value": 90, "unit": "mg"}, "valueQuantity.unit", "not accepted for creatinine"),  # not a concentration
    ({"value": 90, "unit": "mg/dL"}, "valueQuantity", "not a possible creatinine"),       # impossible
    ({"value": 90, "unit": "mmol/L"}, "valueQuantity.unit", "not accepted for creatinine"),
])
def test_a_creatinine_of_90_becomes_nothing_unless_its_unit_says(q: dict[str, Any], field: str,
                                                                  fragment: str) -> None:
    resource = obs("2160-0", oid="cr90") | {"valueQuantity": q}
    keep = obs("17861-6", 9.6, "mg/dL", oid="ca")
    result = read(resource, keep)   # the bundle is not refused: the other lab is kept
    assert [lab.analyte.value for lab in result.case.labs] == ["calcium"]
    [item] = [u for u in result.unmapped if u.resource_id == "cr90"]
    assert item.path == field and fragment in item.reason


def test_an_impossible_vitamin_d_is_skipped_not_a_crash() -> None:
    result = read(obs("62292-8", 900, "ng/mL", ucum="ng/mL", oid="vd"))
    assert result.case.labs == ()
    assert "not a possible vitamin_d_25oh" in reasons(result)["vd"]


@pytest.mark.parametrize("code, text, fragment", [
    ("1995-0", None, "ionised calcium"),
    ("14635-7", None, "D3 alone"),
])
def test_corrected_ionised_and_d3_only_values_are_never_mixed_in(code: str | None, text: str | None,
                                                                  fragment: str) -> None:
    result = read(obs(code, 2.3, "mmol/L", text=text, oid="x"))
    assert result.case.labs == ()
    assert fragment in reasons(result)["x"]


@pytest.mark.parametrize("code, text", [("29265-6", None), (None, "Calcium corrigé")])
def test_albumin_corrected_calcium_is_its_own_analyte(code: str | None, text: str | None) -> None:
    """Issue 24 input: read as the corrected calcium, never as the total calcium."""
    result = read(obs(code, 2.3, "mmol/L", text=text, oid="x"))
    assert [(x.analyte.value, x.value) for x in result.case.labs] == [("calcium_corrected", 2.3)]


# ----------------------------------------------------------------------------- body weight
@pytest.mark.parametrize("value, unit, ucum, kg", [
    (70, "kg", "kg", 70),
    (154, "lb", "[lb_av]", 69.85),        # 154 × 0.45359237 = 69.853
    (70500, "g", "g", 70.5),
])
def test_body_weight_is_read_in_kg(value: float, unit: str, ucum: str, kg: float) -> None:
    pi = read(obs("29463-7", value, unit, ucum=ucum)).case.plan_inputs
    assert pi is not None and (pi.weight_kg, pi.weight_date) == (kg, dt.date(2025, 5, 25))


def test_the_latest_weight_on_or_before_the_decision_date_is_kept_the_others_reported() -> None:
    result = read(obs("29463-7", 72, "kg", day="2025-01-10", oid="w-old"),
                  obs("29463-7", 68, "kg", day="2025-05-30", oid="w-kept"),
                  obs("29463-7", 60, "kg", day="2025-07-01", oid="w-late", status="final"))
    pi = result.case.plan_inputs
    assert pi is not None and (pi.weight_kg, pi.weight_date) == (68, dt.date(2025, 5, 30))
    r = reasons(result)
    assert "the latest one, of 2025-05-30, is used" in r["w-old"]
    assert "after the decision date" in r["w-late"]


@pytest.mark.parametrize("q, fragment", [
    ({"value": 11, "unit": "st"}, "not one bonemet converts"),
    ({"value": 70}, "without a unit"),
    ({"value": 700, "unit": "kg"}, "outside bonemet's plausibility bounds"),
])
def test_a_weight_is_never_guessed(q: dict[str, Any], fragment: str) -> None:
    result = read(obs("29463-7", oid="w") | {"valueQuantity": q})
    assert result.case.plan_inputs is None
    assert fragment in reasons(result)["w"]


# ----------------------------------------------------------------------------- clearance property
def _typed(value: float, unit: str, kg: float, sex: str, birth: int) -> Case:
    doc = case_doc("on_treatment", patient={"sex": sex, "birth_year": birth},
                   exams=[{"id": "ct1", "date": "2025-05-20", "modality": "ct",
                           "purpose": "characterisation", "result": "positive",
                           "lesions": [{"site": "femur_shaft", "side": "left"}]}],
                   labs=[{"date": "2025-05-25", "analyte": "creatinine", "value": value, "unit": unit}],
                   plan_inputs={"life_expectancy": "3_to_12_months", "weight_kg": kg,
                                "weight_date": "2025-05-24"})
    doc["cancer"] = {**doc["cancer"], "bone_metastases_known": True}
    return parse_case(doc)


def _from_ehr(typed: Case) -> Case:
    """The same case as an EHR sends it: the creatinine and weight as LOINC Observations (not
    bonemet's own codes), the rest as bonemet writes it."""
    bare = typed.model_copy(update={"labs": (), "plan_inputs": typed.plan_inputs.model_copy(  # type: ignore[union-attr]
        update={"weight_kg": None, "weight_date": None})})
    b = case_to_bundle(bare)
    patient = b["entry"][0]["fullUrl"]
    lab = typed.labs[0]
    code = "2160-0" if lab.unit == "mg/dL" else "14682-9"
    ucum = "umol/L" if lab.unit in ("µmol/L", "umol/L") else lab.unit
    b["entry"] += [{"resource": obs(code, lab.value, lab.unit, ucum=ucum, oid="cr")},
                   {"resource": obs("29463-7", typed.plan_inputs.weight_kg, "kg", ucum="kg",  # type: ignore[union-attr]
                                    day="2025-05-24", oid="w")}]
    for e in b["entry"][-2:]:
        e["resource"]["subject"] = {"reference": patient}
    return case_from_fhir(orjson.dumps(b)).case


def _clearance(case: Case) -> float | None:
    lab = case.labs[0]
    assert case.plan_inputs is not None and case.plan_inputs.weight_kg is not None
    return ClearanceInputs(age_years=2025 - (case.patient.birth_year or 0),
                           weight_kg=case.plan_inputs.weight_kg, creatinine=lab.value,
                           creatinine_unit=lab.unit, sex=case.patient.sex).clearance()


@settings(max_examples=25, deadline=None)
@given(unit=st.sampled_from(["mg/dL", "µmol/L"]), mg=st.floats(0.4, 8.0), kg=st.floats(35, 150),
       sex=st.sampled_from(["male", "female"]), birth=st.integers(1930, 1995))
def test_the_clearance_from_a_fhir_creatinine_equals_the_one_typed_by_hand(
        unit: str, mg: float, kg: float, sex: str, birth: int) -> None:
    value = round(mg if unit == "mg/dL" else mg * 88.4, 2)
    typed = _typed(value, unit, round(kg, 1), sex, birth)
    ehr = _from_ehr(typed)
    assert _clearance(ehr) == _clearance(typed) is not None
    # and the plan says the same (dose, clearance and its inputs), word for word
    typed_plan, ehr_plan = bone_plan(typed), bone_plan(ehr)
    assert typed_plan is not None and ehr_plan is not None
    [t] = [p for p in typed_plan.proposals if p.rule_id == "BT-03"]
    [e] = [p for p in ehr_plan.proposals if p.rule_id == "BT-03"]
    assert e.text == t.text


def test_corrected_calcium_round_trips_as_its_own_analyte() -> None:
    """Issue 24 input: an albumin-corrected calcium (LOINC 29265-6) is read as such, never mixed
    with the total calcium, and written back with its code."""
    from bonemet.fhir import case_from_fhir, case_to_bundle
    from bonemet.model.case import Case

    case = Case.model_validate({
        "case_id": "cc", "patient": {"sex": "female", "birth_year": 1950},
        "cancer": {"primary_site": "lung"}, "context": {"phase": "staging", "as_of": "2026-12-05"},
        "labs": [{"date": "2026-12-01", "analyte": "calcium_corrected", "value": 2.1, "unit": "mmol/L"},
                 {"date": "2026-12-01", "analyte": "calcium", "value": 1.95, "unit": "mmol/L"}]})
    bundle = case_to_bundle(case)
    codes = [c["code"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
             for c in e["resource"]["code"].get("coding", [])]
    assert "29265-6" in codes
    back = case_from_fhir(bundle).case
    assert sorted((x.analyte.value, x.value) for x in back.labs) == [("calcium", 1.95),
                                                                    ("calcium_corrected", 2.1)]
