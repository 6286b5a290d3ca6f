"""NM-05..NM-08 as registered rules: the date of a response-assessment scan, and the follow-up
scan readings as recommendations.

The readings are computed once per assessment (`follow_up`) and shared through `RuleOutput.memo`;
each rule emits only its own recommendations, so rule ids, statements and references come from the
knowledge base like every other rule's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bonemet.model import labels
from bonemet.model.assessment import Action, Fact, MissingData, RatedModality, Rating
from bonemet.model.case import Question
from bonemet.model.labels import day as _day

from .context import CaseView
from .dates import add_months
from .findings import RuleOutput, rule
from .flare import FollowUpResult, covering_line, interpret_follow_up
from .question_cues import question_cues

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


@rule("NM-05")
def control_scan_after_month_6(v: CaseView, out: RuleOutput) -> None:
    """The earliest date of a response-assessment bone scan; never an indication by itself.

    The scan still needs new bone pain or a specific question (F23, REC2): without either, no
    routine scan is rated appropriate (issue 17, item 4). The line is the systemic line covering the
    decision date, ended or not: an ended line's window runs on and its start is not "missing".
    """
    if v.question is not Question.response_assessment:
        return
    months = int(str(out.kb.rule("NM-05").params["months"]))
    found, unknown = covering_line(v.case, v.as_of) if v.as_of is not None else (None, ())
    if found is None or unknown:
        fields = [f"treatments[{i}].start" for i in unknown] or ["treatments[].start"]
        needs = tuple(out.need("NM-05", f, "start date of the systemic treatment line in course",
                               "date de début de la ligne de traitement systémique en cours")
                      for f in fields)
        text = out.recommend("NM-05", Action.schedule_after, RatedModality.bone_scan.value,
                             "line_unknown", missing=needs)
        out.rate(RatedModality.bone_scan, Rating.no_criteria_apply, "NM-05", text, missing=needs)
        return
    index, line = found
    assert line.start is not None and v.as_of is not None  # covering_line returns dated lines
    anniversary = add_months(line.start, months)
    strict = out.kb.flare is None or out.kb.flare.anniversary_day_is_early.value
    earliest = anniversary + dt.timedelta(days=1 if strict else 0)
    ctx = v.case.context
    # The wording counts only when it names what the scan would answer (review 25 F2): the same
    # reader as NM-04's, so a stored case and the quick check agree.
    question = bool(question_cues(ctx.question_text))
    facts = (Fact(path=f"treatments[{index}].start", value=line.start.isoformat()),
             Fact(path="context.as_of", value=v.as_of.isoformat()),
             Fact(path="context.new_bone_pain", value=ctx.new_bone_pain),
             Fact(path="context.question_text", value=ctx.question_text))
    values: dict[str, Any] = {"earliest": _day(earliest), "anniversary": _day(anniversary),
                              "line": labels.treatment(line), "start": _day(line.start)}
    if v.as_of < earliest:
        # Inside the flare window the response-assessment scan is deferred, whatever calls for it
        # (F20: schedule it after month 6): rated for now "usually not appropriate", with the day
        # from which it is, so that no adapter offers it as an exam to do now or as the better
        # alternative (review 25 F3/F4). New bone pain is answered by the painful site's own
        # imaging (NM-15); an early scan the board still needs is read with NM-07's caveat.
        text = out.recommend("NM-05", Action.schedule_after, RatedModality.bone_scan.value,
                             "not_before", rating=Rating.usually_not_appropriate, facts=facts,
                             **values)
        out.rate(RatedModality.bone_scan, Rating.usually_not_appropriate, "NM-05", text,
                 not_before=earliest)
        out.recommend("NM-07", Action.note, RatedModality.bone_scan.value, "early_scan_planned",
                      facts=facts, **values)
        return
    pain = v.patient.bone_pain.value  # from every section that records it (issue 21)
    if not (pain or question):
        if pain is False:
            text = out.recommend("NM-05", Action.not_indicated, RatedModality.bone_scan.value,
                                 "no_indication_open", rating=Rating.usually_not_appropriate,
                                 facts=facts, **values)
            out.rate(RatedModality.bone_scan, Rating.usually_not_appropriate, "NM-05", text)
        else:
            need = out.need("NM-05", "context.new_bone_pain",
                            "does the patient have new bone pain (or is there a specific question)?",
                            "le patient a-t-il une douleur osseuse nouvelle (ou y a-t-il une question "
                            "précise) ?")
            text = out.recommend("NM-05", Action.schedule_after, RatedModality.bone_scan.value,
                                 "indication_unknown_open", facts=facts, missing=(need,),
                                 **values)
            out.rate(RatedModality.bone_scan, Rating.no_criteria_apply, "NM-05", text,
                     missing=(need,))
        return
    text = out.recommend("NM-05", Action.note, RatedModality.bone_scan.value, "now_ok",
                         rating=Rating.usually_appropriate, facts=facts, **values)
    out.rate(RatedModality.bone_scan, Rating.usually_appropriate, "NM-05", text)
