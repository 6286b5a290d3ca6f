"""NM-05 (core/flare_rules.py): the earliest date of a response-assessment bone scan.

NM-05 gives a date, never an indication: without new bone pain or a specific question no routine
scan is rated appropriate (F23, REC2; issue 17 item 4). The window is that of the systemic line
covering the decision date, ended or not; "after month 6" is strictly after the anniversary.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bonemet.model import RatedModality, Rating
from factories import assess_doc, case_doc

BS = RatedModality.bone_scan


def _line(start: str | None, **fields: Any) -> dict[str, Any]:
    return {"id": "l1", "type": "chemotherapy", "start": start, **fields}


def _doc(as_of: str, treatments: list[dict[str, Any]], **ctx: Any) -> dict[str, Any]:
    return case_doc("on_treatment", context={"as_of": as_of, **ctx}, treatments=treatments)


@pytest.mark.parametrize(
    ("start", "as_of", "rating", "earliest"),
    [
        # Inside the window the scan is deferred: "not now", with its first day (review 25 F3).
        ("2025-01-31", "2025-07-30", Rating.usually_not_appropriate, "2025-08-01"),  # day before
        ("2025-01-31", "2025-07-31", Rating.usually_not_appropriate, "2025-08-01"),  # anniversary
        ("2025-01-31", "2025-08-01", Rating.usually_appropriate, "2025-08-01"),  # day after
        ("2024-08-31", "2025-02-27", Rating.usually_not_appropriate, "2025-03-01"),  # Feb end
        ("2023-08-29", "2024-03-01", Rating.usually_appropriate, "2024-03-01"),  # leap day + 1
        ("2024-02-29", "2024-08-28", Rating.usually_not_appropriate, "2024-08-30"),
    ],
)
def test_nm05_with_new_pain_dates_the_scan_strictly_after_the_anniversary(
        start: str, as_of: str, rating: Rating, earliest: str) -> None:
    a = assess_doc(_doc(as_of, [_line(start)], new_bone_pain=True))
    r = a.rating_of(BS)
    assert (r.rating, r.rule_id) == (rating, "NM-05")
    assert r.not_before == (dt.date.fromisoformat(earliest)
                            if rating is Rating.usually_not_appropriate else None)
    if rating is Rating.usually_not_appropriate:
        # ISO in English; the French sentence reads the same day as 01/08/2025 (issue 13, item 5)
        y, m, d = earliest.split("-")
        assert earliest in r.reason.en and f"{d}/{m}/{y}" in r.reason.fr
        assert earliest not in r.reason.fr


@pytest.mark.parametrize(("ctx", "rating"), [
    ({"new_bone_pain": False}, Rating.usually_not_appropriate),
    ({"new_bone_pain": None}, Rating.no_criteria_apply),
    ({"new_bone_pain": False, "question_text": "  "}, Rating.usually_not_appropriate),
    ({"new_bone_pain": False, "question_text": "is the L3 focus healing?"}, Rating.usually_appropriate),
    # The wording alone is no question (review 25 F2): it names nothing the scan would answer.
    ({"new_bone_pain": False, "question_text": "Scintigraphie de contrôle annuelle"},
     Rating.usually_not_appropriate),
    ({"new_bone_pain": True}, Rating.usually_appropriate),
])
def test_nm05_needs_new_pain_or_a_question(ctx: dict[str, Any], rating: Rating) -> None:
    a = assess_doc(_doc("2025-10-01", [_line("2025-01-31")], **ctx))
    r = a.rating_of(BS)
    assert (r.rating, r.rule_id) == (rating, "NM-05")
    missing = [m.field for m in a.missing_data if m.rule_id == "NM-05"]
    assert missing == (["context.new_bone_pain"] if rating is Rating.no_criteria_apply else [])
    assert "2025-08-01" in r.reason.en


def test_nm05_never_usually_appropriate_without_an_indication() -> None:
    for as_of in ("2025-03-01", "2025-07-31", "2025-08-01", "2026-06-01"):
        for pain in (False, None):
            a = assess_doc(_doc(as_of, [_line("2025-01-31")], new_bone_pain=pain))
            assert a.rating_of(BS).rating is not Rating.usually_appropriate, (as_of, pain)


def test_nm05_ended_line_is_not_missing() -> None:
    a = assess_doc(_doc("2025-10-01", [_line("2025-01-31", end="2025-06-30")], new_bone_pain=True))
    r = a.rating_of(BS)
    assert (r.rating, r.rule_id) == (Rating.usually_appropriate, "NM-05")
    assert not [m for m in a.missing_data if m.rule_id == "NM-05"]


def test_nm05_uses_the_latest_line_started_before_the_date() -> None:
    lines = [_line("2024-01-10", end="2025-03-01"),
             {"id": "l2", "type": "egfr_tki", "start": "2025-03-02", "agents": ["osimertinib"]}]
    # A line starting after the decision date is refused since issue 21 (tests/core/test_issue21_dates.py).
    a = assess_doc(_doc("2025-06-01", lines, new_bone_pain=True))
    assert "2025-09-03" in a.rating_of(BS).reason.en  # anniversary 2025-09-02, then the day after


def test_nm05_ignores_non_systemic_treatments_and_asks_for_the_start() -> None:
    treatments = [{"id": "rt", "type": "radiotherapy", "start": "2025-01-01"},
                  {"id": "zol", "type": "zoledronic_acid", "start": "2025-01-01"},
                  _line(None)]
    a = assess_doc(case_doc("on_treatment", treatments=treatments))
    r = a.rating_of(BS)
    assert (r.rating, r.rule_id) == (Rating.no_criteria_apply, "NM-05")
    assert [m.field for m in a.missing_data if m.rule_id == "NM-05"] == ["treatments[2].start"]


def test_nm05_undated_current_line_is_not_dated_from_the_earlier_line() -> None:
    treatments = [_line("2024-06-03", end="2025-01-10"),
                  {"id": "l2", "type": "immunotherapy", "line_number": 2}]
    a = assess_doc(_doc("2025-03-01", treatments, new_bone_pain=True))
    r = a.rating_of(BS)
    assert (r.rating, r.rule_id) == (Rating.no_criteria_apply, "NM-05")
    assert "treatments[1].start" in [m.field for m in a.missing_data if m.rule_id == "NM-05"]


def test_nm05_early_plan_carries_the_flare_caution() -> None:
    a = assess_doc(_doc("2025-03-01", [_line("2025-01-15")], new_bone_pain=True))
    assert "NM-07" in a.rule_ids()


@pytest.mark.parametrize(
    ("ctx", "as_of"),
    [({"new_bone_pain": False}, "2025-09-15"), ({}, "2025-09-15"), ({"new_bone_pain": True}, "2025-09-15")],
    ids=["no-indication", "indication-unknown", "pain"],
)
def test_nm05_never_prints_a_past_earliest_date_as_a_date_to_come(ctx: dict[str, Any], as_of: str) -> None:
    a = assess_doc(_doc(as_of, [_line("2025-01-31")], **ctx))
    nm05 = [r for r in a.recommendations if r.rule_id == "NM-05"]
    assert nm05
    for rec in nm05:
        assert "earliest date" not in rec.text.en
        assert "already open" in rec.text.en and "since 2025-08-01" in rec.text.en
        assert "déjà ouverte" in rec.text.fr
