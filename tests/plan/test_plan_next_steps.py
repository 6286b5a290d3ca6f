"""The calculators' next steps (issue 23): each score band gets what the bone plan's rules propose,
from the same rules as a whole case (no threshold re-encoded in the calculators).

Rows: Mirels bands M2-M4 (Mirels 1989, PL-03/PL-04), SINS bands (Fisher 2010, PL-21), Harrington
classes I-IV (PL-17/PL-18), revised Tokuhashi thresholds of the chapter for a lung primary (PL-19),
Bilsky high grade and Frankel/ASIA deficits to the cord-compression pathway (NICE NG234, PL-24).
"""

from __future__ import annotations

import datetime as dt

import pytest

from bonemet.core.plan_next_steps import FAMILIES, next_steps
from bonemet.kb import default_kb
from bonemet.web.calculators import view

DAY = dt.date(2026, 12, 1)
M4 = {"site": "lower-limb", "pain": "functional", "lesion": "lytic", "size": "lt-1/3"}  # 2+3+3+1 = 9
M3 = {**M4, "pain": "moderate"}  # 8
M2 = {**M3, "lesion": "mixed"}  # 7
S6 = {"location": "junctional", "pain": "mechanical", "lesion": "lytic", "alignment": "normal",
      "collapse": "lt-50", "posterolateral": "bilateral"}  # 3+3+2+0+2+3 = 13
S3 = {"location": "mobile", "pain": "occasional", "lesion": "lytic", "alignment": "normal",
      "collapse": "no-collapse-gt-50-involved", "posterolateral": "unilateral"}  # 7
S2 = {**S3, "location": "semi-rigid"}  # 6
T_HIGH = {"general_condition": "good", "extraspinal_bone_metastases": "0",
          "vertebral_body_metastases": "1", "internal_organ_metastases": "none",
          "primary_site": "lung", "palsy": "none"}  # 2+2+2+2+0+2 = 10
T_MID = {"general_condition": "moderate", "extraspinal_bone_metastases": "1-2",
         "vertebral_body_metastases": "2", "internal_organ_metastases": "none",
         "primary_site": "lung", "palsy": "none"}  # 1+1+1+2+0+2 = 7
T_LOW = {"general_condition": "poor", "extraspinal_bone_metastases": "3-or-more",
         "vertebral_body_metastases": "3-or-more", "internal_organ_metastases": "unremovable",
         "primary_site": "lung", "palsy": "none"}  # 0+0+0+0+0+2 = 2


def _rules(slug: str, values: dict[str, str]) -> list[str]:
    v = view(slug, values, "en")
    assert not v["problems"], v["problems"]
    return [p.rule_id for p in v["next_steps"]]


def _text(slug: str, values: dict[str, str], rule: str) -> str:
    v = view(slug, values, "en")
    return next(p.text.en for p in v["next_steps"] if p.rule_id == rule)


@pytest.mark.parametrize(("values", "rule"), [(M4, "SX-01"), (M3, "SX-02"), (M2, "SX-03")],
                         ids=["M4-9", "M3-8", "M2-7"])
def test_mirels_bands(values: dict[str, str], rule: str) -> None:
    assert _rules("mirels", values) == [rule]


def test_mirels_9_with_ct_lysis_fills_the_thresholds_from_the_plan() -> None:
    text = _text("mirels", {**M4, "axial_lysis_percent": "40", "circumferential_lysis_percent": "60"},
                 "SX-01")
    assert "Mirels 9 (at least 9)" in text and "over 30 %" in text


@pytest.mark.parametrize(("values", "words"), [(S6, "(unstable"), (S3, "potentially unstable"), (S2, None)],
                         ids=["S6-13", "S3-7", "S2-6"])
def test_sins_bands(values: dict[str, str], words: str | None) -> None:
    rules = _rules("sins", values)
    if words is None:
        assert "SP-01" not in rules
    else:
        assert words in _text("sins", values, "SP-01")


@pytest.mark.parametrize(("grade", "words"), [("I", "cemented"), ("II", "anti-protrusio"),
                                              ("III", "pins"), ("IV", "en-bloc")])
def test_harrington_classes(grade: str, words: str) -> None:
    assert words in _text("harrington", {"grade": grade}, "SX-05")


def test_harrington_from_its_findings_reaches_the_same_rule() -> None:
    values = {"resectable_for_cure": "no", "medial_wall": "deficient", "lateral_wall_or_roof": "intact"}
    assert "anti-protrusio" in _text("harrington", values, "SX-05")


@pytest.mark.parametrize(("values", "words"), [(T_HIGH, "above 9"), (T_MID, "between 6 and 9"),
                                               (T_LOW, "under 6")], ids=["T10", "T7", "T2"])
def test_tokuhashi_thresholds(values: dict[str, str], words: str) -> None:
    assert words in _text("tokuhashi", values, "SP-02")


@pytest.mark.parametrize(("slug", "grade", "urgent"), [
    ("bilsky", "3", True), ("bilsky", "2", True), ("bilsky", "1c", False), ("bilsky", "0", False),
    ("frankel", "A", True), ("frankel", "D", True), ("frankel", "E", False),
    ("asia", "B", True), ("asia", "E", False),
])
def test_cord_compression_pathway_first_for_a_high_grade_or_a_deficit(slug: str, grade: str,
                                                                      urgent: bool) -> None:
    v = view(slug, {"grade": grade}, "en")
    steps = v["next_steps"]
    if urgent:
        assert steps[0].rule_id == "CC-01" and steps[0].priority == "urgent"
    else:
        assert not any(p.rule_id.startswith("CC-") for p in steps)


def test_tomita_has_no_next_steps_and_no_section() -> None:
    values = {"primary_growth": "slow", "visceral_metastases": "none", "bone_metastases": "solitary"}
    v = view("tomita", values, "en")
    assert v["plan"] is None and v["next_steps"] == ()


def test_next_steps_equal_the_plan_of_the_same_case() -> None:
    """No second encoding: the steps are the plan's own proposals of the score's family."""
    plan, steps = next_steps("mirels", M4, default_kb(), DAY)
    assert plan is not None
    assert steps == tuple(p for p in plan.proposals if p.rule_id.startswith(FAMILIES["mirels"]))
    assert all(p.strength.en == "For the board to discuss" and p.statement_ids and p.sources for p in steps)
