"""Bilsky epidural spinal cord compression (ESCC) grade: 0, 1a, 1b, 1c (low) / 2, 3 (high)."""

from __future__ import annotations

from bonemet.kb import KnowledgeBase
from bonemet.model.score_inputs import BilskyGrade
from bonemet.model.scores import ScoreResult
from bonemet.scores._run import run

__all__ = ["BilskyGrade", "score"]


def score(*, grade: BilskyGrade | str | None = None, kb: KnowledgeBase | None = None) -> ScoreResult:
    """Definition, rank (0-5: grades are labels, never parsed as numbers) and low/high band."""
    return run("bilsky", {}, grade=grade, kb=kb)
