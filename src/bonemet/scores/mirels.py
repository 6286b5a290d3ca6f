"""Mirels score (Mirels 1989, guideline ref 77): fracture risk of a long-bone metastasis, with the
guideline's rule on cortical lysis for consolidation surgery before radiotherapy."""

from __future__ import annotations

from fractions import Fraction

from bonemet.kb import KnowledgeBase
from bonemet.model.score_inputs import BoneLesionType, MirelsPain, MirelsSite, MirelsSize
from bonemet.model.scores import ScoreInputError, ScoreResult
from bonemet.scores._run import run

__all__ = ["BoneLesionType", "MirelsPain", "MirelsSite", "MirelsSize", "score", "size_from_fraction"]


def score(
    *,
    site: MirelsSite | str | None = None,
    pain: MirelsPain | str | None = None,
    lesion: BoneLesionType | str | None = None,
    size: MirelsSize | str | None = None,
    axial_lysis_percent: float | None = None,
    circumferential_lysis_percent: float | None = None,
    kb: KnowledgeBase | None = None,
) -> ScoreResult:
    """Mirels total (4-12) and band. The two lysis percentages are optional: without them the
    guideline rule is reported as not evaluable when the total reaches its threshold."""
    for name, pct in (("axial_lysis_percent", axial_lysis_percent),
                      ("circumferential_lysis_percent", circumferential_lysis_percent)):
        if pct is not None and not 0 <= pct <= 100:
            raise ScoreInputError("mirels", [f"{name}: {pct} is not a percentage (0-100)"])
    return run("mirels", {"site": site, "pain": pain, "lesion": lesion, "size": size}, kb=kb,
               measures={"axial_lysis_percent": axial_lysis_percent,
                         "circumferential_lysis_percent": circumferential_lysis_percent})


def size_from_fraction(fraction: float | Fraction) -> MirelsSize:
    """Size class from the lesion's fraction of the bone diameter. Both 1/3 and 2/3 fall in the
    middle class (bonemet's convention; the source leaves the limits open)."""
    f = Fraction(fraction).limit_denominator(1000) if isinstance(fraction, float) else Fraction(fraction)
    if not 0 <= f <= 1:
        raise ScoreInputError("mirels", [f"size: fraction {fraction} is outside 0-1"])
    if f < Fraction(1, 3):
        return MirelsSize.lt_one_third
    if f <= Fraction(2, 3):
        return MirelsSize.one_third_to_two_thirds
    return MirelsSize.gt_two_thirds
