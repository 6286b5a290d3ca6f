"""Imaging orders and exams as other EHRs write them (issue 14, defects 2-5): whole-word matching,
bone radiographs only, tracer-aware nuclear medicine, the codes added."""

from __future__ import annotations

from typing import Any

import pytest

from bonemet.fhir import case_from_fhir, imaging_reading
from bonemet.service.fhir_bridge import ordered_modality

CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"


def order(*codings: tuple[str, str], text: str | None = None, **more: Any) -> dict[str, Any]:
    code: dict[str, Any] = {"coding": [{"system": s, "code": c} for s, c in codings]}
    if text:
        code["text"] = text
    return {"resourceType": "ServiceRequest", "id": "o1", "status": "draft", "intent": "order", "code": code,
            **more}


@pytest.mark.parametrize("resource, rated", [
    # defect 2: substrings are not words
    (order(text="Suspected fracture of the femur, x-ray"), "radiograph"),
    (order(text="Inspection of skin lesion"), None),
    (order(text="MR spectroscopy of brain"), None),
    (order(text="Sodium fluoride varnish application"), None),
    (order(text="TEP au fluorure de sodium (18F-NaF)"), "naf_pet_ct"),
    (order(text="SPECT-CT rachis dorsal, 99mTc-HMDP"), "spect_ct"),
    # defect 3: a radiograph is a bone exam only when it names a skeletal region
    (order(text="Chest X-ray PA and lateral"), None),
    (order(("http://snomed.info/sct", "399208008")), None),
    (order((CPT, "71046")), None),
    (order(text="Radiographie du bassin"), "radiograph"),
    (order((CPT, "72100")), "radiograph"),
    (order(text="X-ray", bodySite=[{"text": "left humerus"}]), "radiograph"),
    (order(text="X-ray", bodySite=[{"text": "chest"}]), None),
    (order(text="CT thorax abdomen pelvis"), None),
    # defect 4: nuclear medicine is read with its tracer or target
    (order((CPT, "78803"), text="Lung ventilation/perfusion SPECT (V/Q)"), None),
    (order((CPT, "78830"), (HCPCS, "A9540")), None),
    (order((CPT, "78831"), (HCPCS, "A9572")), None),
    (order((CPT, "78815"), text="PET-CT Ga-68 DOTATATE"), None),
    (order((CPT, "78815"), text="Cardiac PET rubidium-82"), None),
    (order((CPT, "78582")), None),
    (order((CPT, "78830"), text="SPECT-CT Tc-99m MDP, lumbar spine"), "spect_ct"),
    (order((CPT, "78830"), orderDetail=[{"text": "Tc-99m HDP"}]), "spect_ct"),
    (order((CPT, "78815"), (HCPCS, "A9580")), "naf_pet_ct"),
    (order((CPT, "78815"), note=[{"text": "18F-FDG"}]), "fdg_pet_ct"),
    # defect 5: codes other EHRs use
    (order(("http://loinc.org", "25031-6")), "bone_scan"),
    (order(("https://smt.esante.gouv.fr/terminologie-ccam", "PAQL002")), "bone_scan"),
    (order(("http://snomed.info/sct", "82918005")), "fdg_pet_ct"),
])
def test_what_an_order_is_read_as(resource: dict[str, Any], rated: str | None) -> None:
    got = ordered_modality(resource)
    assert (got.value if got else None) == rated


@pytest.mark.parametrize("resource, assumed", [
    (order((CPT, "78830")), "tracer not given (CPT 78830"),
    (order((CPT, "78815")), "tracer not given (CPT 78815"),
    (order(text="SPECT-CT"), "tracer not given (the order's words"),
    (order((CPT, "78830"), text="SPECT-CT Tc-99m MDP"), None),
    (order((CPT, "78306")), None),  # a bone-scan code names the exam itself
])
def test_a_reading_without_its_tracer_says_it_is_an_assumption(resource: dict[str, Any],
                                                               assumed: str | None) -> None:
    assumption = imaging_reading(resource).assumption
    assert (assumption is None) if assumed is None else (assumption or "").startswith(assumed)


def test_hcpcs_is_read_under_both_registry_spellings() -> None:
    for system in (HCPCS, "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"):
        assert ordered_modality(order((CPT, "78815"), (system, "A9580"))).value == "naf_pet_ct"  # type: ignore[union-attr]


def test_a_performed_vq_spect_is_reported_not_read_as_a_bone_exam() -> None:
    proc = {"resourceType": "Procedure", "id": "vq", "status": "completed", "performedDateTime": "2025-01-02",
            "code": {"coding": [{"system": CPT, "code": "78803"}], "text": "V/Q SPECT"}}
    r = case_from_fhir([{"resourceType": "Patient", "id": "p1"}, proc], context={"phase": "staging"})
    assert r.case.exams == ()
    (u,) = [u for u in r.unmapped if u.resource_id == "vq"]
    assert "not aimed at the skeleton" in u.reason and u.kind == "known_not_used"
