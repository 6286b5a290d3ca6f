"""Line identity by `line_number` (issue 21, class 4), cases written before reading the code.

A line of treatment is what the oncologist numbers: induction then maintenance, a dose change, a
re-challenge of the same drug all keep the line number, and the 6-month flare clock runs from the
line's first day. Rows without a line number keep the old reading (each row its own line).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.api import parse_case
from bonemet.core.context import current_systemic_line
from bonemet.model.followup import Classification, ComparatorRole, ScanReading, Timing
from factories import assess_doc

# Carboplatin-pemetrexed from 31 Jan 2025 (month 6 = 31 Jul), four cycles, then pemetrexed
# maintenance as a new row of the same line; a scan at month 7.5 shows new foci.
MAINTENANCE = yaml.safe_load("""
schema_version: "1.0"
case_id: c4-maintenance
cancer: {primary_site: lung, histology: adenocarcinoma}
context: {phase: on_treatment, as_of: "2025-09-20"}
treatments:
  - {id: induction, type: chemotherapy, agents: [carboplatin, pemetrexed], start: "2025-01-31",
     end: "2025-04-30", stop_reason: completed, line_number: 1}
  - {id: maintenance, type: chemotherapy, agents: [pemetrexed], start: "2025-05-01", line_number: 1}
exams:
  - {id: bs0, date: "2025-01-20", modality: bone_scan, purpose: staging, result: positive, hot_spot_count: 3}
  - {id: bs1, date: "2025-09-15", modality: bone_scan, purpose: response_assessment, result: positive,
     hot_spot_count: 6, change_vs_previous: more_foci}
""")

# Osimertinib 80 mg reduced to 40 mg for toxicity (a new row, same line); late scan with new foci.
DOSE_CHANGE = yaml.safe_load("""
schema_version: "1.0"
case_id: c4-dose
cancer: {primary_site: lung, histology: adenocarcinoma}
context: {phase: on_treatment, as_of: "2025-09-20"}
treatments:
  - {id: osi80, type: egfr_tki, agents: [osimertinib], start: "2025-01-31", end: "2025-05-31",
     stop_reason: toxicity, line_number: 1}
  - {id: osi40, type: egfr_tki, agents: [osimertinib], start: "2025-06-01", line_number: 1}
exams:
  - {id: bs0, date: "2025-01-20", modality: bone_scan, purpose: staging, result: positive, hot_spot_count: 2}
  - {id: bs1, date: "2025-09-01", modality: bone_scan, purpose: response_assessment, result: positive,
     change_vs_previous: more_foci}
""")

# Pembrolizumab stopped for colitis, re-challenged six weeks later under the same line number.
RECHALLENGE = yaml.safe_load("""
schema_version: "1.0"
case_id: c4-rechallenge
cancer: {primary_site: lung, histology: squamous_cell_carcinoma}
context: {phase: on_treatment, as_of: "2025-09-01"}
treatments:
  - {id: pembro, type: immunotherapy, agents: [pembrolizumab], start: "2025-01-31", end: "2025-03-01",
     stop_reason: toxicity, line_number: 1}
  - {id: pembro-re, type: immunotherapy, agents: [pembrolizumab], start: "2025-04-15", line_number: 1}
exams:
  - {id: bs0, date: "2025-01-20", modality: bone_scan, purpose: staging, result: positive, hot_spot_count: 2}
  - {id: bs1, date: "2025-08-15", modality: bone_scan, purpose: response_assessment, result: positive,
     change_vs_previous: more_foci}
""")


def _reading(doc: dict[str, Any], scan_id: str = "bs1") -> ScanReading:
    a = assess_doc(doc)
    assert a.follow_up is not None
    return a.follow_up.reading(scan_id)


def _texts(r: ScanReading) -> str:
    return " ".join(t.en + " " + t.fr for t in (*(a.text for a in r.advice), *r.warnings))


def test_maintenance_continues_line_one_late_scan_is_progression() -> None:
    r = _reading(MAINTENANCE)
    assert r.line_start == dt.date(2025, 1, 31)
    assert r.anniversary == dt.date(2025, 7, 31)
    assert r.timing is Timing.late
    assert r.comparator_role is ComparatorRole.baseline_before_line
    assert r.changed_lines == ()
    assert r.classification is Classification.progression
    assert "change of treatment line" not in _texts(r)
    assert "changement de ligne" not in _texts(r)


def test_dose_change_does_not_restart_the_clock() -> None:
    r = _reading(DOSE_CHANGE)
    assert (r.line_start, r.timing, r.classification) == (
        dt.date(2025, 1, 31), Timing.late, Classification.progression)
    assert r.changed_lines == ()


def test_rechallenge_of_the_same_line_number_does_not_restart_the_clock() -> None:
    r = _reading(RECHALLENGE)
    assert (r.line_start, r.timing) == (dt.date(2025, 1, 31), Timing.late)
    assert r.classification is Classification.progression


def test_rows_without_line_number_keep_each_row_its_own_line() -> None:
    doc = yaml.safe_load(yaml.safe_dump(MAINTENANCE))
    for t in doc["treatments"]:
        del t["line_number"]
    r = _reading(doc)
    # Today's reading: the maintenance row is a line of its own started on 1 May.
    assert r.line_start == dt.date(2025, 5, 1)
    assert r.timing is Timing.early
    assert r.classification is Classification.indeterminate


def test_a_new_line_number_still_restarts_the_clock() -> None:
    doc = yaml.safe_load(yaml.safe_dump(MAINTENANCE))
    doc["treatments"][0]["stop_reason"] = "progression"
    doc["treatments"][1].update(line_number=2, agents=["docetaxel"])
    doc["exams"].insert(1, {"id": "bs05", "date": "2025-04-25", "modality": "bone_scan",
                            "purpose": "response_assessment", "result": "positive",
                            "change_vs_previous": "more_foci"})
    r = _reading(doc)
    assert r.line_start == dt.date(2025, 5, 1)
    assert r.timing is Timing.early


def test_current_line_of_nm05_is_the_line_not_the_row() -> None:
    case = parse_case(MAINTENANCE)
    found = current_systemic_line(case, dt.date(2025, 9, 20))
    assert found is not None
    _, treatment = found
    assert treatment.line_number == 1
    # NM-05 dates a response-assessment scan from the anniversary of the line (31 Jul), not of
    # the maintenance row (1 Nov): the window outside flare is already open on 20 Sep.
    a = assess_doc({**MAINTENANCE, "exams": MAINTENANCE["exams"][:1],
                    "context": {**MAINTENANCE["context"], "new_bone_pain": True}})
    nm05 = [r for r in a.recommendations if r.rule_id == "NM-05"]
    assert nm05
    assert all("2025-11-0" not in r.text.en and "1 Nov" not in r.text.en for r in nm05)
    assert any(f.path == "treatments[0].start" and f.value == "2025-01-31"
               for r in nm05 for f in r.facts)
    assert next(m for m in a.ratings if m.modality.value == "bone_scan").rating.value == (
        "usually_appropriate")


# --- property: continuing a line never moves its clock ------------------------------------------

_BASE_START = dt.date(2025, 1, 31)


@st.composite
def _continuing_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 3))
    rows = []
    for i in range(n):
        offset = draw(st.integers(0, 400))
        start = _BASE_START + dt.timedelta(days=offset)
        row: dict[str, Any] = {"id": f"cont{i}", "type": draw(st.sampled_from(
            ["chemotherapy", "immunotherapy", "egfr_tki", "chemo_immunotherapy"])),
            "start": start.isoformat(), "line_number": 1}
        if draw(st.booleans()):
            row["end"] = (start + dt.timedelta(days=draw(st.integers(0, 200)))).isoformat()
        rows.append(row)
    return rows


@given(rows=_continuing_rows(), scan_offset=st.integers(20, 420),
       change=st.sampled_from(["more_foci", "more_intense", "stable", "fewer_or_less_intense"]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_adding_a_row_of_the_same_line_never_moves_the_clock(
        rows: list[dict[str, Any]], scan_offset: int, change: str) -> None:
    scan_date = _BASE_START + dt.timedelta(days=scan_offset)
    doc: dict[str, Any] = {
        "schema_version": "1.0", "case_id": "p",
        "cancer": {"primary_site": "lung", "histology": "adenocarcinoma"},
        "context": {"phase": "on_treatment", "as_of": "2026-06-01"},
        "treatments": [{"id": "first", "type": "chemotherapy", "start": _BASE_START.isoformat(),
                        "line_number": 1}],
        "exams": [{"id": "bs0", "date": "2025-01-20", "modality": "bone_scan", "purpose": "staging",
                   "result": "positive"},
                  {"id": "bs1", "date": scan_date.isoformat(), "modality": "bone_scan",
                   "purpose": "response_assessment", "result": "positive", "change_vs_previous": change}],
    }
    before = _reading(doc)
    after = _reading({**doc, "treatments": [*doc["treatments"], *rows]})
    assert (after.line_start, after.anniversary, after.timing) == (
        before.line_start, before.anniversary, before.timing)
    assert after.comparator_role == before.comparator_role
    assert after.classification == before.classification
    assert after.changed_lines == ()
    assert after.control_scan_from == before.control_scan_from
    line_before = current_systemic_line(parse_case(doc), scan_date)
    line_after = current_systemic_line(parse_case({**doc, "treatments": [*doc["treatments"], *rows]}),
                                       scan_date)
    assert line_before is not None and line_after is not None
    assert line_after[1].line_number == 1


def test_timeline_figure_shades_month_6_only_for_rows_that_start_a_line() -> None:
    from bonemet.core.flare_timeline import rows_starting_a_line

    assert rows_starting_a_line(parse_case(MAINTENANCE)) == {"induction"}
    assert rows_starting_a_line(parse_case(DOSE_CHANGE)) == {"osi80"}
    unnumbered = yaml.safe_load(yaml.safe_dump(MAINTENANCE))
    for t in unnumbered["treatments"]:
        del t["line_number"]
    assert rows_starting_a_line(parse_case(unnumbered)) == {"induction", "maintenance"}


def test_line_label_names_the_rows_of_the_line() -> None:
    r = _reading(MAINTENANCE)
    assert r.line_label == "carboplatin+pemetrexed → pemetrexed (L1)"
    assert r.line_id == "induction"
    assert _reading(DOSE_CHANGE).line_label == "osimertinib (L1)"


def test_an_undated_ended_row_of_the_same_line_is_no_change_of_line() -> None:
    """A row of line 1 with no start date, ended before the scan (a reduced-dose period), is part
    of line 1: not a change of line between the comparator and the scan."""
    doc = yaml.safe_load(yaml.safe_dump(MAINTENANCE))
    doc["treatments"].append({"id": "reduced", "type": "chemotherapy", "agents": ["pemetrexed"],
                              "end": "2025-06-30", "line_number": 1})
    r = _reading(doc)
    assert r.changed_lines == ()
    assert r.classification is Classification.progression
