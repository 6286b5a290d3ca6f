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
