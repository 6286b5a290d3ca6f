"""New or increasing sclerosis on CT under treatment (issue 21; reference 34, F13), cases first.

Under an EGFR or ALK inhibitor, lytic metastases often become sclerotic and new sclerotic foci
appear that were there, unseen, before: an osteoblastic reaction associated with response. The
project reads it with the bone scan's timing: early in a line, compatible with flare/healing;
after month 6, progression.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bonemet.api import parse_case
from bonemet.core.dates import add_months
from bonemet.errors import InputError
from bonemet.model.followup import ArgumentName, Classification, Direction, ScanReading, Timing
from factories import assess_doc

EGFR_CT = yaml.safe_load("""
schema_version: "1.0"
case_id: c-ct-sclerosis
cancer: {primary_site: lung, histology: adenocarcinoma, driver_alterations: [{gene: EGFR}]}
context: {phase: on_treatment, as_of: "2025-05-10"}
treatments:
  - {id: osi, type: egfr_tki, agents: [osimertinib], start: "2025-01-31", line_number: 1}
exams:
  - {id: bs0, date: "2025-01-20", modality: bone_scan, purpose: staging, result: positive,
     lesions: [{site: thoracic_spine, phenotype: lytic}]}
  - {id: ct0, date: "2025-01-18", modality: ct, purpose: staging, result: positive}
  - {id: ct1, date: "2025-04-25", modality: ct, purpose: response_assessment, result: positive,
     ct_finding: sclerosis_new_or_increasing}
  - {id: bs1, date: "2025-04-30", modality: bone_scan, purpose: response_assessment,
     result: positive, change_vs_previous: more_foci}
""")


def _copy(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = yaml.safe_load(yaml.safe_dump(doc))
    return out


def _reading(doc: dict[str, Any], scan_id: str = "bs1") -> ScanReading:
    a = assess_doc(doc)
    assert a.follow_up is not None
    return a.follow_up.reading(scan_id)


def _ct_argument(r: ScanReading) -> Any:
    found = [a for a in r.arguments if a.name is ArgumentName.ct]
    assert len(found) == 1, [a.name for a in r.arguments]
    return found[0]


def test_early_ct_sclerosis_favours_flare_labelled_as_project_reading() -> None:
    arg = _ct_argument(_reading(EGFR_CT))
    assert arg.direction is Direction.favours_flare
    assert arg.interpretation
    assert arg.observations[0].path.startswith("exams[")
    assert "34" in arg.explanation.en or "F13" in arg.statement_ids


def test_late_ct_sclerosis_is_not_weighed() -> None:
    # Review of issue 21 (C1): on CT, sclerosis of a lytic lesion is a response at any time (MD
    # Anderson criteria); after month 6 it is read on the CT itself, never as progression here.
    doc = _copy(EGFR_CT)
    # Scan on the anniversary (early), CT three weeks later, after month 6 (late).
    doc["context"]["as_of"] = "2025-09-01"
    doc["exams"][2]["date"] = "2025-08-20"
    doc["exams"][3]["date"] = "2025-07-31"
    arg = _ct_argument(_reading(doc))
    assert arg.direction is Direction.neutral
    assert arg.interpretation


def test_ct_without_sclerosis_finding_is_not_an_argument() -> None:
    doc = _copy(EGFR_CT)
    del doc["exams"][2]["ct_finding"]
    r = _reading(doc)
    assert all(a.name is not ArgumentName.ct for a in r.arguments)


def test_ct_worsening_osteolysis_favours_progression_whenever() -> None:
    doc = _copy(EGFR_CT)
    doc["exams"][2]["ct_finding"] = "worsening_osteolysis"
    assert _ct_argument(_reading(doc)).direction is Direction.favours_progression


def test_ct_before_the_comparator_is_not_read() -> None:
    doc = _copy(EGFR_CT)
    doc["exams"][2]["date"] = "2025-01-19"
    r = _reading(doc)
    assert all(a.name is not ArgumentName.ct for a in r.arguments)


def test_ct_finding_is_refused_on_a_modality_without_ct() -> None:
    doc = _copy(EGFR_CT)
    doc["exams"][1]["modality"] = "mri"
    doc["exams"][1]["ct_finding"] = "sclerosis_new_or_increasing"
    with pytest.raises(InputError, match="ct_finding"):
        parse_case(doc)


@pytest.mark.parametrize("modality", ["ct", "fdg_pet_ct", "naf_pet_ct", "spect_ct"])
def test_ct_finding_is_accepted_on_every_exam_with_a_ct(modality: str) -> None:
    doc = _copy(EGFR_CT)
    doc["exams"][2]["modality"] = modality
    parse_case(doc)


@given(start_offset=st.integers(-200, 0), ct_days_before_scan=st.integers(-30, 150),
       scan_offset=st.integers(30, 200))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_ct_sclerosis_follows_the_bone_scan_clock(start_offset: int, ct_days_before_scan: int,
                                                  scan_offset: int) -> None:
    """Favours flare exactly when the CT is dated up to the anniversary of the line covering it
    (the anniversary day included), progression after it: the bone scan's rule, at the CT's date."""
    start = dt.date(2025, 1, 31) + dt.timedelta(days=start_offset)
    scan_date = start + dt.timedelta(days=scan_offset)
    ct_date = scan_date - dt.timedelta(days=ct_days_before_scan)
    assume(ct_date > dt.date(2025, 1, 20) and ct_date >= start)
    doc = _copy(EGFR_CT)
    doc["treatments"][0]["start"] = start.isoformat()
    doc["exams"][0]["date"] = min(dt.date(2025, 1, 20), start - dt.timedelta(days=1)).isoformat()
    doc["exams"][1]["date"] = doc["exams"][0]["date"]
    doc["exams"][2]["date"] = ct_date.isoformat()
    doc["exams"][3]["date"] = scan_date.isoformat()
    doc["context"]["as_of"] = "2026-12-31"
    r = _reading(doc)
    found = [a for a in r.arguments if a.name is ArgumentName.ct]
    if not found:
        assert r.timing is not None and r.timing.value == "late"  # no body of evidence read late
        return
    early = ct_date <= add_months(start, 6)
    assert found[0].direction is (Direction.favours_flare if early else Direction.neutral)


# --- a CT without any bone scan (the usual follow-up under a TKI) ---------------------------------

CT_ONLY = yaml.safe_load("""
schema_version: "1.0"
case_id: c-ct-only
cancer: {primary_site: lung, histology: adenocarcinoma, driver_alterations: [{gene: ALK}]}
context: {phase: on_treatment, as_of: "2025-05-10"}
treatments:
  - {id: alec, type: alk_tki, agents: [alectinib], start: "2025-01-31", line_number: 1}
exams:
  - {id: ct0, date: "2025-01-18", modality: ct, purpose: staging, result: positive,
     lesions: [{site: lumbar_spine, phenotype: lytic}]}
  - {id: ct1, date: "2025-04-25", modality: ct, purpose: response_assessment, result: positive,
     ct_finding: sclerosis_new_or_increasing}
""")


def test_ct_only_early_sclerosis_gets_a_reading_and_the_flare_caution() -> None:
    a = assess_doc(CT_ONLY)
    assert a.follow_up is not None
    r = a.follow_up.reading("ct1")
    assert r.modality == "ct" and r.status == "compared"
    assert r.timing is Timing.early and r.line_start == dt.date(2025, 1, 31)
    assert r.classification is Classification.indeterminate
    assert r.leaning is Direction.favours_flare
    assert r.interpretation
    assert any(x.rule_id == "NM-08" for x in r.advice)
    assert any(x.rule_id == "NM-08" and x.subject == "ct1" for x in a.recommendations)
    assert "34" in " ".join(x.text.en for x in r.advice)


def test_ct_only_late_sclerosis_is_never_read_as_progression() -> None:
    # Review of issue 21 (C1): an ALK-positive patient responding at month 8 whose lytic lesions
    # turn sclerotic must not read "progression"; the board compares the CTs.
    doc = _copy(CT_ONLY)
    doc["exams"][1]["date"] = "2025-09-01"
    doc["context"]["as_of"] = "2025-09-10"
    r = _reading(doc, "ct1")
    assert (r.timing, r.classification) == (Timing.late, Classification.indeterminate)
    assert "not read as progression" in r.advice[0].text.en
    assert r.rule_ids == ("NM-06",) and r.interpretation
    assert all(x.interpretation for x in r.advice)


@pytest.mark.parametrize("finding", ["stable", "worsening_osteolysis", None])
def test_ct_only_without_sclerosis_gets_no_reading(finding: str | None) -> None:
    doc = _copy(CT_ONLY)
    if finding:
        doc["exams"][1]["ct_finding"] = finding
    else:
        del doc["exams"][1]["ct_finding"]
    a = assess_doc(doc)
    assert a.follow_up is None or all(s.scan_id != "ct1" for s in a.follow_up.scans)


def test_ct_sclerosis_before_any_line_gets_no_reading() -> None:
    doc = _copy(CT_ONLY)
    doc["treatments"][0]["start"] = "2025-05-01"
    a = assess_doc(doc)
    assert a.follow_up is None or all(s.scan_id != "ct1" for s in a.follow_up.scans)


def test_ct_sclerosis_reading_continues_the_line_through_maintenance() -> None:
    doc = _copy(CT_ONLY)
    doc["treatments"][0]["end"] = "2025-03-31"
    doc["treatments"].append({"id": "alec2", "type": "alk_tki", "agents": ["alectinib"],
                              "start": "2025-04-01", "line_number": 1})
    doc["exams"][1]["date"] = "2025-09-01"
    doc["context"]["as_of"] = "2025-09-10"
    r = _reading(doc, "ct1")
    assert (r.line_start, r.timing) == (dt.date(2025, 1, 31), Timing.late)
