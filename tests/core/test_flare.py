"""Follow-up bone scans: flare versus progression (NM-05..NM-08), one vignette per branch.

Dates are the point: month 6 is the calendar anniversary of the line's start (31 Jan → 31 Jul,
29 Feb → 29 Aug, 31 Aug → 28 Feb); the day itself is still early (the chapter says "after" month 6,
issue 11), the day after is late.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.api import InputError
from bonemet.core.dates import add_months
from bonemet.kb import KnowledgeBaseError, load_kb
from bonemet.kb.flare import load_flare_params
from bonemet.model import Action, RatedModality, Rating
from bonemet.model.followup import (
    ArgumentName,
    Classification,
    ComparatorRole,
    Direction,
    NotComparable,
    ScanReading,
    Timing,
)
from factories import assess_doc, case_doc, exam

DATA = Path(__file__).resolve().parents[2] / "src" / "bonemet" / "kb" / "data"
START = dt.date(2025, 1, 31)  # month 6 = 2025-07-31
BASE = "2025-01-20"
# The arguments a reading asks for when absent: the chapter's (F21, F22) and the response outside
# bone; the CT finding is read when recorded, never asked for (issue 21).
ASKED_FOR = set(ArgumentName) - {ArgumentName.ct}


def line(start: dt.date | str | None = START, id: str = "l1", **fields: Any) -> dict[str, Any]:
    start_iso = start.isoformat() if isinstance(start, dt.date) else start
    return {"id": id, "type": "chemotherapy", "agents": ["carboplatin", "pemetrexed"],
            "start": start_iso, "line_number": 1, **fields}


def scan(date: dt.date | str, id: str | None = None, **fields: Any) -> dict[str, Any]:
    iso = date.isoformat() if isinstance(date, dt.date) else date
    doc = exam("bone_scan", iso, **{"purpose": "response_assessment", "result": "positive", **fields})
    if id:
        doc["id"] = id
    return doc


def lab(date: str, analyte: str, value: float, unit: str) -> dict[str, Any]:
    return {"date": date, "analyte": analyte, "value": value, "unit": unit}


def doc_for(scan_date: str = "2025-04-20", change: str | None = "more_foci", *,
            treatments: list[dict[str, Any]] | None = None, extra_exams: list[dict[str, Any]] = (),  # type: ignore[assignment]
            labs: list[dict[str, Any]] = (), clinical: list[dict[str, Any]] = (),  # type: ignore[assignment]
            as_of: str = "2026-01-01", **scan_fields: Any) -> dict[str, Any]:
    return case_doc(
        "on_treatment", context={"as_of": as_of},
        treatments=treatments if treatments is not None else [line()],
        exams=[scan(BASE, id="bs0", purpose="staging", hot_spot_count=3),
               scan(scan_date, id="bs1", change_vs_previous=change, **scan_fields), *extra_exams],
        labs=list(labs), clinical_status=list(clinical),
    )


def read(doc: dict[str, Any], scan_id: str = "bs1") -> ScanReading:
    a = assess_doc(doc)
    assert a.follow_up is not None
    return a.follow_up.reading(scan_id)


# --- the 6-month boundary (calendar months, clamped) ---------------------------------------------

@pytest.mark.parametrize(
    ("start", "anniversary"),
    [("2025-01-31", "2025-07-31"), ("2024-02-29", "2024-08-29"), ("2024-08-31", "2025-02-28"),
     ("2023-08-31", "2024-02-29"), ("2025-03-15", "2025-09-15")],
    ids=["31-jan", "29-feb", "31-aug-to-28-feb", "31-aug-to-leap-29-feb", "mid-month"],
)
def test_anniversary_day_is_early_and_the_day_after_is_late(start: str, anniversary: str) -> None:
    s, a = dt.date.fromisoformat(start), dt.date.fromisoformat(anniversary)
    assert add_months(s, 6) == a
    base = (s - dt.timedelta(days=7)).isoformat()
    for day, timing, cls in ((a - dt.timedelta(days=1), Timing.early, Classification.indeterminate),
                             (a, Timing.early, Classification.indeterminate),
                             (a + dt.timedelta(days=1), Timing.late, Classification.progression)):
        doc = case_doc("on_treatment", context={"as_of": "2026-12-31"}, treatments=[line(s)],
                       exams=[scan(base, id="bs0"), scan(day, id="bs1", change_vs_previous="more_foci")])
        r = read(doc)
        assert (r.anniversary, r.timing, r.classification) == (a, timing, cls)


# --- classification branches --------------------------------------------------------------------

def test_late_increase_is_progression_under_nm06() -> None:
    r = read(doc_for("2025-08-15", "more_intense"))
    assert (r.timing, r.classification, r.rule_ids) == (Timing.late, Classification.progression,
                                                        ("NM-06",))
    assert r.arguments == () and "progression" in r.advice[0].text.en


@pytest.mark.parametrize("change", ["stable", "fewer_or_less_intense"])
@pytest.mark.parametrize(("date", "rule"), [("2025-04-20", "NM-07"), ("2025-09-01", "NM-06")])
def test_no_increase_is_no_progression_early_or_late(change: str, date: str, rule: str) -> None:
    r = read(doc_for(date, change))
    assert r.classification is Classification.no_progression and r.rule_ids == (rule,)


SCAN = "2025-04-20"
FLARE_ARGS: dict[str, dict[str, Any]] = {
    "clinical": {"clinical": [{"date": "2025-04-22", "state": "improving"}]},
    "radiograph": {"extra_exams": [exam("radiograph", "2025-04-25", radiograph_finding="recalcification")]},
    "mri": {"extra_exams": [exam("mri", "2025-04-28", mri_finding="infiltration_regressing")]},
    "cea": {"labs": [lab("2025-01-20", "cea", 20, "ng/mL"), lab("2025-04-18", "cea", 8, "ng/mL")]},
    "cyfra": {"labs": [lab("2025-01-20", "cyfra_21_1", 9, "ng/mL"),
                       lab("2025-04-18", "cyfra_21_1", 3, "µg/L")]},
    "bone_markers": {"labs": [lab("2025-01-20", "bone_alp", 15, "µg/L"),
                              lab("2025-04-18", "bone_alp", 25, "µg/L"),
                              lab("2025-01-20", "ctx", 600, "ng/L"), lab("2025-04-18", "ctx", 0.3, "ng/mL")]},
}
PROGRESSION_ARGS: dict[str, dict[str, Any]] = {
    "clinical": {"clinical": [{"date": "2025-04-18", "state": "deteriorating"}]},
    "radiograph": {"extra_exams": [exam("radiograph", "2025-04-25",
                                        radiograph_finding="worsening_osteolysis")]},
    "mri": {"extra_exams": [exam("mri", "2025-04-28", mri_finding="infiltration_progressing")]},
    "cea": {"labs": [lab("2025-01-20", "cea", 8, "ng/mL"), lab("2025-04-18", "cea", 20, "ng/mL")]},
    "cyfra": {"labs": [lab("2025-01-20", "cyfra_21_1", 3, "ng/mL"),
                       lab("2025-04-18", "cyfra_21_1", 9, "ng/mL")]},
    "bone_markers": {"labs": [lab("2025-01-20", "ctx", 300, "ng/L"), lab("2025-04-18", "ctx", 700, "ng/L")]},
}
NAMES = {"clinical": ArgumentName.clinical_status, "radiograph": ArgumentName.radiograph,
         "mri": ArgumentName.mri, "cea": ArgumentName.cea, "cyfra": ArgumentName.cyfra_21_1,
         "bone_markers": ArgumentName.bone_marker_kinetics}
INTERPRETED = {"cea", "cyfra", "bone_markers"}


@pytest.mark.parametrize("which", sorted(FLARE_ARGS))
def test_each_single_argument_for_flare(which: str) -> None:
    # One argument is never a body of evidence (issue 11): indeterminate, leaning to flare.
    r = read(doc_for(SCAN, **FLARE_ARGS[which]))
    assert (r.classification, r.leaning) == (Classification.indeterminate, Direction.favours_flare)
    assert [(a.name, a.direction) for a in r.arguments] == [(NAMES[which], Direction.favours_flare)]
    assert r.rule_ids == ("NM-05", "NM-07", "NM-08")
    assert r.arguments[0].interpretation is (which in INTERPRETED)
    assert NAMES[which] not in {m.name for m in r.missing_arguments}
    assert len({m.name for m in r.missing_arguments}) == len(ASKED_FOR) - 1


@pytest.mark.parametrize("which", sorted(PROGRESSION_ARGS))
def test_each_single_argument_for_progression(which: str) -> None:
    r = read(doc_for(SCAN, "more_intense", **PROGRESSION_ARGS[which]))
    assert (r.classification, r.leaning) == (Classification.indeterminate,
                                             Direction.favours_progression)
    assert [(a.name, a.direction) for a in r.arguments] == [(NAMES[which], Direction.favours_progression)]
    # MRI progression, markers: directions the chapter does not state.
    assert r.arguments[0].interpretation is (which in INTERPRETED | {"mri"})


def test_conflicting_arguments_are_indeterminate_with_a_control_date() -> None:
    r = read(doc_for(SCAN, clinical=[{"date": "2025-04-22", "state": "improving"}],
                     extra_exams=[exam("radiograph", "2025-04-25",
                                       radiograph_finding="worsening_osteolysis")]))
    assert r.classification is Classification.indeterminate
    assert r.control_scan_from == dt.date(2025, 8, 1)  # the day after the anniversary
    assert r.rule_ids == ("NM-05", "NM-07", "NM-08")
    assert any("conflict" in a.text.en for a in r.advice)


def test_no_argument_is_indeterminate_and_says_what_to_obtain() -> None:
    doc = doc_for(SCAN, lesions=[{"site": "pelvis"}, {"site": "femur_proximal", "side": "left"}])
    a = assess_doc(doc)
    assert a.follow_up is not None
    r = a.follow_up.reading("bs1")
    assert r.classification is Classification.indeterminate and r.arguments == ()
    assert {m.name for m in r.missing_arguments} == ASKED_FOR
    texts = " ".join(x.text.en for x in r.advice)
    assert "No argument" in texts and "2025-07-31" in texts
    # which focus increased is not recorded: the sites are listed in words and said to be unsorted
    assert "not recorded; sites on the scan: pelvis, proximal femur" in texts
    assert "Obtain" in texts or "obtain" in texts
    mri = a.rating_of(RatedModality.targeted_mri)
    assert (mri.rating, mri.rule_id) == (Rating.may_be_appropriate, "NM-07")
    control = [x for x in a.recommendations if x.rule_id == "NM-05" and x.subject == "bs1"]
    assert control and control[0].action is Action.schedule_after


def test_every_early_increase_carries_nm08_and_no_switch_advice() -> None:
    for extra, response_plausible in ((FLARE_ARGS["clinical"], True),
                                      (PROGRESSION_ARGS["clinical"], False), ({}, True)):
        a = assess_doc(doc_for(SCAN, **extra))
        nm08 = [x for x in a.recommendations
                if x.rule_id == "NM-08" and "Do not change treatment" in x.text.en]
        assert len(nm08) == 1
        # "confirm the response" only where no argument points to progression (review C13)
        assert ("other sites" in nm08[0].text.en) is response_plausible
        assert ("reassessment now" in nm08[0].text.en) is not response_plausible
        assert "15 to 30%" in nm08[0].text.en and nm08[0].references == (28, 31)


def test_recommendation_resting_on_interpreted_markers_is_flagged() -> None:
    a = assess_doc(doc_for(SCAN, **FLARE_ARGS["bone_markers"]))
    early = [x for x in a.recommendations if x.rule_id == "NM-07" and x.subject == "bs1"]
    assert early and all(x.interpretation for x in early)
    assert a.follow_up is not None and a.follow_up.reading("bs1").arguments[0].interpretation
    # NM-07 itself is the project's reading (clock, boundary): badged even on chapter arguments,
    # while the argument read from the chapter is not.
    plain = assess_doc(doc_for(SCAN, **FLARE_ARGS["clinical"]))
    assert all(x.interpretation for x in plain.recommendations if x.rule_id == "NM-07")
    assert plain.follow_up is not None
    assert not plain.follow_up.reading("bs1").arguments[0].interpretation


def test_the_six_months_restart_with_a_new_line() -> None:
    treatments = [line("2024-01-15", end="2024-09-15"),
                  line("2024-09-20", id="l2", type="immunotherapy", line_number=2)]
    doc = case_doc("on_treatment", context={"as_of": "2025-12-31"}, treatments=treatments, exams=[
        scan("2024-01-08", id="bs0"), scan("2024-09-10", id="bs1", change_vs_previous="more_foci"),
        scan("2024-12-10", id="bs2", change_vs_previous="more_foci"),
        scan("2025-03-21", id="bs3", change_vs_previous="more_foci"),  # day after month 6
    ])
    a = assess_doc(doc)
    assert a.follow_up is not None
    r1, r2, r3 = (a.follow_up.reading(i) for i in ("bs1", "bs2", "bs3"))
    assert (r1.line_id, r1.timing, r1.classification) == ("l1", Timing.late, Classification.progression)
    assert (r2.line_id, r2.timing, r2.anniversary) == ("l2", Timing.early, dt.date(2025, 3, 20))
    assert (r2.comparator_id, r2.comparator_role) == ("bs1", ComparatorRole.baseline_before_line)
    assert r2.classification is Classification.indeterminate
    assert (r3.timing, r3.comparator_role, r3.classification) == (
        Timing.late, ComparatorRole.same_line, Classification.progression)


# --- marker thresholds: just inside and just outside --------------------------------------------

@pytest.mark.parametrize(
    ("before", "after", "direction"),
    [(10, 12.5, Direction.neutral), (10, 12.51, Direction.favours_progression),
     (10, 7.5, Direction.neutral), (10, 7.49, Direction.favours_flare), (0, 0, Direction.neutral),
     (0, 1, Direction.favours_progression)],
    ids=["+25.0", "+25.1", "-25.0", "-25.1", "zero-zero", "zero-up"],
)
def test_cea_least_significant_change(before: float, after: float, direction: Direction) -> None:
    r = read(doc_for(SCAN, labs=[lab("2025-01-20", "cea", before, "ng/mL"),
                                 lab("2025-04-18", "cea", after, "ng/mL")]))
    (arg,) = r.arguments
    assert arg.direction is direction and arg.threshold_pct == {"cea": 25.0}


@pytest.mark.parametrize(("after", "direction"), [(1300, Direction.neutral),
                                                  (1301, Direction.favours_progression)])
def test_ctx_threshold_after_unit_conversion(after: float, direction: Direction) -> None:
    # 1.0 ng/mL = 1000 ng/L; +30% is the CTX threshold: 1300 stays stable, 1301 rises.
    r = read(doc_for(SCAN, labs=[lab("2025-01-20", "ctx", 1.0, "ng/mL"),
                                 lab("2025-04-18", "ctx", after, "pg/mL")]))
    (arg,) = r.arguments
    assert arg.direction is direction and arg.interpretation


def test_bone_alp_activity_and_mass_are_not_compared() -> None:
    r = read(doc_for(SCAN, labs=[lab("2025-01-20", "bone_alp", 15, "U/L"),
                                 lab("2025-04-18", "bone_alp", 40, "µg/L"),
                                 lab("2025-01-20", "ctx", 600, "ng/L"),
                                 lab("2025-04-18", "ctx", 200, "ng/L")]))
    (arg,) = r.arguments
    assert arg.direction is Direction.neutral and set(arg.change_pct) == {"ctx"}
    assert "labs[].bone_alp" in {m.field for m in r.missing_arguments}


def test_ctx_fall_under_a_newly_started_antiresorptive_is_not_counted_for_flare() -> None:
    labs = FLARE_ARGS["bone_markers"]["labs"]
    with_drug = read(doc_for(SCAN, labs=labs, treatments=[line(), {"id": "za", "type": "zoledronic_acid",
                                                                    "start": "2025-02-01"}]))
    assert with_drug.arguments[0].direction is Direction.neutral
    assert "zoledronic_acid" in with_drug.arguments[0].explanation.en
    before = read(doc_for(SCAN, labs=labs, treatments=[line(), {"id": "za", "type": "zoledronic_acid",
                                                                 "start": "2024-12-01"}]))
    assert before.arguments[0].direction is Direction.favours_flare  # already on it at baseline


def test_markers_outside_their_windows_are_missing() -> None:
    r = read(doc_for(SCAN, labs=[lab("2024-10-01", "cea", 20, "ng/mL"),  # > 60 days before bs0
                                 lab("2025-04-18", "cea", 5, "ng/mL")]))
    assert r.arguments == () and ArgumentName.cea in {m.name for m in r.missing_arguments}
    late_baseline = read(doc_for(SCAN, labs=[lab("2025-02-02", "cea", 20, "ng/mL"),  # after line start
                                             lab("2025-04-18", "cea", 5, "ng/mL")]))
    assert late_baseline.arguments == ()


def test_clinical_status_before_the_comparator_or_far_from_the_scan_is_ignored() -> None:
    for date in ("2025-01-15", "2025-03-10", "2025-05-25"):
        r = read(doc_for(SCAN, clinical=[{"date": date, "state": "improving"}]))
        assert r.arguments == (), date
    r = read(doc_for(SCAN, clinical=[{"date": "2025-03-25", "state": "deteriorating"},
                                     {"date": "2025-04-19", "state": "improving"}]))
    assert r.leaning is Direction.favours_flare  # the nearest entry counts


def test_mixed_radiographs_point_nowhere() -> None:
    r = read(doc_for(SCAN, extra_exams=[
        exam("radiograph", "2025-04-25", radiograph_finding="recalcification", id="x1"),
        exam("radiograph", "2025-04-26", radiograph_finding="worsening_osteolysis", id="x2")]))
    (arg,) = r.arguments
    assert arg.direction is Direction.neutral and len(arg.observations) == 2


# --- scans that cannot be compared ---------------------------------------------------------------

def test_not_comparable_reasons() -> None:
    no_comparator = case_doc("on_treatment", treatments=[line()],
                             exams=[scan("2025-04-20", id="bs1", change_vs_previous="more_foci")])
    assert read(no_comparator).not_comparable is NotComparable.no_comparator
    undated = doc_for(SCAN, treatments=[line(None)])
    r = read(undated)
    assert r.not_comparable is NotComparable.line_start_unknown
    assert r.missing_data[0].field == "treatments[0].start"
    a = assess_doc(undated)
    assert "treatments[0].start" in {m.field for m in a.missing_data if m.rule_id == "NM-07"}
    before = doc_for("2025-01-25", treatments=[line()])
    assert read(before).not_comparable is NotComparable.before_treatment
    unknown = doc_for(SCAN, change=None, hot_spot_count=3)
    assert read(unknown).not_comparable is NotComparable.change_unknown


def test_same_day_spect_ct_is_a_duplicate_of_the_planar_scan() -> None:
    doc = doc_for(SCAN, extra_exams=[exam("spect_ct", SCAN, id="spect", result="positive")])
    a = assess_doc(doc)
    assert a.follow_up is not None
    spect = a.follow_up.reading("spect")
    assert (spect.not_comparable, spect.duplicate_of) == (NotComparable.same_day_duplicate, "bs1")
    assert not [x for x in a.recommendations if x.subject == "spect"]


def test_change_derived_from_hot_spot_counts_and_contradiction_warned() -> None:
    r = read(doc_for(SCAN, change=None, hot_spot_count=6))
    assert (r.change.value if r.change else None, r.change_source.value if r.change_source else None) == (
        "more_foci", "derived_from_hot_spot_counts")
    r = read(doc_for(SCAN, change="stable", hot_spot_count=6))
    assert r.classification is Classification.no_progression and "3 to 6" in r.warnings[0].en


def test_staging_only_cases_and_non_lung_have_no_follow_up_section() -> None:
    assert assess_doc(case_doc(exams=[scan("2025-05-01", purpose="staging")])).follow_up is None
    doc = doc_for(SCAN)
    doc["cancer"] = {"primary_site": "breast"}
    assert assess_doc(doc).follow_up is None


def test_scans_after_the_decision_date_are_refused_not_dropped() -> None:
    # Issue 21 (class 7): a scan typed after the decision date used to vanish in silence.
    with pytest.raises(InputError) as caught:
        assess_doc(doc_for(SCAN, as_of="2025-04-01"))
    assert any(p.field.startswith("exams[") and p.field.endswith(".date")
               for p in caught.value.problems)


# --- the knowledge-base data ---------------------------------------------------------------------

def test_every_threshold_says_where_it_comes_from() -> None:
    params = load_flare_params()
    for m in params.markers:
        assert m.provenance.source in ("project_choice", "chapter") and len(m.provenance.reasoning) > 40
    assert {m.analyte.value: m.least_significant_change_pct for m in params.markers} == {
        "bone_alp": 25.0, "ctx": 30.0, "cea": 25.0, "cyfra_21_1": 25.0}


@pytest.mark.parametrize(
    ("edit", "message"),
    [(lambda d: d["markers"].pop(), "marker cyfra_21_1 missing"),
     (lambda d: d["markers"][0].update(least_significant_change_pct=0), "greater than 0"),
     (lambda d: d["arguments"][0].update(statements=["F99"]), "unknown statement 'F99'"),
     (lambda d: d["labels"]["classification"].pop("flare_likely"), "labels missing"),
     (lambda d: d["arguments"][3].pop("note"), "needs a `note`")],
    ids=["marker-missing", "zero-threshold", "unknown-statement", "label-missing", "note-missing"],
)
def test_a_broken_flare_file_refuses_the_base(tmp_path: Path, edit: Any, message: str) -> None:
    target = tmp_path / "kb"
    shutil.copytree(DATA, target)
    raw = yaml.safe_load((target / "flare.yaml").read_text(encoding="utf-8"))
    edit(raw)
    (target / "flare.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(target)
    assert any(message in p for p in err.value.problems), err.value.problems


# --- properties ----------------------------------------------------------------------------------

ORDER = {Classification.progression_likely: 0, Classification.indeterminate: 1,
         Classification.flare_likely: 2}


def _evidence_doc(start: dt.date, offset: int, chosen: dict[str, str], shuffle: int | None = None,
                  ) -> dict[str, Any]:
    """A baseline scan a week before the line, an increase `offset` days into it, and evidence."""
    baseline = start - dt.timedelta(days=7)
    scan_date = start + dt.timedelta(days=offset)
    exams = [scan(baseline, id="bs0", hot_spot_count=2), scan(scan_date, id="bs1", hot_spot_count=5)]
    labs: list[dict[str, Any]] = []
    clinical: list[dict[str, Any]] = []
    b, f = baseline.isoformat(), (scan_date - dt.timedelta(days=1)).isoformat()
    after = (scan_date + dt.timedelta(days=1)).isoformat()
    for name, side in chosen.items():
        table = FLARE_ARGS if side == "flare" else PROGRESSION_ARGS
        if name == "clinical":
            clinical.append({"date": after, "state": table[name]["clinical"][0]["state"]})
        elif name in ("radiograph", "mri"):
            template = table[name]["extra_exams"][0]
            exams.append({**template, "id": name, "date": after})
        else:
            values = table[name]["labs"]
            for i, x in enumerate(values):
                labs.append({**x, "date": b if i % 2 == 0 else f})
    doc = case_doc("on_treatment", context={"as_of": "2030-01-01"}, treatments=[line(start)],
                   exams=exams, labs=labs, clinical_status=clinical)
    if shuffle is not None:
        rng = random.Random(shuffle)
        for key in ("exams", "labs", "clinical_status"):
            rng.shuffle(doc[key])
    return doc


STARTS = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2027, 12, 31))
CHOICES = st.dictionaries(st.sampled_from(sorted(FLARE_ARGS)), st.sampled_from(["flare", "progression"]))
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(STARTS, st.integers(1, 400), CHOICES)
def test_early_never_progression_late_always_progression(start: dt.date, offset: int,
                                                         chosen: dict[str, str]) -> None:
    r = read(_evidence_doc(start, offset, chosen))
    late = start + dt.timedelta(days=offset) > add_months(start, 6)  # the anniversary day is early
    assert (r.classification is Classification.progression) is late
    if not late:
        assert "NM-08" in r.rule_ids


@PROPS
@given(STARTS, st.integers(1, 180), CHOICES, st.sampled_from(sorted(FLARE_ARGS)),
       st.sampled_from(["flare", "progression"]))
def test_adding_an_argument_moves_the_reading_only_its_way(
        start: dt.date, offset: int, chosen: dict[str, str], extra: str, side: str) -> None:
    if start + dt.timedelta(days=offset) > add_months(start, 6) or extra in chosen:
        return
    before = read(_evidence_doc(start, offset, chosen)).classification
    after = read(_evidence_doc(start, offset, {**chosen, extra: side})).classification
    assert before in ORDER and after in ORDER
    if side == "flare":
        assert ORDER[after] >= ORDER[before]
    else:
        assert ORDER[after] <= ORDER[before]


@PROPS
@given(STARTS, st.integers(1, 400), CHOICES, st.integers(0, 2**16))
def test_reading_does_not_depend_on_input_order(start: dt.date, offset: int, chosen: dict[str, str],
                                                seed: int) -> None:
    def decided(r: ScanReading) -> Any:
        return (r.classification, r.timing, r.comparator_id,
                [(a.name, a.direction, a.change_pct) for a in r.arguments],
                [m.name for m in r.missing_arguments])
    assert decided(read(_evidence_doc(start, offset, chosen))) == decided(
        read(_evidence_doc(start, offset, chosen, shuffle=seed)))


# --- Issue 21, class 9 (review 13, m2): no "baseline" asked for a scan a later reading supersedes -

def test_no_baseline_asked_for_a_scan_a_later_scan_was_compared_with() -> None:
    from bonemet.api import assess, load_case
    from bonemet.demo import demo_cases

    demo = next(p for p in demo_cases() if p.name == "28-flare-not-comparable.yaml")
    a = assess(load_case(demo))
    assert a.follow_up is not None
    first, second = a.follow_up.scans
    assert first.not_comparable is NotComparable.no_comparator and second.comparator_id == first.scan_id
    assert [m.field for m in first.missing_data] == ["exams[]"]  # its own reading still says so
    assert "exams[]" not in {m.field for m in a.missing_data}
    # The same first scan alone (nothing later was compared): the baseline is still asked.
    case = load_case(demo)
    alone = assess(case.model_copy(update={"exams": case.exams[:2]}))
    assert ("exams[]", "NM-07") in {(m.field, m.rule_id) for m in alone.missing_data}
