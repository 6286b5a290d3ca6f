"""Texts of the knowledge base that issue 17 corrected (HZ-AD-08): no overstatement, labels kept."""

from __future__ import annotations

from bonemet.api import assess, parse_case
from bonemet.kb import default_kb
from factories import case_doc, pet


def test_nm01_says_the_bone_scan_performs_less_well_not_that_it_adds_nothing() -> None:
    rule = default_kb().rule("NM-01")
    assert "adds nothing" not in rule.text.en and "n'apporte rien" not in rule.text.fr
    assert "less well" in rule.text.en and "moins performante" in rule.text.fr


def test_nm02_french_title_does_not_call_pet_the_reference_exam() -> None:
    assert "référence" not in default_kb().rule("NM-02").title.fr


def test_nm09_project_additions_are_flagged_as_interpretation() -> None:
    rule = default_kb().rule("NM-09")
    assert {"targeted_imaging", "specialist_opinion"} <= set(rule.interpretive_messages)
    a = assess(parse_case(case_doc(exams=[pet(lesions=[{"site": "ribs"}],
                                              pet_coverage="vertex_to_feet")])))
    nm09 = [r for r in a.recommendations if r.rule_id == "NM-09"]
    assert nm09 and all(r.interpretation for r in nm09)


def test_mirels_axial_criterion_keeps_the_guideline_wording_with_the_mm_caveat() -> None:
    table = default_kb().scores["mirels"]
    threshold = table.thresholds[0]
    assert {75, 76, 77} <= set(threshold.refs)
    assert any("30 mm" in n.text.en and "van der Linden" in n.text.en for n in table.notes)
