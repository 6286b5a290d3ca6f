"""The assessment headline (issue 13, defect 3): what to do now, the follow-up reading, the alerts.

The table's expectations were written from the chapter before the headline existed: staging without
a PET → FDG-PET (REC1/NM-02); staging PET done → no bone scan (NM-01) and nothing to do now;
follow-up without pain → no routine bone scan (NM-04); isolated lesion → targeted imaging (NM-09);
equivocal planar finding → SPECT-CT or FDG-PET (NM-10, NM-12); occult disease → FDG-PET (NM-12);
not a lung primary → outside the chapter; spinal pain with a deficit → the urgent alert first.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.api import assess, load_case, parse_case
from bonemet.demo import demo_cases
from bonemet.kb import default_kb
from bonemet.model import Action, RatedModality, Rating
from bonemet.model.case import (
    DiagnosisStatus,
    Modality,
    Phase,
    PrimarySite,
    Purpose,
    Question,
    Result,
    SkeletalSite,
)
from bonemet.model.followup import Classification
from bonemet.report.headline import (
    _EXAM_PREFERENCE,
    _RULE_PRIORITY,
    Confidence,
    HeadlineKind,
    build_headline,
    card_groups,
    clinical_priority,
    proposable,
)
from factories import up_to_the_decision

KB = default_kb()
DEMOS = {load_case(p).case_id: load_case(p) for p in demo_cases()}
RANK = {Rating.usually_appropriate: 0, Rating.may_be_appropriate: 1,
        Rating.usually_not_appropriate: 2, Rating.no_criteria_apply: 3}


def headline_of(case_id: str) -> Any:
    return build_headline(assess(DEMOS[case_id]), KB)


# case id, expected kind, exams acceptable as "do now" (None: no exam), rule that must decide it
TABLE = [
    ("demo-01-staging-no-pet", HeadlineKind.exam, {RatedModality.fdg_pet_ct}, "NM-02"),
    ("demo-02-staging-pet-full", HeadlineKind.no_imaging, None, None),
    ("demo-07-follow-up-no-pain", HeadlineKind.no_imaging, None, None),
    ("demo-14-isolated-lesion", HeadlineKind.exam,
     {RatedModality.targeted_mri, RatedModality.targeted_ct}, "NM-09"),
    ("demo-16-equivocal-bone-scan", HeadlineKind.exam,
     {RatedModality.spect_ct, RatedModality.fdg_pet_ct}, None),
    ("demo-17-occult-disease", HeadlineKind.exam, {RatedModality.fdg_pet_ct}, "NM-12"),
    ("demo-19-kidney-primary", HeadlineKind.out_of_scope, None, None),
    ("demo-32-scope-no-primary", HeadlineKind.scope_unknown, None, None),
    ("demo-33-scope-no-cancer", HeadlineKind.out_of_scope, None, None),
]


@pytest.mark.parametrize(("case_id", "kind", "exams", "rule"), TABLE, ids=[t[0] for t in TABLE])
def test_headline_of_demo_cases(case_id: str, kind: HeadlineKind,
                                exams: set[RatedModality] | None, rule: str | None) -> None:
    h = headline_of(case_id)
    assert h.kind is kind
    if exams is None:
        assert h.do_now is None
    else:
        assert h.do_now is not None and h.do_now.modality in exams
        assert h.do_now.trace.rule_id and h.do_now.trace.statement_ids
        if rule:
            assert h.do_now.trace.rule_id == rule
    assert h.kb_version == KB.info.version


def test_no_imaging_names_the_rule_that_said_no() -> None:
    # Staging PET done: the bone scan is not indicated (NM-01), traceable to its references.
    h = headline_of("demo-02-staging-pet-full")
    bone = next(x for x in h.not_indicated if x.modality is RatedModality.bone_scan)
    assert bone.trace.rule_id in ("NM-01", "ADV-01") and bone.trace.references


def test_already_done_exam_is_never_do_now() -> None:
    # A staging bone scan was done after the PET: neither is proposed again.
    h = headline_of("demo-06-bone-scan-after-pet")
    assert h.do_now is None or h.do_now.modality not in (RatedModality.bone_scan,
                                                         RatedModality.fdg_pet_ct)


def test_cord_compression_alert_comes_first_and_drives_do_now() -> None:
    h = headline_of("demo-48-suspected-cord-compression")
    assert h.alerts and h.alerts[0].trace.rule_id == "SAFE-01"
    assert h.alerts[0].outside_chapter and h.alerts[0].sources
    assert h.do_now is not None and h.do_now.priority == "urgent"
    assert h.do_now.trace.rule_id == "SAFE-01"


@pytest.mark.parametrize(("case_id", "classification", "confidence"), [
    ("demo-21-early-flare-likely", Classification.flare_likely, Confidence.likely),
    ("demo-20-late-increase", Classification.indeterminate, Confidence.undetermined),
])
def test_follow_up_reading_is_in_the_headline(case_id: str, classification: Classification,
                                              confidence: Confidence) -> None:
    h = headline_of(case_id)
    assert h.flare is not None
    assert h.flare.classification is classification and h.flare.confidence is confidence
    assert h.flare.traces and all(t.rule_id for t in h.flare.traces)
    if classification is Classification.flare_likely:
        assert h.flare.favour_flare > h.flare.favour_progression


def test_no_follow_up_reading_without_follow_up_scans() -> None:
    assert headline_of("demo-01-staging-no-pet").flare is None


# ---- one card per rule and conclusion ------------------------------------------------------


@pytest.mark.parametrize("case_id", sorted(DEMOS))
def test_cards_one_per_rule_and_title_and_no_scheduling_hint_first(case_id: str) -> None:
    a = assess(DEMOS[case_id])
    groups = card_groups(a)
    keys = [(g.rule_id, g.title.en) for g in groups]
    assert len(keys) == len(set(keys))
    assert sum(len(g.items) for g in groups) == len(a.recommendations)  # nothing lost
    if len(groups) > 1:
        assert groups[0].items[0].action is not Action.schedule_after
    if any(r.priority == "urgent" for r in a.recommendations):
        assert groups[0].items[0].priority == "urgent"


def test_nm07_outputs_of_one_conclusion_share_one_card() -> None:
    groups = card_groups(assess(DEMOS["demo-21-early-flare-likely"]))
    titles = [g.title.en for g in groups if g.rule_id == "NM-07"]
    assert len(titles) == len(set(titles))


# ---- the headline never contradicts the assessment (generated cases) -----------------------

DATES = st.dates(min_value=dt.date(2022, 1, 1), max_value=dt.date(2026, 12, 31))


def _opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def _cancers(draw: st.DrawFn) -> dict[str, Any]:
    diagnosis = draw(_opt(st.sampled_from(list(DiagnosisStatus))))
    if diagnosis is DiagnosisStatus.none:
        return {"diagnosis": "none"}
    out: dict[str, Any] = {"bone_metastases_known": draw(_opt(st.booleans()))}
    # Lung most of the time: the in-scope branches are the ones with something to check.
    site = draw(st.sampled_from(["lung", "lung", "lung", *[p.value for p in PrimarySite], None]))
    if site:
        out["primary_site"] = site
    if diagnosis:
        out["diagnosis"] = diagnosis.value
    return out


@st.composite
def _exams(draw: st.DrawFn, index: int) -> dict[str, Any]:
    modality = draw(st.sampled_from(list(Modality)))
    doc: dict[str, Any] = {
        "id": f"e{index}", "date": draw(DATES).isoformat(), "modality": modality.value,
        "purpose": draw(_opt(st.sampled_from([p.value for p in Purpose]))),
        "result": draw(_opt(st.sampled_from([r.value for r in Result]))),
        "hot_spot_count": draw(_opt(st.integers(0, 6))),
        "change_vs_previous": draw(_opt(st.sampled_from(
            ["more_foci", "more_intense", "stable", "fewer_or_less_intense"]))),
        "lesions": draw(st.lists(st.fixed_dictionaries({
            "site": st.sampled_from([s.value for s in SkeletalSite]),
            "suspicious": _opt(st.booleans())}), max_size=2)),
    }
    if modality in (Modality.fdg_pet_ct, Modality.naf_pet_ct):
        doc["pet_coverage"] = draw(_opt(st.sampled_from(
            ["skull_base_to_mid_thigh", "skull_base_to_knees", "vertex_to_feet"])))
    return doc


@st.composite
def generated_cases(draw: st.DrawFn) -> dict[str, Any]:
    as_of = draw(DATES)
    lines = []
    for i in range(draw(st.integers(0, 2))):
        start = draw(_opt(DATES))
        lines.append({"id": f"t{i}", "type": draw(st.sampled_from(
            ["chemotherapy", "egfr_tki", "immunotherapy", "radiotherapy"])),
            "start": start.isoformat() if start else None, "line_number": i + 1})
    return up_to_the_decision({
        "schema_version": "1.0", "case_id": "gen", "cancer": draw(_cancers()),
        "context": {
            "phase": draw(st.sampled_from([p.value for p in Phase])),
            "question": draw(_opt(st.sampled_from([q.value for q in Question]))),
            "new_bone_pain": draw(_opt(st.booleans())),
            "pain_sites": draw(st.lists(st.sampled_from(
                ["thoracic_spine", "lumbar_spine", "femur_proximal"]), max_size=2, unique=True)),
            "neurological_deficit": draw(_opt(st.booleans())),
            "as_of": as_of.isoformat(),
        },
        "availability": {k: draw(_opt(st.booleans())) for k in ("fdg_pet", "naf_pet", "mri")},
        "exams": [draw(_exams(i)) for i in range(draw(st.integers(0, 4)))],
        "treatments": lines,
    })


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_cases())
def test_headline_never_contradicts_the_assessment(doc: dict[str, Any]) -> None:
    a = assess(parse_case(doc))
    h = build_headline(a, KB)
    done = {r.subject for r in a.recommendations if r.action is Action.already_done}
    if not a.scope.in_scope:
        # ADV-02: outside the chapter, the headline says so and proposes nothing.
        assert h.kind in (HeadlineKind.out_of_scope, HeadlineKind.scope_unknown)
        assert h.do_now is None and not h.equally_rated and h.scope_reason is not None
    if h.do_now is not None:
        rated = a.rating_of(h.do_now.modality)
        assert rated.rating in (Rating.usually_appropriate, Rating.may_be_appropriate)
        assert h.do_now.rating is rated.rating and h.do_now.trace.rule_id == rated.rule_id
        assert h.do_now.modality.value not in done  # ADV-01: never an exam already done
        # Rated the best available: no other proposable exam is rated better (an urgent exam
        # outranks everything while the alert stands).
        if h.do_now.priority != "urgent":
            assert all(RANK[r.rating] >= RANK[rated.rating] for r in a.ratings
                       if r.modality.value not in done)
        for line in (h.do_now, *h.equally_rated):
            assert line.trace.rule_id and (line.trace.statement_ids or line.trace.rule_id.startswith("SAFE"))
    else:
        assert not proposable(a)
        if a.scope.in_scope:
            assert h.kind in (HeadlineKind.no_imaging, HeadlineKind.not_rated)
            assert all(r.rating not in (Rating.usually_appropriate, Rating.may_be_appropriate)
                       or r.modality.value in done for r in a.ratings)
    for line in h.equally_rated:
        assert a.rating_of(line.modality).rating is h.do_now.rating  # type: ignore[union-attr]
    urgent = [r for r in a.recommendations if r.priority == "urgent"]
    # One alert per (rule, title, contradiction or not): its parts under one title (review 13
    # m5), none lost; contradictions between sections first (issue 21), then SAFE-01.
    contradiction = [r.action is Action.contradiction for r in urgent]
    assert len(h.alerts) == len({(r.rule_id, r.title, c) for r, c in zip(urgent, contradiction, strict=True)})
    assert sum(1 + len(al.more) for al in h.alerts) == len(urgent)
    n = sum(1 for al in h.alerts if al.contradiction)
    assert all(al.contradiction for al in h.alerts[:n])
    if any(r.rule_id == "SAFE-01" and r.action is not Action.contradiction for r in urgent):
        assert h.alerts[n].trace.rule_id == "SAFE-01"
    if h.flare is not None:
        assert a.follow_up is not None
        reading = next(s for s in a.follow_up.scans if s.scan_id == h.flare.scan_id)
        assert reading.classification is h.flare.classification


# ---- review 13 (clinical reviewer's cases, tests/report/cases/) ------------------------------

CASES = Path(__file__).parent / "cases"


def review_case(name: str) -> Any:
    return load_case(next(CASES.glob(f"{name}-*.yaml")))


def test_r13_c09_cord_compression_do_now_is_the_whole_spine_mri_of_safe01() -> None:
    """M3: the urgent MRI of SAFE-01 is of the whole spine within 24 h, never 'targeted MRI'."""
    h = build_headline(assess(review_case("c09")), KB)
    assert h.do_now is not None and h.do_now.trace.rule_id == "SAFE-01"
    assert h.do_now.label == KB.rules["SAFE-01"].messages["exam_label"]
    assert "whole spine" in h.do_now.label.en and "24" in h.do_now.label.en
    assert "rachis entier" in h.do_now.label.fr


def test_r13_c03_incomplete_staging_pet_puts_nm03_in_the_headline() -> None:
    """M1: a staging PET that stops at mid-thigh is not "no imaging indicated" alone: NM-03's
    advice (targeted femur imaging now, a sweep to the knees next time) is a headline note."""
    a = assess(review_case("c03"))
    h = build_headline(a, KB)
    assert h.kind is HeadlineKind.no_imaging
    nm03 = [n for n in h.notes if n.trace.rule_id == "NM-03"]
    assert len(nm03) == 1 and nm03[0].action is Action.targeted_imaging
    assert nm03[0].trace.statement_ids == KB.rules["NM-03"].statements
    rec = next(r for r in a.recommendations if r.rule_id == "NM-03")
    assert nm03[0].text == rec.text and "knees" in rec.text.en


def test_r13_c04_pet_not_offered_here_is_flagged_with_the_rules_advice() -> None:
    """M2: the centre reports no FDG-PET: the do-now FDG-PET says so and carries NM-02's own
    advice (refer for PET; locally a bone scan)."""
    h = build_headline(assess(review_case("c04")), KB)
    assert h.do_now is not None and h.do_now.modality is RatedModality.fdg_pet_ct
    assert h.do_now.unavailable
    assert [n.trace.rule_id for n in h.do_now.local_advice] == ["NM-02"]
    assert h.do_now.local_advice[0].text == KB.rules["NM-02"].messages["pet_unavailable"]


def test_pet_available_or_not_recorded_is_not_flagged() -> None:
    """M2's converse: a centre with FDG-PET, or one that says nothing, gets no caveat."""
    for available in (True, None):
        doc = review_case("c04").model_dump(mode="json", exclude_none=True)
        doc["availability"] = {} if available is None else {"fdg_pet": True}
        h = build_headline(assess(parse_case(doc)), KB)
        assert h.do_now is not None and not h.do_now.unavailable and not h.do_now.local_advice


def test_r13_c09_safe01_is_one_alert_with_its_two_parts() -> None:
    """m5: SAFE-01's imaging and management outputs share a title: one alert, two parts."""
    a = assess(review_case("c09"))
    h = build_headline(a, KB)
    titles = [al.title for al in h.alerts]
    assert len(titles) == len(set(titles))
    safe = [al for al in h.alerts if al.trace.rule_id == "SAFE-01"]
    assert len(safe) == 1 and len(safe[0].more) == 1
    texts = {x.en for x in (safe[0].text, *safe[0].more)}
    assert texts == {r.text.en for r in a.recommendations
                     if r.rule_id == "SAFE-01" and r.priority == "urgent"}


def test_r13_c11_suspected_lung_cancer_says_the_diagnosis_is_unconfirmed() -> None:
    """m6: a lung cancer recorded as suspected is not "no primary recorded": the scope line says
    the diagnosis is not confirmed (rendered in French through the real template)."""
    from bonemet.report.labels import labels, render_in
    from bonemet.web.pages import _env

    h = build_headline(assess(review_case("c11")), KB)
    assert h.kind is HeadlineKind.scope_unknown and h.diagnosis_unconfirmed and h.do_now is None
    L = labels()
    html = render_in("fr", lambda: _env().get_template("headline.html").render(
        hl=h, lang="fr", t=lambda k: L(k, "fr"), e=lambda k, v: L.enum(k, v, "fr")))
    assert "diagnostic de cancer bronchique n'est pas confirmé" in html.replace("&#39;", "'")
    assert "cancer primitif n'est pas renseigné" not in html.replace("&#39;", "'")
    # A case with no primary at all keeps the "not recorded" wording.
    doc = review_case("c11").model_dump(mode="json", exclude_none=True)
    doc["cancer"] = {}
    assert not build_headline(assess(parse_case(doc)), KB).diagnosis_unconfirmed


# ---- issue 21, class 9 (review 13, m1): do-now by an explicit clinical priority ---------------



def test_the_exam_preference_orders_every_exam_once() -> None:
    assert sorted(_EXAM_PREFERENCE) == sorted(RatedModality)
    assert len(set(_RULE_PRIORITY)) == len(_RULE_PRIORITY)
    assert all(rule in KB.rules for rule in _RULE_PRIORITY)


@pytest.mark.parametrize(("doc", "do_now", "rule"), [
    # Equivocal planar focus with new pain: SPECT-CT (NM-10), FDG-PET (NM-12) and the targeted MRI
    # of the painful site (NM-15) are all "usually appropriate": the chapter's SPECT-CT leads.
    ("demo-16-equivocal-bone-scan", RatedModality.spect_ct, "NM-10"),
    # Isolated lesion: NM-09 rates targeted CT and MRI alike: MRI first (marrow, no radiation).
    ("demo-14-isolated-lesion", RatedModality.targeted_mri, "NM-09"),
], ids=["equivocal-planar", "isolated-lesion"])
def test_do_now_among_equal_ratings_follows_the_clinical_priority(
        doc: str, do_now: RatedModality, rule: str) -> None:
    h = headline_of(doc)
    assert h.do_now is not None and (h.do_now.modality, h.do_now.trace.rule_id) == (do_now, rule)


def test_staging_without_a_pet_surveys_first_even_with_new_pain_in_a_limb() -> None:
    """NM-02's FDG-PET and NM-15's targeted MRI are both "usually appropriate": the staging survey
    first (it tells whether the painful lesion is one of several), the MRI beside it."""
    doc = {"schema_version": "1.0", "case_id": "t",
           "cancer": {"primary_site": "lung", "histology": "adenocarcinoma"},
           "context": {"phase": "staging", "as_of": "2025-06-01", "new_bone_pain": True,
                       "pain_sites": ["femur_shaft"], "neurological_deficit": False}}
    h = build_headline(assess(parse_case(doc)), KB)
    assert h.do_now is not None and h.do_now.modality is RatedModality.fdg_pet_ct
    assert RatedModality.targeted_mri in {x.modality for x in h.equally_rated}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(DEMOS)), st.randoms(use_true_random=False))
def test_do_now_does_not_depend_on_the_order_of_the_ratings(case_id: str, rnd: Any) -> None:
    a = assess(DEMOS[case_id])
    shuffled = list(a.ratings)
    rnd.shuffle(shuffled)
    h, h2 = build_headline(a, KB), build_headline(a.model_copy(update={"ratings": tuple(shuffled)}), KB)
    assert (h.do_now and h.do_now.modality) == (h2.do_now and h2.do_now.modality)
    assert [x.modality for x in h.equally_rated] == [x.modality for x in h2.equally_rated]


def test_urgency_then_rating_lead_the_priority() -> None:
    from bonemet.base.text import Text
    from bonemet.model import ModalityRating

    def rated(modality: RatedModality, rating: Rating, rule: str,
              priority: str = "routine") -> ModalityRating:
        return ModalityRating(modality=modality, rating=rating, rule_id=rule,
                              reason=Text(en="r", fr="r"), priority=priority)  # type: ignore[arg-type]

    urgent = rated(RatedModality.targeted_mri, Rating.usually_appropriate, "SAFE-01", "urgent")
    best_rule = rated(RatedModality.fdg_pet_ct, Rating.usually_appropriate, "NM-02")
    derived = rated(RatedModality.targeted_mri, Rating.usually_appropriate, "NM-15")
    lower = rated(RatedModality.bone_scan, Rating.may_be_appropriate, "NM-02")
    order = sorted([lower, derived, best_rule, urgent], key=clinical_priority)
    assert order == [urgent, best_rule, derived, lower]
