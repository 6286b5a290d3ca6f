"""Table-driven tests of each imaging rule: fires / does not fire, with boundary cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace as _replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.api import parse_case
from bonemet.core.advisor import assess as core_assess
from bonemet.kb import default_kb
from bonemet.kb.loader import KnowledgeBase
from bonemet.model import Action, RatedModality, Rating
from bonemet.model.case import Question, SkeletalSite, TreatmentType
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


# --- Issue 21, class 3: "already done" only within its window; a treatment reopens staging ------




KB = default_kb()
AS_OF = dt.date(2025, 6, 1)
_ADV01 = KB.rule("ADV-01").params
STAGING_WINDOW = int(_ADV01["validity_days"]["staging"])  # type: ignore[index]
REOPENING = frozenset(_ADV01["reopened_by_treatment"]["treatment_types"])  # type: ignore[index]
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _staging_case(pet_age: int, treatments: list[dict[str, Any]] | None = None,
                  **pet_fields: Any) -> dict[str, Any]:
    pet_day = (AS_OF - dt.timedelta(days=pet_age)).isoformat()
    return case_doc(context={"as_of": AS_OF.isoformat()}, availability={"naf_pet": True},
                    exams=[pet(date=pet_day, **{"pet_coverage": "vertex_to_feet", **pet_fields})],
                    treatments=treatments or [])


def _counts_as_done(a: Any) -> bool:
    """The staging PET suppresses the ratings that a done PET suppresses, and only those."""
    pet_done = (a.rating_of(PET).rule_id == "ADV-01"
                and a.rating_of(PET).rating is Rating.usually_not_appropriate)
    nm01 = a.rating_of(BS).rule_id == "NM-01"
    naf_not_after = any(r.rule_id == "NM-13" and r.action is Action.not_indicated
                        for r in a.recommendations)
    nm02 = "NM-02" in {r.rule_id for r in a.recommendations if r.action is Action.prefer}
    # One reading for every rule: the PET is done for all of them, or for none.
    assert pet_done == nm01 == naf_not_after == (not nm02), (pet_done, nm01, naf_not_after, nm02)
    return pet_done


@PROPS
@given(st.integers(0, 400), st.sampled_from(["positive", "negative", None]))
def test_a_staging_pet_counts_as_done_only_within_its_window(age: int, result: str | None) -> None:
    """An exam older than its window never suppresses a rating (NM-01, NM-02, NM-13, ADV-01)."""
    a = assess_doc(_staging_case(age, result=result))
    assert _counts_as_done(a) is (age <= STAGING_WINDOW)


@PROPS
@given(st.data(), st.sampled_from(sorted(REOPENING)))
def test_a_treatment_started_after_the_pet_always_reopens_staging(
        data: st.DataObject, kind: str) -> None:
    """Restaging after a treatment is a new question: a PET done before any treatment of the
    cancer that started after it (and by the decision date) no longer counts as done."""
    age = data.draw(st.integers(1, STAGING_WINDOW), label="PET age")
    after = data.draw(st.integers(1, age), label="treatment start, days after the PET")
    start = (AS_OF - dt.timedelta(days=age - after)).isoformat()
    a = assess_doc(_staging_case(age, [{"id": "t", "type": kind, "start": start}]))
    assert not _counts_as_done(a)
    assert a.rating_of(PET).rating is Rating.usually_appropriate
    note = [r for r in a.recommendations if r.rule_id == "NM-02" and r.action is Action.note]
    assert note and "predates a treatment" in note[0].text.en and note[0].interpretation


@PROPS
@given(st.integers(0, 41), st.integers(-60, 0),
       st.sampled_from(sorted(t.value for t in TreatmentType)))
def test_a_treatment_started_on_or_before_the_pet_keeps_it_done(
        age: int, offset: int, kind: str) -> None:
    """The pre-treatment PET (same day or earlier start) is the picture staging asks for; and a
    bone-targeted agent started later does not reopen the question."""
    age = min(age, STAGING_WINDOW)
    start = (AS_OF - dt.timedelta(days=age) + dt.timedelta(days=offset)).isoformat()
    assert _counts_as_done(assess_doc(_staging_case(age, [{"id": "t", "type": kind,
                                                            "start": start}])))
    if kind not in REOPENING and age > 0:
        later = (AS_OF - dt.timedelta(days=age - 1)).isoformat()
        assert _counts_as_done(assess_doc(_staging_case(age, [{"id": "t", "type": kind,
                                                                "start": later}])))


def test_a_treatment_starting_after_the_decision_date_is_refused_not_read() -> None:
    # A start after the decision date is refused naming the field (issue 21, class 7): it can
    # neither reopen staging nor vanish in silence.
    from bonemet.api import InputError

    planned = [{"id": "t", "type": "chemotherapy", "start": "2025-06-10"}]
    with pytest.raises(InputError) as err:
        assess_doc(_staging_case(10, planned))
    assert any(p.field == "treatments[0].start" for p in err.value.problems)


def _with_window(kb: KnowledgeBase, days: int) -> KnowledgeBase:
    rule = kb.rule("ADV-01")
    params = dict(rule.params)
    params["validity_days"] = {**params["validity_days"], "staging": days}  # type: ignore[dict-item]
    return _replace(kb, rules={**kb.rules, "ADV-01": rule.model_copy(update={"params": params})})


@pytest.mark.parametrize("days", [5, 90])
def test_every_staging_rule_reads_the_one_window_of_the_knowledge_base(days: int) -> None:
    """The window is written once (rules.yaml ADV-01): moving it moves NM-01, NM-02, NM-03,
    NM-13 and ADV-01 together."""
    kb = _with_window(KB, days)
    for age in (days, days + 1):
        a = core_assess(parse_case(_staging_case(age, pet_coverage=None)), kb)
        assert _counts_as_done(a) is (age <= days)
        nm03 = [r for r in a.recommendations if r.rule_id == "NM-03"]
        assert [r.action for r in nm03] == ([Action.check_field_of_view] if age <= days
                                            else [Action.note])


def test_the_reopening_treatments_are_the_treatments_of_the_cancer() -> None:
    """Pinned to its source (rules.yaml ADV-01, the project's reading): every systemic anticancer
    line, radiotherapy and surgery reopen staging; bone-targeted agents do not."""
    from bonemet.model.case import SYSTEMIC_ANTICANCER

    assert {t.value for t in SYSTEMIC_ANTICANCER} | {"radiotherapy", "surgery"} == REOPENING
    assert set(_ADV01["reopened_by_treatment"]["questions"]) == {  # type: ignore[index]
        "staging", "occult_disease"}
    assert STAGING_WINDOW == 42


# --- Issue 21, class 6: a single equivocal focus on PET needs targeted imaging (REC4, NM-09) ---


PET_MODALITIES = ["fdg_pet_ct", "naf_pet_ct"]
SITES = sorted(s.value for s in SkeletalSite if s is not SkeletalSite.other)


def _equivocal_pet_case(modality: str, site: str, phase: str, *later: dict[str, Any],
                        single: str = "lesion") -> dict[str, Any]:
    focus: dict[str, Any] = {"lesions": [{"site": site}]} if single == "lesion" else \
        {"hot_spot_count": 1}
    scan = exam(modality, "2025-05-10", purpose="follow_up" if phase != "staging" else "staging",
                result="equivocal", **focus)
    return case_doc(phase, context={"new_bone_pain": False}, exams=[scan, *later])


@PROPS
@given(st.sampled_from(PET_MODALITIES), st.sampled_from(SITES),
       st.sampled_from(["staging", "follow_up", "on_treatment"]), st.sampled_from(["lesion", "count"]))
def test_a_single_equivocal_pet_focus_gets_targeted_imaging(modality: str, site: str, phase: str,
                                                           single: str) -> None:
    a = assess_doc(_equivocal_pet_case(modality, site, phase, single=single))
    nm09 = [r for r in a.recommendations if r.rule_id == "NM-09"]
    assert [r.action for r in nm09] == [Action.targeted_imaging, Action.specialist_opinion]
    assert nm09[0].interpretation and "single equivocal focus" in nm09[0].text.en
    for modality_rated in (RatedModality.targeted_mri, RatedModality.targeted_ct):
        assert a.rating_of(modality_rated).rating is Rating.usually_appropriate
    assert Question.equivocal_finding in a.questions
    # SPECT-CT refines a planar finding; it is not proposed for a PET focus.
    assert a.rating_of(SPECT).rating is not Rating.usually_appropriate


@PROPS
@given(st.sampled_from(PET_MODALITIES), st.sampled_from(SITES), st.sampled_from(["ct", "mri"]),
       st.integers(0, 20))
def test_targeted_imaging_of_the_focus_site_settles_it_another_site_does_not(
        modality: str, site: str, targeted: str, days_after: int) -> None:
    day = (dt.date(2025, 5, 10) + dt.timedelta(days=days_after)).isoformat()
    other = next(s for s in SITES if s != site)
    done = assess_doc(_equivocal_pet_case(modality, site, "follow_up",
                                          exam(targeted, day, target_site=site, result="equivocal")))
    assert [r.action for r in done.recommendations if r.rule_id == "NM-09"] == [
        Action.specialist_opinion]
    assert Question.equivocal_finding not in done.questions
    elsewhere = assess_doc(_equivocal_pet_case(modality, site, "follow_up",
                                               exam(targeted, day, target_site=other)))
    assert Action.targeted_imaging in actions_of(elsewhere, "NM-09")
    assert Question.equivocal_finding in elsewhere.questions


def actions_of(a: Any, rule_id: str) -> list[Action]:
    return [r.action for r in a.recommendations if r.rule_id == rule_id]


@pytest.mark.parametrize("fields", [
    {"lesions": [{"site": "sacrum"}, {"site": "ribs"}]},        # two foci
    {"lesions": [{"site": "sacrum"}], "hot_spot_count": 3},      # a count of three
    {},                                                          # number of foci not recorded
    {"result": "negative", "lesions": [{"site": "sacrum", "suspicious": False}]},  # benign, read
], ids=["two-lesions", "count-three", "unknown-count", "negative-with-a-described-lesion"])
def test_nm09_not_for_equivocal_pet_findings_that_are_not_single(fields: dict[str, Any]) -> None:
    doc = case_doc("follow_up", context={"new_bone_pain": False},
                   exams=[exam("fdg_pet_ct", "2025-05-10", **{"result": "equivocal", **fields})])
    assert "NM-09" not in assess_doc(doc).rule_ids()


def test_nm09_not_for_an_equivocal_pet_focus_when_bone_metastases_are_known() -> None:
    doc = _equivocal_pet_case("fdg_pet_ct", "sacrum", "follow_up")
    doc["cancer"]["bone_metastases_known"] = True
    assert "NM-09" not in assess_doc(doc).rule_ids()


def test_an_equivocal_focus_superseded_by_a_later_clear_pet_is_not_worked_up() -> None:
    doc = _equivocal_pet_case("fdg_pet_ct", "sacrum", "follow_up",
                              exam("fdg_pet_ct", "2025-05-25", result="negative"))
    a = assess_doc(doc)
    assert "NM-09" not in a.rule_ids() and Question.equivocal_finding not in a.questions


def test_nm12_characterises_an_equivocal_naf_finding_with_fdg_pet_but_not_an_fdg_one() -> None:
    naf = assess_doc(_equivocal_pet_case("naf_pet_ct", "sacrum", "follow_up"))
    rec = next(r for r in naf.recommendations if r.rule_id == "NM-12")
    assert "NaF-PET" in rec.text.en and rec.interpretation
    assert naf.rating_of(PET).rating is Rating.usually_appropriate
    fdg = assess_doc(_equivocal_pet_case("fdg_pet_ct", "sacrum", "follow_up"))
    assert "NM-12" not in fdg.rule_ids()
    assert fdg.rating_of(PET).rating is not Rating.usually_appropriate


def test_nm09_cites_the_references_of_the_statement_rec4_rests_on() -> None:
    """Review 13, m3: REC4 has no reference in the seed; NM-09 cites those of F08 (28-33)."""
    assert KB.refs_for("NM-09") == KB.statement("F08").refs == (28, 29, 30, 31, 32, 33)
    a = assess_doc(_equivocal_pet_case("fdg_pet_ct", "sacrum", "follow_up"))
    assert all(r.references == KB.refs_for("NM-09") for r in a.recommendations
               if r.rule_id == "NM-09")


# --- Issue 21, class 9 (review 13, m4): NaF-PET in routine follow-up is rated like the bone scan -

@PROPS
@given(st.sampled_from([True, False, None]), st.booleans())
def test_no_routine_follow_up_naf_pet_either(available: bool | None, earlier_pet: bool) -> None:
    """No new bone pain and no question: NM-04 says no to the bone scan and to NaF-PET alike (the
    same bone tracer mechanism, F28), whatever the centre offers."""
    doc = case_doc("follow_up", context={"new_bone_pain": False},
                   availability={"naf_pet": available},
                   exams=[pet(date="2024-11-02", result="negative")] if earlier_pet else [])
    a = assess_doc(doc)
    for modality in (BS, NAF):
        assert (a.rating_of(modality).rating, a.rating_of(modality).rule_id) == (
            Rating.usually_not_appropriate, "NM-04")
    naf = next(r for r in a.recommendations if r.rule_id == "NM-04" and r.subject == NAF.value)
    assert naf.interpretation and "F28" in naf.statement_ids


@pytest.mark.parametrize(("context", "available", "expected"), [
    ({"new_bone_pain": True, "pain_sites": ["femur_shaft"]}, True, Rating.may_be_appropriate),
    ({"new_bone_pain": False, "question_text": "rib pain after a fall"}, None,
     Rating.may_be_appropriate),
    ({"new_bone_pain": True, "pain_sites": ["femur_shaft"]}, False, Rating.no_criteria_apply),
    ({"new_bone_pain": None}, True, Rating.no_criteria_apply),
], ids=["pain", "question", "pain-not-offered", "pain-unknown"])
def test_nm04_naf_pet_follows_the_bone_scan_where_imaging_is_justified(
        context: dict[str, Any], available: bool | None, expected: Rating) -> None:
    a = assess_doc(case_doc("follow_up", context=context, availability={"naf_pet": available}))
    assert a.rating_of(NAF).rating is expected


def test_nm09_not_for_an_equivocal_pet_focus_beside_a_same_day_scan_with_more_foci() -> None:
    doc = _equivocal_pet_case("fdg_pet_ct", "sacrum", "follow_up",
                              exam("bone_scan", "2025-05-10", result="positive", hot_spot_count=3))
    assert "NM-09" not in assess_doc(doc).rule_ids()
