"""Indicators: hand-made cases at the boundaries, and agreement with `assess()` run at each exam's date."""

from __future__ import annotations

import datetime as dt

import pytest

from bonemet.api import assess
from bonemet.audit.definitions import default_definitions
from bonemet.audit.indicators import (
    early_control_scan,
    isolated_lesion_without_targeted_imaging,
    patient_indicators,
    pet_femurs_not_covered,
    routine_follow_up_scan,
)
from bonemet.audit.synth import build_patient
from bonemet.kb import default_kb
from bonemet.model.assessment import Action
from bonemet.model.case import (
    Case,
    ClinicalContext,
    ImagingExam,
    Indication,
    Modality,
    Phase,
    PrimarySite,
    Question,
    Treatment,
)

D = dt.date


def _case(*exams: ImagingExam, treatments: tuple[Treatment, ...] = (), primary: str = "lung") -> Case:
    return Case.model_validate(
        {
            "case_id": "t",
            "cancer": {"primary_site": primary},
            "context": {"phase": "follow_up"},
            "exams": exams,
            "treatments": treatments,
        }
    )


LINE = Treatment(id="l1", type="chemotherapy", start=D(2024, 1, 31))


@pytest.mark.parametrize(
    ("day", "early"),
    [
        (D(2024, 7, 30), True),  # the day before the anniversary (31 Jan + 6 months → 31 Jul)
        (D(2024, 7, 31), True),  # on the anniversary: still early ("after" month 6, issue 11)
        (D(2024, 8, 1), False),  # the day after: month 6 passed
        (D(2024, 3, 1), True),
    ],
)
def test_early_control_scan_counts_calendar_months(day: dt.date, early: bool) -> None:
    scan = ImagingExam(id="s", date=day, modality="bone_scan", purpose="response_assessment")
    den, num = early_control_scan(_case(scan, treatments=(LINE,)), 6)
    assert [e.id for e in den] == ["s"] and bool(num) is early


def test_control_scan_without_a_current_line_is_not_counted() -> None:
    scan = ImagingExam(id="s", date=D(2023, 6, 1), modality="bone_scan", purpose="response_assessment")
    assert early_control_scan(_case(scan, treatments=(LINE,)), 6) == ([], [])


@pytest.mark.parametrize(
    ("indication", "den", "num"),
    [
        (Indication.routine, True, True),
        (Indication.new_bone_pain, True, False),
        (Indication.specific_question, True, False),
        (None, False, False),
    ],
)
def test_routine_follow_up(indication: Indication | None, den: bool, num: bool) -> None:
    scan = ImagingExam(
        id="s", date=D(2024, 1, 1), modality="bone_scan", purpose="follow_up", indication=indication
    )
    d, n = routine_follow_up_scan(_case(scan))
    assert (bool(d), bool(n)) == (den, num)


@pytest.mark.parametrize(
    ("coverage", "femurs", "den", "num"),
    [
        ("skull_base_to_mid_thigh", None, True, True),
        ("vertex_to_feet", None, True, False),
        ("skull_base_to_mid_thigh", True, True, False),
        (None, None, False, False),
    ],
)
def test_pet_coverage(coverage: str | None, femurs: bool | None, den: bool, num: bool) -> None:
    pet = ImagingExam(
        id="p",
        date=D(2024, 1, 1),
        modality="fdg_pet_ct",
        purpose="staging",
        result="negative",
        pet_coverage=coverage,
        femurs_included=femurs,
    )
    d, n = pet_femurs_not_covered(_case(pet))
    assert (bool(d), bool(n)) == (den, num)


def test_isolated_lesion_needs_imaging_of_its_site() -> None:
    pet = ImagingExam(
        id="p", date=D(2024, 1, 1), modality="fdg_pet_ct", result="positive", lesions=({"site": "pelvis"},)
    )
    other = ImagingExam(id="m", date=D(2024, 1, 9), modality="mri", target_site="humerus")
    same = ImagingExam(id="m2", date=D(2024, 1, 9), modality="ct", target_site="pelvis")
    assert isolated_lesion_without_targeted_imaging(_case(pet, other))[1]
    assert not isolated_lesion_without_targeted_imaging(_case(pet, same))[1]


def test_other_primaries_are_out_of_scope() -> None:
    scan = ImagingExam(
        id="s", date=D(2024, 1, 1), modality="bone_scan", purpose="follow_up", indication=Indication.routine
    )
    result = patient_indicators(_case(scan, primary="breast"), default_kb(), default_definitions())
    assert not result.in_scope and result.memberships == ()


_WHOLE_BODY = frozenset({Modality.bone_scan, Modality.fdg_pet_ct, Modality.naf_pet_ct, Modality.wb_mri})


def _at(case: Case, day: dt.date, phase: Phase, **context: object) -> Case:
    """The case as it stood on `day`: what a clinician asking bonemet that day would have entered."""
    return case.model_copy(
        update={
            "exams": tuple(e for e in case.exams if e.date <= day),
            "treatments": tuple(t for t in case.treatments if t.start is None or t.start <= day),
            "context": ClinicalContext(phase=phase, as_of=day, **context),  # type: ignore[arg-type]
        }
    )


def _actions(case: Case, rule_id: str, subject: str | None = None) -> set[Action]:
    return {
        r.action
        for r in assess(case).recommendations
        if r.rule_id == rule_id and (subject is None or r.subject == subject)
    }


def test_indicators_agree_with_assess_at_each_exam_date() -> None:
    """One source of truth: each numerator/denominator exam gets the same verdict from the rule engine
    asked on that exam's date (NM-01, NM-03, NM-04, NM-05, NM-09) on generated patients."""
    kb, defs = default_kb(), default_definitions()
    checked: dict[str, int] = {}
    for index in range(1, 400):
        case = build_patient(31, index)[0]
        if case.cancer.primary_site is not PrimarySite.lung:
            continue
        verdict = patient_indicators(case, kb, defs)
        exams = {e.id: e for e in case.exams}
        nm01 = verdict.member("bone_scan_after_pet")
        if nm01.numerator:
            for scan_id in nm01.exam_ids:
                day = exams[scan_id].date
                assert Action.note in _actions(_at(case, day, Phase.staging), "NM-01", scan_id)
                checked["NM-01"] = checked.get("NM-01", 0) + 1
        for pet in pet_femurs_not_covered(case)[0]:
            actions = _actions(_at(case, pet.date, Phase.staging), "NM-03", pet.id)
            # Issue 17: a done PET with a cut sweep gets targeted imaging of the femurs.
            assert (Action.targeted_imaging in actions) is (pet.covers_femurs is False)
            checked["NM-03"] = checked.get("NM-03", 0) + 1
        for scan in routine_follow_up_scan(case)[0]:
            pain = scan.indication is Indication.new_bone_pain
            # A question is specific when its words name what the scan answers (review 25 F2):
            # "specific question" itself names nothing, a lesion seen on CT does.
            text = ("is the rib lesion seen on CT a metastasis?"
                    if scan.indication is Indication.specific_question else None)
            actions = _actions(
                _at(
                    case,
                    scan.date,
                    Phase.follow_up,
                    new_bone_pain=pain,
                    question_text=text,
                    question=Question.follow_up,
                ),
                "NM-04",
            )
            assert (Action.not_indicated in actions) is (scan.indication is Indication.routine)
            checked["NM-04"] = checked.get("NM-04", 0) + 1
        den, num = early_control_scan(case, 6)
        for scan in den:
            actions = _actions(
                # NM-05 dates a scan that has an indication (issue 17): ask with a specific question.
                _at(case, scan.date, Phase.on_treatment, question=Question.response_assessment,
                    question_text="response of the bone lesions?"),
                "NM-05",
                "bone_scan",
            )  # NM-05's own advice, not a flare reading's
            assert (Action.schedule_after in actions) is (scan in num)
            checked["NM-05"] = checked.get("NM-05", 0) + 1
        iso_den, iso_num = isolated_lesion_without_targeted_imaging(case)
        if len(iso_den) == 1 and not case.cancer.bone_metastases_known:
            # NM-09 reads the latest whole-body exam (issue 17): judge it on the last day before
            # the next survey, when the isolated lesion was still the latest reading.
            iso = iso_den[0]
            later = [e.date for e in case.exams if e.modality in _WHOLE_BODY and e.date > iso.date]
            days = [e.date for e in case.exams if not later or e.date < min(later)]
            actions = _actions(_at(case, max(days), case.context.phase), "NM-09", iso.id)
            assert (Action.targeted_imaging in actions) is bool(iso_num)
            checked["NM-09"] = checked.get("NM-09", 0) + 1
    assert set(checked) == {"NM-01", "NM-03", "NM-04", "NM-05", "NM-09"} and min(checked.values()) >= 5, (
        checked
    )
