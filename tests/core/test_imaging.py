"""Table-driven tests of each imaging rule: fires / does not fire, with boundary cases."""

from __future__ import annotations

from typing import Any

import pytest

from bonemet.model import Action, RatedModality, Rating
from factories import assess_doc, case_doc, exam, pet

BS, PET, SPECT, NAF = (RatedModality.bone_scan, RatedModality.fdg_pet_ct, RatedModality.spect_ct,
                       RatedModality.naf_pet_ct)


def actions(doc: dict[str, Any], rule_id: str) -> list[Action]:
    return [r.action for r in assess_doc(doc).recommendations if r.rule_id == rule_id]


# --- NM-01 / NM-02: staging --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("exams", "bone_scan_rating", "rule"),
    [
        ([], Rating.may_be_appropriate, "NM-02"),                       # no PET yet: fallback
        ([pet()], Rating.usually_not_appropriate, "NM-01"),             # PET done
        ([pet(result="negative")], Rating.usually_not_appropriate, "NM-01"),
        ([pet(result=None)], Rating.usually_not_appropriate, "NM-01"),  # report pending: performed
        # A booked PET (after as_of, status planned) is not done (issue 21; a done exam after
        # as_of is refused: tests/core/test_issue21_dates.py).
        ([pet(date="2025-06-02", status="planned", result=None)], Rating.may_be_appropriate, "NM-02"),
        ([pet(purpose="response_assessment")], Rating.may_be_appropriate, "NM-02"),
    ],
    ids=["no-pet", "pet-positive", "pet-negative", "pet-pending", "pet-booked", "pet-response"],
)
def test_staging_bone_scan_rating(exams: list[Any], bone_scan_rating: Rating, rule: str) -> None:
    a = assess_doc(case_doc(exams=exams))
    r = a.rating_of(BS)
    assert (r.rating, r.rule_id) == (bone_scan_rating, rule)
    # A staging PET performed by the decision date is not proposed again (ADV-01).
    pet_done = rule == "NM-01"
    assert a.rating_of(PET).rating is (Rating.usually_not_appropriate if pet_done
                                       else Rating.usually_appropriate)
    assert a.rating_of(PET).rule_id == ("ADV-01" if pet_done else "NM-02")


def test_nm02_fallback_names_pet_as_alternative_unless_centre_has_none() -> None:
    assert assess_doc(case_doc()).rating_of(BS).preferred_alternative is PET
    no_pet = assess_doc(case_doc(availability={"fdg_pet": False})).rating_of(BS)
    assert no_pet.preferred_alternative is None
    assert "no FDG-PET" in no_pet.reason.en


def test_nm01_flags_a_staging_bone_scan_done_after_the_pet() -> None:
    doc = case_doc(exams=[pet(date="2025-05-01"), exam("bone_scan", "2025-05-10",
                                                       purpose="staging", result="positive")])
    assert actions(doc, "NM-01") == [Action.not_indicated, Action.note]
    before = case_doc(exams=[exam("bone_scan", "2025-04-20", purpose="staging", result="negative"),
                             pet(date="2025-05-01")])
    assert actions(before, "NM-01") == [Action.not_indicated]


def test_staging_rules_do_not_fire_in_follow_up() -> None:
    a = assess_doc(case_doc("follow_up", context={"new_bone_pain": False}, exams=[pet()]))
    assert "NM-01" not in a.rule_ids() and "NM-02" not in a.rule_ids()


# --- NM-03: PET field of view ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"pet_coverage": "skull_base_to_mid_thigh"}, [Action.targeted_imaging]),
        ({"pet_coverage": "vertex_to_mid_thigh"}, [Action.targeted_imaging]),
        ({"pet_coverage": "skull_base_to_knees"}, []),
        ({"pet_coverage": "vertex_to_feet"}, []),
        ({"pet_coverage": "other"}, [Action.check_field_of_view]),
        ({}, [Action.check_field_of_view]),
        ({"pet_coverage": "skull_base_to_mid_thigh", "femurs_included": True}, []),
        ({"pet_coverage": "vertex_to_feet", "femurs_included": False},
         [Action.targeted_imaging]),
    ],
    ids=["mid-thigh", "vertex-mid-thigh", "knees", "feet", "other", "unknown",
         "explicit-femurs-yes", "explicit-femurs-no"],
)
def test_nm03_pet_coverage(fields: dict[str, Any], expected: list[Action]) -> None:
    assert actions(case_doc(exams=[pet(**fields)]), "NM-03") == expected


def test_nm03_unknown_coverage_is_reported_missing() -> None:
    a = assess_doc(case_doc(exams=[pet()]))
    assert [m.field for m in a.missing_data] == ["exams[0].pet_coverage"]


def test_nm03_staging_without_pet_advises_an_extended_sweep() -> None:
    assert actions(case_doc(), "NM-03") == [Action.note]


# --- NM-04: follow-up --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("context", "rating"),
    [
        ({"new_bone_pain": False}, Rating.usually_not_appropriate),
        ({"new_bone_pain": True}, Rating.may_be_appropriate),
        ({"new_bone_pain": False, "question_text": "rising ALP"}, Rating.may_be_appropriate),
        ({}, Rating.no_criteria_apply),
    ],
    ids=["no-pain", "new-pain", "specific-question", "pain-unknown"],
)
def test_nm04_follow_up(context: dict[str, Any], rating: Rating) -> None:
    a = assess_doc(case_doc("follow_up", context=context))
    r = a.rating_of(BS)
    assert (r.rating, r.rule_id) == (rating, "NM-04")
    assert bool(r.missing_data) == (rating is Rating.no_criteria_apply)


# NM-05 (date of a response-assessment scan) is tested with the flare rules: test_flare_rules.py


# --- NM-09: isolated lesion --------------------------------------------------------------------

def test_nm09_isolated_lesion_asks_targeted_imaging_then_opinion() -> None:
    doc = case_doc(exams=[pet(lesions=[{"site": "femur_proximal"}], pet_coverage="vertex_to_feet")])
    assert actions(doc, "NM-09") == [Action.targeted_imaging, Action.specialist_opinion]
    a = assess_doc(doc)
    assert a.rating_of(RatedModality.targeted_mri).rating is Rating.usually_appropriate


@pytest.mark.parametrize(
    ("target_date", "target_site", "expected"),
    [
        ("2025-05-25", "femur_proximal", [Action.specialist_opinion]),
        # An MRI of an unrecorded region (a staging brain MRI) is not imaging of the lesion.
        ("2025-05-25", None, [Action.targeted_imaging, Action.specialist_opinion]),
        ("2025-05-20", "femur_proximal", [Action.specialist_opinion]),  # same day as the PET
        ("2025-05-25", "ribs", [Action.targeted_imaging, Action.specialist_opinion]),
        ("2025-05-10", "femur_proximal", [Action.targeted_imaging, Action.specialist_opinion]),
    ],
    ids=["after-same-site", "after-site-unknown", "same-day", "other-site", "before-the-pet"],
)
def test_nm09_targeted_imaging_must_follow_and_match(
    target_date: str, target_site: str | None, expected: list[Action]
) -> None:
    mri = exam("mri", target_date, result="equivocal", target_site=target_site)
    doc = case_doc(exams=[pet(lesions=[{"site": "femur_proximal"}]), mri])
    assert actions(doc, "NM-09") == expected


def test_nm09_multiple_lesions_are_not_isolated() -> None:
    doc = case_doc(exams=[pet(lesions=[{"site": "ribs"}, {"site": "pelvis"}])])
    assert actions(doc, "NM-09") == []


def test_nm09_question_without_an_isolated_lesion_reports_missing() -> None:
    a = assess_doc(case_doc(context={"question": "isolated_lesion"}))
    assert "exams[].isolated_lesion" in [m.field for m in a.missing_data]


# --- NM-10 / NM-12 / NM-13 ---------------------------------------------------------------------

def test_nm10_spect_ct_refines_a_suspicious_planar_lesion_only() -> None:
    staging = assess_doc(case_doc())
    assert staging.rating_of(SPECT).rating is Rating.usually_not_appropriate
    equivocal = case_doc(context={"question": "equivocal_finding"},
                         exams=[exam("bone_scan", "2025-05-01", result="equivocal")])
    a = assess_doc(equivocal)
    assert (a.rating_of(SPECT).rating, a.rating_of(SPECT).rule_id) == (
        Rating.usually_appropriate, "NM-10")
    # The stated question adds to the phase's: NM-02 (staging) and NM-12 (equivocal) agree on PET.
    assert a.rating_of(PET).rating is Rating.usually_appropriate
    assert "NM-12" in a.rule_ids()


def test_nm12_occult_disease() -> None:
    a = assess_doc(case_doc("follow_up", context={"question": "occult_disease"}))
    assert (a.rating_of(PET).rating, a.rating_of(PET).rule_id) == (
        Rating.usually_appropriate, "NM-12")


@pytest.mark.parametrize(("available", "word"),
                         [(True, "offered"), (False, "not offered"), (None, "not recorded")])
def test_nm13_naf_pet_is_an_option_whatever_the_availability(
    available: bool | None, word: str
) -> None:
    r = assess_doc(case_doc(availability={"naf_pet": available})).rating_of(NAF)
    # Not offered: not rated, with the reason (review C01: rating and reason agree).
    expected = Rating.no_criteria_apply if available is False else Rating.may_be_appropriate
    assert r.rating is expected and word in r.reason.en


# --- NM-11: negative bone scan -----------------------------------------------------------------

def test_nm11_negative_scan_in_lung_cancer_is_not_reassuring() -> None:
    doc = case_doc("follow_up", context={"new_bone_pain": True},
                   exams=[exam("bone_scan", "2025-05-01", result="negative")])
    recs = [r for r in assess_doc(doc).recommendations if r.rule_id == "NM-11"]
    assert len(recs) == 1 and recs[0].interpretation and recs[0].basis == "derived"
    assert "lung primary" in recs[0].text.en and "primitif pulmonaire" in recs[0].text.fr


def test_nm11_lists_radiotherapy_and_lytic_reasons() -> None:
    doc = case_doc("follow_up", context={"new_bone_pain": True},
                   treatments=[{"id": "rt", "type": "radiotherapy", "start": "2025-01-01"}],
                   exams=[exam("ct", "2024-12-01", lesions=[{"site": "ribs", "phenotype": "lytic"}]),
                          exam("bone_scan", "2025-05-01", result="negative")])
    text = next(r for r in assess_doc(doc).recommendations if r.rule_id == "NM-11").text.en
    assert "irradiated site" in text and "lytic lesions" in text


@pytest.mark.parametrize(("primary", "fires"), [("lung", True), ("kidney", True),
                                                 ("thyroid", True), ("breast", False),
                                                 ("prostate", False)])
def test_nm11_primary_sites(primary: str, fires: bool) -> None:
    doc = case_doc("follow_up", cancer={"primary_site": primary},
                   exams=[exam("bone_scan", "2025-05-01", result="negative")])
    assert ("NM-11" in assess_doc(doc).rule_ids()) is fires


def test_non_lung_primary_is_out_of_scope_and_unrated() -> None:
    a = assess_doc(case_doc(cancer={"primary_site": "kidney"}))
    assert not a.scope.in_scope
    assert all(r.rating is Rating.no_criteria_apply for r in a.ratings)
