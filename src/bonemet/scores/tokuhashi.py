"""Revised Tokuhashi score (2005, guideline ref 148): survival estimate before spine surgery, with the
guideline's own cut-offs (> 9 surgery, < 6 benefit very unlikely)."""

from __future__ import annotations

from bonemet.kb import KnowledgeBase, default_kb
from bonemet.model.score_inputs import (
    FrankelGrade,
    TokuhashiExtraspinal,
    TokuhashiGeneralCondition,
    TokuhashiOrganMetastases,
    TokuhashiPalsy,
    TokuhashiPrimary,
    TokuhashiVertebral,
)
from bonemet.model.scores import ScoreInputError, ScoreResult
from bonemet.scores._run import run
from bonemet.scores.engine import derive

__all__ = ["FrankelGrade", "TokuhashiExtraspinal", "TokuhashiGeneralCondition",
           "TokuhashiOrganMetastases", "TokuhashiPalsy", "TokuhashiPrimary", "TokuhashiVertebral",
           "general_condition_from_karnofsky", "score"]


def general_condition_from_karnofsky(
    karnofsky: int, kb: KnowledgeBase | None = None,
) -> TokuhashiGeneralCondition:
    """10-40 poor, 50-70 moderate, 80-100 good; anything but a multiple of 10 in 10-100 is refused."""
    table = (kb or default_kb()).scores["tokuhashi"]
    value = derive(table, "general_condition", "karnofsky", str(karnofsky))
    if isinstance(karnofsky, bool) or value is None:
        raise ScoreInputError("tokuhashi", [
            f"karnofsky: {karnofsky!r} is not allowed (a multiple of 10 from 10 to 100)"])
    return TokuhashiGeneralCondition(value)


def score(
    *,
    general_condition: TokuhashiGeneralCondition | str | None = None,
    extraspinal_bone_metastases: TokuhashiExtraspinal | str | None = None,
    vertebral_body_metastases: TokuhashiVertebral | str | None = None,
    internal_organ_metastases: TokuhashiOrganMetastases | str | None = None,
    primary_site: TokuhashiPrimary | str | None = None,
    palsy: TokuhashiPalsy | str | None = None,
    karnofsky: int | None = None,
    frankel: FrankelGrade | str | None = None,
    kb: KnowledgeBase | None = None,
) -> ScoreResult:
    """Revised Tokuhashi total (0-15). `karnofsky` may replace `general_condition`, and the
    Frankel grade may replace `palsy` (A/B complete, C/D incomplete, E none)."""
    problems = [f"give {a} or {b}, not both" for a, b, x, y in (
        ("general_condition", "karnofsky", general_condition, karnofsky),
        ("palsy", "frankel", palsy, frankel)) if x is not None and y is not None]
    if problems:
        raise ScoreInputError("tokuhashi", problems)
    if karnofsky is not None:
        general_condition = general_condition_from_karnofsky(karnofsky, kb)
    if frankel is not None and str(getattr(frankel, "value", frankel)) not in FrankelGrade.__members__:
        raise ScoreInputError("tokuhashi", [
            f"frankel: {frankel!r} is not allowed (allowed: {', '.join(FrankelGrade)})"])
    return run("tokuhashi", {
        "general_condition": general_condition, "extraspinal_bone_metastases": extraspinal_bone_metastases,
        "vertebral_body_metastases": vertebral_body_metastases,
        "internal_organ_metastases": internal_organ_metastases, "primary_site": primary_site,
        "palsy": palsy,
    }, kb=kb, facts={"frankel": (frankel, "frankel")})
