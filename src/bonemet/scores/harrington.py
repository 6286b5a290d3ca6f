"""Harrington classification of periacetabular metastases (1981; technique paper = guideline ref 144)."""

from __future__ import annotations

from bonemet.kb import KnowledgeBase
from bonemet.model.score_inputs import HarringtonClass, WallState, YesNo
from bonemet.model.scores import ScoreResult
from bonemet.scores._run import run

__all__ = ["HarringtonClass", "WallState", "YesNo", "score"]


def score(
    *,
    resectable_for_cure: YesNo | str | None = None,
    medial_wall: WallState | str | None = None,
    lateral_wall_or_roof: WallState | str | None = None,
    classification: HarringtonClass | str | None = None,
    kb: KnowledgeBase | None = None,
) -> ScoreResult:
    """Class I-IV from the findings (resectability for cure decides first), or from a given class."""
    findings = {"resectable_for_cure": resectable_for_cure, "medial_wall": medial_wall,
                "lateral_wall_or_roof": lateral_wall_or_roof}
    return run("harrington", {k: v for k, v in findings.items() if v is not None},
               grade=classification, kb=kb)
