"""Issue 11: the flare reader never turns weak evidence into a definite reading.

Vignettes written from the chapter (F12-F23, REC5) and the issue before reading the code that
answers them; one table per numbered item of the issue, then the hypothesis properties.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.model import RatedModality, Rating
from bonemet.model.followup import (
    ArgumentName,
    Classification,
    Direction,
    NotComparable,
    ScanReading,
    Timing,
)
from factories import assess_doc, case_doc, exam

L1_START = dt.date(2024, 6, 3)
L1_END = dt.date(2025, 1, 10)
L2_START = dt.date(2025, 1, 15)  # month 6 of line 2: 2025-07-15


def chemo(start: str | None = "2025-01-31", id: str = "l1", n: int = 1, **f: Any) -> dict[str, Any]:
    return {"id": id, "type": "chemotherapy", "agents": ["carboplatin", "pemetrexed"],
            "start": start, "line_number": n, **f}


def bscan(date: str, id: str, **f: Any) -> dict[str, Any]:
    doc = exam("bone_scan", date, **{"purpose": "response_assessment", "result": "positive", **f})
    doc["id"] = id
    return doc


def lab(date: str, analyte: str, value: float, unit: str) -> dict[str, Any]:
    return {"date": date, "analyte": analyte, "value": value, "unit": unit}


def case(treatments: list[dict[str, Any]], exams: list[dict[str, Any]], *,
         labs: tuple[dict[str, Any], ...] = (), clinical: tuple[dict[str, Any], ...] = (),
         outside: tuple[dict[str, Any], ...] = (), as_of: str = "2026-06-01",
         **ctx: Any) -> dict[str, Any]:
    doc = case_doc("on_treatment", context={"as_of": as_of, **ctx}, treatments=treatments,
                   exams=exams, labs=list(labs), clinical_status=list(clinical))
    if outside:
        doc["response_outside_bone"] = list(outside)
    return doc


def reading(doc: dict[str, Any], scan_id: str = "bs1") -> ScanReading:
    a = assess_doc(doc)
    assert a.follow_up is not None
    return a.follow_up.reading(scan_id)


def all_text(doc: dict[str, Any]) -> str:
    a = assess_doc(doc)
    parts = [r.text.en + " " + r.text.fr + " " + r.title.en for r in a.recommendations]
    assert a.follow_up is not None
    for s in a.follow_up.scans:
        parts += [x.text.en + " " + x.text.fr for x in s.advice]
        parts += [w.en + " " + w.fr for w in s.warnings]
    return "\n".join(parts)


LIKELY = {Classification.flare_likely, Classification.progression_likely}
DEFINITE_ORDER = {  # how definite a reading is: larger is more definite
    None: 0, Classification.indeterminate: 1, Classification.flare_likely: 2,
    Classification.progression_likely: 2, Classification.no_progression: 3,
    Classification.progression: 3,
}

# Early scan on line 1 (start 2025-01-31, month 6 = 2025-07-31); baseline 2025-01-20.
EARLY = "2025-04-20"
BASELINE = bscan("2025-01-20", "bs0", purpose="staging", hot_spot_count=3)

FLARE = {
    "clinical": {"clinical": ({"date": "2025-04-22", "state": "improving"},)},
    "radiograph": {"exams": (exam("radiograph", "2025-04-25", radiograph_finding="recalcification"),)},
    "mri": {"exams": (exam("mri", "2025-04-28", mri_finding="infiltration_regressing"),)},
    "outside": {"outside": ({"date": "2025-04-15", "modality": "ct", "status": "responding"},)},
    "cea": {"labs": (lab("2025-01-20", "cea", 20, "ng/mL"), lab("2025-04-18", "cea", 8, "ng/mL"))},
    "cyfra": {"labs": (lab("2025-01-20", "cyfra_21_1", 9, "ng/mL"),
                       lab("2025-04-18", "cyfra_21_1", 3, "ng/mL"))},
    "bone_markers": {"labs": (lab("2025-01-20", "bone_alp", 15, "µg/L"),
                              lab("2025-04-18", "bone_alp", 25, "µg/L"),
                              lab("2025-01-20", "ctx", 600, "ng/L"), lab("2025-04-18", "ctx", 300, "ng/L"))},
}
PROG = {
    "clinical": {"clinical": ({"date": "2025-04-18", "state": "deteriorating"},)},
    "radiograph": {"exams": (exam("radiograph", "2025-04-25", radiograph_finding="worsening_osteolysis"),)},
    "mri": {"exams": (exam("mri", "2025-04-28", mri_finding="infiltration_progressing"),)},
    "outside": {"outside": ({"date": "2025-04-15", "modality": "ct", "status": "progressing"},)},
    "cea": {"labs": (lab("2025-01-20", "cea", 8, "ng/mL"), lab("2025-04-18", "cea", 20, "ng/mL"))},
    "cyfra": {"labs": (lab("2025-01-20", "cyfra_21_1", 3, "ng/mL"),
                       lab("2025-04-18", "cyfra_21_1", 9, "ng/mL"))},
    "bone_markers": {"labs": (lab("2025-01-20", "ctx", 300, "ng/L"), lab("2025-04-18", "ctx", 700, "ng/L"))},
}
STRONG = {"clinical", "radiograph", "mri", "outside"}


def early_doc(flare: tuple[str, ...] = (), prog: tuple[str, ...] = (),
              line: dict[str, Any] | None = None, **scan_fields: Any) -> dict[str, Any]:
    exams = [BASELINE, bscan(EARLY, "bs1", change_vs_previous="more_foci", **scan_fields)]
    labs: list[dict[str, Any]] = []
    clinical: list[dict[str, Any]] = []
    outside: list[dict[str, Any]] = []
    for table, names in ((FLARE, flare), (PROG, prog)):
        for n in names:
            part = table[n]
            exams += part.get("exams", ())
            labs += part.get("labs", ())
            clinical += part.get("clinical", ())
            outside += part.get("outside", ())
    return case([line or chemo()], exams, labs=tuple(labs), clinical=tuple(clinical),
                outside=tuple(outside))


# --- item 1: undated or ambiguous covering line -------------------------------------------------

UNDATED_L2 = [chemo(L1_START.isoformat(), end=L1_END.isoformat(), stop_reason="progression"),
              {"id": "l2", "type": "immunotherapy", "agents": ["pembrolizumab"], "line_number": 2}]


@pytest.mark.parametrize(
    ("treatments", "missing_field"),
    [
        (UNDATED_L2, "treatments[1].start"),
        # line 1 still recorded as running, line 2 undated: which line covers the scan is unknown
        ([chemo(L1_START.isoformat()),
          {"id": "l2", "type": "egfr_tki", "agents": ["osimertinib"], "line_number": 2}],
         "treatments[1].start"),
        # no line number, no dates on the second line, ended first line
        ([chemo(L1_START.isoformat(), end=L1_END.isoformat()),
          {"id": "l2", "type": "chemotherapy", "agents": ["docetaxel"]}], "treatments[1].start"),
    ],
    ids=["ended-l1-undated-l2", "running-l1-undated-l2", "unnumbered-undated-l2"],
)
@pytest.mark.parametrize("scan_date", ["2025-03-15", "2025-09-15"])
def test_scan_on_an_undated_line_is_not_classifiable(
        treatments: list[dict[str, Any]], missing_field: str, scan_date: str) -> None:
    doc = case(treatments, [bscan("2024-05-20", "bs0", purpose="staging"),
                            bscan(scan_date, "bs1", change_vs_previous="more_foci")],
               clinical=({"date": scan_date, "state": "improving"},))
    r = reading(doc)
    assert r.status == "not_comparable" and r.classification is None
    assert r.not_comparable is NotComparable.line_start_unknown
    assert missing_field in {m.field for m in r.missing_data}
    assert "NM-06" not in r.rule_ids
    assert "progression" not in " ".join(a.text.en for a in r.advice).replace("not progression", "")


@pytest.mark.parametrize(("l1_end", "expected"),
                         [("2024-12-20", Classification.progression),
                          # when line 1 ran is unknown: it may lie between comparator and line 2
                          (None, Classification.indeterminate)])
def test_an_undated_earlier_line_does_not_block_a_dated_current_line(
        l1_end: str | None, expected: Classification) -> None:
    treatments = [{"id": "l1", "type": "chemotherapy", "line_number": 1, "end": l1_end},
                  chemo(L2_START.isoformat(), id="l2", n=2)]
    doc = case(treatments, [bscan("2025-01-10", "bs0", purpose="staging"),
                            bscan("2025-08-01", "bs1", change_vs_previous="more_foci")])
    r = reading(doc)
    assert r.classification is expected and r.line_id == "l2"


# --- item 2: a threshold for the body of evidence -----------------------------------------------

@pytest.mark.parametrize(
    ("flare", "prog", "expected", "leaning"),
    [
        (("cea",), (), Classification.indeterminate, Direction.favours_flare),
        (("bone_markers",), (), Classification.indeterminate, Direction.favours_flare),
        (("cea", "cyfra"), (), Classification.indeterminate, Direction.favours_flare),
        (("cea", "cyfra", "bone_markers"), (), Classification.indeterminate, Direction.favours_flare),
        (("clinical",), (), Classification.indeterminate, Direction.favours_flare),
        (("clinical", "cea"), (), Classification.flare_likely, None),
        (("clinical", "radiograph"), (), Classification.flare_likely, None),
        (("outside", "cea"), (), Classification.flare_likely, None),
        (("mri", "bone_markers"), (), Classification.flare_likely, None),
        ((), ("cea",), Classification.indeterminate, Direction.favours_progression),
        ((), ("clinical",), Classification.indeterminate, Direction.favours_progression),
        ((), ("clinical", "radiograph"), Classification.progression_likely, None),
        ((), ("outside", "cyfra"), Classification.progression_likely, None),
        (("clinical", "cea"), ("radiograph",), Classification.indeterminate, None),
        (("clinical", "radiograph"), ("cea",), Classification.indeterminate, None),
    ],
)
def test_likely_needs_two_concordant_arguments_one_of_them_strong(
        flare: tuple[str, ...], prog: tuple[str, ...], expected: Classification,
        leaning: Direction | None) -> None:
    r = reading(early_doc(flare, prog))
    assert r.timing is Timing.early
    assert r.classification is expected
    if expected is Classification.indeterminate and leaning is not None:
        assert r.leaning is leaning


def test_response_outside_bone_is_an_argument_with_its_date_and_modality() -> None:
    r = reading(early_doc(("outside",)))
    arg = next(a for a in r.arguments if a.name is ArgumentName.response_outside_bone)
    assert arg.direction is Direction.favours_flare
    assert arg.observations[0].date == dt.date(2025, 4, 15)
    assert arg.observations[0].path == "response_outside_bone[0]"
    assert "(ct)" in str(arg.observations[0].value)
    assert arg.interpretation  # reading REC5's context this way is the project's


def test_stable_disease_outside_bone_is_neutral() -> None:
    doc = early_doc(("clinical",))
    doc["response_outside_bone"] = [{"date": "2025-04-15", "modality": "ct", "status": "stable"}]
    r = reading(doc)
    arg = next(a for a in r.arguments if a.name is ArgumentName.response_outside_bone)
    assert arg.direction is Direction.neutral
    assert r.classification is Classification.indeterminate


# --- item 3: comparator from before a line change -----------------------------------------------

def two_lines(scan_date: str, comparator: str, **ctx: Any) -> dict[str, Any]:
    treatments = [chemo(L1_START.isoformat(), end=L1_END.isoformat(), stop_reason="progression"),
                  {"id": "l2", "type": "chemotherapy", "agents": ["docetaxel"],
                   "start": L2_START.isoformat(), "line_number": 2}]
    return case(treatments, [bscan(comparator, "bs0", purpose="staging", hot_spot_count=3),
                             bscan(scan_date, "bs1", change_vs_previous="more_foci")],
                clinical=({"date": scan_date, "state": "improving"},),
                outside=({"date": scan_date, "modality": "ct", "status": "responding"},), **ctx)


@pytest.mark.parametrize(
    ("scan_date", "comparator"),
    [("2025-03-05", "2024-05-20"),   # 7 weeks into line 2, baseline from before line 1
     ("2025-03-05", "2024-10-01"),   # comparator taken during line 1
     ("2025-09-01", "2024-05-20")],  # late on line 2, baseline from before line 1
    ids=["early-before-l1", "early-during-l1", "late-before-l1"],
)
def test_comparator_before_a_line_change_gives_indeterminate_and_a_new_baseline(
        scan_date: str, comparator: str) -> None:
    r = reading(two_lines(scan_date, comparator))
    assert r.classification is Classification.indeterminate
    assert r.line_id == "l2"
    assert "new baseline" in " ".join(a.text.en for a in r.advice)
    assert any("nouveau bilan de référence" in a.text.fr or "nouvelle référence" in a.text.fr
               for a in r.advice)


@pytest.mark.parametrize(("scan_date", "expected"),
                         [("2025-09-01", Classification.progression),
                          ("2025-03-05", Classification.flare_likely)])
def test_comparator_between_the_lines_is_a_valid_baseline(scan_date: str,
                                                          expected: Classification) -> None:
    r = reading(two_lines(scan_date, "2025-01-12"))
    assert r.classification is expected


# --- item 4: radiotherapy -----------------------------------------------------------------------

def rt(start: str, end: str, site: str = "thoracic_spine") -> dict[str, Any]:
    return {"id": f"rt-{start}", "type": "radiotherapy", "site": site, "start": start, "end": end}


def late_doc(treatments: list[dict[str, Any]], lesions: list[dict[str, Any]],
             change: str = "more_intense") -> dict[str, Any]:
    return case([chemo(), *treatments],
                [BASELINE, bscan("2025-09-15", "bs1", change_vs_previous=change, lesions=lesions)])


@pytest.mark.parametrize(
    ("treatments", "lesions", "expected"),
    [
        # increase at the spine irradiated in July: possibly healing, not progression
        ([rt("2025-07-01", "2025-07-10")],
         [{"site": "thoracic_spine", "change_vs_previous": "more_intense"}], Classification.indeterminate),
        # irradiated two years earlier: outside the window, progression
        ([rt("2023-07-01", "2023-07-10")],
         [{"site": "thoracic_spine", "change_vs_previous": "more_intense"}], Classification.progression),
        # new focus at an unirradiated femur besides the irradiated spine: progression stands
        ([rt("2025-07-01", "2025-07-10")],
         [{"site": "thoracic_spine", "change_vs_previous": "more_intense"},
          {"site": "femur_proximal", "change_vs_previous": "more_foci"}], Classification.progression),
        # which focus increased is not recorded, one lesion is at the recently irradiated site
        ([rt("2025-07-01", "2025-07-10")], [{"site": "thoracic_spine"}], Classification.indeterminate),
        # irradiated lesion flagged on the scan with its own date
        ([], [{"site": "pelvis", "irradiated": True, "irradiated_on": "2025-06-20",
               "change_vs_previous": "more_intense"}], Classification.indeterminate),
        # irradiated at an unknown date: cannot exclude healing
        ([], [{"site": "pelvis", "irradiated": True, "change_vs_previous": "more_intense"}],
         Classification.indeterminate),
    ],
    ids=["recent-rt", "old-rt", "new-focus-elsewhere", "site-unknown-change", "lesion-dated",
         "lesion-undated"],
)
def test_increase_at_a_recently_irradiated_site_is_not_progression(
        treatments: list[dict[str, Any]], lesions: list[dict[str, Any]],
        expected: Classification) -> None:
    r = reading(late_doc(treatments, lesions))
    assert r.timing is Timing.late
    assert r.classification is expected
    if expected is Classification.indeterminate:
        words = " ".join(w.en for w in r.warnings) + " ".join(a.text.en for a in r.advice)
        assert "radiotherapy" in words


def test_radiotherapy_does_not_anchor_the_flare_clock() -> None:
    doc = late_doc([rt("2025-08-20", "2025-08-25", site="ribs")], [{"site": "pelvis"}])
    r = reading(doc)
    assert r.line_id == "l1" and r.timing is Timing.late


# --- item 5: the anniversary day and the control interval ---------------------------------------

@pytest.mark.parametrize(("scan_date", "timing"),
                         [("2025-07-30", Timing.early), ("2025-07-31", Timing.early),
                          ("2025-08-01", Timing.late)])
def test_late_means_strictly_after_the_anniversary(scan_date: str, timing: Timing) -> None:
    r = reading(case([chemo()], [BASELINE, bscan(scan_date, "bs1", change_vs_previous="more_foci")]))
    assert r.timing is timing
    assert (r.classification is Classification.progression) is (timing is Timing.late)


@pytest.mark.parametrize("scan_date", ["2025-07-29", "2025-07-31", "2025-03-01"])
def test_control_scan_leaves_an_interval_and_clears_the_anniversary(scan_date: str) -> None:
    r = reading(case([chemo()], [BASELINE, bscan(scan_date, "bs1", change_vs_previous="more_foci")]))
    assert r.control_scan_from is not None
    assert r.control_scan_from > dt.date(2025, 7, 31)
    assert r.control_scan_from >= dt.date.fromisoformat(scan_date) + dt.timedelta(weeks=6)


# --- item 6: words ------------------------------------------------------------------------------

@pytest.mark.parametrize(("flare", "prog"),
                         [(("clinical", "radiograph"), ()), ((), ("clinical", "radiograph")),
                          (("cea",), ()), ((), ())])
def test_no_keep_the_treatment_and_the_bone_scan_alone_wording(flare: tuple[str, ...],
                                                              prog: tuple[str, ...]) -> None:
    text = all_text(early_doc(flare, prog))
    assert "keep the current treatment" not in text.lower()
    assert "poursuivre le traitement" not in text.lower()
    if flare:
        r = reading(early_doc(flare, prog))
        assert any("do not change treatment on the bone scan alone" in a.text.en.lower()
                   and "other sites" in a.text.en for a in r.advice)


@pytest.mark.parametrize(
    ("flare", "prog", "prognosis_shown"),
    [(("clinical", "radiograph"), (), True), ((), (), True), (("cea",), (), True),
     ((), ("clinical", "radiograph"), False), ((), ("cea",), False),
     (("clinical",), ("radiograph",), False)],
)
def test_nm08_prognosis_only_where_flare_is_possible_and_not_contradicted(
        flare: tuple[str, ...], prog: tuple[str, ...], prognosis_shown: bool) -> None:
    r = reading(early_doc(flare, prog))
    text = " ".join(a.text.en for a in r.advice)
    assert ("same outlook" in text) is prognosis_shown


def test_late_progression_has_no_prognosis_sentence() -> None:
    r = reading(case([chemo()], [BASELINE, bscan("2025-09-15", "bs1", change_vs_previous="more_foci")]))
    assert r.classification is Classification.progression
    assert "same outlook" not in " ".join(a.text.en for a in r.advice)


def test_project_readings_carry_the_interpretation_badge() -> None:
    a = assess_doc(case([chemo()], [BASELINE, bscan("2025-09-15", "bs1", change_vs_previous="more_foci")]))
    for rec in a.recommendations:
        if rec.rule_id in {"NM-05", "NM-06", "NM-07"}:
            assert rec.interpretation, rec.rule_id
    r = reading(early_doc(("clinical", "radiograph")))
    assert r.interpretation


# --- item 7: context the chapter names ----------------------------------------------------------

def test_egfr_tki_line_warns_about_osteoblastic_reaction_with_reference_34() -> None:
    line = {"id": "l1", "type": "egfr_tki", "agents": ["osimertinib"], "driver": "EGFR",
            "start": "2025-01-31", "line_number": 1}
    r = reading(early_doc(("clinical", "outside"), line=line))
    words = " ".join(w.en for w in r.warnings)
    assert "osteoblastic" in words and "34" in words
    assert r.interpretation


@pytest.mark.parametrize("kind", ["immunotherapy", "chemo_immunotherapy"])
def test_lines_outside_the_described_triggers_are_labelled_an_extension(kind: str) -> None:
    line = {"id": "l1", "type": kind, "start": "2025-01-31", "line_number": 1}
    r = reading(early_doc(("clinical", "radiograph"), line=line))
    assert any("extension" in w.en for w in r.warnings)
    assert r.interpretation


@pytest.mark.parametrize("kind", ["chemotherapy", "hormone_therapy"])
def test_described_triggers_carry_no_extension_warning(kind: str) -> None:
    line = {"id": "l1", "type": kind, "start": "2025-01-31", "line_number": 1}
    r = reading(early_doc(("clinical", "radiograph"), line=line))
    assert r.line_id == "l1"
    assert not any("extension" in w.en for w in r.warnings)


@pytest.mark.parametrize(("phenotype", "word"), [("lytic", "lytic"), ("blastic", "blastic")])
def test_baseline_phenotype_is_a_labelled_caveat(phenotype: str, word: str) -> None:
    doc = early_doc(("clinical", "radiograph"))
    doc["exams"][0] = {**doc["exams"][0], "lesions": [{"site": "pelvis", "phenotype": phenotype}]}
    r = reading(doc)
    assert any(word in w.en for w in r.warnings)
    assert r.classification is Classification.flare_likely  # a caveat, never an argument


# --- issue 17 item 4: NM-05 after month 6 -------------------------------------------------------

def nm05_doc(**ctx: Any) -> dict[str, Any]:
    return case_doc("on_treatment",
                    context={"as_of": "2025-10-01", "question": "response_assessment", **ctx},
                    treatments=[chemo(end="2025-09-01")],
                    exams=[BASELINE])


def test_nm05_after_month_6_is_not_a_routine_scan_without_pain_or_question() -> None:
    a = assess_doc(nm05_doc(new_bone_pain=False))
    assert a.rating_of(RatedModality.bone_scan).rating is not Rating.usually_appropriate
    assert not [m for m in a.missing_data if m.rule_id == "NM-05"]
    recs = [r for r in a.recommendations if r.rule_id == "NM-05"]
    assert recs and "2025-08-01" in recs[0].text.en  # strictly after the 2025-07-31 anniversary


@pytest.mark.parametrize("ctx", [{"new_bone_pain": True},
                                 {"new_bone_pain": False, "question_text": "is the sacrum healing?"}])
def test_nm05_after_month_6_with_pain_or_question_allows_the_scan(ctx: dict[str, Any]) -> None:
    a = assess_doc(nm05_doc(**ctx))
    assert a.rating_of(RatedModality.bone_scan).rating in {Rating.usually_appropriate,
                                                           Rating.may_be_appropriate}
    assert not [m for m in a.missing_data if m.rule_id == "NM-05"]


def test_nm05_ended_line_is_not_missing_before_month_6() -> None:
    doc = case_doc("on_treatment", context={"as_of": "2025-05-01", "question": "response_assessment",
                                            "new_bone_pain": True},
                   treatments=[chemo(end="2025-04-15")], exams=[BASELINE])
    a = assess_doc(doc)
    assert not [m for m in a.missing_data if m.rule_id == "NM-05"]
    assert any("2025-08-01" in r.text.en for r in a.recommendations if r.rule_id == "NM-05")


# --- properties ---------------------------------------------------------------------------------

ARG_NAMES = sorted(FLARE)
offsets = st.integers(min_value=10, max_value=400)
choices = st.dictionaries(st.sampled_from(ARG_NAMES), st.sampled_from(["flare", "prog"]), max_size=4)


def generated(offset: int, chosen: dict[str, str], change: str = "more_foci") -> dict[str, Any]:
    scan_date = (dt.date(2025, 1, 31) + dt.timedelta(days=offset)).isoformat()
    doc = early_doc(tuple(k for k, v in chosen.items() if v == "flare"),
                    tuple(k for k, v in chosen.items() if v == "prog"))
    doc["exams"][1] = {**doc["exams"][1], "date": scan_date, "change_vs_previous": change}
    return doc


PROPS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(offsets, choices)
def test_undated_covering_line_never_progression_nor_likely(offset: int, chosen: dict[str, str]) -> None:
    doc = generated(offset, chosen)
    doc["treatments"] = [{**doc["treatments"][0], "start": None}]
    r = reading(doc)
    assert r.classification not in LIKELY | {Classification.progression}


@PROPS
@given(offsets, st.sampled_from(ARG_NAMES), st.sampled_from(["flare", "prog"]))
def test_a_single_argument_never_yields_likely(offset: int, name: str, way: str) -> None:
    r = reading(generated(offset, {name: way}))
    assert r.classification not in LIKELY


@PROPS
@given(offsets, choices)
def test_removing_the_start_date_never_makes_a_reading_more_definite(
        offset: int, chosen: dict[str, str]) -> None:
    doc = generated(offset, chosen)
    before = reading(doc).classification
    doc["treatments"] = [{**doc["treatments"][0], "start": None}]
    after = reading(doc).classification
    assert DEFINITE_ORDER[after] <= DEFINITE_ORDER[before]


@PROPS
@given(st.integers(min_value=5, max_value=300), choices, st.sampled_from(["more_foci", "stable"]))
def test_a_comparator_before_a_line_change_never_makes_a_reading_more_definite(
        offset: int, chosen: dict[str, str], change: str) -> None:
    doc = generated(offset, chosen, change)
    doc["exams"][0] = {**doc["exams"][0], "date": "2025-01-29"}  # valid baseline before line 1
    before = reading(doc).classification
    # a previous line stopped for progression between the comparator and the current line
    doc["exams"][0] = {**doc["exams"][0], "date": "2024-05-01"}
    doc["treatments"] = [chemo("2024-05-10", id="l0", n=1, end="2025-01-05", stop_reason="progression"),
                         {**doc["treatments"][0], "line_number": 2}]
    after = reading(doc).classification
    assert DEFINITE_ORDER[after] <= DEFINITE_ORDER[before]


PROG_RANK = {None: 0, Classification.indeterminate: 1, Classification.flare_likely: 0,
             Classification.no_progression: 0, Classification.progression_likely: 2,
             Classification.progression: 3}


@PROPS
@given(offsets, choices, st.sampled_from(["more_foci", "more_intense", "stable"]),
       st.sampled_from(["2025-06-01", "2023-01-01", None]))
def test_an_irradiated_hot_spot_never_moves_a_reading_toward_progression(
        offset: int, chosen: dict[str, str], change: str, when: str | None) -> None:
    doc = generated(offset, chosen, change)
    doc["exams"][1] = {**doc["exams"][1], "lesions": [{"site": "pelvis", "change_vs_previous": change}]}
    before = reading(doc).classification
    doc["exams"][1]["lesions"] = [{"site": "pelvis", "change_vs_previous": change, "irradiated": True,
                                   "irradiated_on": when}]
    after = reading(doc).classification
    assert PROG_RANK[after] <= PROG_RANK[before]


@PROPS
@given(st.integers(min_value=0, max_value=181), choices)
def test_early_increase_is_never_progression(offset: int, chosen: dict[str, str]) -> None:
    r = reading(generated(offset, chosen))
    if r.timing is Timing.early:
        assert r.classification is not Classification.progression


@pytest.mark.parametrize(("comparator", "expected"),
                         [("2024-12-20", Classification.flare_likely),   # 26 days before line 2
                          ("2024-12-17", Classification.flare_likely),   # 29 days: outside
                          ("2024-12-18", Classification.flare_likely)],  # 28 days: the limit
                         ids=["26-days", "29-days", "28-days"])
def test_a_restaging_scan_under_the_previous_line_is_a_valid_baseline_within_28_days(
        comparator: str, expected: Classification) -> None:
    r = reading(two_lines("2025-03-05", comparator))
    days = (L2_START - dt.date.fromisoformat(comparator)).days
    if days > 28:
        assert r.classification is Classification.indeterminate and r.changed_lines
    else:
        assert r.classification is expected and r.changed_lines == ()


# --- clinical review (fixflare): the advice follows the patient, the words read naturally -------

def advice_en(r: ScanReading) -> str:
    return " ".join(a.text.en for a in r.advice)


def advice_fr(r: ScanReading) -> str:
    return " ".join(a.text.fr for a in r.advice) + " " + " ".join(w.fr for w in r.warnings)


@pytest.mark.parametrize(
    ("flare", "prog", "reassess", "response_plausible"),
    [(("cea", "bone_markers"), ("clinical", "radiograph"), True, False),  # review C13: conflicting
     ((), ("clinical",), True, False),  # one argument for progression: leaning, still no deferral
     (("clinical",), ("mri",), True, False), (("clinical",), ("outside",), True, False),
     (("cea",), (), False, True), ((), (), False, True),
     (("clinical",), ("cea",), False, False)],  # a marker alone: no "reassess now", no response
    ids=["C13-conflicting", "leaning-progression", "mri-progressing", "outside-progressing",
         "leaning-flare", "no-argument", "marker-rising"],
)
def test_an_argument_for_progression_means_reassess_now_not_wait(
        flare: tuple[str, ...], prog: tuple[str, ...], reassess: bool,
        response_plausible: bool) -> None:
    r = reading(early_doc(flare, prog))
    assert r.classification is Classification.indeterminate  # conflicting or thin: never definite
    text = advice_en(r)
    assert ("reassess now" in text) is reassess
    assert ("do not wait for the control scan" in text) is reassess
    # "confirm the response" only where a response is plausible (no argument for progression)
    assert ("confirm the response" in text) is response_plausible
    assert "do not change treatment on the bone scan alone" in text.lower()
    if reassess:
        assert "restaging" in text and "MRI" in text
        first_nm05 = next(i for i, a in enumerate(r.advice) if a.rule_id == "NM-05")
        first_now = next(i for i, a in enumerate(r.advice) if "reassess now" in a.text.en)
        assert first_now < first_nm05  # the control scan comes after, only if still unresolved
        assert "réévaluer maintenant" in advice_fr(r)


def test_worsening_lytic_weight_bearing_bone_gets_a_labelled_fracture_risk_pointer() -> None:
    femur = exam("radiograph", "2025-04-25", radiograph_finding="worsening_osteolysis",
                 target_site="femur_proximal")
    doc = early_doc(("cea",), ("clinical",))
    doc["exams"].append(femur)
    r = reading(doc)
    words = " ".join(w.en for w in r.warnings)
    assert "Mirels" in words and "outside the chapter" in words
    assert r.interpretation
    rib = {**femur, "target_site": "ribs"}
    doc["exams"][-1] = rib
    assert "Mirels" not in " ".join(w.en for w in reading(doc).warnings)


def test_undated_covering_line_warns_not_to_change_treatment_on_the_scan() -> None:
    doc = case(UNDATED_L2, [bscan("2024-05-20", "bs0", purpose="staging"),
                            bscan("2025-03-15", "bs1", change_vs_previous="more_foci")])
    r = reading(doc)
    assert r.not_comparable is NotComparable.line_start_unknown
    nm08 = [a for a in r.advice if a.rule_id == "NM-08"]
    assert nm08, "no NM-08 caution on an unclassifiable scan"
    assert "do not change treatment" in nm08[0].text.en.lower() and "start date" in nm08[0].text.en
    assert "ne pas changer de traitement" in nm08[0].text.fr.lower()
    a = assess_doc(doc)
    assert any(rec.rule_id == "NM-08" for rec in a.recommendations)
    # a stable scan on the same undated line changes nothing: no caution needed
    stable = case(UNDATED_L2, [bscan("2024-05-20", "bs0", purpose="staging"),
                               bscan("2025-03-15", "bs1", change_vs_previous="stable")])
    assert not [x for x in reading(stable).advice if x.rule_id == "NM-08"]


@pytest.mark.parametrize(("flare", "prog", "en", "fr"),
                         [(("cea",), (), "leans towards flare", "penchent en faveur d'un flare"),
                          ((), ("cea",), "leans towards progression",
                           "penchent en faveur d'une progression")])
def test_leaning_reads_naturally_in_both_languages(flare: tuple[str, ...], prog: tuple[str, ...],
                                                   en: str, fr: str) -> None:
    r = reading(early_doc(flare, prog))
    assert r.leaning is not None
    assert en in advice_en(r) and fr in advice_fr(r)
    assert "towards favours" not in advice_en(r) and "vers en faveur" not in advice_fr(r)


def test_late_increase_at_an_irradiated_site_asks_mri_of_that_site_only() -> None:
    doc = late_doc([rt("2025-08-01", "2025-08-10")],
                   [{"site": "thoracic_spine", "level": "T10", "change_vs_previous": "more_intense"},
                    {"site": "ribs", "change_vs_previous": "stable"},
                    {"site": "pelvis", "change_vs_previous": "stable"}])
    r = reading(doc)
    assert r.classification is Classification.indeterminate
    mri = [a for a in r.advice if a.rule_id == "NM-07" and "MRI" in a.text.en]
    assert len(mri) == 1
    assert "T10" in mri[0].text.en and "rib" not in mri[0].text.en.lower()
    assert "pelvis" not in mri[0].text.en.lower()
    assert "radiotherapy" in mri[0].text.en and "flare" not in mri[0].text.en
    assert "T10" in mri[0].text.fr and "thoracic_spine" not in mri[0].text.fr


@pytest.mark.parametrize(("scan_date", "named"), [("2025-07-31", True), ("2025-07-30", False),
                                                  ("2025-04-20", False)])
def test_a_scan_on_the_anniversary_itself_names_the_boundary_choice(scan_date: str,
                                                                    named: bool) -> None:
    r = reading(case([chemo()], [BASELINE, bscan(scan_date, "bs1", change_vs_previous="more_foci")]))
    assert r.timing is Timing.early
    own = [w for w in r.warnings if "anniversary itself" in w.en]
    assert bool(own) is named
    if named:
        assert "2025-07-31" in own[0].en or "31/07/2025" in own[0].fr
        assert r.interpretation


@pytest.mark.parametrize("kind", ["egfr_tki", "alk_tki", "other_targeted"])
def test_targeted_therapy_caveat_cites_the_examples_and_reference_34(kind: str) -> None:
    line = {"id": "l1", "type": kind, "start": "2025-01-31", "line_number": 1}
    r = reading(early_doc(("clinical", "radiograph"), line=line))
    words = " ".join(w.en for w in r.warnings)
    assert "extension" not in words
    assert "examples" in words and "34" in words
    assert r.interpretation
    assert "a EGFR" not in words


@pytest.mark.parametrize(("agents", "fr"), [(["osimertinib"], "d'osimertinib"),
                                            (["docetaxel"], "de docetaxel")])
def test_french_flare_sentences_elide_and_carry_no_site_codes(agents: list[str], fr: str) -> None:
    line = {"id": "l1", "type": "chemotherapy", "agents": agents, "start": "2025-01-31",
            "line_number": 1}
    doc = early_doc(("cea",), line=line)
    doc["exams"][0] = {**doc["exams"][0], "lesions": [{"site": "thoracic_spine", "phenotype": "lytic"}]}
    doc["exams"][1] = {**doc["exams"][1], "lesions": [{"site": "femur_proximal",
                                                       "change_vs_previous": "more_foci"}]}
    text = advice_fr(reading(doc))
    assert fr in text
    assert "de osimertinib" not in text
    for code in ("thoracic_spine", "femur_proximal"):
        assert code not in text, code


def test_french_marker_changes_use_french_number_format() -> None:
    r = reading(early_doc(("cea",)))
    cea = next(a for a in r.arguments if a.name is ArgumentName.cea)
    assert "\u221260,0\u00a0%" in cea.explanation.fr and "-60.0%" in cea.explanation.en
    assert "-60.0%" not in cea.explanation.fr
