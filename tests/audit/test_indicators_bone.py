"""Systemic bone treatment indicators (issue 24): hand-made cases written from the brief and the bone
plan's rules (BT-01, BT-03, DN-01, VD-01) before the code, at each boundary.

Cases: a woman born in 1955 (69 at a start in 2024, from the birth year only, as the bone plan
reads it), 62 kg, creatinine 106 µmol/L on the day of the start: Cockcroft-Gault by hand
(140 - 69) x 62 x 0.85 / (72 x 106 / 88.4) = 43.3 mL/min, band 40-49 → 3.3 mg (clinical-reference.md
§10.1, Z1-Z8 for the band edges)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bonemet.audit.definitions import default_definitions
from bonemet.audit.indicators import patient_indicators
from bonemet.audit.indicators_bone import (
    antiresorptive_within_days,
    bone_metastasis_diagnosis,
    clearance_at_start,
    dental_before_first_dose,
    vitamin_d_measured,
    zoledronic_acid_dose_within_band,
)
from bonemet.kb import default_kb
from bonemet.model.case import Case

D = dt.date
KB = default_kb()
PET = {"id": "pet", "date": "2024-03-01", "modality": "fdg_pet_ct", "purpose": "staging",
       "result": "positive", "lesions": [{"site": "pelvis"}, {"site": "ribs"}]}


def _case(exams: list[dict[str, Any]] | None = None, treatments: list[dict[str, Any]] | None = None,
          labs: list[dict[str, Any]] | None = None, plan_inputs: dict[str, Any] | None = None,
          known: bool | None = None, sex: str | None = "female", birth_year: int | None = 1955,
          diagnosis_date: str | None = "2024-02-20") -> Case:
    return Case.model_validate({
        "case_id": "t",
        "patient": {"sex": sex, "birth_year": birth_year},
        "cancer": {"primary_site": "lung", "diagnosis_date": diagnosis_date,
                   "bone_metastases_known": known},
        "context": {"phase": "follow_up"},
        "exams": exams if exams is not None else [PET],
        "treatments": treatments or [],
        "labs": labs or [],
        "plan_inputs": plan_inputs,
    })


def _agent(start: str | None, kind: str = "zoledronic_acid", dose: float | None = None,
           tid: str = "bone-agent", end: str | None = None) -> dict[str, Any]:
    return {"id": tid, "type": kind, "start": start, "end": end, "dose_mg": dose}


# --- the diagnosis of bone metastases ---------------------------------------------------------------

def test_diagnosis_is_the_first_exam_showing_bone_metastases() -> None:
    later = dict(PET, id="bs", date="2024-04-01", modality="bone_scan")
    found = bone_metastasis_diagnosis(_case(exams=[later, PET]))
    assert found is not None and (found.id, found.date) == ("pet", D(2024, 3, 1))


def test_known_without_exam_takes_the_recorded_diagnosis_date() -> None:
    found = bone_metastasis_diagnosis(_case(exams=[], known=True))
    assert found is not None and found.date == D(2024, 2, 20)


def test_known_without_any_date_is_established_but_undated() -> None:
    found = bone_metastasis_diagnosis(_case(exams=[], known=True, diagnosis_date=None))
    assert found is not None and found.date is None


def test_an_isolated_lesion_is_not_an_established_metastasis() -> None:
    single = dict(PET, lesions=[{"site": "pelvis"}])
    assert bone_metastasis_diagnosis(_case(exams=[single])) is None
    assert bone_metastasis_diagnosis(_case(exams=[single], known=True)) is not None


def test_a_negative_or_planned_exam_establishes_nothing() -> None:
    negative = dict(PET, result="negative", lesions=[])
    planned = {"id": "p", "date": "2024-03-01", "modality": "bone_scan", "status": "planned"}
    assert bone_metastasis_diagnosis(_case(exams=[negative, planned])) is None


# --- antiresorptive within N days -------------------------------------------------------------------

@pytest.mark.parametrize(("start", "num"), [
    ("2024-03-01", True),    # the day of the diagnosis
    ("2024-05-30", True),    # day 90 (1 March + 90 days): still within
    ("2024-05-31", False),   # day 91
    ("2024-01-10", True),    # started before the diagnosis and still running at it
])
def test_started_within_the_window(start: str, num: bool) -> None:
    v = antiresorptive_within_days(_case(treatments=[_agent(start, "denosumab")]), KB, 90)
    assert bool(v.denominator) and bool(v.numerator) is num
    assert v.index_date == D(2024, 3, 1)


def test_a_course_ended_before_the_diagnosis_does_not_count() -> None:
    v = antiresorptive_within_days(
        _case(treatments=[_agent("2023-01-10", "denosumab", end="2023-06-01")]), KB, 90)
    assert v.denominator and not v.numerator


def test_never_started_is_in_the_denominator_only() -> None:
    v = antiresorptive_within_days(_case(), KB, 90)
    assert v.denominator and not v.numerator and not v.set_aside


def test_short_life_expectancy_withholds_the_proposal() -> None:
    short = {"life_expectancy": "6_weeks_to_3_months", "life_expectancy_date": "2024-03-05"}
    assert not antiresorptive_within_days(_case(plan_inputs=short), KB, 90).denominator
    # estimated after the window closed: the proposal stood during the window
    late = dict(short, life_expectancy_date="2024-09-01")
    assert antiresorptive_within_days(_case(plan_inputs=late), KB, 90).denominator


def test_osteonecrosis_withholds_only_when_no_antiresorptive_was_given() -> None:
    onj = {"osteonecrosis_jaw": True}
    assert not antiresorptive_within_days(_case(plan_inputs=onj), KB, 90).denominator
    given = _case(plan_inputs=onj, treatments=[_agent("2024-03-20", "denosumab")])
    assert antiresorptive_within_days(given, KB, 90).numerator


def test_undated_course_or_diagnosis_is_set_aside_not_guessed() -> None:
    v = antiresorptive_within_days(_case(treatments=[_agent(None, "denosumab")]), KB, 90)
    assert not v.denominator and v.set_aside and "without a start date" in v.set_aside[0].reason
    v = antiresorptive_within_days(_case(exams=[], known=True, diagnosis_date=None), KB, 90)
    assert not v.denominator and "without a date" in v.set_aside[0].reason


def test_not_established_is_not_counted() -> None:
    v = antiresorptive_within_days(_case(exams=[]), KB, 90)
    assert not v.denominator and not v.set_aside


# --- dental evaluation before the first dose -----------------------------------------------------

@pytest.mark.parametrize(("status", "date", "num"), [
    ("cleared", "2024-03-15", True),
    ("care_needed", "2024-03-15", True),      # evaluated: care found is still an evaluation
    ("cleared", "2024-04-01", True),          # the day of the first dose
    ("cleared", "2024-04-02", False),         # the day after
    ("cleared", "2023-10-01", True),          # exactly 6 months before: next review due that day
    ("cleared", "2023-09-30", False),         # older than DN-01's review interval at the first dose
    ("cleared", "2019-05-01", False),         # before the whole history (before the cancer)
    ("not_assessed", "2024-03-15", False),    # a date that says no evaluation was made
    (None, "2024-03-15", True),               # a date without status: DN-01 reads the date
    ("cleared", None, False),
])
def test_dental_before_first_dose(status: str | None, date: str | None, num: bool) -> None:
    inputs = {"dental_status": status, "dental_date": date}
    first = _agent("2024-04-01", tid="z1")
    second = _agent("2024-05-01", "denosumab", tid="d2")
    v = dental_before_first_dose(_case(treatments=[second, first], plan_inputs=inputs), KB)
    assert bool(v.denominator) and bool(v.numerator) is num
    assert v.index_date == D(2024, 4, 1) and v.denominator[0].id == "z1"


def test_dental_without_antiresorptive_is_not_counted() -> None:
    assert not dental_before_first_dose(_case(), KB).denominator


def test_dental_with_an_undated_course_is_set_aside() -> None:
    v = dental_before_first_dose(_case(treatments=[_agent(None), _agent("2024-04-01", tid="b")]), KB)
    assert not v.denominator and "first dose" in v.set_aside[0].reason


# --- 25-OH vitamin D ------------------------------------------------------------------------------

def test_vitamin_d_measured_in_either_unit() -> None:
    lab = {"date": "2024-03-10", "analyte": "vitamin_d_25oh", "value": 40, "unit": "nmol/L"}
    v = vitamin_d_measured(_case(labs=[lab]))
    assert v.denominator and v.numerator and v.index_date == D(2024, 3, 1)
    assert not vitamin_d_measured(_case()).numerator
    assert not vitamin_d_measured(_case(exams=[], labs=[lab])).denominator  # no bone metastases


def test_vitamin_d_counts_patients_with_bone_metastases_without_an_antiresorptive() -> None:
    # The AURA box: screening is the chapter's first item for bone metastases, before and apart
    # from the antiresorptive (VD-01 proposes it for established bone metastases).
    assert vitamin_d_measured(_case(treatments=[])).denominator


# --- zoledronic acid dose and clearance -----------------------------------------------------------

CREAT = {"date": "2024-04-01", "analyte": "creatinine", "value": 106, "unit": "µmol/L"}


def test_clearance_at_start_is_the_bone_plans() -> None:
    case = _case(labs=[CREAT], plan_inputs={"weight_kg": 62}, treatments=[_agent("2024-04-01", dose=3.3)])
    cl = clearance_at_start(case, D(2024, 4, 1), KB)
    assert cl.value == 43.3 and cl.missing == ()


@pytest.mark.parametrize(("dose", "num"), [(3.3, True), (3.0, True), (3.5, False), (4.0, False)])
def test_dose_against_the_band(dose: float, num: bool) -> None:
    case = _case(labs=[CREAT], plan_inputs={"weight_kg": 62}, treatments=[_agent("2024-04-01", dose=dose)])
    v = zoledronic_acid_dose_within_band(case, KB)
    assert [x.id for x in v.denominator] == ["bone-agent"] and bool(v.numerator) is num


def test_below_30_no_dose_is_consistent() -> None:
    case = _case(labs=[dict(CREAT, value=250)], plan_inputs={"weight_kg": 62},
                 treatments=[_agent("2024-04-01", dose=3.0)])
    assert clearance_at_start(case, D(2024, 4, 1), KB).value == 18.4
    v = zoledronic_acid_dose_within_band(case, KB)
    assert v.denominator and not v.numerator


def test_creatinine_after_the_start_gives_no_clearance_and_is_reported() -> None:
    late = dict(CREAT, date="2024-04-02")
    case = _case(labs=[late], plan_inputs={"weight_kg": 62}, treatments=[_agent("2024-04-01", dose=4.0)])
    v = zoledronic_acid_dose_within_band(case, KB)
    assert not v.denominator and len(v.set_aside) == 1
    assert v.set_aside[0].record_id == "bone-agent" and "serum creatinine" in v.set_aside[0].reason


@pytest.mark.parametrize(("inputs", "sex", "birth", "missing"), [
    ({}, "female", 1955, "weight"),
    ({"weight_kg": 62}, "unknown", 1955, "sex"),
    ({"weight_kg": 62}, "female", None, "birth year"),
])
def test_each_missing_input_is_named(inputs: dict[str, Any], sex: str, birth: int | None,
                                     missing: str) -> None:
    case = _case(labs=[CREAT], plan_inputs=inputs, sex=sex, birth_year=birth,
                 treatments=[_agent("2024-04-01", dose=4.0)])
    v = zoledronic_acid_dose_within_band(case, KB)
    assert not v.denominator and missing in v.set_aside[0].reason


def test_an_impossible_computed_clearance_gives_no_dose_even_beside_an_entered_one() -> None:
    # 20 µmol/L (the lowest creatinine a lab result may hold) and 130 kg: over 250 mL/min, as BT-03
    case = _case(labs=[dict(CREAT, value=20)], sex="male",
                 plan_inputs={"weight_kg": 130, "creatinine_clearance_ml_min": 55},
                 treatments=[_agent("2024-04-01", dose=4.0)])
    cl = clearance_at_start(case, D(2024, 4, 1), KB)
    assert cl.value is None and "plausible" in cl.missing[0]
    v = zoledronic_acid_dose_within_band(case, KB)
    assert not v.denominator and "plausible" in v.set_aside[0].reason


def test_entered_clearance_and_the_lower_of_both() -> None:
    entered = _case(plan_inputs={"creatinine_clearance_ml_min": 55},
                    treatments=[_agent("2024-04-01", dose=3.5)])
    assert zoledronic_acid_dose_within_band(entered, KB).numerator
    both = _case(labs=[CREAT], plan_inputs={"creatinine_clearance_ml_min": 55, "weight_kg": 62},
                 treatments=[_agent("2024-04-01", dose=3.5)])
    assert clearance_at_start(both, D(2024, 4, 1), KB).value == 43.3  # the lower: 3.3 mg band
    assert not zoledronic_acid_dose_within_band(both, KB).numerator


def test_dose_not_recorded_or_denosumab_is_not_in_the_dose_indicator() -> None:
    case = _case(labs=[CREAT], plan_inputs={"weight_kg": 62},
                 treatments=[_agent("2024-04-01"), _agent("2024-05-01", "denosumab", 120, tid="d")])
    v = zoledronic_acid_dose_within_band(case, KB)
    assert not v.denominator and [s.record_id for s in v.set_aside] == ["bone-agent"]
    assert "no dose" in v.set_aside[0].reason


def test_one_course_above_its_band_takes_the_patient_out_of_the_numerator() -> None:
    labs = [CREAT, dict(CREAT, date="2024-09-01", value=70)]
    case = _case(labs=labs, plan_inputs={"weight_kg": 62}, treatments=[
        _agent("2024-04-01", dose=3.3, tid="a"), _agent("2024-09-01", dose=4.0, tid="b")])
    v = zoledronic_acid_dose_within_band(case, KB)  # 70 µmol/L → 65.6 mL/min → 4 mg: both fine
    assert len(v.denominator) == 2 and v.numerator
    labs[1] = dict(CREAT, date="2024-09-01", value=130)  # 35.3 mL/min → 3.0 mg band: 4 mg too high
    v = zoledronic_acid_dose_within_band(_case(labs=labs, plan_inputs={"weight_kg": 62}, treatments=[
        _agent("2024-04-01", dose=3.3, tid="a"), _agent("2024-09-01", dose=4.0, tid="b")]), KB)
    assert len(v.denominator) == 2 and not v.numerator


# --- through the registry -------------------------------------------------------------------------

def test_the_registry_gives_the_four_memberships_with_set_asides() -> None:
    case = _case(labs=[CREAT], plan_inputs={"weight_kg": 62, "dental_status": "cleared",
                                            "dental_date": "2024-03-20"},
                 treatments=[_agent("2024-04-01", dose=3.3)])
    verdict = patient_indicators(case, KB, default_definitions())
    for name in ("antiresorptive_within_days", "dental_before_first_dose",
                 "zoledronic_acid_dose_within_band"):
        m = verdict.member(name)
        assert m.denominator and m.numerator, name
    m = verdict.member("vitamin_d_measured")
    assert m.denominator and not m.numerator and m.index_date == D(2024, 3, 1)
    undated = _case(treatments=[_agent("2024-04-01")], plan_inputs={"weight_kg": 62})
    m = patient_indicators(undated, KB, default_definitions()).member("zoledronic_acid_dose_within_band")
    assert not m.denominator and m.set_aside
