"""Issue 24: zoledronic acid / denosumab with their dose, osteonecrosis of the jaw and the dental
evaluation read from FHIR; what case_to_bundle writes for them (cases written before the code)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle

from bonemet.fhir import case_from_fhir, case_to_bundle
from bonemet.model.case import Case

CTX = {"phase": "on_treatment", "as_of": "2025-06-01"}
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1950-01-01"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in (patient, *resources)]}


def read(*resources: dict[str, Any]) -> Any:
    return case_from_fhir(bundle(*resources), context=CTX)


def mg(value: Any, unit: str | None = "mg") -> dict[str, Any]:
    q: dict[str, Any] = {"value": value}
    if unit is not None:
        q |= {"unit": unit, "system": UCUM, "code": unit}
    return q


def admin(rid: str, day: str, dose: dict[str, Any] | None, code: tuple[str, str] = (RXNORM, "1114085"),
          text: str = "Zoledronic acid 4 mg/100 mL") -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "MedicationAdministration", "id": rid, "status": "completed",
                           "medicationCodeableConcept": {"coding": [{"system": code[0], "code": code[1]}],
                                                         "text": text},
                           "subject": {"reference": "Patient/p"}, "effectiveDateTime": day}
    if dose is not None:
        res["dosage"] = {"dose": dose}
    return res


def bone_courses(case: Case) -> list[Any]:
    return [t for t in case.treatments if t.type.value in ("zoledronic_acid", "denosumab")]


# ----------------------------------------------------------------------------- dose
def test_the_last_administration_gives_the_dose() -> None:
    [t] = bone_courses(read(admin("a1", "2025-03-01", mg(4)), admin("a2", "2025-03-29", mg(4))).case)
    assert (t.type.value, t.dose_mg, t.start) == ("zoledronic_acid", 4.0, dt.date(2025, 3, 1))


def test_doses_that_differ_keep_the_last_and_say_so() -> None:
    result = read(admin("a1", "2025-03-01", mg(4)), admin("a2", "2025-03-29", mg(3.3)))
    [t] = bone_courses(result.case)
    assert t.dose_mg == 3.3
    [note] = [a for a in result.assumptions if a.path == "dosage"]
    assert note.resource_id == "a2" and "differ" in note.reason and "3.3 mg, is kept" in note.reason


@pytest.mark.parametrize("dose, fragment", [
    (mg(100, "mL"), "not a mass bonemet converts"),
    (mg(4, None), "not a mass bonemet converts"),        # a dose without unit: never guessed
    ({"value": 0, "unit": "mg"}, "no positive value"),
    (mg(4000), "over 500 mg"),                            # a µg dose typed as mg: reported, not refused
])
def test_an_unreadable_last_dose_leaves_the_dose_empty_with_its_reason(dose: dict[str, Any],
                                                                       fragment: str) -> None:
    result = read(admin("a1", "2025-03-01", mg(4)), admin("a2", "2025-03-29", dose))
    [t] = bone_courses(result.case)
    assert t.dose_mg is None   # the earlier 4 mg is not carried over
    [item] = [u for u in result.unmapped if u.resource_id == "a2"]
    assert fragment in item.reason and "dose" in item.reason


def test_no_dosage_at_all_is_not_reported() -> None:
    result = read(admin("a1", "2025-03-01", None))
    [t] = bone_courses(result.case)
    assert t.dose_mg is None and result.unmapped == ()


def test_denosumab_request_and_statement_by_atc() -> None:
    request = {"resourceType": "MedicationRequest", "id": "r1", "status": "active", "intent": "order",
               "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "M05BX04"}]},
               "subject": {"reference": "Patient/p"}, "authoredOn": "2025-04-02",
               "dosageInstruction": [{"doseAndRate": [{"doseQuantity": mg(120)}]}]}
    [t] = bone_courses(read(request).case)
    assert (t.type.value, t.dose_mg) == ("denosumab", 120.0)
    statement = {"resourceType": "MedicationStatement", "id": "s1", "status": "completed",
                 "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "77655"}]},
                 "subject": {"reference": "Patient/p"}, "effectivePeriod": {"start": "2024-01-10"},
                 "dosage": [{"doseAndRate": [{"doseQuantity": mg(4)}]}]}
    [t] = bone_courses(read(statement).case)
    assert (t.type.value, t.dose_mg) == ("zoledronic_acid", 4.0)


# ----------------------------------------------------------------------------- ONJ, dental
def condition(rid: str, text: str, status: str | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Condition", "id": rid, "code": {"text": text},
                           "subject": {"reference": "Patient/p"}}
    if status:
        res["verificationStatus"] = {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": status}]}
    return res


@pytest.mark.parametrize("text, status, expected", [
    ("Osteonecrosis of the jaw", "confirmed", True),
    ("Ostéonécrose de la mâchoire", None, True),
    ("MRONJ (medication-related osteonecrosis of the jaw)", None, True),
    ("Osteonecrosis of the jaw", "refuted", False),
])
def test_osteonecrosis_of_the_jaw(text: str, status: str | None, expected: bool) -> None:
    result = read(condition("onj", text, status))
    assert result.case.plan_inputs is not None and result.case.plan_inputs.osteonecrosis_jaw is expected
    assert all(u.resource_id != "onj" for u in result.unmapped)


def test_a_negated_text_is_not_read_as_osteonecrosis() -> None:
    result = read(condition("c", "No osteonecrosis of the jaw"))
    assert result.case.plan_inputs is None
    assert any(u.resource_id == "c" for u in result.unmapped)


def procedure(rid: str, text: str, day: str, status: str = "completed") -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": rid, "status": status, "code": {"text": text},
            "subject": {"reference": "Patient/p"}, "performedDateTime": day}


def test_the_latest_dental_evaluation_gives_the_date_and_a_panoramic_is_not_a_bone_exam() -> None:
    encounter = {"resourceType": "Encounter", "id": "enc-dent", "status": "finished",
                 "class": {"code": "AMB"}, "type": [{"text": "Consultation bucco-dentaire"}],
                 "subject": {"reference": "Patient/p"}, "period": {"start": "2025-04-20"}}
    other = {"resourceType": "Encounter", "id": "enc1", "status": "finished", "class": {"code": "AMB"},
             "subject": {"reference": "Patient/p"}}
    result = read(procedure("pano", "Panoramic radiograph", "2025-05-02"),
                  procedure("old", "Dental examination", "2024-11-02"), encounter, other,
                  procedure("late", "Bilan dentaire", "2025-07-01"))
    case = result.case
    assert case.plan_inputs is not None and case.plan_inputs.dental_date == dt.date(2025, 5, 2)
    assert case.exams == ()   # the panoramic radiograph is not read as a bone radiograph
    r = {u.resource_id: u.reason for u in result.unmapped}
    assert "the latest one, of 2025-05-02, is used" in r["old"]
    assert "the latest one" in r["enc-dent"]
    assert "after the decision date" in r["late"]
    assert "not used by bonemet" in r["enc1"]


# ----------------------------------------------------------------------------- what is written
def _case() -> Case:
    return Case.model_validate({
        "case_id": "bt", "context": {"phase": "on_treatment", "as_of": "2025-06-01"},
        "patient": {"sex": "female", "birth_year": 1950},
        "treatments": [{"id": "za", "type": "zoledronic_acid", "agents": ["zoledronic acid"],
                        "start": "2025-01-05", "dose_mg": 3.3}],
        "labs": [{"date": "2025-05-25", "analyte": a, "value": v, "unit": u} for a, v, u in (
            ("creatinine", 106, "µmol/L"), ("creatinine", 1.2, "mg/dL"), ("calcium", 2.3, "mmol/L"),
            ("calcium", 9.2, "mg/dL"), ("vitamin_d_25oh", 14, "ng/mL"), ("vitamin_d_25oh", 40, "nmol/L"))],
        "plan_inputs": {"weight_kg": 62, "weight_date": "2025-05-24", "creatinine_clearance_ml_min": 41,
                        "creatinine_clearance_date": "2025-05-20", "osteonecrosis_jaw": True,
                        "dental_status": "cleared", "dental_date": "2025-04-02"},
    })


def _codes(res: dict[str, Any]) -> list[str]:
    return [x["code"] for x in res["code"]["coding"] if x["system"] == "http://loinc.org"]


def test_labs_weight_clearance_dose_and_onj_are_written_as_standard_resources() -> None:
    case = _case()
    b = case_to_bundle(case)
    Bundle.model_validate(b)
    resources = [e["resource"] for e in b["entry"]]
    obs = [r for r in resources if r["resourceType"] == "Observation"]
    by_value = {(r["valueQuantity"]["value"], r["valueQuantity"]["code"]): _codes(r) for r in obs}
    assert by_value[(106, "umol/L")] == ["14682-9"]     # a moles code for µmol/L
    assert by_value[(1.2, "mg/dL")] == ["2160-0"]       # a mass code for mg/dL
    assert by_value[(2.3, "mmol/L")] == ["2000-8"]
    assert by_value[(9.2, "mg/dL")] == ["17861-6"]
    assert by_value[(14, "ng/mL")] == ["62292-8"]
    assert by_value[(40, "nmol/L")] == []               # no total 25-OH-D moles code found: local only
    assert by_value[(62, "kg")] == ["29463-7"]
    assert by_value[(41, "mL/min")] == ["2164-2"]
    [onj] = [r for r in resources if r["resourceType"] == "Condition"]
    assert onj["verificationStatus"]["coding"][0]["code"] == "confirmed"
    # issue 26: the line is mCODE's CancerRelatedMedicationRequest, the dose in its dosageInstruction
    [ms] = [r for r in resources if r["resourceType"] == "MedicationRequest"]
    assert ms["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"] == {"value": 3.3, "unit": "mg",
                                                                              "system": UCUM, "code": "mg"}
    text = orjson.dumps(b).decode()
    for path in ("dose_mg", "weight_kg", "creatinine_clearance_ml_min", "osteonecrosis_jaw"):
        assert path not in text   # not in a case-data extension
    back = case_from_fhir(b, strict=True)
    assert back.case == case and back.unmapped == () and back.assumptions == ()
