"""Quick request check (ACR Select style): one requested exam against the assessment of a case.

Pure: the rating, the reason and the better alternative are read from the `Assessment` that
`bonemet.core.assess` produced (no rule of its own), and the radiation note only from numbers of the
knowledge base's statements (unit mSv). The chapter gives one effective dose, the bone scan's (about
4 mSv, statement F02); for every other exam the note says the chapter gives none instead of
inventing one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bonemet.base import Frozen
from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.model.assessment import Assessment, ModalityRating, RatedModality, Rating
from bonemet.report.headline import (
    NoteLine,
    Trace,
    advice_notes,
    exam_label,
    note_line,
    proposable,
    unavailable,
)

# Statement topics of the knowledge base that speak of one rated exam (statements.yaml `topic`).
_TOPIC_MODALITY = {
    "bone_scan": RatedModality.bone_scan,
    "spect_ct": RatedModality.spect_ct,
    "fdg_pet": RatedModality.fdg_pet_ct,
    "naf_pet": RatedModality.naf_pet_ct,
}
_BETTER = {Rating.usually_appropriate: 0, Rating.may_be_appropriate: 1}


class Dose(Frozen):
    """An effective dose as the knowledge base states it, with the statement it comes from."""

    modality: RatedModality
    value: float
    approx: bool
    statement_id: str
    references: tuple[int, ...]


class RequestCheck(Frozen):
    case_id: str
    requested: RatedModality
    rating: Rating
    reason: ModalityRating  # the assessment's own rating of the requested exam (rule, reason, refs)
    trace: Trace | None  # None: no rule spoke (no_criteria_apply)
    alternative: ModalityRating | None = None  # a better-rated exam, when there is one
    alternative_label: Text | None = None  # the alternative's rule's own name for it (SAFE-01)
    # The centre reports it cannot offer the alternative: then the rule's own advice (refer out,
    # the local alternative) goes with it, never the bare exam.
    alternative_unavailable: bool = False
    alternative_advice: tuple[NoteLine, ...] = ()
    notes: tuple[NoteLine, ...] = ()  # advice that qualifies the answer (NM-03), as in the headline
    dose: Dose | None = None  # None: the chapter gives no dose for this exam
    alternative_dose: Dose | None = None
    in_scope: bool
    kb_version: str


def doses(kb: KnowledgeBase) -> dict[RatedModality, Dose]:
    """Every effective dose the knowledge base's statements give, by exam."""
    found: dict[RatedModality, Dose] = {}
    for st in kb.statements.values():
        modality = _TOPIC_MODALITY.get(st.topic)
        for n in st.numbers:
            if modality is not None and n.unit == "mSv" and n.value is not None:
                found.setdefault(modality, Dose(modality=modality, value=n.value, approx=n.approx,
                                                statement_id=st.id, references=st.refs))
    return found


def _better_than(a: Assessment, requested: ModalityRating) -> ModalityRating | None:
    """The alternative the rating itself names when it is rated better, else the best-rated exam
    when it beats the requested one (never an exam ADV-01 found already done)."""
    candidates = proposable(a)
    rank = _BETTER.get(requested.rating, 9)
    if requested.preferred_alternative is not None:
        named = next((r for r in candidates if r.modality is requested.preferred_alternative), None)
        if named is not None and _BETTER[named.rating] < rank:
            return named
    best = next((r for r in candidates if r.modality is not requested.modality), None)
    if best is not None and (_BETTER[best.rating] < rank or best.priority == "urgent"):
        return best
    return None


def check_request(a: Assessment, requested: RatedModality, kb: KnowledgeBase) -> RequestCheck:
    rated = a.rating_of(requested)
    trace = None
    if rated.rule_id is not None:
        trace = Trace(rule_id=rated.rule_id, statement_ids=rated.statement_ids,
                      references=rated.references)
    alternative = _better_than(a, rated) if a.scope.in_scope else None
    table = doses(kb)
    absent = unavailable(a)
    advice = absent.get(alternative.modality) if alternative else None
    shown = frozenset(x for x in (rated.rule_id, alternative.rule_id if alternative else None) if x)
    return RequestCheck(
        case_id=a.case_id, requested=requested, rating=rated.rating, reason=rated, trace=trace,
        alternative=alternative, dose=table.get(requested),
        alternative_label=exam_label(kb, alternative.rule_id) if alternative else None,
        alternative_unavailable=advice is not None,
        alternative_advice=tuple(note_line(x, kb) for x in advice or ()),
        notes=advice_notes(a, kb, shown),
        alternative_dose=table.get(alternative.modality) if alternative else None,
        in_scope=a.scope.in_scope, kb_version=a.knowledge_base.version,
    )


class RequestContext(Frozen):
    """What the request adds to the context it is rated in: the question and the facts the user
    confirmed (prefilled from the question, issue 25 item 6). None: not stated."""

    question_text: str | None = None
    new_bone_pain: bool | None = None
    neurological_deficit: bool | None = None
    pain_sites: tuple[str, ...] = ()
    treatment_type: str | None = None
    agents: tuple[str, ...] = ()
    treatment_start: str | None = None  # ISO date: the decision date less the months on treatment
    line_number: int | None = None


# The driver a targeted class is given for (the model's `Treatment.driver`).
_DRIVER_OF = {"egfr_tki": "EGFR", "alk_tki": "ALK"}


def treatment_row(ctx: RequestContext, taken: Sequence[str] = ()) -> dict[str, object] | None:
    """The line the request names, as a treatment row (a fresh id among `taken`)."""
    if ctx.treatment_type is None:
        return None
    n = 1
    while f"q{n}" in taken:
        n += 1
    row: dict[str, object] = {"id": f"q{n}", "type": ctx.treatment_type}
    if ctx.agents:
        row["agents"] = list(ctx.agents)
    if ctx.treatment_start:
        row["start"] = ctx.treatment_start
    if ctx.line_number:
        row["line_number"] = ctx.line_number
    if ctx.treatment_type in _DRIVER_OF:
        row["driver"] = _DRIVER_OF[ctx.treatment_type]
    return row


def with_request(doc: Mapping[str, object], ctx: RequestContext, as_of: str | None) -> dict[str, object]:
    """A stored case's document with the request's facts: the question, the symptoms it states (they
    replace the case's), its line of treatment when the case does not hold one of that class started
    then, and the decision date rated for. The case itself is not changed."""
    out = dict(doc)
    context = dict(out.get("context") or {})  # type: ignore[call-overload]
    if ctx.question_text:
        context["question_text"] = ctx.question_text
    for name in ("new_bone_pain", "neurological_deficit"):
        value = getattr(ctx, name)
        if value is not None:
            context[name] = value
    if ctx.pain_sites:
        context["pain_sites"] = list(ctx.pain_sites)
    if as_of:
        context["as_of"] = as_of
    if ctx.treatment_type is not None and context.get("phase") == "staging":
        context["phase"] = "on_treatment"  # a line under way: the patient is no longer at staging
    out["context"] = context
    rows = [r for r in out.get("treatments") or [] if isinstance(r, Mapping)]  # type: ignore[attr-defined]
    same = any(r.get("type") == ctx.treatment_type and
               (not ctx.treatment_start or r.get("start") == ctx.treatment_start) for r in rows)
    row = None if same else treatment_row(ctx, [str(r.get("id")) for r in rows])
    if row is not None:
        out["treatments"] = [*rows, row]
    return out


def minimal_case(*, phase: str, question: str | None, primary_site: str | None,
                 histology: str | None, as_of: object,
                 exams: Sequence[Mapping[str, object]], new_bone_pain: bool | None = None,
                 pain_sites: Sequence[str] = (),
                 neurological_deficit: bool | None = None,
                 request: RequestContext | None = None) -> dict[str, object]:
    """A case document from the minimal context of a request (phase, question, primary, histology,
    symptoms, the recent exams, the line of treatment): the same validation and the same rules as
    any other case. The primary site is only what the user chose: none is assumed (ADV-02 then says
    the scope is unknown). The symptoms are asked because SAFE-01 (cord compression) must fire here
    too."""
    cancer = {k: v for k, v in (("primary_site", primary_site), ("histology", histology)) if v}
    context: dict[str, object] = {
        k: v for k, v in (("phase", phase), ("question", question),
                          ("as_of", str(as_of) if as_of else None)) if v}
    if new_bone_pain is not None:
        context["new_bone_pain"] = new_bone_pain
    if pain_sites:
        context["pain_sites"] = list(pain_sites)
    if neurological_deficit is not None:
        context["neurological_deficit"] = neurological_deficit
    rows = [{"id": f"x{i + 1}", **{k: v for k, v in e.items() if v is not None}}
            for i, e in enumerate(exams)]
    doc: dict[str, object] = {"schema_version": "1.0", "case_id": REQUEST_CASE_ID, "cancer": cancer,
                              "context": context, "exams": rows}
    if request is not None:
        if request.question_text:
            context["question_text"] = request.question_text
        line = treatment_row(request)
        if line is not None:
            doc["treatments"] = [line]
    return doc


# The id of the case a request without a patient is rated as: never shown (the page says "request
# without a patient file").
REQUEST_CASE_ID = "request-check"
