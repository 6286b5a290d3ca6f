"""SAFE-01 and contradictions read from every section of the case (issue 21, classes 1-2).

The cases were written from the NICE pathway (guideline-notes §7.4) and the score definitions
before the code that answers them: a neurological deficit recorded as a Frankel or ASIA grade or a
Tokuhashi palsy, or a high-grade Bilsky grade on imaging, must raise the same alert as the
context's checkbox; a reassuring field beside an alarming one is a contradiction, shown first.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.kb import default_kb
from bonemet.model import RatedModality, Rating
from bonemet.model.assessment import Action, Assessment
from bonemet.report.headline import HeadlineKind, build_headline
from bonemet.report.quick_check import check_request, minimal_case
from factories import assess_doc, case_doc, exam

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SPINE_PAIN = {"new_bone_pain": True, "pain_sites": ["thoracic_spine"]}


def _with_deficit(doc: dict[str, Any], source: str) -> dict[str, Any]:
    """The same fact, a neurological deficit, recorded in one of the sections that can hold it."""
    doc = copy.deepcopy(doc)
    if source == "context":
        doc["context"]["neurological_deficit"] = True
    elif source == "frankel":
        doc["score_inputs"] = {"frankel": "C"}
    elif source == "asia":
        doc["score_inputs"] = {"asia": "B"}
    elif source == "palsy_incomplete":
        doc["score_inputs"] = {"tokuhashi": {"palsy": "incomplete"}}
    elif source == "palsy_complete":
        doc["score_inputs"] = {"tokuhashi": {"palsy": "complete"}}
    else:  # pragma: no cover
        raise ValueError(source)
    return doc


DEFICIT_SOURCES = ("context", "frankel", "asia", "palsy_incomplete", "palsy_complete")


def _urgent(a: Assessment) -> list[str]:
    return [r.rule_id for r in a.recommendations
            if r.priority == "urgent" and r.action is Action.urgent_alert]


def _signature(a: Assessment) -> tuple[object, ...]:
    hl = build_headline(a, default_kb())
    return (tuple(_urgent(a)), tuple((r.modality, r.rating, r.rule_id) for r in a.ratings),
            hl.kind, hl.do_now.modality if hl.do_now else None,
            hl.do_now.priority if hl.do_now else None)


@pytest.mark.parametrize("phase", ["staging", "follow_up", "on_treatment"])
@pytest.mark.parametrize("source", DEFICIT_SOURCES)
def test_a_deficit_in_any_section_raises_safe01(source: str, phase: str) -> None:
    a = assess_doc(_with_deficit(case_doc(phase, context=SPINE_PAIN), source))
    assert _urgent(a) == ["SAFE-01"]
    assert a.rating_of("targeted_mri").rating is Rating.usually_appropriate
    assert a.rating_of("targeted_mri").priority == "urgent"
    # The routine exams do not compete with the urgent MRI (HZ-UI-08).
    assert a.rating_of("bone_scan").rating is Rating.usually_not_appropriate
    hl = build_headline(a, default_kb())
    assert hl.do_now is not None and hl.do_now.priority == "urgent"
    assert hl.do_now.label is not None and "whole spine" in hl.do_now.label.en


@pytest.mark.parametrize("source", DEFICIT_SOURCES)
def test_same_fact_same_answer_whatever_the_section(source: str) -> None:
    base = case_doc("follow_up", context=SPINE_PAIN)
    assert _signature(assess_doc(_with_deficit(base, source))) == \
        _signature(assess_doc(_with_deficit(base, "context")))


@pytest.mark.parametrize("grade", ["A", "B", "C", "D"])
def test_cord_grades_alert_even_without_recorded_pain(grade: str) -> None:
    a = assess_doc(case_doc("follow_up", score_inputs={"frankel": grade}))
    assert _urgent(a) == ["SAFE-01"]
    text = next(r.text for r in a.recommendations if r.action is Action.urgent_alert)
    assert f"Frankel grade {grade}" in text.en and f"grade de Frankel {grade}" in text.fr


@pytest.mark.parametrize("inputs", [{"frankel": "E"}, {"asia": "E"},
                                    {"tokuhashi": {"palsy": "none"}}])
def test_normal_cord_grades_do_not_alert_without_pain(inputs: dict[str, Any]) -> None:
    a = assess_doc(case_doc("follow_up", context={"new_bone_pain": False}, score_inputs=inputs))
    assert _urgent(a) == []


def test_context_deficit_with_pain_not_recorded_alerts() -> None:
    # Pain not recorded is not "no pain": the deficit alone is the emergency's sign.
    a = assess_doc(case_doc("follow_up", context={"neurological_deficit": True}))
    assert _urgent(a) == ["SAFE-01"]


def test_context_deficit_with_pain_elsewhere_only_does_not_alert() -> None:
    a = assess_doc(case_doc("follow_up", context={"neurological_deficit": True,
                                                  "new_bone_pain": True,
                                                  "pain_sites": ["femur_shaft"]}))
    assert _urgent(a) == []


@pytest.mark.parametrize("pain", [["cervical_spine"], ["lumbar_spine"], ["sacrum"], []])
def test_spinal_or_unlocated_pain_with_deficit_alerts(pain: list[str]) -> None:
    a = assess_doc(case_doc("follow_up", context={"new_bone_pain": True, "pain_sites": pain,
                                                  "neurological_deficit": True}))
    assert _urgent(a) == ["SAFE-01"]


def test_sins_lesion_pain_counts_as_spinal_pain() -> None:
    mri = exam("mri", "2025-05-20", result="positive", lesions=[
        {"site": "thoracic_spine", "level": "T9", "sins": {"pain": "mechanical"}}])
    a = assess_doc(case_doc("follow_up", context={"neurological_deficit": True,
                                                  "new_bone_pain": False},
                            exams=[mri]))
    assert _urgent(a) == ["SAFE-01"]


@pytest.mark.parametrize("grade", ["2", "3"])
def test_high_grade_bilsky_on_mri_alerts_without_any_symptom(grade: str) -> None:
    mri = exam("mri", "2025-05-20", result="positive", lesions=[
        {"site": "thoracic_spine", "level": "T8", "bilsky": grade}])
    a = assess_doc(case_doc("follow_up", context={"new_bone_pain": False,
                                                  "neurological_deficit": False}, exams=[mri]))
    assert _urgent(a) == ["SAFE-01"]
    rec = next(r for r in a.recommendations if r.action is Action.urgent_alert)
    assert f"Bilsky grade {grade}" in rec.text.en and "T8" in rec.text.en
    assert "2025-05-20" in rec.text.en and "20/05/2025" in rec.text.fr
    assert any(f.path == "exams[0].lesions[0].bilsky" for f in rec.facts)


@pytest.mark.parametrize("grade", ["0", "1a", "1b", "1c"])
def test_low_grade_bilsky_does_not_alert(grade: str) -> None:
    mri = exam("mri", "2025-05-20", result="positive", lesions=[
        {"site": "thoracic_spine", "level": "T8", "bilsky": grade}])
    a = assess_doc(case_doc("follow_up", context={"new_bone_pain": False,
                                                  "neurological_deficit": False}, exams=[mri]))
    assert _urgent(a) == []


def test_later_lower_grade_of_the_same_level_supersedes() -> None:
    before = exam("mri", "2025-03-01", result="positive", lesions=[
        {"site": "thoracic_spine", "level": "T8", "bilsky": "3"}])
    after = exam("mri", "2025-05-20", result="positive", lesions=[
        {"site": "thoracic_spine", "level": "t8", "bilsky": "1a"}])
    a = assess_doc(case_doc("follow_up", context={"new_bone_pain": False,
                                                  "neurological_deficit": False},
                            exams=[after, before]))
    assert _urgent(a) == []
    # ... but a grade at another level still stands.
    other = exam("mri", "2025-05-21", result="positive", lesions=[
        {"site": "lumbar_spine", "level": "L2", "bilsky": "2"}])
    a = assess_doc(case_doc("follow_up", context={"new_bone_pain": False},
                            exams=[after, before, other]))
    assert _urgent(a) == ["SAFE-01"]


def test_bilsky_after_the_decision_date_is_refused_naming_the_field() -> None:
    from bonemet.api import InputError

    mri = exam("mri", "2025-07-01", result="positive", lesions=[
        {"site": "thoracic_spine", "level": "T8", "bilsky": "3"}])
    doc = case_doc("follow_up", context={"new_bone_pain": False}, exams=[mri])
    assert doc["context"]["as_of"] == "2025-06-01"
    with pytest.raises(InputError) as err:
        assess_doc(doc)
    assert any("exams" in (p.field or "") and "date" in (p.field or "")
               for p in err.value.problems)


def test_a_planned_mri_holds_no_compression() -> None:
    booked = {**exam("mri", "2025-06-20"), "status": "planned", "target_site": "thoracic_spine"}
    doc = case_doc("follow_up", context={"new_bone_pain": False, "neurological_deficit": False},
                   exams=[booked])
    assert _urgent(assess_doc(doc)) == []


def test_no_cancer_no_alert_from_any_source() -> None:
    doc = case_doc("follow_up", context=SPINE_PAIN, score_inputs={"asia": "A"})
    doc["cancer"] = {"diagnosis": "none"}
    assert _urgent(assess_doc(doc)) == []


def test_outside_the_lung_scope_the_alert_still_fires_from_a_grade() -> None:
    doc = case_doc("follow_up", context=SPINE_PAIN, score_inputs={"asia": "C"})
    doc["cancer"] = {"primary_site": "breast"}
    a = assess_doc(doc)
    assert not a.scope.in_scope and _urgent(a) == ["SAFE-01"]


# ---- contradictions ----------------------------------------------------------------------------

@pytest.mark.parametrize("alarming", [{"asia": "B"}, {"frankel": "D"},
                                      {"tokuhashi": {"palsy": "complete"}}])
def test_contradiction_is_shown_first_and_the_safe_reading_wins(alarming: dict[str, Any]) -> None:
    doc = case_doc("follow_up", context={**SPINE_PAIN, "neurological_deficit": False},
                   score_inputs=alarming)
    a = assess_doc(doc)
    assert _urgent(a) == ["SAFE-01"]
    first = a.recommendations[0]
    assert first.action is Action.contradiction and first.priority == "urgent"
    paths = {f.path for f in first.facts}
    assert "context.neurological_deficit" in paths and len(paths) == 2
    assert "no neurological deficit" in first.text.en
    assert "pas de déficit neurologique" in first.text.fr
    hl = build_headline(a, default_kb())
    assert hl.alerts[0].contradiction and not hl.alerts[1].contradiction
    assert hl.alerts[0].title.en == "Contradiction between sections of the record"


def test_reassuring_grade_against_context_deficit_is_a_contradiction_too() -> None:
    doc = case_doc("follow_up", context={**SPINE_PAIN, "neurological_deficit": True},
                   score_inputs={"frankel": "E"})
    a = assess_doc(doc)
    assert _urgent(a) == ["SAFE-01"]
    assert a.recommendations[0].action is Action.contradiction
    assert "Frankel grade E" in a.recommendations[0].text.en


def test_pain_sites_with_no_new_pain_is_a_contradiction_and_pain_counts() -> None:
    doc = case_doc("follow_up", context={"new_bone_pain": False, "pain_sites": ["femur_shaft"]})
    a = assess_doc(doc)
    rec = next(r for r in a.recommendations if r.action is Action.contradiction)
    assert rec.rule_id == "NM-15" and "femoral" in rec.text.en
    # The pain is read as present: the new-pain question is asked and the painful site imaged.
    assert "new_bone_pain" in a.questions
    assert a.rating_of("targeted_mri").rating is Rating.usually_appropriate


def test_no_raw_codes_in_contradiction_sentences() -> None:
    doc = case_doc("follow_up", context={**SPINE_PAIN, "neurological_deficit": False},
                   score_inputs={"tokuhashi": {"palsy": "incomplete"}})
    rec = assess_doc(doc).recommendations[0]
    assert "incomplete palsy" in rec.text.en and "paralysie incomplète" in rec.text.fr
    assert "score_inputs" not in rec.text.en + rec.text.fr
    assert "_" not in rec.text.fr


# ---- quick check and properties ---------------------------------------------------------------

def test_quick_check_of_a_bone_scan_with_a_high_grade_compression() -> None:
    doc = minimal_case(phase="follow_up", question=None, primary_site="lung",
                       histology="adenocarcinoma", as_of="2025-06-01",
                       exams=[exam("mri", "2025-05-30", result="positive", lesions=[
                           {"site": "cervical_spine", "level": "C6", "bilsky": "3"}])])
    a = assess_doc(doc)
    check = check_request(a, RatedModality.bone_scan, default_kb())
    assert check.rating is Rating.usually_not_appropriate
    assert check.alternative is not None
    assert check.alternative.modality is RatedModality.targeted_mri


SOURCES = st.sampled_from(DEFICIT_SOURCES)
REASSURING = st.sampled_from([("context", "neurological_deficit", False),
                              ("score_inputs", "frankel", "E"),
                              ("score_inputs", "asia", "E")])


@st.composite
def spine_cases(draw: st.DrawFn) -> dict[str, Any]:
    phase = draw(st.sampled_from(["staging", "follow_up", "on_treatment"]))
    pain = draw(st.sampled_from([["thoracic_spine"], ["cervical_spine", "ribs"], []]))
    context: dict[str, Any] = {"new_bone_pain": True, "pain_sites": pain}
    if draw(st.booleans()):
        context["question"] = draw(st.sampled_from(["staging", "follow_up", "new_bone_pain"]))
    exams = []
    if draw(st.booleans()):
        exams.append(exam("bone_scan", "2025-04-01",
                          result=draw(st.sampled_from(["positive", "negative", "equivocal"]))))
    if draw(st.booleans()):
        exams.append(exam("fdg_pet_ct", "2025-04-15", purpose="staging", result="positive",
                          pet_coverage="skull_base_to_knees"))
    return case_doc(phase, context=context, exams=exams)


@SETTINGS
@given(spine_cases(), SOURCES)
def test_property_same_fact_any_section_same_answer(doc: dict[str, Any], source: str) -> None:
    assert _signature(assess_doc(_with_deficit(doc, source))) == \
        _signature(assess_doc(_with_deficit(doc, "context")))


@SETTINGS
@given(spine_cases(), SOURCES, REASSURING)
def test_property_a_reassuring_field_never_removes_the_alert(
        doc: dict[str, Any], source: str, reassuring: tuple[str, str, object]) -> None:
    alarming = _with_deficit(doc, source)
    assert _urgent(assess_doc(alarming)) == ["SAFE-01"]
    section, key, value = reassuring
    more = copy.deepcopy(alarming)
    block = more.setdefault(section, {})
    if key in block or (section == "context" and "neurological_deficit" in block):
        return  # the same field cannot say both; other sections are the contradiction
    block[key] = value
    a = assess_doc(more)
    assert _urgent(a) == ["SAFE-01"]
    assert build_headline(a, default_kb()).kind is HeadlineKind.exam
    if source != "context" or section != "context":
        assert a.recommendations[0].action is Action.contradiction


@pytest.mark.parametrize("context", [{"new_bone_pain": False},
                                     {"new_bone_pain": True, "pain_sites": ["femur_shaft"]}])
def test_cord_grade_alerts_whatever_the_pain(context: dict[str, Any]) -> None:
    # Frankel/ASIA grade the spinal cord itself: a grade A-D is a cord deficit, pain or not.
    a = assess_doc(case_doc("follow_up", context=context, score_inputs={"asia": "D"}))
    assert _urgent(a) == ["SAFE-01"]
    text = next(r.text for r in a.recommendations if r.action is Action.urgent_alert)
    assert "ASIA grade D" in text.en


def test_nm04_reads_the_pain_from_every_section() -> None:
    # "No new pain" beside recorded pain sites: the pain counts for the routine-scan rule too.
    doc = case_doc("follow_up", context={"new_bone_pain": False, "pain_sites": ["ribs"]})
    a = assess_doc(doc)
    nm04 = [r for r in a.recommendations if r.rule_id == "NM-04"]
    assert nm04 and all(r.action is not Action.not_indicated for r in nm04)


def test_compression_on_imaging_without_deficit_does_not_prompt_steroids() -> None:
    # Review of issue 21 (M2): dexamethasone is for neurological signs (NG234 §1.8); the title
    # does not claim pain or signs the patient does not have.
    mri = exam("mri", "2025-05-20", result="positive", lesions=[
        {"site": "thoracic_spine", "level": "T8", "bilsky": "3"}])
    a = assess_doc(case_doc("follow_up", context={"new_bone_pain": False,
                                                  "neurological_deficit": False}, exams=[mri]))
    management = next(r for r in a.recommendations if r.subject == "management")
    assert "not routine" in management.text.en and "pas systématique" in management.text.fr
    assert "16 mg" not in management.text.en
    assert "seen on imaging" in management.title.en
    radiograph = a.rating_of("radiograph")
    assert radiograph.rating is Rating.usually_not_appropriate
    assert "neither show nor exclude" in radiograph.reason.en
    with_deficit = assess_doc(case_doc("follow_up", context=SPINE_PAIN, score_inputs={"asia": "C"},
                                       exams=[mri]))
    management = next(r for r in with_deficit.recommendations if r.subject == "management")
    assert "16 mg" in management.text.en


def test_a_booked_exam_is_shown_and_not_read_as_done() -> None:
    # Review of issue 21 (M1): a booked bone scan is listed (never silent) and never read as done.
    booked = {**exam("bone_scan", "2025-06-20"), "status": "planned"}
    a = assess_doc(case_doc("follow_up", context={"new_bone_pain": True,
                                                  "pain_sites": ["ribs"]}, exams=[booked]))
    rec = next(r for r in a.recommendations if r.action is Action.booked)
    assert rec.subject == booked["id"] and rec.text.en.startswith("Booked, not done")
    assert "20/06/2025" in rec.text.fr
    assert all(r.action is not Action.already_done for r in a.recommendations)
    hl = build_headline(a, default_kb())
    assert any(n.action is Action.booked for n in hl.notes)
