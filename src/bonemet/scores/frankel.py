"""Frankel grade (1969, guideline ref 145), with the Tokuhashi palsy item it implies."""

from __future__ import annotations

from bonemet.kb import KnowledgeBase
from bonemet.model.score_inputs import FrankelGrade
from bonemet.model.scores import ScoreResult
from bonemet.scores._run import run

__all__ = ["FrankelGrade", "score"]


def score(*, grade: FrankelGrade | str | None = None, kb: KnowledgeBase | None = None) -> ScoreResult:
    """Definition and band of a Frankel grade; `links` gives the Tokuhashi palsy value."""
    return run("frankel", {}, grade=grade, kb=kb)
