"""Tomita score (2001, guideline ref 147): surgical strategy for spinal metastases, 2-10."""

from __future__ import annotations

from bonemet.kb import KnowledgeBase
from bonemet.model.score_inputs import TomitaBone, TomitaGrowth, TomitaVisceral
from bonemet.model.scores import ScoreResult
from bonemet.scores._run import run

__all__ = ["TomitaBone", "TomitaGrowth", "TomitaVisceral", "score"]


def score(
    *,
    primary_growth: TomitaGrowth | str | None = None,
    visceral_metastases: TomitaVisceral | str | None = None,
    bone_metastases: TomitaBone | str | None = None,
    primary_site: str | None = None,
    kb: KnowledgeBase | None = None,
) -> ScoreResult:
    """Tomita total and strategy band. `primary_site` (lung, kidney, thyroid, breast, prostate) may
    replace `primary_growth`."""
    return run("tomita", {"primary_growth": primary_growth, "visceral_metastases": visceral_metastases,
                          "bone_metastases": bone_metastases},
               kb=kb, facts={"primary_site": (primary_site, "primary_site")})
