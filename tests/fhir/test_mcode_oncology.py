"""Issue 26, observed item 6: TNM staging (mCODE TNM profiles), genomic variants → driver alterations
(HGNC gene studied), CancerRelatedSurgicalProcedure, CancerDiseaseStatus → clinical status."""

from __future__ import annotations

from typing import Any

from mcode_builders import LOINC, LUNG_PRIMARY, MC, PID, SCT, bundle, cc, observation

from bonemet.fhir.to_case import case_from_fhir

HGNC = "http://www.genenames.org"


def _tnm(rid: str, kind_code: str, value: str, display: str, system: str = SCT) -> dict[str, Any]:
    return observation(
        rid,
        cc(system, kind_code),
        "2025-09-01",
        profile="mcode-tnm-stage-group",
        valueCodeableConcept=cc(SCT, value, display),
    )


def _variant(
    rid: str,
    genes: list[tuple[str, str]],
    present: bool = True,
    germline: bool = False,
    detail: str | None = None,
) -> dict[str, Any]:
    comps: list[dict[str, Any]] = [
        {"code": cc(LOINC, "48018-6"), "valueCodeableConcept": cc(HGNC, code, symbol)}
        for code, symbol in genes
    ]
    comps.append(
        {
            "code": cc(LOINC, "48002-0"),
            "valueCodeableConcept": cc(LOINC, "LA6683-2" if germline else "LA6684-0"),
        }
    )
    if detail:
        comps.append(
            {"code": cc(LOINC, "48005-3"), "valueCodeableConcept": cc("http://varnomen.hgvs.org", detail)}
        )
    return observation(
        rid,
        cc(LOINC, "69548-6"),
        profile="mcode-genomic-variant",
        valueCodeableConcept=cc(LOINC, "LA9633-4" if present else "LA9634-2"),
        component=comps,
    )


def test_tnm_stage_group_and_categories_are_kept_as_coded() -> None:
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            _tnm(
                "sg",
                "399537006",
                "1222806003",
                "American Joint Committee on Cancer stage IIIC (qualifier value)",
            ),
            _tnm("t", "399504009", "1228938002", "American Joint Committee on Cancer cT3 (qualifier value)"),
            _tnm(
                "pt",
                "21899-0",
                "1229859000",
                "American Joint Committee on Cancer pT3 (qualifier value)",
                LOINC,
            ),
        )
    )
    assert r.case.oncology is not None
    got = {(s.kind, s.element, s.value, s.code) for s in r.case.oncology.staging}
    assert got == {
        ("clinical", "stage_group", "stage IIIC", "1222806003"),
        ("clinical", "T", "cT3", "1228938002"),
        ("pathologic", "T", "pT3", "1229859000"),
    }
    assert "Clinical TNM: stage IIIC, cT3" in r.case.oncology.summary()


def test_a_tnm_category_without_a_value_is_said() -> None:
    absent = observation(
        "pm",
        cc(SCT, "371497001"),
        valueCodeableConcept=cc(
            "http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-applicable", "Not Applicable"
        ),
    )
    r = case_from_fhir(bundle(LUNG_PRIMARY, absent))
    assert r.case.oncology is None
    assert any("TNM pathologic M without a value" in u.reason for u in r.unmapped)


def test_a_somatic_egfr_variant_is_a_driver_alteration() -> None:
    r = case_from_fhir(bundle(LUNG_PRIMARY, _variant("v", [("HGNC:3236", "EGFR")], detail="p.Leu858Arg")))
    assert [(d.gene, d.detail) for d in r.case.cancer.driver_alterations] == [("EGFR", "p.Leu858Arg")]


def test_a_gene_is_read_by_its_symbol_when_its_hgnc_id_is_not_in_the_table() -> None:
    r = case_from_fhir(bundle(LUNG_PRIMARY, _variant("v", [("HGNC:10261", "ROS1")])))
    assert [d.gene for d in r.case.cancer.driver_alterations] == ["ROS1"]


def test_a_fusion_names_its_partners() -> None:
    r = case_from_fhir(bundle(LUNG_PRIMARY, _variant("v", [("HGNC:3467", "EML4"), ("HGNC:427", "ALK")])))
    assert [(d.gene, d.detail) for d in r.case.cancer.driver_alterations] == [("ALK", "EML4-ALK fusion")]


def test_germline_negative_and_non_driver_variants_are_said_not_read() -> None:
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            _variant("g", [("HGNC:1100", "BRCA1")], germline=True),
            _variant("n", [("HGNC:6407", "KRAS")], present=False),
            _variant("s", [("HGNC:11389", "STK11")]),
        )
    )
    assert r.case.cancer.driver_alterations == ()
    reasons = " | ".join(u.reason for u in r.unmapped)
    assert "germline" in reasons and "pertinent negative" in reasons and "STK11" in reasons


def test_a_genomics_report_is_accounted_through_its_variants() -> None:
    report = {
        "resourceType": "DiagnosticReport",
        "id": "gr",
        "status": "final",
        "meta": {"profile": [MC + "mcode-genomics-report"]},
        "code": cc(LOINC, "51969-4"),
        "subject": {"reference": f"Patient/{PID}"},
        "effectiveDateTime": "2025-09-20",
        "result": [{"reference": "Observation/v"}],
    }
    r = case_from_fhir(bundle(LUNG_PRIMARY, _variant("v", [("HGNC:3236", "EGFR")]), report))
    assert not r.case.exams  # not an imaging report
    assert {x.resource_id: x.outcome for x in r.report}["gr"] == "read"


def _surgery(rid: str, code: dict[str, Any], site: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "id": rid,
        "status": "completed",
        "meta": {"profile": [MC + "mcode-cancer-related-surgical-procedure"]},
        "code": code,
        "subject": {"reference": f"Patient/{PID}"},
        "performedDateTime": "2025-03-01",
        "bodySite": [site],
    }


def test_cancer_surgery_outside_bone_is_kept_as_oncology_surgery() -> None:
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            _surgery(
                "s",
                cc(SCT, "359615001", "Partial lobectomy of lung (procedure)"),
                cc(SCT, "45653009", "Structure of lobe of lung (body structure)"),
            ),
        )
    )
    assert r.case.treatments == ()  # not a bone surgery
    assert [(s.name, s.date.isoformat()) for s in r.case.oncology.surgeries] == [  # type: ignore[union-attr]
        ("Partial lobectomy of lung", "2025-03-01")
    ]


def test_cancer_surgery_at_a_skeletal_site_is_the_case_bone_surgery() -> None:
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            _surgery(
                "s",
                cc(SCT, "1", "Excision of lesion of bone"),
                cc(SCT, "85050009", "Bone structure of humerus"),
            ),
        )
    )
    assert [(t.type.value, t.site) for t in r.case.treatments] == [("surgery", "humerus")]


def test_cancer_disease_status_is_the_clinical_status() -> None:
    status = observation(
        "ds",
        cc(LOINC, "97509-4"),
        profile="mcode-cancer-disease-status",
        valueCodeableConcept=cc(SCT, "271299001", "Patient's condition worsened (finding)"),
    )
    r = case_from_fhir(bundle(LUNG_PRIMARY, status))
    assert [(s.state.value, s.date.isoformat()) for s in r.case.clinical_status] == [
        ("deteriorating", "2025-11-01")
    ]


def test_other_mcode_observations_are_said_not_used() -> None:
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            observation("d", cc(SCT, "708895006"), profile="mcode-deauville-scale", valueInteger=5),
        )
    )
    assert any("mCODE deauville-scale observation: not used" in u.reason for u in r.unmapped)
