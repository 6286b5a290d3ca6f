"""ASIA impairment scale (ISNCSCI 2011): from a grade, or classified from four examination findings."""

from __future__ import annotations

from bonemet.kb import KnowledgeBase
from bonemet.model.score_inputs import AsiaGrade, YesNo
from bonemet.model.scores import ScoreResult
from bonemet.scores._run import run

__all__ = ["AsiaGrade", "YesNo", "score"]


def score(
    *,
    grade: AsiaGrade | str | None = None,
    all_normal: YesNo | str | None = None,
    sacral_sparing: YesNo | str | None = None,
    motor_below_level: YesNo | str | None = None,
    half_key_muscles_grade_3: YesNo | str | None = None,
    kb: KnowledgeBase | None = None,
) -> ScoreResult:
    """Give the grade, or the findings (the decision table asks only for those it needs)."""
    findings = {"all_normal": all_normal, "sacral_sparing": sacral_sparing,
                "motor_below_level": motor_below_level,
                "half_key_muscles_grade_3": half_key_muscles_grade_3}
    return run("asia", {k: v for k, v in findings.items() if v is not None}, grade=grade, kb=kb)
