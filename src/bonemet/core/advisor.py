"""assess(): case in, assessment out. Pure and deterministic: no I/O, no clock, no globals read."""

from __future__ import annotations

from bonemet._version import __version__
from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.model import labels
from bonemet.model.assessment import (
    Action,
    Assessment,
    Fact,
    MissingData,
    ModalityRating,
    RatedModality,
    Rating,
    Recommendation,
    Scope,
)
from bonemet.model.case import (
    OUTSIDE_CHAPTER_HISTOLOGY,
    Cancer,
    Case,
    DiagnosisStatus,
    Modality,
    PrimarySite,
    Purpose,
    Question,
)
from bonemet.model.labels import day as _day
from bonemet.scores.from_case import case_scores

from . import imaging as _imaging  # noqa: F401  (registers the imaging rules)
from . import safety as _safety  # noqa: F401  (registers SAFE-01)
from .context import CaseView, IndexedExam, view
from .findings import RULES, Proposal, RuleOutput
from .flare_rules import follow_up  # also registers NM-06..NM-08 (follow-up scans)
from .plan import build_plan
from .residual import residual_probability
from .validity import answers as still_answers

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
# Rules that still hold outside a confirmed lung cancer: NM-11 names kidney and thyroid primaries;
# SAFE-01 (suspected cord compression) is an emergency whatever the primary. Neither rates anything
# there: outside the scope no modality gets a rating (no card, no PAMA rating).
_RULES_OUTSIDE_LUNG = frozenset({"NM-11", "SAFE-01"})
# The rules of rules.yaml the advisor applies itself, over every rule, not through @rule
# (findings.registry_problems checks every other rule of the data has its function).
ADVISOR_CONTROLS = ("ADV-01", "ADV-02")
# Whole-body or regional exams the generic "already done" control (ADV-01) reads; targeted CT/MRI
# depend on the site and are left to the rules that aim them (NM-09, NM-15).
_DONE_MODALITY = {
    RatedModality.bone_scan: Modality.bone_scan,
    RatedModality.spect_ct: Modality.spect_ct,
    RatedModality.fdg_pet_ct: Modality.fdg_pet_ct,
    RatedModality.naf_pet_ct: Modality.naf_pet_ct,
    RatedModality.wb_mri: Modality.wb_mri,
}
# Which questions an exam answers, from the purpose recorded with it. An exam without a recorded
# purpose is read as answering any question (so it is never silently repeated).
_ANSWERS = {
    Purpose.staging: frozenset({Question.staging, Question.occult_disease}),
    Purpose.follow_up: frozenset({Question.follow_up, Question.new_bone_pain}),
    Purpose.response_assessment: frozenset({Question.response_assessment}),
    Purpose.characterisation: frozenset({Question.equivocal_finding, Question.isolated_lesion}),
    Purpose.other: frozenset(),
}


# Iterating an Enum class is slow (a generator over its member map): iterate this tuple instead.
_MODALITIES: tuple[RatedModality, ...] = tuple(RatedModality)


def _decide(modality: RatedModality, proposals: list[Proposal], kb: KnowledgeBase) -> ModalityRating:
    if not proposals:
        return ModalityRating(modality=modality, rating=Rating.no_criteria_apply, rule_id=None,
                              reason=_NO_CRITERIA)
    best = min(proposals, key=lambda p: _CAUTION[p.rating])
    # Between equally cautious opinions, a safety net's reason is the one shown (urgent alert).
    best = next((p for p in proposals if p.rating is best.rating and p.rule_id.startswith("SAFE-")),
                best)
    rule = kb.rule(best.rule_id)
    urgent = best.rule_id.startswith("SAFE-") and best.rating is Rating.usually_appropriate
    return ModalityRating(
        modality=modality, rating=best.rating, rule_id=best.rule_id, reason=best.reason,
        preferred_alternative=best.alternative, statement_ids=rule.statements,
        references=kb.refs_for(best.rule_id), missing_data=best.missing,
        priority="urgent" if urgent else "routine",
        # The deferral's day, from whichever rule deferred the exam (review 25 F3): a rule that
        # says "not now" for another reason (already done, an urgent alert) gives no date.
        not_before=best.not_before,
        target_site=best.target_site,  # the deciding rule's aim (SAFE-01's whole spine has none)
    )


def _no_rejected_alternative(ratings: tuple[ModalityRating, ...]) -> tuple[ModalityRating, ...]:
    """A preferred alternative is never an exam the assessment rates usually not appropriate
    (already done, ADV-01, or not indicated): NM-10 names FDG-PET instead of a survey SPECT-CT,
    but once the staging PET is done that PET is no alternative (review 13, m8). Every adapter
    (CLI "Prefer" column, CDS cards, quick check) reads this field, so it is settled here."""
    rejected = {r.modality for r in ratings if r.rating is Rating.usually_not_appropriate}
    return tuple(
        r.model_copy(update={"preferred_alternative": None})
        if r.preferred_alternative in rejected else r
        for r in ratings
    )


def _dedupe(items: list[MissingData]) -> tuple[MissingData, ...]:
    seen: dict[tuple[str, str | None], MissingData] = {}
    for item in items:
        seen.setdefault((item.field, item.rule_id), item)
    return tuple(seen.values())


def already_done(v: CaseView, kb: KnowledgeBase,
                 modality: RatedModality) -> tuple[IndexedExam, Question] | None:
    """The latest exam of this kind performed (report pending or not) that still answers a
    question the case asks (core/validity.py: within the question's window, not followed by a
    treatment that reopens it), on or after the finding that raised that question, with the
    question it answers."""
    kind = _DONE_MODALITY.get(modality)
    if kind is None or v.as_of is None:
        return None
    found: tuple[IndexedExam, Question] | None = None
    for x in v.done(kind):
        e = x.exam
        answers = _ANSWERS[e.purpose] if e.purpose is not None else frozenset(Question)
        for q in v.questions:
            if q.question not in answers or (q.since is not None and e.date < q.since):
                continue
            # Any performed exam counts, complete or not: an incomplete PET is completed by
            # targeted imaging (NM-03), not by repeating it whole.
            if still_answers(v, kb, x, q.question):
                found = (x, q.question)
    return found


def _already_done(v: CaseView, out: RuleOutput) -> None:
    """ADV-01: an exam already done for the question is never rated better than
    usually_not_appropriate, whichever rule proposed it (NM-05's included). It cites the
    statements of the question the exam answered (rules.yaml ADV-01 `statements_by_question`):
    F10 (no bone scan after a staging PET) only for staging (review, ADV-01 pattern)."""
    cited = out.kb.rule("ADV-01").params["statements_by_question"]
    assert isinstance(cited, dict)
    for modality in _DONE_MODALITY:
        found = already_done(v, out.kb, modality)
        if found is None:
            continue
        x, question = found
        facts = (Fact(path=f"{x.path}.date", value=x.exam.date.isoformat()),
                 Fact(path=f"{x.path}.modality", value=x.exam.modality.value),
                 Fact(path=f"{x.path}.result", value=x.exam.result.value if x.exam.result else None))
        text = out.recommend("ADV-01", Action.already_done, modality.value, "already_done",
                             rating=Rating.usually_not_appropriate, facts=facts,
                             exam_id=x.exam.id, date=_day(x.exam.date),
                             pending=" (report pending)" if x.exam.result is None else "",
                             pending_fr=" (compte rendu en attente)" if x.exam.result is None else "")
        statements = tuple(str(s) for s in cited[question.value])
        out.recommendations[-1] = out.recommendations[-1].model_copy(
            update={"statement_ids": statements})
        out.rate(modality, Rating.usually_not_appropriate, "ADV-01", text)


def _booked(v: CaseView, out: RuleOutput) -> None:
    """An exam recorded as planned (booked) is never read as done (issue 21, class 7), but the
    board must see it: a rating for an exam already booked says whether to keep the booking."""
    for i, e in enumerate(v.case.exams):
        if e.done:
            continue
        facts = (Fact(path=f"exams[{i}].status", value=e.status.value),
                 Fact(path=f"exams[{i}].date", value=e.date.isoformat()),
                 Fact(path=f"exams[{i}].modality", value=e.modality.value))
        out.recommend("ADV-01", Action.booked, e.id, "booked", facts=facts,
                      exam=labels.EXAM[e.modality], date=_day(e.date), exam_id=e.id)


def _urgent_first(v: CaseView, out: RuleOutput) -> None:
    """While an urgent alert (SAFE-01) stands, no other exam competes with the one it asks for:
    every other modality a rule proposed (NM-05, NM-15, ...) is capped "not now" (review C10)."""
    urgent = [r for r in out.recommendations if r.priority == "urgent" and r.rating is not None]
    if not urgent:
        return
    alert = urgent[0]
    asked = RatedModality(alert.subject)
    text = out.kb.rule(alert.rule_id).message("not_now")
    for modality in dict.fromkeys(p.modality for p in out.proposals):
        if modality is not asked:
            out.rate(modality, Rating.usually_not_appropriate, alert.rule_id, text)


def run_rules(v: CaseView, kb: KnowledgeBase) -> RuleOutput:
    out = RuleOutput(kb=kb)
    for rule_id, fn in RULES.items():
        if v.is_lung or rule_id in _RULES_OUTSIDE_LUNG:
            fn(v, out)
    if v.is_lung:
        _already_done(v, out)
        _booked(v, out)
        _urgent_first(v, out)
    else:
        out.proposals.clear()  # outside the scope nothing is rated (no card, no PAMA rating)
    return out


_OTHER_SITES = {
    PrimarySite.breast: Text(en="breast cancer", fr="cancer du sein"),
    PrimarySite.prostate: Text(en="prostate cancer", fr="cancer de la prostate"),
    PrimarySite.kidney: Text(en="kidney cancer", fr="cancer du rein"),
    PrimarySite.thyroid: Text(en="thyroid cancer", fr="cancer de la thyroïde"),
    PrimarySite.other: Text(en="a primary site other than the lung", fr="primitif autre que pulmonaire"),
}


def _other_cancer(cancer: Cancer) -> Text | None:
    """The other cancer a record holds, as read (review F7): its recorded name, else its site."""
    if cancer.diagnosis is DiagnosisStatus.none or cancer.primary_site in (None, PrimarySite.lung):
        return None
    assert cancer.primary_site is not None
    if cancer.recorded_as:
        return Text(en=cancer.recorded_as, fr=cancer.recorded_as)
    return _OTHER_SITES[cancer.primary_site]


def _scope(v: CaseView, kb: KnowledgeBase) -> Scope:
    rule = kb.rule("ADV-02")
    if v.scope == "in_scope":
        return Scope(in_scope=True, status="in_scope")
    if v.scope == "out_of_scope":
        histology = v.case.cancer.histology
        key = (f"out_of_scope_{histology.value}" if histology in OUTSIDE_CHAPTER_HISTOLOGY
               and v.case.cancer.diagnosis is not DiagnosisStatus.none else "out_of_scope")
        cancer = _other_cancer(v.case.cancer)
        if key == "out_of_scope" and cancer is not None:  # review F7: the cancer named, not "no cancer"
            return Scope(in_scope=False, status="out_of_scope",
                         reason=rule.message("out_of_scope_other_cancer", cancer=cancer))
        return Scope(in_scope=False, status="out_of_scope", reason=rule.message(key))
    missing = tuple(
        MissingData(field=f, reason=rule.message(f"missing_{f.split('.')[-1]}"), rule_id="ADV-02")
        for f in v.scope_missing
    )
    return Scope(in_scope=False, status="unknown", reason=rule.message("unknown"),
                 missing_data=missing)


def _out_of_scope_rating(modality: RatedModality, scope: Scope) -> ModalityRating:
    assert scope.reason is not None
    return ModalityRating(modality=modality, rating=Rating.no_criteria_apply, rule_id=None,
                          reason=scope.reason, missing_data=scope.missing_data)


def assess(case: Case, kb: KnowledgeBase) -> Assessment:
    """Apply every registered rule of the knowledge base to a validated case."""
    v = view(case)
    out = run_rules(v, kb)
    scope = _scope(v, kb)
    by_modality: dict[RatedModality, list[Proposal]] = {m: [] for m in _MODALITIES}
    for p in out.proposals:
        by_modality[p.modality].append(p)
    if scope.in_scope:
        # An urgent exam (SAFE-01) comes first; the others keep the modality order (stable sort).
        ratings = tuple(sorted((_decide(m, ps, kb) for m, ps in by_modality.items()),
                               key=lambda r: r.priority != "urgent"))
    else:
        ratings = tuple(_out_of_scope_rating(m, scope) for m in _MODALITIES)
    ratings = _no_rejected_alternative(ratings)
    rejected = frozenset(r.modality for r in ratings if r.rating is Rating.usually_not_appropriate)
    scores = case_scores(case, kb)
    recommendations: tuple[Recommendation, ...] = tuple(
        # Urgent alerts first (HZ-AD-09), then by rule; stable: keeps emission order.
        sorted(out.recommendations, key=lambda r: (r.priority != "urgent", r.rule_id))
    )
    return Assessment(
        case_id=case.case_id,
        as_of=v.as_of,
        question=v.question,
        question_source="explicit" if v.question_explicit else "derived_from_phase",
        questions=tuple(q.question for q in v.questions),
        scope=scope,
        knowledge_base=kb.info,
        engine_version=__version__,
        recommendations=recommendations,
        ratings=ratings,
        missing_data=_dedupe([*scope.missing_data, *out.missing]),
        disclaimer=kb.disclaimer,
        follow_up=follow_up(v, out).section if v.is_lung else None,
        scores=scores,  # tumour-board scores (bonemet.scores), lung or not
        # staging or NM-11: residual probability; its further-exams table skips rejected exams
        probability=residual_probability(v, out, rejected),
        plan=build_plan(v, kb, scores),  # the bone plan for the board (core/plan.py, issue 23)
    )
