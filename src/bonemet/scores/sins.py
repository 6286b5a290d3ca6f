"""SINS, Spinal Instability Neoplastic Score (Fisher 2010): 0-18, stable / indeterminate / unstable."""

from __future__ import annotations

from bonemet.kb import KnowledgeBase, default_kb
from bonemet.model.score_inputs import (
    BoneLesionType,
    SinsAlignment,
    SinsCollapse,
    SinsLocation,
    SinsPain,
    SinsPosterolateral,
)
from bonemet.model.scores import ScoreResult
from bonemet.scores._run import run
from bonemet.scores.engine import derive

__all__ = ["BoneLesionType", "SinsAlignment", "SinsCollapse", "SinsLocation", "SinsPain",
           "SinsPosterolateral", "location_of_level", "score"]


def score(
    *,
    location: SinsLocation | str | None = None,
    pain: SinsPain | str | None = None,
    lesion: BoneLesionType | str | None = None,
    alignment: SinsAlignment | str | None = None,
    collapse: SinsCollapse | str | None = None,
    posterolateral: SinsPosterolateral | str | None = None,
    level: str | None = None,
    kb: KnowledgeBase | None = None,
) -> ScoreResult:
    """SINS total and category. `level` (e.g. "T11") may replace `location`."""
    return run("sins", {"location": location, "pain": pain, "lesion": lesion, "alignment": alignment,
                        "collapse": collapse, "posterolateral": posterolateral},
               kb=kb, facts={"level": (level, "level")})


def location_of_level(level: str, kb: KnowledgeBase | None = None) -> SinsLocation | None:
    """SINS location class of a vertebral level (C7 and T2 junctional, T3-T10 semi-rigid, ...)."""
    table = (kb or default_kb()).scores["sins"]
    value = derive(table, "location", "level", level.strip())
    return SinsLocation(value) if value else None
