"""FHIR → case on EHR-shaped data: what maps, what is reported, what is refused (and where)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from bonemet.api import InputError
from bonemet.fhir import case_from_fhir, imaging_modality
from bonemet.model.case import Modality

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "bonemet" / "demo" / "cases" / "fhir"
P = "Patient/p1"


def ehr() -> dict[str, Any]:
    return orjson.loads((EXAMPLES / "ehr-osimertinib.bundle.json").read_bytes())


def bundle(*resources: dict[str, Any], patient: bool = True) -> dict[str, Any]:
    items = ([{"resourceType": "Patient", "id": "p1"}] if patient else []) + list(resources)
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in items]}


def obs(code: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": fields.pop("id", "o1"), "status": "final", "code": code,
            "subject": {"reference": P}, **fields}


def loinc(code: str) -> dict[str, Any]:
    return {"coding": [{"system": "http://loinc.org", "code": code}]}


def problems(exc: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


# ------------------------------------------------------------------------- the EHR-shaped example
def test_ehr_example_maps_codes_text_and_units() -> None:
    r = case_from_fhir(ehr(), context={"phase": "on_treatment", "as_of": "2025-04-15",
                                       "question": "response_assessment"}, strict=True)
    c = r.case
    assert (c.patient.sex, c.patient.birth_year, c.patient.label) == ("female", 1957, None)  # no name copied
    assert (c.cancer.primary_site, c.cancer.histology) == ("lung", "adenocarcinoma")
    assert c.cancer.bone_metastases_known is True
    (pet,) = c.exams
    assert (pet.modality, pet.result, pet.pet_coverage) == (Modality.fdg_pet_ct, "positive",
                                                           "skull_base_to_mid_thigh")
    assert [(x.site, x.phenotype) for x in pet.lesions] == [("lumbar_spine", "lytic")]
    assert [(t.type, t.agents) for t in c.treatments] == [("egfr_tki", ("osimertinib",)),
                                                          ("denosumab", ("denosumab",))]
    assert [(x.analyte, x.value, x.unit) for x in c.labs] == [("cea", 12.4, "ng/mL")]
    assert c.context.new_bone_pain is False
    reasons = {(u.resource_type, u.resource_id): u.reason for u in r.unmapped}
    assert "not used by bonemet" in reasons[("Encounter", "enc1")]
    assert "not used by bonemet" in reasons[("Condition", "c-htn")]
    assert "not the bone-specific" in reasons[("Observation", "lab-alp")]  # total ALP is not bone ALP
    assert any("78815" in a.reason for a in r.assumptions)


def test_context_parameter_wins_and_phase_is_derived_when_absent() -> None:
    r = case_from_fhir(ehr())
    assert r.case.context.phase == "on_treatment"  # an open osimertinib line
    assert any(a.path == "context.phase" for a in r.assumptions)
    assert case_from_fhir(ehr(), context={"phase": "staging"}).case.context.phase == "staging"


def test_cds_hooks_prefetch_dict_and_list_inputs() -> None:
    entries = [e["resource"] for e in ehr()["entry"]]
    prefetch = {"patient": entries[0], "conditions": {"resourceType": "Bundle", "type": "searchset",
                                                      "entry": [{"resource": e} for e in entries[1:]]},
                "missing": None}
    assert case_from_fhir(prefetch).case.exams == case_from_fhir(entries).case.exams
    assert len(case_from_fhir(prefetch).case.exams) == 1


# ------------------------------------------------------------------------- bad input → InputError
@pytest.mark.parametrize("raw, fragment", [
    (b"{not json", "malformed JSON"),
    (b'"a string"', "expected a FHIR Bundle"),
    ({"resourceType": "Patient", "id": "p"}, "expected a Bundle"),
    ({}, "empty document"),
    ({"resourceType": "Bundle", "entry": {"resource": {}}}, "must be a list"),
    ({"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]}, "no resourceType"),
    ({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Foo"}}]},
     "unknown FHIR resource type"),
    ({"resourceType": "Bundle", "entry": ["x"]}, "must be a JSON object"),
])
def test_not_fhir_is_refused_with_the_place_and_reason(raw: Any, fragment: str) -> None:
    with pytest.raises(InputError) as exc:
        case_from_fhir(raw)
    assert any(fragment in p for p in problems(exc)), problems(exc)


def test_missing_dates_name_the_resource_and_element() -> None:
    lab = obs(loinc("2039-6"), id="cea1", valueQuantity={"value": 3, "unit": "ng/mL"})
    report = {"resourceType": "DiagnosticReport", "id": "bs1", "status": "final", "subject": {"reference": P},
              "code": {"text": "Scintigraphie osseuse"}}
    with pytest.raises(InputError) as exc:
        case_from_fhir(bundle(lab, report))
    text = problems(exc)
    assert any(p.startswith("Observation/cea1.effectiveDateTime") and "no date" in p for p in text)
    assert any(p.startswith("DiagnosticReport/bs1") and "without a date" in p for p in text)


def test_partial_date_is_refused_not_guessed() -> None:
    lab = obs(loinc("2039-6"), effectiveDateTime="2025-03", valueQuantity={"value": 3, "unit": "ng/mL"})
    with pytest.raises(InputError) as exc:
        case_from_fhir(bundle(lab))
    assert any("partial date" in p for p in problems(exc))


def test_data_of_another_patient_is_refused() -> None:
    lab = obs(loinc("2039-6"), effectiveDateTime="2025-03-01", valueQuantity={"value": 3, "unit": "ng/mL"},
              subject={"reference": "Patient/other"})
    with pytest.raises(InputError) as exc:
        case_from_fhir(bundle(lab))
    assert any("another patient" in p for p in problems(exc))


def test_strict_mode_reports_r4_validation_errors_with_resource_and_path() -> None:
    bad = {"resourceType": "Observation", "id": "o9", "code": loinc("2039-6"), "subject": {"reference": P},
           "effectiveDateTime": "2025-03-01", "valueQuantity": {"value": 3, "unit": "ng/mL"}}  # no status
    case_from_fhir(bundle(bad))  # the fast path does not validate FHIR cardinalities
    with pytest.raises(InputError) as exc:
        case_from_fhir(bundle(bad), strict=True)
    assert any(p.startswith("Observation/o9") and "R4 validation" in p for p in problems(exc))


def test_bad_context_parameter_names_the_field() -> None:
    with pytest.raises(InputError) as exc:
        case_from_fhir(bundle(), context={"phase": "later"})
    assert problems(exc)[0].startswith("context.phase")


# ------------------------------------------------------------------------- reported, not dropped
@pytest.mark.parametrize("resource, path, fragment", [
    (obs({"coding": [{"system": "http://loinc.org", "code": "99999-9"}]}, effectiveDateTime="2025-01-01"),
     "code", "not used by bonemet"),
    (obs(loinc("2039-6"), effectiveDateTime="2025-01-01", valueQuantity={"value": 3, "unit": "U/mL"}),
     "valueQuantity.unit", "not accepted for cea"),
    (obs(loinc("2039-6"), effectiveDateTime="2025-01-01", valueString="<0.5"), "value[x]", "no numeric"),
    (obs(loinc("2039-6"), effectiveDateTime="2025-01-01",
         valueQuantity={"value": 0.5, "comparator": "<", "unit": "ng/mL"}),
     "valueQuantity.comparator", "censored"),
    ({"resourceType": "ServiceRequest", "id": "o1", "status": "draft", "intent": "order",
      "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "78306"}]},
      "subject": {"reference": P}}, "status", "not a performed exam"),
    ({"resourceType": "Procedure", "id": "o1", "status": "completed", "subject": {"reference": P},
      "code": {"coding": [{"system": "http://snomed.info/sct", "code": "16335031000119103"}]},
      "performedDateTime": "2025-01-01"}, "code", "Chest imaging"),
    ({"resourceType": "MedicationStatement", "id": "o1", "status": "active", "subject": {"reference": P},
      "medicationCodeableConcept": {"text": "paracetamol 1 g"}}, "medication[x]", "not used by bonemet"),
    ({"resourceType": "Condition", "id": "o1", "subject": {"reference": P},
      "verificationStatus": {"coding": [{"code": "provisional"}]},
      "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C79.5"}]}},
     "verificationStatus", "not counted as established"),
])
def test_unusable_items_are_reported(resource: dict[str, Any], path: str, fragment: str) -> None:
    r = case_from_fhir(bundle(resource), context={"phase": "staging"})
    assert any(u.path == path and fragment in u.reason for u in r.unmapped), r.unmapped


@pytest.mark.parametrize("code, expected", [
    ({"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C34.90"}]}, ("lung", None)),
    ({"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C341"}]}, ("lung", None)),
    ({"coding": [{"system": "http://snomed.info/sct", "code": "254632001"}]}, ("lung", "sclc")),
    ({"text": "Carcinome bronchique non à petites cellules"}, ("lung", "nsclc_nos")),
    ({"text": "Carcinome à petites cellules du poumon"}, ("lung", "sclc")),
    ({"coding": [{"system": "http://snomed.info/sct", "code": "254837009"}]}, ("breast", None)),
])
def test_cancer_codes_icd10_snomed_and_text(code: dict[str, Any], expected: tuple[str, str | None]) -> None:
    cond = {"resourceType": "Condition", "id": "c1", "code": code, "subject": {"reference": P}}
    cancer = case_from_fhir(bundle(cond), context={"phase": "staging"}).case.cancer
    assert (cancer.primary_site, cancer.histology) == expected


def test_repeated_cycles_collapse_into_one_line() -> None:
    cycles = [{"resourceType": "MedicationRequest", "id": f"{drug}-{day}", "status": "completed",
               "intent": "order", "medicationCodeableConcept": {"text": drug}, "subject": {"reference": P},
               "authoredOn": f"2025-0{day}-01"}
              for day in (2, 3, 4) for drug in ("carboplatin", "pemetrexed", "pembrolizumab")]
    (line,) = case_from_fhir(bundle(*cycles), context={"phase": "on_treatment"}).case.treatments
    assert line.type == "chemo_immunotherapy"
    assert set(line.agents) == {"carboplatin", "pemetrexed", "pembrolizumab"}
    assert str(line.start) == "2025-02-01"


def test_linked_procedure_imagingstudy_and_report_are_one_exam() -> None:
    proc = {"resourceType": "Procedure", "id": "pr", "status": "completed", "subject": {"reference": P},
            "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "72148"}]},
            "performedDateTime": "2025-02-02", "report": [{"reference": "DiagnosticReport/dr"}]}
    study = {"resourceType": "ImagingStudy", "id": "is", "status": "available", "subject": {"reference": P},
             "started": "2025-02-02T08:00:00Z", "series": [{"uid": "1.2", "modality": {
                 "system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MR"}}]}
    report = {"resourceType": "DiagnosticReport", "id": "dr", "status": "final", "subject": {"reference": P},
              "code": {"text": "IRM rachis lombaire"}, "effectiveDateTime": "2025-02-02",
              "imagingStudy": [{"reference": "ImagingStudy/is"}], "conclusion": "Négatif"}
    (exam,) = case_from_fhir(bundle(proc, study, report), context={"phase": "staging"}).case.exams
    assert (exam.modality, exam.target_site, exam.result) == ("mri", "lumbar_spine", "negative")


def test_imaging_modality_of_a_draft_order() -> None:
    order = {"resourceType": "ServiceRequest", "status": "draft", "intent": "order",
             "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "78306"}]}}
    assert imaging_modality(order) is Modality.bone_scan
    naf = copy.deepcopy(order)
    naf["code"] = {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "78815"},
                              {"system": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
                               "code": "A9580"}]}
    assert imaging_modality(naf) is Modality.naf_pet_ct
    assert imaging_modality({"resourceType": "ServiceRequest", "code": {"text": "fracture fixation"}}) is None
