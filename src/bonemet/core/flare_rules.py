"""NM-06, NM-07, NM-08 as registered rules: the follow-up scan readings become recommendations.

The readings are computed once per assessment (`follow_up`) and shared through `RuleOutput.memo`;
each rule emits only its own recommendations, so rule ids, statements and references come from the
knowledge base like every other rule's.
"""

from __future__ import annotations

from bonemet.model.assessment import MissingData, RatedModality, Rating

from .context import CaseView
from .findings import RuleOutput, rule
from .flare import FollowUpResult, interpret_follow_up

_MEMO_KEY = "follow_up"


def follow_up(v: CaseView, out: RuleOutput) -> FollowUpResult:
    """The readings of this case's follow-up scans, computed on first use within one assessment."""
    cached = out.memo.get(_MEMO_KEY)
    if isinstance(cached, FollowUpResult):
        return cached
    result = interpret_follow_up(v.case, v.as_of, out.kb)
    out.memo[_MEMO_KEY] = result
    return result


def _emit(rule_ids: frozenset[str], v: CaseView, out: RuleOutput) -> None:
    result = follow_up(v, out)
    for e in result.emissions:
        if e.rule_id not in rule_ids:
            continue
        out.recommend(e.rule_id, e.action, e.scan_id, e.text)
        if e.interpretation and not out.recommendations[-1].interpretation:
            # The text leans on an argument the chapter does not state (marker directions, MRI).
            out.recommendations[-1] = out.recommendations[-1].model_copy(update={"interpretation": True})
        if e.rate_targeted_mri:
            out.rate(RatedModality.targeted_mri, Rating.may_be_appropriate, e.rule_id, e.text)
    for rid, field, reason in result.missing:
        if rid in rule_ids:
            out.missing.append(MissingData(field=field, reason=reason, rule_id=rid))


@rule("NM-06")
def late_increase_is_progression(v: CaseView, out: RuleOutput) -> None:
    _emit(frozenset({"NM-06"}), v, out)


@rule("NM-07")
def early_increase_body_of_evidence(v: CaseView, out: RuleOutput) -> None:
    # The control-scan date of an unresolved early scan is NM-05's, emitted with the reading.
    _emit(frozenset({"NM-07", "NM-05"}), v, out)


@rule("NM-08")
def flare_is_not_progression(v: CaseView, out: RuleOutput) -> None:
    _emit(frozenset({"NM-08"}), v, out)
