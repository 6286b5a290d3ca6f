"""Treatment lines from records written one resource per administration (issue 14, defect 6)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bonemet.fhir import case_from_fhir, default_valuesets

GAP = default_valuesets().rules.line_gap_days
COURSE_GAP = default_valuesets().rules.course_gap_days


def request(i: int, drug: str, day: dt.date, status: str = "stopped") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": f"mr-{i}", "status": status, "intent": "order",
            "medicationCodeableConcept": {"text": drug}, "authoredOn": day.isoformat()}


def fraction(i: int, day: dt.date, site: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Procedure", "id": f"rt-{i}", "status": "completed",
                           "code": {"text": "Combined chemotherapy and radiation therapy"},
                           "performedDateTime": day.isoformat()}
    if site:
        out["bodySite"] = [{"text": site}]
    return out


def mapped(resources: list[dict[str, Any]], as_of: str = "2025-06-01") -> Any:
    return case_from_fhir([{"resourceType": "Patient", "id": "p1"}, *resources], context={"as_of": as_of})


def test_442_stopped_requests_are_closed_lines_not_one_open_line() -> None:
    start = dt.date(2012, 1, 2)
    reqs = [request(i, drug, start + dt.timedelta(days=7 * (i // 2)))
            for i, drug in enumerate(["cisplatin", "paclitaxel"] * 221)]
    case = mapped(reqs).case
    (line,) = case.treatments
    assert (line.start, line.end) == (start, start + dt.timedelta(days=7 * 220))
    assert case.context.phase == "follow_up"  # not "on treatment" years after the last dose


def test_a_recent_active_request_keeps_the_line_open_and_a_stale_one_does_not() -> None:
    recent = [request(i, "osimertinib", dt.date(2025, 1, 1) + dt.timedelta(days=30 * i),
                      "active" if i == 4 else "completed") for i in range(5)]
    assert mapped(recent).case.treatments[0].end is None
    stale = [request(0, "cisplatin", dt.date(2013, 1, 1), "active")]
    r = mapped(stale)
    assert r.case.treatments[0].end == dt.date(2013, 1, 1)
    assert any("read as ended" in a.reason for a in r.assumptions)


def test_a_switch_of_agents_starts_a_new_line_even_without_a_gap() -> None:
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=21 * i) for i in range(8)]
    reqs = [request(i, "carboplatin" if i < 4 else "docetaxel", d) for i, d in enumerate(days)]
    lines = mapped(reqs).case.treatments
    assert [(t.agents, t.line_number) for t in lines] == [(("carboplatin",), 1), (("docetaxel",), 2)]
    assert lines[0].end == days[3] and lines[1].start == days[4]


def test_221_fractions_are_courses_not_221_treatments() -> None:
    days: list[dt.date] = []
    for start in (dt.date(2012, 2, 6), dt.date(2013, 6, 3), dt.date(2016, 1, 4)):
        day = start
        while len([d for d in days if d >= start]) < 30:
            if day.weekday() < 5:
                days.append(day)
            day += dt.timedelta(days=1)
    extra = [dt.date(2020, 1, 6) + dt.timedelta(days=i) for i in range(131)]  # one long daily course
    procs = [fraction(i, d) for i, d in enumerate(days + extra)]
    assert len(procs) == 221
    courses = mapped(procs).case.treatments
    assert [(t.type, t.start, t.end) for t in courses] == [
        ("radiotherapy", dt.date(2012, 2, 6), days[29]), ("radiotherapy", dt.date(2013, 6, 3), days[59]),
        ("radiotherapy", dt.date(2016, 1, 4), days[89]), ("radiotherapy", extra[0], extra[-1])]


def test_fractions_at_two_sites_the_same_weeks_are_two_courses() -> None:
    day = dt.date(2024, 3, 4)
    procs = [fraction(i, day + dt.timedelta(days=i // 2), "femur" if i % 2 else "lumbar spine")
             for i in range(10)]
    assert len(mapped(procs).case.treatments) == 2


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=60))
def test_lines_split_exactly_at_gaps_over_the_rule(gaps: list[int]) -> None:
    days = [dt.date(2010, 1, 1)]
    for g in gaps:
        days.append(days[-1] + dt.timedelta(days=g))
    reqs = [request(i, "pemetrexed", d) for i, d in enumerate(days)]
    lines = mapped(reqs, as_of="2030-01-01").case.treatments
    assert len(lines) == 1 + sum(1 for g in gaps if g > GAP)
    spans = [(t.start, t.end) for t in lines]
    assert all(s is not None and e is not None and s <= e for s, e in spans)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))  # ordered, no overlap
    assert all(sum(1 for s, e in spans if s <= d <= e) == 1 for d in days)  # every dose in one line
    assert [t.line_number for t in lines] == list(range(1, len(lines) + 1))
