"""The headline of an assessment: what to do now, the follow-up reading, the urgent alerts.

A pure function of (assessment, knowledge base): no I/O, no words of its own. It only picks and
orders what the assessment already says, so it cannot contradict the details shown below it: the
exam it proposes is the best-rated one of the assessment's ratings (most cautious wins already
applied, ADV-01 included), an out-of-scope case (ADV-02) gets no exam, and an urgent alert
(SAFE-xx) always comes first. Every line keeps its rule id, statement ids and reference numbers.
The web page, the MDT summary and the CDS cards can all render the same `Headline`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from bonemet.base import Frozen
from bonemet.base.terms import SkeletalSite
from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.model.assessment import (
    Action,
    Assessment,
    MissingData,
    ModalityRating,
    RatedModality,
    Rating,
    Recommendation,
)
from bonemet.model.followup import Classification, Direction, ScanReading
from bonemet.model.plan import headline as plan_headline

# Best first; no_criteria_apply and usually_not_appropriate never make an exam "to do now".
_PROPOSABLE = (Rating.usually_appropriate, Rating.may_be_appropriate)


class HeadlineKind(StrEnum):
    exam = "exam"  # an exam is rated appropriate for the question
    no_imaging = "no_imaging"  # exams were rated, none appropriate: no imaging indicated now
    not_rated = "not_rated"  # no rule rated any exam (often: data missing)
    out_of_scope = "out_of_scope"  # ADV-02: not a confirmed lung primary
    scope_unknown = "scope_unknown"  # ADV-02: the primary is not recorded or only suspected


class Confidence(StrEnum):
    """How firm the follow-up reading is, from what the reader concluded (docs/flare.md)."""

    stated = "stated"  # after month 6 (NM-06) or no progression: the chapter states the reading
    likely = "likely"  # flare or progression likely on the body of evidence (NM-07)
    undetermined = "undetermined"  # the evidence does not settle it (possibly leaning one way)
    not_readable = "not_readable"  # the scan could not be compared


class Trace(Frozen):
    """Where a headline line comes from: rule, statements of the chapter, reference numbers."""

    rule_id: str
    statement_ids: tuple[str, ...] = ()
    references: tuple[int, ...] = ()


class NoteLine(Frozen):
    """A recommendation the headline carries as it is (its rule's own words): advice that changes
    what to do now but is not a rated exam (NM-03's targeted femur imaging, NM-02's referral)."""

    action: Action
    title: Text
    text: Text
    trace: Trace


class ExamLine(Frozen):
    modality: RatedModality
    rating: Rating
    reason: Text
    trace: Trace
    priority: Literal["urgent", "routine"] = "routine"
    # The rule's own name for the exam when the modality alone would mislead (SAFE-01: the whole
    # spine, not the painful site); read from the rule's `exam_label` message in the KB.
    label: Text | None = None
    # The centre reports it cannot offer this exam (a rule read `availability.*` = false); then
    # `local_advice` holds what that rule advises instead (refer out, the local alternative).
    unavailable: bool = False
    local_advice: tuple[NoteLine, ...] = ()
    # Review 25 F4: the exam is deferred (NM-05, the flare window): not now, from this day.
    not_before: dt.date | None = None
    # Review 25 F13: where a targeted exam aims (named with it: "targeted MRI (proximal femur)").
    site: SkeletalSite | None = None


class FlareLine(Frozen):
    scan_id: str
    scan_date: str
    comparator_id: str | None
    # The exams named in words ("bone scan of 12/03/2025", issue 25): their kind and the date
    # compared with; the comparator's kind is None when the assessment does not say it.
    scan_modality: str | None = None
    comparator_date: str | None = None
    comparator_modality: str | None = None
    classification: Classification | None
    confidence: Confidence
    leaning: Direction | None = None
    interpretation: bool
    favour_flare: int  # arguments of the body of evidence on each side
    favour_progression: int
    traces: tuple[Trace, ...]


class AlertLine(Frozen):
    title: Text
    text: Text
    # Further parts of the same alert (same rule, same title: SAFE-01's imaging, then management),
    # shown under one title instead of two identical ones.
    more: tuple[Text, ...] = ()
    trace: Trace
    outside_chapter: bool
    sources: tuple[str, ...] = ()
    # Two sections of the case disagree (core/patient.py): shown first, naming both sources.
    contradiction: bool = False


class Headline(Frozen):
    case_id: str
    kind: HeadlineKind
    do_now: ExamLine | None = None
    # Other exams rated as well as `do_now` (e.g. targeted CT or MRI): offered, not hidden.
    equally_rated: tuple[ExamLine, ...] = ()
    # With kind no_imaging: the ratings that said no, so the "no" is traceable too.
    not_indicated: tuple[ExamLine, ...] = ()
    flare: FlareLine | None = None
    alerts: tuple[AlertLine, ...] = ()
    scope_reason: Text | None = None
    # ADV-02 found the lung cancer recorded but not confirmed (suspected): the scope line says the
    # diagnosis is unconfirmed rather than that no primary is recorded.
    diagnosis_unconfirmed: bool = False
    missing_data: tuple[MissingData, ...] = ()
    # Advice that qualifies the answer without being a rated exam (NM-03: the staging PET left the
    # femurs out: targeted imaging now, a sweep to the knees next time).
    notes: tuple[NoteLine, ...] = ()
    # The bone plan's first line (issue 23), shown after the urgent and contradiction lines.
    plan_line: Text | None = None
    plan_rule: str | None = None
    # Review 25 F4: the plan's first line holds an urgent, orthopaedic or spinal decision (SX-,
    # SP-, CC-): the board's question is that decision, so it leads the agenda's row.
    plan_first: bool = False
    # Review 25 F4: exams deferred to a later day (NM-05): "no imaging now; bone scan from <day>".
    deferred: tuple[ExamLine, ...] = ()
    kb_version: str


def _trace(kb: KnowledgeBase, rule_id: str, statements: tuple[str, ...] = (),
           references: tuple[int, ...] = ()) -> Trace:
    rule = kb.rules.get(rule_id)
    if rule is not None:
        statements = statements or rule.statements
        references = references or kb.refs_for(rule_id)
    return Trace(rule_id=rule_id, statement_ids=statements, references=references)


def exam_label(kb: KnowledgeBase, rule_id: str | None) -> Text | None:
    """The rule's own name for the exam it rates (message `exam_label`), if the KB gives one."""
    rule = kb.rules.get(rule_id) if rule_id is not None else None
    return rule.messages.get("exam_label") if rule is not None else None


# The case's availability fields (`availability.*`, read by the rules) and the exams each decides.
_AVAILABILITY: dict[str, tuple[RatedModality, ...]] = {
    "fdg_pet": (RatedModality.fdg_pet_ct,),
    "naf_pet": (RatedModality.naf_pet_ct,),
    "spect_ct": (RatedModality.spect_ct,),
    "mri": (RatedModality.targeted_mri, RatedModality.wb_mri),
}
# Actions that qualify the answer without rating an exam: carried by the headline as notes.
_NOTE_ACTIONS = (Action.targeted_imaging, Action.check_field_of_view, Action.extend_field_of_view,
                 Action.booked)


def note_line(r: Recommendation, kb: KnowledgeBase) -> NoteLine:
    return NoteLine(action=r.action, title=r.title, text=r.text,
                    trace=_trace(kb, r.rule_id, r.statement_ids, r.references))


def unavailable(a: Assessment) -> dict[RatedModality, tuple[Recommendation, ...]]:
    """The exams the centre reports it cannot offer, as the rules read the case (a recommendation
    resting on `availability.<x>` = false), each with those recommendations: the rule's own advice."""
    found: dict[RatedModality, list[Recommendation]] = {}
    for r in a.recommendations:
        for f in r.facts:
            key = f.path.removeprefix("availability.")
            if f.path.startswith("availability.") and f.value is False:
                for m in _AVAILABILITY.get(key, ()):
                    found.setdefault(m, []).append(r)
    return {m: tuple(dict.fromkeys(rs)) for m, rs in found.items()}


def _exam_line(r: ModalityRating, kb: KnowledgeBase,
               absent: dict[RatedModality, tuple[Recommendation, ...]] | None = None) -> ExamLine:
    assert r.rule_id is not None  # a proposable or refused rating always names its rule
    advice = (absent or {}).get(r.modality)
    return ExamLine(modality=r.modality, rating=r.rating, reason=r.reason, priority=r.priority,
                    trace=_trace(kb, r.rule_id, r.statement_ids, r.references),
                    label=exam_label(kb, r.rule_id), unavailable=advice is not None,
                    local_advice=tuple(note_line(x, kb) for x in advice or ()),
                    not_before=r.not_before, site=r.target_site)


def advice_notes(a: Assessment, kb: KnowledgeBase,
                 shown: frozenset[str] = frozenset()) -> tuple[NoteLine, ...]:
    """Recommendations that qualify the answer (targeted imaging, field of view: NM-03), except
    those of a rule already shown as an exam line (`shown`: rule ids)."""
    if not a.scope.in_scope:
        return ()
    return tuple(note_line(r, kb) for r in a.recommendations
                 if r.action in _NOTE_ACTIONS and r.priority != "urgent" and r.rule_id not in shown)


def _done_again(a: Assessment) -> frozenset[str]:
    return frozenset(r.subject for r in a.recommendations if r.action is Action.already_done)


# Which exam is done first among exams rated alike (review 13, m1: it used to be the order of the
# modality list, so SPECT-CT came before FDG-PET by accident). Urgency and rating decide first;
# then the clinical priority of the rule that rated the exam, then the exam itself:
#   SAFE-xx  an emergency (suspected cord compression) before anything;
#   NM-02    staging without a valid PET: the survey first, since it tells whether a lesion is
#            single at all (REC1, REC3) and may itself characterise it (F27);
#   NM-09    an isolated lesion: targeted imaging (REC4 "must");
#   NM-10    SPECT-CT over the planar finding (a regional complement of the scan already done);
#   NM-12    FDG-PET to characterise an equivocal finding or search for occult disease;
#   NM-05    the response-assessment scan (dated by the line);
#   NM-15    then the project's derived rules (new bone pain: the painful site), the chapter's
#            explicit recommendations leading when they rate an exam as well;
#   others   in rule-id order.
# Within one rule (NM-09 rates targeted CT and MRI alike), the exam order below: MRI before CT for
# a bone lesion (marrow, no radiation), FDG-PET before the bone-tracer scans (REC1), NaF-PET before
# the planar scan (F30). The project's reading; tests/report/test_headline.py pins it.
_RULE_PRIORITY = ("SAFE-01", "NM-02", "NM-09", "NM-10", "NM-12", "NM-05", "NM-15")
_EXAM_PREFERENCE = (RatedModality.targeted_mri, RatedModality.targeted_ct, RatedModality.fdg_pet_ct,
                    RatedModality.naf_pet_ct, RatedModality.spect_ct, RatedModality.bone_scan,
                    RatedModality.wb_mri, RatedModality.radiograph)


# A rib is the exception to MRI first (review 25 F13): REC4 asks for targeted imaging because
# "alternative diagnoses are common", and for a rib focus the common alternative is a fracture
# (an old trauma, a cough fracture), which CT shows (the cortical break, the callus) in a thin,
# curved, moving bone that MRI images poorly. NM-09 rates CT and MRI alike; this only breaks the
# tie. The project's reading, pinned by tests/report/test_headline_which_now.py.
_CT_FIRST_SITES = frozenset({SkeletalSite.ribs})


def _exam_rank(r: ModalityRating) -> int:
    if r.target_site in _CT_FIRST_SITES and r.modality is RatedModality.targeted_ct:
        return _EXAM_PREFERENCE.index(RatedModality.targeted_mri) - 1  # just before the MRI
    return _EXAM_PREFERENCE.index(r.modality)


def clinical_priority(r: ModalityRating) -> tuple[bool, int, int, str, int]:
    """Sort key of a proposable exam: urgent first, then rating, rule priority, exam preference."""
    rule_id = r.rule_id or ""
    rule_rank = (0 if rule_id.startswith("SAFE-") else
                 _RULE_PRIORITY.index(rule_id) if rule_id in _RULE_PRIORITY else len(_RULE_PRIORITY))
    return (r.priority != "urgent", _PROPOSABLE.index(r.rating), rule_rank, rule_id,
            _exam_rank(r))


def proposable(a: Assessment) -> list[ModalityRating]:
    """The exams the assessment rates appropriate, best first by `clinical_priority`; never one
    ADV-01 found already done."""
    done = _done_again(a)
    found = [r for r in a.ratings if r.rating in _PROPOSABLE and r.rule_id is not None
             and r.modality.value not in done]
    return sorted(found, key=clinical_priority)


def _alerts(a: Assessment, kb: KnowledgeBase) -> tuple[AlertLine, ...]:
    urgent = [r for r in a.recommendations if r.priority == "urgent"]
    # A contradiction between sections first (it says which reading the rest rests on), then
    # SAFE-01 (suspected cord compression), then the assessment's order.
    urgent.sort(key=lambda r: (r.action is not Action.contradiction, r.rule_id != "SAFE-01"))
    grouped: dict[tuple[str, Text, bool], list[Recommendation]] = {}
    for r in urgent:
        contradiction = r.action is Action.contradiction
        title = kb.rule("SAFE-01").message("contradiction_title") if contradiction else r.title
        grouped.setdefault((r.rule_id, title, contradiction), []).append(r)
    out = []
    for (rule_id, title, contradiction), parts in grouped.items():
        first = parts[0]
        out.append(AlertLine(
            title=title, text=first.text, more=tuple(p.text for p in parts[1:]),
            outside_chapter=any(p.outside_chapter for p in parts),
            sources=tuple(dict.fromkeys(x for p in parts for x in p.sources)),
            contradiction=contradiction,
            trace=_trace(kb, rule_id, tuple(dict.fromkeys(x for p in parts for x in p.statement_ids)),
                         tuple(dict.fromkeys(x for p in parts for x in p.references)))))
    return tuple(out)


def _confidence(s: ScanReading) -> Confidence:
    if s.status != "compared" or s.classification is None:
        return Confidence.not_readable
    if s.classification in (Classification.progression, Classification.no_progression):
        return Confidence.stated
    if s.classification in (Classification.flare_likely, Classification.progression_likely):
        return Confidence.likely
    return Confidence.undetermined


def latest_reading(a: Assessment) -> ScanReading | None:
    """The reading the board acts on: the latest compared follow-up scan (else the latest one)."""
    if a.follow_up is None or not a.follow_up.scans:
        return None
    scans = sorted(a.follow_up.scans, key=lambda s: (s.status == "compared", s.scan_date))
    return scans[-1]


def _flare(a: Assessment, kb: KnowledgeBase) -> FlareLine | None:
    s = latest_reading(a)
    if s is None:
        return None
    rule_ids = s.rule_ids or tuple(x.rule_id for x in s.advice)
    comparator = next((x for x in a.follow_up.scans if x.scan_id == s.comparator_id), None) \
        if a.follow_up is not None else None
    return FlareLine(
        scan_id=s.scan_id, scan_date=s.scan_date.isoformat(), comparator_id=s.comparator_id,
        scan_modality=s.modality,
        comparator_date=s.comparator_date.isoformat() if s.comparator_date else None,
        comparator_modality=comparator.modality if comparator is not None else None,
        classification=s.classification, confidence=_confidence(s), leaning=s.leaning,
        interpretation=s.interpretation,
        favour_flare=sum(x.direction is Direction.favours_flare for x in s.arguments),
        favour_progression=sum(x.direction is Direction.favours_progression for x in s.arguments),
        traces=tuple(_trace(kb, rid) for rid in dict.fromkeys(rule_ids)),
    )


# The plan's decisions that are the board's question when they come first: an urgent line, a
# surgical opinion on a long bone (SX-), a spinal one (SP-), a cord compression (CC-).
_DECISION_FIRST = ("SX-", "SP-", "CC-")


def _plan_first(a: Assessment) -> bool:
    if a.plan is None or not a.plan.proposals:
        return False
    first = a.plan.proposals[0]
    return first.priority == "urgent" or first.rule_id.startswith(_DECISION_FIRST)


def build_headline(a: Assessment, kb: KnowledgeBase) -> Headline:
    """The headline of one assessment (see the module docstring for what it guarantees)."""
    common = {"case_id": a.case_id, "kb_version": a.knowledge_base.version,
              "alerts": _alerts(a, kb), "missing_data": a.missing_data,
              "plan_line": plan_headline(a.plan),
              "plan_rule": a.plan.proposals[0].rule_id if a.plan and a.plan.proposals else None,
              "plan_first": _plan_first(a),
              # A deferred exam is rated "not now" by the core (never proposable): said with its day.
              "deferred": tuple(_exam_line(r, kb) for r in a.ratings
                                if r.not_before is not None and r.rule_id is not None
                                and r.rating not in _PROPOSABLE) if a.scope.in_scope else ()}
    if not a.scope.in_scope:
        kind = HeadlineKind.out_of_scope if a.scope.status == "out_of_scope" \
            else HeadlineKind.scope_unknown
        unconfirmed = any(m.field == "cancer.diagnosis" for m in a.scope.missing_data)
        return Headline(kind=kind, scope_reason=a.scope.reason,
                        diagnosis_unconfirmed=unconfirmed, **common)
    flare = _flare(a, kb)
    best = proposable(a)
    absent = unavailable(a)
    if best:
        top = best[0]
        equal = tuple(_exam_line(r, kb, absent) for r in best[1:]
                      if r.rating is top.rating and r.priority == top.priority)
        do_now = _exam_line(top, kb, absent)
        shown = frozenset(x.trace.rule_id for x in (do_now, *equal))
        return Headline(kind=HeadlineKind.exam, do_now=do_now, equally_rated=equal,
                        flare=flare, notes=advice_notes(a, kb, shown), **common)
    refused = tuple(_exam_line(r, kb) for r in a.ratings
                    if r.rating is Rating.usually_not_appropriate and r.rule_id is not None)
    kind = HeadlineKind.no_imaging if refused else HeadlineKind.not_rated
    return Headline(kind=kind, not_indicated=refused, flare=flare, notes=advice_notes(a, kb),
                    **common)


# ---- the details under the headline: one card per rule and conclusion ------------------------

# What a clinician acts on comes first; a scheduling hint or a note never leads the page.
_ACTION_RANK: dict[Action, int] = {
    Action.urgent_alert: 0, Action.contradiction: 0, Action.booked: 2,
    Action.prefer: 1, Action.targeted_imaging: 1, Action.refine_with_spect_ct: 1,
    Action.consider_pet: 1,
    Action.not_indicated: 2, Action.already_done: 2, Action.extend_field_of_view: 2,
    Action.check_field_of_view: 2, Action.negative_not_exclusive: 2,
    Action.specialist_opinion: 3, Action.acceptable_alternative: 3,
    Action.option: 4, Action.note: 4,
    Action.schedule_after: 5,
}


class CardGroup(Frozen):
    """The outputs of one rule that reach the same conclusion (same title), shown as one card."""

    rule_id: str
    title: Text
    items: tuple[Recommendation, ...]
    rank: int

    @property
    def statement_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for r in self.items for s in r.statement_ids))

    @property
    def references(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(n for r in self.items for n in r.references))


def card_groups(a: Assessment) -> tuple[CardGroup, ...]:
    """Recommendations grouped by (rule, title), urgent first, then what to act on, scheduling last."""
    groups: dict[tuple[str, str], list[Recommendation]] = {}
    for r in a.recommendations:
        groups.setdefault((r.rule_id, r.title.en), []).append(r)
    out = [CardGroup(rule_id=items[0].rule_id, title=items[0].title, items=tuple(items),
                     rank=min(0 if r.priority == "urgent" else _ACTION_RANK.get(r.action, 4)
                              for r in items))
           for items in groups.values()]
    return tuple(sorted(out, key=lambda g: g.rank))  # stable: keeps the assessment's order
