"""A drug still given is never read as ended (issue 26 review, F1 unsafe; F6).

An oral targeted drug or denosumab is often one active order for months, and a regimen recorded as
administrations sits between two doses most days: read as ended, the line disappears from the
phase, the second-antiresorptive check and the pause before radiotherapy. A doubt keeps the line
open and is said; a recorded stop or end closes it.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from mcode_builders import ATC, LUNG_PRIMARY, RX, SCT, bundle, cc, med_admin, med_request

from bonemet.fhir.to_case import case_from_fhir

OSIMERTINIB = cc(RX, "1721560", "osimertinib 80 MG Oral Tablet")
DENOSUMAB = cc(ATC, "M05BX04", "denosumab")
PEMBROLIZUMAB = cc(ATC, "L01FF02", "pembrolizumab")
AS_OF = dt.date(2026, 11, 10)


def _read(*resources, as_of: dt.date = AS_OF):  # type: ignore[no-untyped-def]
    return case_from_fhir(bundle(LUNG_PRIMARY, *resources), context={"as_of": as_of})


@settings(deadline=None)  # the first call loads the value sets
@given(st.integers(min_value=0, max_value=900))
def test_an_active_order_is_running_however_old(age_days: int) -> None:
    day = (AS_OF - dt.timedelta(days=age_days)).isoformat()
    r = _read(med_request("o", OSIMERTINIB, "active", day), med_request("d", DENOSUMAB, "active", day))
    assert r.case.treatments and all(t.end is None for t in r.case.treatments)
    said = [a for a in r.assumptions if "still running" in str(a)]
    assert bool(said) == (age_days > 90)  # an old order is said, to be checked


def test_administrations_between_two_doses_are_a_running_line() -> None:
    r = _read(*(med_admin(f"p{i}", PEMBROLIZUMAB, day)
                for i, day in enumerate(["2026-09-14", "2026-10-05", "2026-11-04"])))
    (line,) = r.case.treatments
    assert line.end is None and line.start == dt.date(2026, 9, 14)
    assert any("last given 2026-11-04, 6 days before 2026-11-10" in str(a) for a in r.assumptions)


def test_administrations_long_past_or_stopped_end_the_line() -> None:
    old = _read(med_admin("p1", PEMBROLIZUMAB, "2026-08-01"), med_admin("p2", PEMBROLIZUMAB, "2026-08-22"))
    assert old.case.treatments[0].end == dt.date(2026, 8, 22)  # 80 days: past two cycles
    stopped = _read(med_admin("p1", PEMBROLIZUMAB, "2026-10-15"),
                    med_admin("p2", PEMBROLIZUMAB, "2026-11-04", status="stopped",
                              statusReason=[cc(SCT, "407563006", "Treatment not tolerated (situation)")]))
    (line,) = stopped.case.treatments
    assert line.end == dt.date(2026, 11, 4) and line.stop_reason == "toxicity"


def test_a_dosage_bounds_end_is_the_order_end() -> None:
    bounded = med_request("o", OSIMERTINIB, "completed", "2026-01-10", dosageInstruction=[
        {"timing": {"repeat": {"boundsPeriod": {"start": "2026-01-10", "end": "2026-06-30"}}}}])
    (line,) = _read(bounded).case.treatments
    assert line.end == dt.date(2026, 6, 30)
    open_dose = med_request("o", OSIMERTINIB, "active", "2026-01-10", dosageInstruction=[
        {"timing": {"repeat": {"boundsPeriod": {"start": "2026-01-10"}}}}])
    assert _read(open_dose).case.treatments[0].end is None


def test_the_default_decision_date_counts_measures_and_staging() -> None:
    """Issue 26 review F2: with no decision date given, the record's latest weight, ECOG or staging
    moves the default date like a lab does (the case was assessed months too early)."""
    from bonemet.api import parse_case
    from factories import case_doc

    doc = case_doc(case_id="late-weight", labs=[
        {"date": "2026-02-15", "analyte": "creatinine", "value": 80, "unit": "µmol/L"}])
    doc["context"].pop("as_of")
    assert parse_case(doc).latest_date() == dt.date(2026, 2, 15)
    doc["plan_inputs"] = {"weight_kg": 70, "weight_date": "2026-10-15"}
    assert parse_case(doc).latest_date() == dt.date(2026, 10, 15)
    doc["oncology"] = {"staging": [{"kind": "clinical", "element": "stage_group", "value": "IVB",
                                    "date": "2026-11-01"}]}
    assert parse_case(doc).latest_date() == dt.date(2026, 11, 1)
