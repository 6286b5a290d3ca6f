"""Where the mCODE reader and the mCODE export meet (issue 26, the integration of both halves).

The export writes mCODE's own ECOG beside the clinical course of the same day, a GenomicVariant whose
alteration is in words, and a SecondaryCancerCondition; reading it back must give the same case, and
two sections of a record that disagree must be said, never settled toward one of them.
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from bonemet.api import load_case, parse_case
from bonemet.base.terms import SkeletalSite
from bonemet.fhir import case_from_fhir, case_to_bundle
from factories import case_doc
from golden import example_cases

ECOG_PROFILE = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-ecog-performance-status"


def _case_with_status(ecog: int) -> dict:  # type: ignore[type-arg]
    return case_doc(
        case_id="ecog-pair",
        context={"phase": "follow_up", "as_of": "2025-03-01"},
        clinical_status=[{"date": "2025-02-01", "state": "stable", "ecog": ecog}],
    )


def _ecog_entry(bundle: dict) -> dict:  # type: ignore[type-arg]
    return next(e["resource"] for e in bundle["entry"]
                if ECOG_PROFILE in e["resource"].get("meta", {}).get("profile", []))


def test_mcode_ecog_beside_the_course_of_the_same_day_is_one_fact() -> None:
    bundle = case_to_bundle(parse_case(_case_with_status(1)))
    assert _ecog_entry(bundle)["valueInteger"] == 1
    read = case_from_fhir(bundle)
    assert read.unmapped == ()
    assert read.case.clinical_status[0].ecog == 1


def test_a_different_ecog_the_same_day_is_said_not_settled() -> None:
    bundle = case_to_bundle(parse_case(_case_with_status(1)))
    _ecog_entry(bundle)["valueInteger"] = 3
    read = case_from_fhir(bundle)
    said = [u.reason for u in read.unmapped if "ECOG" in u.reason]
    assert said and "differs" in said[0] and "(3)" in said[0] and "(1)" in said[0]


def test_every_example_case_comes_back_whole_through_mcode() -> None:
    for path in example_cases():
        case = load_case(path)
        read = case_from_fhir(case_to_bundle(case))
        assert read.case == case, path.name
        assert read.unmapped == () and read.assumptions == (), path.name


_SITES = [SkeletalSite.thoracic_spine, SkeletalSite.femur_shaft, SkeletalSite.pelvis, SkeletalSite.ribs]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_SITES), st.sampled_from([None, "left", "right"]),
                          st.sampled_from([None, "2025-01-10", "2025-02-20"])),
                min_size=1, max_size=4, unique_by=lambda x: (x[0], x[1])))
def test_sites_recorded_as_diagnoses_come_back_as_diagnoses(sites: list) -> None:  # type: ignore[type-arg]
    """The export writes the recorded sites (one SecondaryCancerCondition per onset) and not the exams'
    lesions: a case keeps exactly the recorded sites it had (HZ-MCODE-07)."""
    doc = case_doc(case_id="recorded-sites", cancer={"primary_site": "lung", "histology": "adenocarcinoma",
                                                     "bone_metastases_known": True})
    doc["oncology"] = {"bone_metastasis_sites": [
        {"site": s.value, **({"side": side} if side else {}), **({"since": since} if since else {})}
        for s, side, since in sites]}
    case = parse_case(doc)
    back = case_from_fhir(case_to_bundle(case)).case
    assert back.oncology is not None
    assert sorted(back.oncology.bone_metastasis_sites, key=repr) == sorted(
        case.oncology.bone_metastasis_sites, key=repr)  # type: ignore[union-attr]


def test_exam_lesions_are_not_written_as_recorded_diagnoses() -> None:
    case = load_case(next(p for p in example_cases() if p.name.startswith("48-")))
    assert case.cancer.bone_metastases_known and any(e.lesions for e in case.exams)
    bundle = case_to_bundle(case)
    secondary = [e["resource"] for e in bundle["entry"]
                 if "mcode-secondary-cancer-condition" in str(e["resource"].get("meta"))]
    assert secondary and all("bodySite" not in r for r in secondary)
    assert case_from_fhir(copy.deepcopy(bundle)).case.oncology is None


def test_the_conclusion_string_of_a_variant_is_its_detail() -> None:
    doc = case_doc(case_id="variant", cancer={"primary_site": "lung", "histology": "adenocarcinoma",
                                               "driver_alterations": [{"gene": "EGFR", "detail": "L858R"}]})
    case = parse_case(doc)
    back = case_from_fhir(case_to_bundle(case)).case
    assert back.cancer.driver_alterations[0].detail == "L858R"
