"""Flare reading beyond the planar bone scan (issue 21, class 5), cases written before the code.

18F-NaF PET: fluoride is taken up where bone is being formed, the same mechanism as the
diphosphonate of the planar scan (statement F28), so the same flare can follow an effective
treatment and the same 6-month reading applies (the project's reading of F28). A NaF-PET is
compared with a NaF-PET only: it shows many more foci than a planar scan of the same day, so "more
foci" against a planar comparator says nothing. FDG-PET is not read: FDG shows the tumour cells'
glucose uptake, not the osteoblastic reaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.model.followup import Classification, ComparatorRole, NotComparable, ScanReading, Timing
from factories import assess_doc

NAF_MONTH_3 = yaml.safe_load("""
schema_version: "1.0"
case_id: c5-naf
cancer: {primary_site: lung, histology: adenocarcinoma}
context: {phase: on_treatment, as_of: "2025-05-05"}
treatments:
  - {id: l1, type: chemotherapy, agents: [carboplatin, pemetrexed], start: "2025-01-31", line_number: 1}
exams:
  - {id: naf0, date: "2025-01-20", modality: naf_pet_ct, purpose: staging, result: positive,
     hot_spot_count: 4}
  - {id: naf1, date: "2025-04-30", modality: naf_pet_ct, purpose: response_assessment,
     result: positive, hot_spot_count: 9, change_vs_previous: more_foci}
""")


def _with(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = yaml.safe_load(yaml.safe_dump(doc))
    out.update(changes)
    return out


def _reading(doc: dict[str, Any], scan_id: str) -> ScanReading:
    a = assess_doc(doc)
    assert a.follow_up is not None, "no follow-up section"
    return a.follow_up.reading(scan_id)


def _all_text(r: ScanReading) -> str:
    return " ".join(t.en + " | " + t.fr for t in (*(a.text for a in r.advice), *r.warnings))


def test_naf_pet_more_foci_at_month_3_is_read_like_the_bone_scan() -> None:
    r = _reading(NAF_MONTH_3, "naf1")
    assert r.status == "compared"
    assert r.comparator_id == "naf0"
    assert r.comparator_role is ComparatorRole.baseline_before_line
    assert r.timing is Timing.early
    assert r.classification is Classification.indeterminate  # no body of evidence recorded
    assert {"NM-07", "NM-08"} <= set(r.rule_ids)
    assert r.interpretation  # the reading of F28 is the project's
    text = _all_text(r)
    assert "F28" in text and "NaF" in text
    # The flare caution of NM-08 is there, as for the planar scan.
    assert any(a.rule_id == "NM-08" for a in r.advice)


def test_naf_reading_matches_the_planar_reading_of_the_same_case() -> None:
    planar = _with(NAF_MONTH_3)
    for e in planar["exams"]:
        e["modality"] = "bone_scan"
    p = _reading(planar, "naf1")
    n = _reading(NAF_MONTH_3, "naf1")
    for field in ("timing", "classification", "line_start", "anniversary", "comparator_role",
                  "control_scan_from", "leaning"):
        assert getattr(n, field) == getattr(p, field), field
    assert {a.rule_id for a in p.advice} <= {a.rule_id for a in n.advice}


def test_late_naf_increase_is_progression() -> None:
    doc = _with(NAF_MONTH_3, context={"phase": "on_treatment", "as_of": "2025-10-01"})
    doc["exams"][1]["date"] = "2025-09-20"
    r = _reading(doc, "naf1")
    assert (r.timing, r.classification) == (Timing.late, Classification.progression)


def test_naf_pet_is_not_compared_with_a_planar_scan() -> None:
    doc = _with(NAF_MONTH_3)
    doc["exams"][0]["modality"] = "bone_scan"
    r = _reading(doc, "naf1")
    assert r.status == "not_comparable"
    assert r.not_comparable is NotComparable.different_modality
    assert r.classification is None
    # The flare caution still applies to an early scan whose change may be an increase.
    assert any(a.rule_id == "NM-08" for a in r.advice)


def test_planar_scan_skips_an_intervening_naf_pet_for_its_comparator() -> None:
    doc = _with(NAF_MONTH_3)
    doc["exams"] = [
        {"id": "bs0", "date": "2025-01-20", "modality": "bone_scan", "purpose": "staging",
         "result": "positive"},
        {"id": "naf1", "date": "2025-03-01", "modality": "naf_pet_ct", "purpose": "response_assessment",
         "result": "positive"},
        {"id": "bs1", "date": "2025-04-30", "modality": "bone_scan", "purpose": "response_assessment",
         "result": "positive", "change_vs_previous": "more_foci"},
    ]
    r = _reading(doc, "bs1")
    assert r.comparator_id == "bs0"


FDG_FOLLOW_UP = yaml.safe_load("""
schema_version: "1.0"
case_id: c5-fdg
cancer: {primary_site: lung, histology: adenocarcinoma}
context: {phase: on_treatment, as_of: "2025-05-05"}
treatments:
  - {id: l1, type: chemotherapy, agents: [carboplatin, pemetrexed], start: "2025-01-31", line_number: 1}
exams:
  - {id: pet0, date: "2025-01-20", modality: fdg_pet_ct, purpose: staging, result: positive}
  - {id: pet1, date: "2025-04-30", modality: fdg_pet_ct, purpose: response_assessment,
     result: positive, change_vs_previous: more_foci}
""")


def test_fdg_pet_follow_up_is_explicitly_not_read() -> None:
    a = assess_doc(FDG_FOLLOW_UP)
    assert a.follow_up is not None
    r = a.follow_up.reading("pet1")
    assert r.status == "not_comparable"
    assert r.not_comparable is NotComparable.not_read_fdg
    assert r.classification is None and r.timing is None
    text = _all_text(r)
    assert "FDG" in text
    assert "NaF" in text and "CT" in text  # what to do instead
    assert r.interpretation
    # No flare reading, no "progression" from the flare reader on an FDG-PET.
    assert all(s.classification is None for s in a.follow_up.scans)


def test_staging_fdg_pet_before_treatment_gets_no_note() -> None:
    doc = _with(FDG_FOLLOW_UP)
    doc["exams"] = doc["exams"][:1]
    a = assess_doc(doc)
    assert a.follow_up is None or not any(s.scan_id == "pet0" for s in a.follow_up.scans)


def test_fdg_note_is_dated_and_says_project_reading_in_french() -> None:
    r = assess_doc(FDG_FOLLOW_UP).follow_up.reading("pet1")  # type: ignore[union-attr]
    fr = " ".join(a.text.fr for a in r.advice)
    assert "TEP" in fr and "FDG" in fr
    assert r.scan_date == dt.date(2025, 4, 30)


# --- properties ---------------------------------------------------------------------------------

_START = dt.date(2025, 1, 31)


@st.composite
def _follow_up_case(draw: st.DrawFn) -> dict[str, Any]:
    offset = draw(st.integers(10, 420))
    scan_date = _START + dt.timedelta(days=offset)
    change = draw(st.sampled_from(["more_foci", "more_intense", "stable", "fewer_or_less_intense", None]))
    scan: dict[str, Any] = {"id": "s1", "date": scan_date.isoformat(), "modality": "bone_scan",
                            "purpose": "response_assessment", "result": "positive"}
    if change:
        scan["change_vs_previous"] = change
    clinical = [{"date": (scan_date - dt.timedelta(days=draw(st.integers(0, 20)))).isoformat(),
                 "state": draw(st.sampled_from(["improving", "stable", "deteriorating"]))}
                for _ in range(draw(st.integers(0, 1)))]
    extra = [{"id": "xr", "date": (scan_date - dt.timedelta(days=5)).isoformat(), "modality": "radiograph",
              "radiograph_finding": draw(st.sampled_from(["recalcification", "worsening_osteolysis"]))}
             for _ in range(draw(st.integers(0, 1)))]
    return {
        "schema_version": "1.0", "case_id": "p",
        "cancer": {"primary_site": "lung", "histology": "adenocarcinoma"},
        "context": {"phase": "on_treatment", "as_of": "2026-06-01"},
        "treatments": [{"id": "l1", "type": draw(st.sampled_from(["chemotherapy", "egfr_tki"])),
                        "start": _START.isoformat(), "line_number": 1}],
        "exams": [{"id": "s0", "date": "2025-01-20", "modality": "bone_scan", "purpose": "staging",
                   "result": "positive"}, scan, *extra],
        "clinical_status": clinical,
    }


def _as_naf(doc: dict[str, Any]) -> dict[str, Any]:
    out = _with(doc)
    for e in out["exams"]:
        if e["modality"] == "bone_scan":
            e["modality"] = "naf_pet_ct"
    return out


@given(doc=_follow_up_case())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_naf_pet_series_reads_like_the_same_bone_scan_series(doc: dict[str, Any]) -> None:
    planar, naf = _reading(doc, "s1"), _reading(_as_naf(doc), "s1")
    for field in ("status", "not_comparable", "timing", "classification", "leaning", "line_start",
                  "anniversary", "comparator_id", "comparator_role", "control_scan_from", "rule_ids"):
        assert getattr(naf, field) == getattr(planar, field), field
    assert [(a.name, a.direction) for a in naf.arguments] == [
        (a.name, a.direction) for a in planar.arguments]
    assert [a.rule_id for a in naf.advice] == [a.rule_id for a in planar.advice]
    assert naf.interpretation
    assert any("F28" in w.en for w in naf.warnings)


@given(doc=_follow_up_case(),
       fdg=st.lists(st.tuples(st.integers(-30, 450), st.sampled_from(["positive", "negative", "equivocal"]),
                              st.sampled_from(["more_foci", "stable", None]),
                              st.sampled_from(["follow_up", "response_assessment", "staging", None])),
                    max_size=3))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fdg_pets_never_change_a_bone_scan_reading_and_are_never_classified(
        doc: dict[str, Any], fdg: list[tuple[int, str, str | None, str | None]]) -> None:
    with_fdg = _with(doc)
    for k, (offset, result, change, purpose) in enumerate(fdg):
        e: dict[str, Any] = {"id": f"fdg{k}", "date": (_START + dt.timedelta(days=offset)).isoformat(),
                             "modality": "fdg_pet_ct", "result": result}
        if change:
            e["change_vs_previous"] = change
        if purpose:
            e["purpose"] = purpose
        with_fdg["exams"].append(e)
    a = assess_doc(with_fdg)
    assert a.follow_up is not None
    assert a.follow_up.reading("s1") == _reading(doc, "s1")
    for r in a.follow_up.scans:
        if r.modality == "fdg_pet_ct":
            assert r.not_comparable is NotComparable.not_read_fdg
            assert r.classification is None and r.timing is None
    assert not any(r.rule_id == "NM-06" and r.subject.startswith("fdg") for r in a.recommendations)


def test_fdg_note_becomes_a_recommendation_only_when_the_pet_may_show_more_disease() -> None:
    loud = assess_doc(FDG_FOLLOW_UP)
    assert any(r.rule_id == "NM-07" and r.subject == "pet1" and r.interpretation
               for r in loud.recommendations)
    stable = _with(FDG_FOLLOW_UP)
    stable["exams"][1]["change_vs_previous"] = "stable"
    quiet = assess_doc(stable)
    assert not any(r.subject == "pet1" for r in quiet.recommendations if r.rule_id == "NM-07")
    assert quiet.follow_up is not None and quiet.follow_up.reading("pet1").not_comparable is (
        NotComparable.not_read_fdg)


def test_late_naf_after_a_planar_scan_carries_no_flare_caution() -> None:
    doc = _with(NAF_MONTH_3, context={"phase": "on_treatment", "as_of": "2025-10-01"})
    doc["exams"][0]["modality"] = "bone_scan"
    doc["exams"][1]["date"] = "2025-09-20"
    r = _reading(doc, "naf1")
    assert r.not_comparable is NotComparable.different_modality and r.timing is Timing.late
    assert not any(a.rule_id == "NM-08" for a in r.advice)


def test_same_day_naf_and_planar_scans_are_two_series_not_duplicates() -> None:
    doc = _with(NAF_MONTH_3)
    doc["exams"] += [
        {"id": "bs0", "date": "2025-01-20", "modality": "bone_scan", "purpose": "staging",
         "result": "positive"},
        {"id": "bs1", "date": "2025-04-30", "modality": "bone_scan", "purpose": "response_assessment",
         "result": "positive", "change_vs_previous": "stable"},
    ]
    a = assess_doc(doc)
    assert a.follow_up is not None
    assert a.follow_up.reading("naf1").comparator_id == "naf0"
    assert a.follow_up.reading("bs1").comparator_id == "bs0"
    assert all(s.not_comparable is not NotComparable.same_day_duplicate for s in a.follow_up.scans)
