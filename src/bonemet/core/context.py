"""Facts derived once from a case, shared by every rule (so no rule re-scans the case)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bonemet.model.case import (
    Case,
    ImagingExam,
    Modality,
    Phase,
    Question,
    Result,
    ScopeStatus,
    Treatment,
)

_PHASE_QUESTION = {
    Phase.staging: Question.staging,
    Phase.on_treatment: Question.response_assessment,
    Phase.follow_up: Question.follow_up,
}


@dataclass(frozen=True, slots=True)
class IndexedExam:
    """An exam with its position in the input, so that facts can cite `exams[i]`."""

    index: int
    exam: ImagingExam

    @property
    def path(self) -> str:
        return f"exams[{self.index}]"


# Whole-body exams that can show whether a lesion is single (a SPECT-CT field cannot).
WHOLE_BODY = (Modality.bone_scan, Modality.fdg_pet_ct, Modality.naf_pet_ct, Modality.wb_mri)
# Exams that characterise a finding of the planar bone scan (NM-10, NM-12, targeted imaging).
CHARACTERISING = (Modality.spect_ct, Modality.fdg_pet_ct, Modality.naf_pet_ct, Modality.ct,
                  Modality.mri, Modality.wb_mri)


@dataclass(frozen=True, slots=True)
class RaisedQuestion:
    """A question the case raises, with the fact that raised it."""

    question: Question
    source: str  # path of the fact: context.question, context.phase, exams[i], ...
    since: dt.date | None = None  # date of the finding: only exams on or after it answer it


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    question: Question
    question_explicit: bool
    as_of: dt.date | None
    exams: tuple[IndexedExam, ...]  # sorted by date, then id: never by input order
    current_line: tuple[int, Treatment] | None
    questions: tuple[RaisedQuestion, ...] = ()
    scope: ScopeStatus = "in_scope"
    scope_missing: tuple[str, ...] = ()

    @property
    def is_lung(self) -> bool:
        """The chapter applies: a confirmed lung primary (never assumed; model/case.py)."""
        return self.scope == "in_scope"

    def asks(self, *questions: Question) -> bool:
        return any(q.question in questions for q in self.questions)

    def raised(self, question: Question) -> RaisedQuestion | None:
        return next((q for q in self.questions if q.question is question), None)

    def done(self, *modalities: Modality) -> tuple[IndexedExam, ...]:
        """Exams of these modalities performed on or before the decision date."""
        return tuple(
            x for x in self.exams
            if x.exam.modality in modalities and (self.as_of is None or x.exam.date <= self.as_of)
        )


def current_systemic_line(case: Case, as_of: dt.date | None) -> tuple[int, Treatment] | None:
    """The systemic line whose start is the latest on or before `as_of` and not yet ended."""
    candidates = [
        (i, t) for i, t in enumerate(case.treatments)
        if t.is_systemic_line and t.start is not None
        and (as_of is None or t.start <= as_of)
        and (t.end is None or as_of is None or t.end >= as_of)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda it: (it[1].start, it[0]))


def _after(v_exams: tuple[IndexedExam, ...], x: IndexedExam, as_of: dt.date | None,
           modalities: tuple[Modality, ...]) -> bool:
    """Whether an exam of `modalities` was performed on or after `x` (report pending or not)."""
    return any(
        o is not x and o.exam.modality in modalities and o.exam.date >= x.exam.date
        and (as_of is None or o.exam.date <= as_of)
        for o in v_exams
    )


# Whole-body bone imaging whose doubtful finding raises the equivocal-finding question, with the
# exams that characterise it once done on or after it: a planar bone scan's finding by SPECT-CT, a
# PET, CT or MRI (NM-10, NM-12); a single doubtful focus on PET by CT or MRI (REC4, NM-09: the
# PET/CT's own CT has already been read with it), and a NaF-PET's, a bone-tracer scan like the
# planar one (F28), by FDG-PET too (F27). Issue 21, class 6.
_DOUBTFUL_CHARACTERISED_BY: dict[Modality, tuple[Modality, ...]] = {
    Modality.bone_scan: CHARACTERISING,
    Modality.naf_pet_ct: (Modality.fdg_pet_ct, Modality.ct, Modality.mri, Modality.wb_mri),
    Modality.fdg_pet_ct: (Modality.ct, Modality.mri, Modality.wb_mri),
}


def _equivocal_finding(exams: tuple[IndexedExam, ...],
                       as_of: dt.date | None) -> IndexedExam | None:
    """The latest bone scan or PET (FDG or NaF) with an equivocal or suspicious finding not yet
    characterised. For a PET, a CT or MRI counts only if it images the focus's site when that site
    is recorded (a brain MRI does not characterise a sacral focus)."""
    found: IndexedExam | None = None
    for modality, characterising in _DOUBTFUL_CHARACTERISED_BY.items():
        scans = [x for x in exams if x.exam.modality is modality
                 and (as_of is None or x.exam.date <= as_of)]
        if not scans:
            continue
        x = scans[-1]
        e = x.exam
        doubtful = e.result is Result.equivocal or (
            e.result is not Result.negative and any(lesion.suspicious for lesion in e.lesions))
        if not doubtful:
            continue
        if modality is Modality.bone_scan:
            if _after(exams, x, as_of, characterising):
                continue
        elif _characterised_at_site(exams, x, as_of, characterising):
            continue
        if found is None or (x.exam.date, x.exam.id) > (found.exam.date, found.exam.id):
            found = x
    return found


def _characterised_at_site(exams: tuple[IndexedExam, ...], x: IndexedExam, as_of: dt.date | None,
                           modalities: tuple[Modality, ...]) -> bool:
    """An exam of `modalities` on or after `x` that images the site of x's doubtful focus (any
    site when x records no single site; a whole-body exam always covers it)."""
    sites = {lesion.site for lesion in x.exam.lesions}
    for o in exams:
        if o is x or o.exam.modality not in modalities or o.exam.date < x.exam.date:
            continue
        if as_of is not None and o.exam.date > as_of:
            continue
        imaged = {o.exam.target_site} | {lesion.site for lesion in o.exam.lesions}
        if o.exam.modality in WHOLE_BODY or len(sites) != 1 or sites & imaged:
            return True
    return False


def isolated_lesion_exam(case: Case, exams: tuple[IndexedExam, ...],
                         as_of: dt.date | None) -> IndexedExam | None:
    """The whole-body exam showing a single bone lesion, when it is the latest whole-body reading
    and bone metastases are not already established (a known solitary metastasis is not a new
    isolated lesion)."""
    if case.cancer.bone_metastases_known:
        return None
    surveys = [x for x in exams if x.exam.modality in WHOLE_BODY and x.exam.result is not None
               and (as_of is None or x.exam.date <= as_of)]
    if not surveys:
        return None
    x = surveys[-1]
    if not x.exam.is_isolated_lesion:
        return None
    # A same-day whole-body reading that shows more than one lesion (planar scan with two foci
    # next to a PET with one) means the lesion is not isolated.
    same_day = [o for o in surveys if o.exam.date == x.exam.date and o is not x]
    if any(o.exam.result is Result.positive and not o.exam.is_isolated_lesion for o in same_day):
        return None
    return x


def raised_questions(case: Case, exams: tuple[IndexedExam, ...],
                     as_of: dt.date | None) -> tuple[RaisedQuestion, ...]:
    """Every question the case raises: the stated one, the phase's, and those of its findings."""
    ctx = case.context
    found: list[RaisedQuestion] = []
    if ctx.question is not None:
        found.append(RaisedQuestion(ctx.question, "context.question"))
    found.append(RaisedQuestion(_PHASE_QUESTION[ctx.phase], "context.phase"))
    if ctx.new_bone_pain:
        # Onset not recorded: the validity window alone says which exams answer it.
        found.append(RaisedQuestion(Question.new_bone_pain, "context.new_bone_pain"))
    eq = _equivocal_finding(exams, as_of)
    if eq is not None:
        found.append(RaisedQuestion(Question.equivocal_finding, eq.path, eq.exam.date))
    iso = isolated_lesion_exam(case, exams, as_of)
    if iso is not None:
        found.append(RaisedQuestion(Question.isolated_lesion, iso.path, iso.exam.date))
    seen: set[Question] = set()
    unique: list[RaisedQuestion] = []
    for q in found:
        if q.question not in seen:
            seen.add(q.question)
            unique.append(q)
    return tuple(unique)


def view(case: Case) -> CaseView:
    question = case.context.question or _PHASE_QUESTION[case.context.phase]
    as_of = case.context.as_of or case.latest_date()
    exams = tuple(
        sorted((IndexedExam(i, e) for i, e in enumerate(case.exams)),
               key=lambda x: (x.exam.date, x.exam.id))
    )
    scope, scope_missing = case.cancer.scope()
    return CaseView(
        case=case,
        question=question,
        question_explicit=case.context.question is not None,
        as_of=as_of,
        exams=exams,
        current_line=current_systemic_line(case, as_of),
        questions=raised_questions(case, exams, as_of),
        scope=scope,
        scope_missing=scope_missing,
    )
