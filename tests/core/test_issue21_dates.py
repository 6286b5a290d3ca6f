"""Issue 21, class 7: a fact dated after the decision date is refused, or stored as planned.

Cases written from the issue before reading the code that answers them. A scan typed seven weeks
after the decision date used to disappear in silence; a booked scan is legitimate and is kept as
planned, never read as done.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.api import InputError, assess, check_dates_not_future, load_case, parse_case, to_json
from bonemet.demo import demo_cases as case_paths
from bonemet.model.assessment import Action
from bonemet.model.case import ExamStatus, Modality
from factories import case_doc, exam, pet


def _problem_fields(doc: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InputError) as caught:
        parse_case(doc)
    return {p.field: p.message for p in caught.value.problems}


# --- refused: a done fact after the decision date ----------------------------------------------

FUTURE_FACTS: list[tuple[str, dict[str, Any], str]] = [
    ("exam", {"exams": [exam("bone_scan", "2025-07-20", purpose="follow_up", result="positive",
                             change_vs_previous="more_foci")]}, "exams[0].date"),
    ("treatment-start", {"treatments": [{"id": "t1", "type": "chemotherapy", "start": "2025-06-15"}]},
     "treatments[0].start"),
    ("lab", {"labs": [{"date": "2025-06-02", "analyte": "cea", "value": 4.0, "unit": "ng/mL"}]},
     "labs[0].date"),
    ("clinical-status", {"clinical_status": [{"date": "2025-08-01", "state": "stable"}]},
     "clinical_status[0].date"),
    ("outside-bone", {"response_outside_bone": [{"date": "2025-06-30", "modality": "ct",
                                                 "status": "stable"}]},
     "response_outside_bone[0].date"),
    ("diagnosis", {"cancer": {"primary_site": "lung", "diagnosis_date": "2025-09-01"}},
     "cancer.diagnosis_date"),
    ("biopsy", {"exams": [pet("2025-05-20", lesions=[{"site": "femur_proximal", "biopsy": {
        "date": "2025-06-10", "result": "metastasis"}}])]}, "exams[0].lesions[0].biopsy.date"),
]


@pytest.mark.parametrize(("extra", "field"), [(e, f) for _, e, f in FUTURE_FACTS],
                         ids=[i for i, _, _ in FUTURE_FACTS])
def test_a_done_fact_after_the_decision_date_is_refused_naming_its_field(
        extra: dict[str, Any], field: str) -> None:
    problems = _problem_fields(case_doc(phase="follow_up", **extra))  # as_of 2025-06-01
    assert field in problems, problems
    assert "2025-06-01" in problems[field] and "context.as_of" in problems[field]


def test_a_treatment_whose_planned_end_is_after_the_decision_date_is_accepted() -> None:
    # A course with a planned end date is still running at the decision date: legitimate.
    case = parse_case(case_doc(phase="on_treatment", treatments=[
        {"id": "t1", "type": "chemotherapy", "start": "2025-03-01", "end": "2025-09-01",
         "line_number": 1}]))
    assert case.treatments[0].end == dt.date(2025, 9, 1)


def test_the_same_day_as_the_decision_is_not_the_future() -> None:
    parse_case(case_doc(exams=[pet("2025-06-01")]))


# --- planned: a booked exam is kept, never read as done -----------------------------------------

def test_a_booked_exam_after_the_decision_date_is_kept_as_planned() -> None:
    case = parse_case(case_doc(exams=[exam("fdg_pet_ct", "2025-06-20", status="planned",
                                           purpose="staging")]))
    assert case.exams[0].status is ExamStatus.planned
    assert parse_case(case_doc(exams=[pet()])).exams[0].status is ExamStatus.done


@pytest.mark.parametrize(("fields", "field"), [
    ({"result": "positive"}, "exams[0].result"),
    ({"lesions": [{"site": "sacrum"}]}, "exams[0].lesions"),
    ({"change_vs_previous": "more_foci"}, "exams[0].change_vs_previous"),
    ({"hot_spot_count": 2}, "exams[0].hot_spot_count"),
], ids=["result", "lesions", "change", "count"])
def test_a_planned_exam_holds_no_finding(fields: dict[str, Any], field: str) -> None:
    problems = _problem_fields(case_doc(exams=[exam("bone_scan", "2025-06-20", status="planned",
                                                    **fields)]))
    assert any(f.startswith(field) for f in problems), problems


def test_a_planned_exam_does_not_move_a_defaulted_decision_date() -> None:
    doc = case_doc(exams=[pet("2025-05-20"), exam("mri", "2026-01-10", status="planned")])
    del doc["context"]["as_of"]
    assert assess(parse_case(doc)).as_of == dt.date(2025, 5, 20)


def test_a_booked_pet_is_not_already_done() -> None:
    # Staging with a PET only booked: the PET is still the exam to do (not "already done").
    booked = case_doc(exams=[exam("fdg_pet_ct", "2025-05-25", status="planned", purpose="staging")])
    nothing = case_doc()
    a = assess(parse_case(booked))
    assert [r.action for r in a.recommendations].count(Action.booked) == 1  # shown, not read
    rest = a.model_copy(update={"recommendations": tuple(
        r for r in a.recommendations if r.action is not Action.booked)})
    assert to_json(rest) == to_json(assess(parse_case(nothing)))


# --- property: a planned exam never changes a reading -------------------------------------------

DEMO_DOCS = [load_case(p).model_dump(mode="json") for p in case_paths()]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(DEMO_DOCS), modality=st.sampled_from(list(Modality)),
       offset=st.integers(-400, 400), purpose=st.sampled_from([None, "staging", "follow_up",
                                                              "characterisation"]),
       target=st.sampled_from([None, "thoracic_spine", "femur_proximal"]))
def test_a_planned_exam_never_changes_the_assessment(base: dict[str, Any], modality: Modality,
                                                     offset: int, purpose: str | None,
                                                     target: str | None) -> None:
    before = assess(parse_case(base))
    anchor = before.as_of or dt.date(2025, 1, 1)
    planned = {"id": "zz-planned", "date": (anchor + dt.timedelta(days=offset)).isoformat(),
               "modality": modality.value, "status": "planned", "purpose": purpose,
               "target_site": target}
    # Appended last, so that the paths exams[i] of the other exams do not move.
    after = assess(parse_case({**base, "exams": [*base.get("exams", []), planned]}))
    # The booking is shown (one ADV-01 `booked` line, review of issue 21 M1) and nothing else moves.
    booked = [r for r in after.recommendations if r.action is Action.booked]
    if after.scope.in_scope:
        assert [r.subject for r in booked] == ["zz-planned"]
    rest = after.model_copy(update={"recommendations": tuple(
        r for r in after.recommendations if r.action is not Action.booked)})
    assert to_json(rest) == to_json(before)


# --- the adapters' clock: a date in the real future -----------------------------------------------

TODAY = dt.date(2026, 12, 7)


def test_without_a_decision_date_a_typo_in_the_future_is_refused_naming_the_field() -> None:
    doc = case_doc(phase="follow_up", exams=[exam("bone_scan", "2025-05-01", result="negative"),
                                             exam("bone_scan", "2027-05-03", result="positive")])
    del doc["context"]["as_of"]
    with pytest.raises(InputError) as caught:
        check_dates_not_future(parse_case(doc), TODAY)
    fields = {p.field: p.message for p in caught.value.problems}
    assert "exams[1].date" in fields and "2026-12-07" in fields["exams[1].date"]


def test_a_decision_date_in_the_real_future_is_refused() -> None:
    doc = case_doc(context={"as_of": "2027-02-01"})
    with pytest.raises(InputError) as caught:
        check_dates_not_future(parse_case(doc), TODAY)
    assert [p.field for p in caught.value.problems] == ["context.as_of"]


def test_a_booked_exam_in_the_real_future_is_accepted_by_the_clock_check() -> None:
    doc = case_doc(context={"as_of": "2026-12-01"},
                   exams=[exam("mri", "2027-01-15", status="planned")])
    case = parse_case(doc)
    assert check_dates_not_future(case, TODAY) is case


def test_every_demo_case_passes_the_clock_check() -> None:
    for path in case_paths():
        check_dates_not_future(load_case(path), TODAY)


def test_the_command_line_refuses_a_future_fact_with_exit_2(tmp_path: Any) -> None:
    import subprocess
    import sys

    import yaml

    doc = case_doc(phase="follow_up", exams=[exam("bone_scan", "2025-07-20", result="positive")])
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "bonemet", "assess", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 2
    assert "exams[0].date" in run.stderr and "Traceback" not in run.stderr
    typo = case_doc(exams=[exam("bone_scan", (dt.date.today() + dt.timedelta(days=500)).isoformat(),
                                result="positive")])
    del typo["context"]["as_of"]
    path.write_text(yaml.safe_dump(typo), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "bonemet", "assess", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 2 and "after today" in run.stderr


def test_the_published_case_schema_holds_the_status_and_the_biopsy() -> None:
    import jsonschema

    from bonemet.model.schema import json_schema

    schema = json_schema("case")
    defs = schema["$defs"]
    assert defs["ExamStatus"]["enum"] == ["done", "planned"]
    assert set(defs["BiopsyResult"]["enum"]) == {"metastasis", "paget", "fracture", "other_benign",
                                                 "non_diagnostic"}
    assert {"mesothelioma", "metastasis_from_other_primary"} <= set(defs["Histology"]["enum"])
    doc = case_doc(exams=[exam("mri", "2025-06-20", status="planned"),
                          pet("2025-05-10", lesions=[{"site": "sacrum", "biopsy": {
                              "date": "2025-05-20", "result": "fracture"}}])])
    jsonschema.Draft202012Validator(schema).validate(doc)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(
            {**doc, "exams": [{**doc["exams"][0], "status": "booked"}]})
