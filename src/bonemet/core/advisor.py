"""assess(): case in, assessment out. Pure and deterministic: no I/O, no clock, no globals read."""

from __future__ import annotations

from bonemet import __version__
from bonemet.kb.loader import KnowledgeBase
from bonemet.kb.models import Text
from bonemet.model.assessment import (
    Assessment,
    MissingData,
    ModalityRating,
    RatedModality,
    Rating,
    Recommendation,
    Scope,
)
from bonemet.model.case import Case
from bonemet.scores.from_case import case_scores

from . import imaging as _imaging  # noqa: F401  (registers the imaging rules)
from .context import CaseView, view
from .findings import RULES, Proposal, RuleOutput
from .flare_rules import follow_up  # also registers NM-06..NM-08 (follow-up scans)
from .residual import residual_probability

# Most cautious first: when two rules disagree on a modality, the more restrictive one decides.
_CAUTION = {
    Rating.usually_not_appropriate: 0,
    Rating.may_be_appropriate: 1,
    Rating.usually_appropriate: 2,
    Rating.no_criteria_apply: 3,
}

_NO_CRITERIA = Text(
    en="The chapter gives no criterion for this exam in this situation.",
    fr="Le chapitre ne donne pas de critère pour cet examen dans cette situation.",
)
_OUT_OF_SCOPE = Text(
    en="Primary tumour is not a lung cancer: the chapter's imaging rules are not applied.",
    fr="Le primitif n'est pas un cancer bronchique : les règles d'imagerie du chapitre ne s'appliquent pas.",
)
# Rules that still hold outside lung cancer (NM-11 names kidney and thyroid primaries).
_RULES_OUTSIDE_LUNG = frozenset({"NM-11"})


def _decide(modality: RatedModality, proposals: list[Proposal], kb: KnowledgeBase) -> ModalityRating:
    if not proposals:
        return ModalityRating(modality=modality, rating=Rating.no_criteria_apply, rule_id=None,
                              reason=_NO_CRITERIA)
    best = min(proposals, key=lambda p: _CAUTION[p.rating])
    rule = kb.rule(best.rule_id)
    return ModalityRating(
        modality=modality, rating=best.rating, rule_id=best.rule_id, reason=best.reason,
        preferred_alternative=best.alternative, statement_ids=rule.statements,
        references=kb.refs_for(best.rule_id), missing_data=best.missing,
    )


def _dedupe(items: list[MissingData]) -> tuple[MissingData, ...]:
    seen: dict[tuple[str, str | None], MissingData] = {}
    for item in items:
        seen.setdefault((item.field, item.rule_id), item)
    return tuple(seen.values())


def run_rules(v: CaseView, kb: KnowledgeBase) -> RuleOutput:
    out = RuleOutput(kb=kb)
    for rule_id, fn in RULES.items():
        if v.is_lung or rule_id in _RULES_OUTSIDE_LUNG:
            fn(v, out)
    return out


def assess(case: Case, kb: KnowledgeBase) -> Assessment:
    """Apply every registered rule of the knowledge base to a validated case."""
    v = view(case)
    out = run_rules(v, kb)
    by_modality: dict[RatedModality, list[Proposal]] = {m: [] for m in RatedModality}
    for p in out.proposals:
        by_modality[p.modality].append(p)
    ratings = tuple(_decide(m, ps, kb) for m, ps in by_modality.items())
    recommendations: tuple[Recommendation, ...] = tuple(
        sorted(out.recommendations, key=lambda r: r.rule_id)  # stable: keeps emission order
    )
    return Assessment(
        case_id=case.case_id,
        as_of=v.as_of,
        question=v.question,
        question_source="explicit" if v.question_explicit else "derived_from_phase",
        scope=Scope(in_scope=True) if v.is_lung else Scope(in_scope=False, reason=_OUT_OF_SCOPE),
        knowledge_base=kb.info,
        engine_version=__version__,
        recommendations=recommendations,
        ratings=ratings,
        missing_data=_dedupe(out.missing),
        disclaimer=kb.disclaimer,
        follow_up=follow_up(v, out).section if v.is_lung else None,
        scores=case_scores(case, kb),  # tumour-board scores (bonemet.scores), lung or not
        probability=residual_probability(v, out),  # staging or NM-11: residual probability
    )
