"""Case → Bundle → Case gives the case back, for every example case (the list grows: glob it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.guidanceresponse import GuidanceResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from bonemet.api import assess, load_case
from bonemet.fhir import assessment_to_guidance, case_from_fhir, case_to_bundle
from bonemet.model.case import LAB_CATALOGUE, Case, Modality, PetCoverage, Result, SkeletalSite
from bonemet.model.follow_up import PLAUSIBLE_MAX, PLAUSIBLE_MIN
from golden import example_cases

CASES = example_cases()


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_round_trip_fast_and_strict(path: Path) -> None:
    case = load_case(path)
    bundle = case_to_bundle(case)
    fast = case_from_fhir(orjson.dumps(bundle))  # the hot path: JSON bytes, plain dicts
    strict = case_from_fhir(bundle, strict=True)  # every resource validated by fhir.resources R4B
    assert fast.case == case
    assert strict.case == case
    assert fast.unmapped == () and fast.assumptions == ()


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_generated_bundle_is_valid_r4_and_deterministic(path: Path) -> None:
    case = load_case(path)
    bundle = case_to_bundle(case)
    Bundle.model_validate(bundle)
    assert orjson.dumps(case_to_bundle(case)) == orjson.dumps(bundle)
    ids = [e["resource"]["id"] for e in bundle["entry"]]
    assert len(ids) == len(set(ids))
    assert all(len(i) <= 64 for i in ids)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_guidance_response_is_valid_r4(path: Path) -> None:
    case = load_case(path)
    result = assess(case)
    guidance = assessment_to_guidance(result, case)
    GuidanceResponse.model_validate(guidance)
    group = next(r for r in guidance["contained"] if r["resourceType"] == "RequestGroup")
    assert [a["prefix"] for a in group.get("action", [])] == [r.rule_id for r in result.recommendations]
    assert guidance["moduleCanonical"].endswith("|" + result.knowledge_base.version)


def test_round_trip_of_a_case_with_every_field() -> None:
    """A case beyond the examples: every exam, lesion and treatment field set at least once."""
    from bonemet.api import parse_case
    from factories import case_doc

    doc = case_doc(
        case_id="every-field " + "x" * 80,  # long and with a space: the FHIR ids must still be valid
        patient={"label": "P", "sex": "other", "birth_year": 1950},
        cancer={"histology": "large_cell_neuroendocrine", "diagnosis_date": "2024-01-02",
                "driver_alterations": [{"gene": "ROS1"}, {"gene": "EGFR", "detail": "T790M"}],
                "bone_metastases_known": False},
        context={"phase": "follow_up", "as_of": "2025-03-01", "question": "equivocal_finding",
                 "question_text": "T12?", "new_bone_pain": True},
        availability={"fdg_pet": True, "naf_pet": False, "spect_ct": None, "mri": True},
        exams=[
            {"id": "p", "date": "2024-02-01", "modality": "naf_pet_ct", "purpose": "staging",
             "result": "positive", "pet_coverage": "skull_base_to_mid_thigh", "femurs_included": True,
             "hot_spot_count": 3, "change_vs_previous": "more_foci", "isolated_lesion": False,
             "lesions": [{"site": "femur_shaft", "side": "left", "level": "mid", "phenotype": "mixed",
                          "irradiated": True, "suspicious": False}]},
            {"id": "x", "date": "2024-03-01", "modality": "radiograph", "result": "equivocal",
             "radiograph_finding": "recalcification", "target_site": "femur_shaft"},
            {"id": "m", "date": "2024-03-02", "modality": "wb_mri", "mri_finding": "stable"},
            {"id": "s", "date": "2024-03-03", "modality": "spect_ct", "result": "negative",
             "target_site": "sacrum"},
        ],
        treatments=[
            {"id": "rt", "type": "radiotherapy", "start": "2024-02-10", "site": "femur_shaft"},
            {"id": "l2", "type": "other_targeted", "agents": ["an unlisted agent"], "start": "2024-04-01",
             "end": "2024-09-01", "line_number": 2},
            {"id": "z", "type": "zoledronic_acid", "agents": ["zoledronic acid"], "end": "2024-05-01"},
            {"id": "op", "type": "surgery", "end": "2024-06-01"},
        ],
        labs=[{"date": "2025-02-01", "analyte": a, "value": v, "unit": u} for a, v, u in (
            ("bone_alp", 21.5, "µg/L"), ("ctx", 300, "pg/mL"), ("creatinine", 80, "µmol/L"),
            ("vitamin_d_25oh", 40, "nmol/L"), ("calcium", 9.8, "mg/dL"))],
        clinical_status=[{"date": "2025-02-01", "state": "improving", "ecog": 2, "note": "walks"},
                         {"date": "2025-02-15", "state": "stable"}],
    )
    case = parse_case(doc)
    bundle = case_to_bundle(case)
    Bundle.model_validate(bundle)
    assert case_from_fhir(bundle, strict=True).case == case


_day = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 12, 31))


@st.composite
def _exam(draw: st.DrawFn, i: int) -> dict:  # type: ignore[type-arg]
    modality = draw(st.sampled_from(list(Modality)))
    pet = modality in (Modality.fdg_pet_ct, Modality.naf_pet_ct)
    return {"id": f"e{i}", "date": draw(_day).isoformat(), "modality": modality.value,
            "result": draw(st.none() | st.sampled_from([r.value for r in Result])),
            "pet_coverage": draw(st.none() | st.sampled_from([p.value for p in PetCoverage]))
            if pet else None,
            "hot_spot_count": draw(st.none() | st.integers(0, 40)),
            "lesions": [{"site": s.value}
                        for s in draw(st.lists(st.sampled_from(list(SkeletalSite)), max_size=3))]}


@st.composite
def _case(draw: st.DrawFn) -> Case:
    exams = [draw(_exam(i)) for i in range(draw(st.integers(0, 4)))]
    labs = []
    for _ in range(draw(st.integers(0, 4))):
        analyte = draw(st.sampled_from(list(LAB_CATALOGUE)))
        unit = draw(st.sampled_from(LAB_CATALOGUE[analyte][2]))
        # Within the model's plausibility bounds (issue 24): an impossible value is refused.
        top = PLAUSIBLE_MAX.get((analyte, unit), 1e4)
        labs.append({"date": draw(_day).isoformat(), "analyte": analyte.value,
                     "value": draw(st.floats(PLAUSIBLE_MIN.get((analyte, unit), 0.01), top,
                                             allow_nan=False)), "unit": unit})
    return Case.model_validate({"case_id": draw(st.text(min_size=1, max_size=90)),
                                "context": {"phase": "staging"}, "exams": exams, "labs": labs})


@settings(max_examples=60, deadline=None)
@given(_case())
def test_round_trip_property(case: Case) -> None:
    assert case_from_fhir(orjson.dumps(case_to_bundle(case))).case == case


def test_suspected_lung_cancer_is_written_provisional_and_read_back_suspected() -> None:
    # A suspected primary must never reach an EHR as a confirmed diagnosis, nor come back in scope.
    case = Case.model_validate({"case_id": "suspected", "context": {"phase": "staging"},
                                "cancer": {"primary_site": "lung", "diagnosis": "suspected"}})
    bundle = case_to_bundle(case)
    [condition] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"
                   and "primary-cancer" in orjson.dumps(e["resource"]).decode()]
    assert condition["verificationStatus"]["coding"][0]["code"] == "provisional"
    back = case_from_fhir(bundle).case.cancer
    assert back.primary_site == "lung" and back.diagnosis == "suspected"
    assert back.scope()[0] != "in_scope"
