"""Issue 21, item 10: behaviour tests for the mutants an independent probe left alive.

Each test states a clinical property through the public API (a case document in, an Assessment
out), never a private function, so that it survives the refactors of the core. Each one kills at
least one mutant of `scripts/mutants.py` (named in the comment above it): a code change that made
bonemet answer wrongly while every test stayed green. The cases were written from the chapter and
from clinical reasoning (what a nuclear-medicine physician expects), not from the code's branches.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.model import Action, Assessment, RatedModality, Rating
from bonemet.model.followup import Classification, Direction, ScanReading, Timing
from factories import assess_doc, case_doc, exam, pet

BS, PET, SPECT, NAF = (RatedModality.bone_scan, RatedModality.fdg_pet_ct, RatedModality.spect_ct,
                       RatedModality.naf_pet_ct)
TMRI = RatedModality.targeted_mri
SPINE = ("cervical_spine", "thoracic_spine", "lumbar_spine", "sacrum")
NOT_SPINE = ("skull", "pelvis", "ribs", "sternum", "humerus", "femur_proximal", "femur_shaft")
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def with_id(doc: dict[str, Any], exam_id: str) -> dict[str, Any]:
    return {**doc, "id": exam_id}


def urgent_safe01(a: Assessment) -> bool:
    """The cord-compression alert stands: an urgent SAFE-01 line and the MRI asked urgently."""
    alert = any(r.rule_id == "SAFE-01" and r.priority == "urgent" and r.action is Action.urgent_alert
                for r in a.recommendations)
    mri = a.rating_of(TMRI)
    return alert and mri.rating is Rating.usually_appropriate and mri.priority == "urgent"


def missing_fields(a: Assessment) -> set[str]:
    return {m.field for m in a.missing_data}


# --- SAFE-01: spinal pain of any level, and pain whose site is not recorded ------------------------
# Kills safe01-cervical-not-spine, safe01-unlocated-pain-ignored.

@pytest.mark.parametrize("phase", ["staging", "follow_up"])
@pytest.mark.parametrize("sites", [[s] for s in SPINE] + [[]],
                         ids=[*SPINE, "site-not-recorded"])
def test_spinal_or_unlocated_pain_with_a_deficit_raises_the_cord_compression_alert(
        phase: str, sites: list[str]) -> None:
    # A cervical metastasis compresses the cord like a thoracic one (NICE NG234 names the whole
    # spine); a new pain whose site nobody recorded may be spinal: the safe reading is that it is.
    a = assess_doc(case_doc(phase, context={"new_bone_pain": True, "pain_sites": sites,
                                            "neurological_deficit": True}))
    assert urgent_safe01(a)


@pytest.mark.parametrize("sites", [[s] for s in SPINE] + [[]], ids=[*SPINE, "site-not-recorded"])
def test_spinal_or_unlocated_pain_without_neurological_status_asks_for_it(sites: list[str]) -> None:
    a = assess_doc(case_doc("follow_up", context={"new_bone_pain": True, "pain_sites": sites}))
    assert "context.neurological_deficit" in missing_fields(a)
    assert any(r.rule_id == "SAFE-01" for r in a.recommendations)


@FAST
@given(spinal=st.sampled_from(SPINE), others=st.sets(st.sampled_from(NOT_SPINE), max_size=3))
def test_a_spinal_site_among_the_pain_sites_always_gives_the_alert(spinal: str,
                                                                   others: set[str]) -> None:
    sites = sorted({spinal, *others})
    a = assess_doc(case_doc("staging", context={"new_bone_pain": True, "pain_sites": sites,
                                                "neurological_deficit": True}))
    assert urgent_safe01(a)


# --- The isolated lesion: the latest survey decides; a negative survey does not add lesions --------
# Kills isolated-cancelled-by-negative-survey, isolated-oldest-survey.

ONE_FEMORAL_LESION = [{"site": "femur_proximal"}]


def isolated_lesion_worked_up(a: Assessment) -> bool:
    return ("isolated_lesion" in a.questions
            and any(r.rule_id == "NM-09" and r.action is Action.targeted_imaging
                    for r in a.recommendations)
            and a.rating_of(TMRI).rating is Rating.usually_appropriate)


def test_a_same_day_negative_bone_scan_does_not_cancel_the_isolated_lesion_of_the_pet() -> None:
    # The bone scan shows no lesion, so it cannot show that the PET's single lesion is one of
    # several; it may even miss a lytic one (F09). The lesion stays isolated: REC4 applies.
    doc = case_doc(exams=[
        with_id(pet("2025-05-20", lesions=ONE_FEMORAL_LESION, pet_coverage="vertex_to_feet"), "p-pet"),
        with_id(exam("bone_scan", "2025-05-20", purpose="staging", result="negative"), "a-bs")])
    assert isolated_lesion_worked_up(assess_doc(doc))


# Was a real defect (HZ-AD-12, fixed in issue 21): the id sorting last among same-day surveys decided.
def test_the_isolated_lesion_does_not_depend_on_the_exam_ids_of_same_day_surveys() -> None:
    doc = case_doc(exams=[
        with_id(pet("2025-05-20", lesions=ONE_FEMORAL_LESION, pet_coverage="vertex_to_feet"), "p-pet"),
        with_id(exam("bone_scan", "2025-05-20", purpose="staging", result="negative"), "z-bs")])
    assert isolated_lesion_worked_up(assess_doc(doc))


def test_an_earlier_single_focus_is_not_isolated_once_the_latest_survey_shows_several() -> None:
    doc = case_doc(exams=[
        exam("bone_scan", "2025-04-01", purpose="staging", result="positive",
             lesions=ONE_FEMORAL_LESION),
        pet("2025-05-20", pet_coverage="vertex_to_feet",
            lesions=[{"site": "femur_proximal"}, {"site": "thoracic_spine"}, {"site": "ribs"}])])
    a = assess_doc(doc)
    assert "isolated_lesion" not in a.questions
    assert not any(r.rule_id == "NM-09" for r in a.recommendations)


def test_a_single_lesion_on_the_latest_survey_is_isolated_after_an_earlier_negative_one() -> None:
    doc = case_doc(exams=[
        exam("bone_scan", "2025-04-01", purpose="staging", result="negative"),
        pet("2025-05-20", lesions=ONE_FEMORAL_LESION, pet_coverage="vertex_to_feet")])
    assert isolated_lesion_worked_up(assess_doc(doc))


# --- NM-14: the latest PET, and an equivocal CT, qualify "negative PET" -----------------------------
# Kills nm14-equivocal-ct-ignored, nm14-oldest-pet.

def nm14(a: Assessment) -> list[Any]:
    return [r for r in a.recommendations if r.rule_id == "NM-14"]


def test_an_equivocal_ct_keeps_the_bone_scan_open_after_a_negative_pet() -> None:
    # An equivocal CT of the skeleton is the doubt FDG may not settle for a sclerotic lesion (F25).
    a = assess_doc(case_doc(exams=[exam("ct", "2025-05-15", result="equivocal"),
                                   pet("2025-05-20", result="negative", pet_coverage="vertex_to_feet")]))
    assert nm14(a)
    assert a.rating_of(BS).rating is Rating.may_be_appropriate


def test_nm14_reads_the_latest_pet_not_an_earlier_negative_one() -> None:
    doc = case_doc(exams=[
        pet("2025-03-01", result="negative", pet_coverage="vertex_to_feet"),
        exam("ct", "2025-03-05", result="positive", lesions=[{"site": "pelvis", "phenotype": "blastic"}]),
        pet("2025-05-20", result="positive", pet_coverage="vertex_to_feet")])
    assert not nm14(assess_doc(doc))


def test_nm14_fires_on_a_latest_negative_pet_after_an_earlier_positive_one() -> None:
    doc = case_doc(exams=[
        pet("2025-03-01", result="positive", pet_coverage="vertex_to_feet"),
        exam("ct", "2025-03-05", result="positive", lesions=[{"site": "pelvis", "phenotype": "blastic"}]),
        pet("2025-05-20", result="negative", pet_coverage="vertex_to_feet")])
    found = nm14(assess_doc(doc))
    assert found
    assert {"2025-05-20"} <= {str(f.value) for f in found[0].facts if f.path.endswith(".date")}
    assert "2025-03-01" not in {str(f.value) for f in found[0].facts}


# --- Residual probability: no population prior beside NM-14 -----------------------------------------
# Kills residual-prior-beside-nm14.

@pytest.mark.parametrize("evidence", [
    # a CT read negative that still records a sclerotic lesion (a bone island or a blastic focus)
    exam("ct", "2025-05-10", result="negative", lesions=[{"site": "pelvis", "phenotype": "blastic"}]),
    exam("radiograph", "2025-05-10", result="negative",
         lesions=[{"site": "pelvis", "phenotype": "mixed"}]),
    exam("ct", "2025-05-10", result="equivocal"),
], ids=["ct-negative-blastic", "radiograph-negative-mixed", "ct-equivocal"])
def test_no_residual_probability_beside_the_negative_pet_warning(evidence: dict[str, Any]) -> None:
    # NM-14 says the negative PET does not exclude sclerotic metastases; a residual probability
    # computed from the staging prior and that PET's likelihood ratio would say the opposite.
    a = assess_doc(case_doc(exams=[evidence, pet("2025-05-20", result="negative",
                                                 pet_coverage="vertex_to_feet")]))
    assert nm14(a)
    assert a.probability is not None
    assert a.probability.status == "not_applicable"
    assert a.probability.residual is None


# --- A finding's date: an exam done before it does not answer it ------------------------------------
# Kills adv01-ignores-finding-date, raised-question-ignores-finding-date,
# nm10-characterised-ignores-date.

def test_a_spect_ct_done_before_a_new_equivocal_scan_does_not_answer_it() -> None:
    # The SPECT-CT of 10 May characterised an earlier spinal finding; the equivocal pelvic focus of
    # 25 May is new: it still needs its own SPECT-CT (NM-10), not "already done".
    doc = case_doc("follow_up", context={"new_bone_pain": False}, exams=[
        exam("spect_ct", "2025-05-10", purpose="characterisation", result="negative",
             lesions=[{"site": "thoracic_spine"}]),
        exam("bone_scan", "2025-05-25", purpose="follow_up", result="equivocal",
             lesions=[{"site": "pelvis"}])])
    a = assess_doc(doc)
    assert "equivocal_finding" in a.questions
    assert a.rating_of(SPECT).rating is Rating.usually_appropriate
    assert a.rating_of(SPECT).rule_id == "NM-10"
    assert not any(r.rule_id == "ADV-01" and r.subject == SPECT.value for r in a.recommendations)


def test_a_spect_ct_done_on_or_after_the_equivocal_scan_answers_it() -> None:
    # The counterpart (so the previous test cannot pass by never counting a SPECT-CT).
    doc = case_doc("follow_up", context={"new_bone_pain": False}, exams=[
        exam("bone_scan", "2025-05-20", purpose="follow_up", result="equivocal",
             lesions=[{"site": "pelvis"}]),
        exam("spect_ct", "2025-05-25", purpose="characterisation", result="negative",
             lesions=[{"site": "pelvis"}])])
    a = assess_doc(doc)
    assert a.rating_of(SPECT).rating is not Rating.usually_appropriate


# --- NM-15: new pain adds to staging, never lowers it; it asks where the pain is --------------------
# Kills nm15-downgrades-staging-pet, nm15-never-asks-pain-site.

@pytest.mark.parametrize("sites", [["lumbar_spine"], ["femur_proximal"], []],
                         ids=["spine", "femur", "site-not-recorded"])
def test_new_pain_at_staging_keeps_the_pet_usually_appropriate(sites: list[str]) -> None:
    a = assess_doc(case_doc("staging", context={"new_bone_pain": True, "pain_sites": sites,
                                                "neurological_deficit": False}))
    assert a.rating_of(PET).rating is Rating.usually_appropriate


@pytest.mark.parametrize("phase", ["staging", "follow_up"])
def test_new_pain_without_its_site_asks_for_it(phase: str) -> None:
    a = assess_doc(case_doc(phase, context={"new_bone_pain": True, "pain_sites": [],
                                            "neurological_deficit": False}))
    assert "context.pain_sites" in missing_fields(a)


def test_new_pain_with_its_site_does_not_ask_for_it() -> None:
    a = assess_doc(case_doc("follow_up", context={"new_bone_pain": True, "pain_sites": ["pelvis"],
                                                  "neurological_deficit": False}))
    assert "context.pain_sites" not in missing_fields(a)


# --- Flare reader ---------------------------------------------------------------------------------

LINE_START = "2025-01-31"  # month 6: 2025-07-31


def chemo(start: str = LINE_START, id: str = "l1", n: int = 1, **f: Any) -> dict[str, Any]:
    return {"id": id, "type": "chemotherapy", "agents": ["carboplatin", "pemetrexed"],
            "start": start, "line_number": n, **f}


def bscan(date: str, id: str, **f: Any) -> dict[str, Any]:
    return with_id(exam("bone_scan", date, **{"purpose": "response_assessment",
                                              "result": "positive", **f}), id)


def lab(date: str, analyte: str, value: float) -> dict[str, Any]:
    return {"date": date, "analyte": analyte, "value": value, "unit": "ng/mL"}


def reading(doc: dict[str, Any], scan_id: str = "bs1") -> ScanReading:
    a = assess_doc(doc)
    assert a.follow_up is not None
    return a.follow_up.reading(scan_id)


def on_treatment(treatments: list[dict[str, Any]], exams: list[dict[str, Any]],
                 **sections: Any) -> dict[str, Any]:
    return case_doc("on_treatment", context={"as_of": "2026-06-01"}, treatments=treatments,
                    exams=exams, **sections)


BASELINE = bscan("2025-01-20", "bs0", purpose="staging", hot_spot_count=3)


# Kills flare-neutral-counted-strong.
@pytest.mark.parametrize("state", ["stable", None], ids=["clinical-stable", "no-clinical-status"])
def test_falling_markers_alone_never_make_flare_likely(state: str | None) -> None:
    # Tumour markers have no direction in the chapter (F21); a stable clinical state is neutral: it
    # is no direct observation FOR flare. Two falling markers stay indeterminate, leaning to flare.
    doc = on_treatment([chemo()], [BASELINE, bscan("2025-04-20", "bs1", change_vs_previous="more_foci")],
                       labs=[lab("2025-01-20", "cea", 20), lab("2025-04-18", "cea", 8),
                             lab("2025-01-20", "cyfra_21_1", 9), lab("2025-04-18", "cyfra_21_1", 3)],
                       clinical_status=[{"date": "2025-04-22", "state": state}] if state else [])
    r = reading(doc)
    assert r.timing is Timing.early
    assert r.classification is Classification.indeterminate
    assert r.leaning is Direction.favours_flare


def test_falling_markers_with_an_improving_patient_are_flare_likely() -> None:
    # The counterpart: the same markers with a direct observation pointing the same way.
    doc = on_treatment([chemo()], [BASELINE, bscan("2025-04-20", "bs1", change_vs_previous="more_foci")],
                       labs=[lab("2025-01-20", "cea", 20), lab("2025-04-18", "cea", 8)],
                       clinical_status=[{"date": "2025-04-22", "state": "improving"}])
    assert reading(doc).classification is Classification.flare_likely


# Kills flare-line-ended-on-comparator-day.
def test_a_line_that_ended_on_the_comparator_day_was_running_at_the_comparator() -> None:
    # Line 1 stopped on the day of the comparator scan (the restaging that ended it); line 2 began
    # seven weeks later. The comparator shows line 1's disease: new foci under line 2 may be the
    # progression that ended line 1, so the reading asks for a new baseline on line 2.
    doc = on_treatment(
        [chemo("2024-06-03", end="2025-01-10", stop_reason="progression"),
         {"id": "l2", "type": "immunotherapy", "agents": ["pembrolizumab"], "start": "2025-03-01",
          "line_number": 2}],
        [bscan("2025-01-10", "bs0", purpose="response_assessment", hot_spot_count=3),
         bscan("2025-05-01", "bs1", change_vs_previous="more_foci")])
    r = reading(doc)
    assert r.line_id == "l2" and r.comparator_id == "bs0"
    assert r.changed_lines
    assert r.classification is Classification.indeterminate
    assert "new baseline" in " ".join(a.text.en for a in r.advice)


# Kills flare-rt-window-from-start, flare-rt-window-edge, flare-rt-lesion-window-edge.
LATE_SCAN = dt.date(2025, 9, 15)


def late_increase(treatments: list[dict[str, Any]], lesion: dict[str, Any]) -> ScanReading:
    doc = on_treatment([chemo(), *treatments],
                       [BASELINE, bscan(LATE_SCAN.isoformat(), "bs1", change_vs_previous="more_intense",
                                        lesions=[{"site": "thoracic_spine",
                                                  "change_vs_previous": "more_intense", **lesion}])])
    r = reading(doc)
    assert r.timing is Timing.late
    return r


def days_before_scan(days: int) -> str:
    return (LATE_SCAN - dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(("days_after_end", "healing_possible"),
                         [(150, True), (182, True), (183, True), (184, False), (300, False)])
def test_healing_window_runs_183_days_from_the_end_of_radiotherapy(days_after_end: int,
                                                                    healing_possible: bool) -> None:
    # A three-week course: counted from its last day (the healing starts when irradiation stops).
    end = days_before_scan(days_after_end)
    start = days_before_scan(days_after_end + 21)
    r = late_increase([{"id": "rt1", "type": "radiotherapy", "site": "thoracic_spine",
                        "start": start, "end": end}], {})
    if healing_possible:
        assert r.classification is Classification.indeterminate
        assert r.irradiated_sites == ("thoracic_spine",)
    else:
        assert r.classification is Classification.progression
        assert not r.irradiated_sites


@pytest.mark.parametrize(("days", "healing_possible"), [(183, True), (184, False)])
def test_healing_window_edge_for_a_lesion_irradiation_date(days: int, healing_possible: bool) -> None:
    r = late_increase([], {"irradiated": True, "irradiated_on": days_before_scan(days)})
    assert (r.classification is Classification.indeterminate) is healing_possible
    assert (r.classification is Classification.progression) is not healing_possible


@FAST
@given(course=st.integers(min_value=1, max_value=60), after_end=st.integers(min_value=0, max_value=183))
def test_any_course_ended_within_the_window_keeps_healing_possible(course: int, after_end: int) -> None:
    r = late_increase([{"id": "rt1", "type": "radiotherapy", "site": "thoracic_spine",
                        "start": days_before_scan(after_end + course),
                        "end": days_before_scan(after_end)}], {})
    assert r.classification is not Classification.progression
