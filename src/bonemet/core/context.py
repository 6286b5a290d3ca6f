"""Facts derived once from a case, shared by every rule (so no rule re-scans the case)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bonemet.model.case import (
    Biopsy,
    BiopsyResult,
    Case,
    ImagingExam,
    Lesion,
    Modality,
    Phase,
    Question,
    Result,
    ScopeStatus,
    Treatment,
)

from .patient import PatientView, read_patient

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
    exams: tuple[IndexedExam, ...]  # done exams, sorted by date, then id: never by input order
    current_line: tuple[int, Treatment] | None
    patient: PatientView  # every clinical fact read once from all sections (core/patient.py)
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
    """The systemic line in course at `as_of`, as (index, row) of the row that started it.

    The row in course is the latest started on or before `as_of` and not yet ended; its line is
    every row with the same `line_number` (induction then maintenance, a dose change, a
    re-challenge: issue 21, class 4), and the line is returned by its first row (earliest start,
    then input order), whose start is the line's start. A row without a line number is its own line.
    """
    def started(t: Treatment) -> bool:
        return t.is_systemic_line and t.start is not None and (as_of is None or t.start <= as_of)

    candidates = [
        (i, t) for i, t in enumerate(case.treatments)
        if started(t) and (t.end is None or as_of is None or t.end >= as_of)
    ]
    if not candidates:
        return None
    i, row = max(candidates, key=lambda it: (it[1].start, it[0]))
    if row.line_number is None:
        return i, row
    same = [(j, t) for j, t in enumerate(case.treatments)
            if started(t) and t.line_number == row.line_number]
    return min(same, key=lambda it: (it[1].start, it[0]))


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


@dataclass(frozen=True, slots=True)
class LesionBiopsy:
    """A bone biopsy with the path of the lesion it is recorded on (`exams[i].lesions[j]`)."""

    path: str
    exam: IndexedExam
    lesion: Lesion
    biopsy: Biopsy


def _biopsies(exams: tuple[IndexedExam, ...], as_of: dt.date | None) -> list[LesionBiopsy]:
    """Every settling biopsy (not non-diagnostic) done by the decision date, oldest first."""
    found = [LesionBiopsy(f"{x.path}.lesions[{j}]", x, lesion, lesion.biopsy)
             for x in exams for j, lesion in enumerate(x.exam.lesions)
             if lesion.biopsy is not None and lesion.biopsy.settles
             and (as_of is None or lesion.biopsy.date <= as_of)]
    return sorted(found, key=lambda b: (b.biopsy.date, b.path))


def proven_metastasis(exams: tuple[IndexedExam, ...], as_of: dt.date | None) -> LesionBiopsy | None:
    """The first biopsy showing a bone metastasis: bone metastases are then known, whatever
    `cancer.bone_metastases_known` says (the safe reading wins over a reassuring field)."""
    return next((b for b in _biopsies(exams, as_of) if b.biopsy.result is BiopsyResult.metastasis),
                None)


def bone_metastases_known(case: Case, exams: tuple[IndexedExam, ...], as_of: dt.date | None) -> bool:
    return bool(case.cancer.bone_metastases_known) or proven_metastasis(exams, as_of) is not None


def _latest_isolated_survey(exams: tuple[IndexedExam, ...],
                            as_of: dt.date | None) -> IndexedExam | None:
    """The latest whole-body reading, when it shows a single bone lesion."""
    surveys = [x for x in exams if x.exam.modality in WHOLE_BODY and x.exam.result is not None
               and (as_of is None or x.exam.date <= as_of)]
    if not surveys:
        return None
    latest = surveys[-1].exam.date
    same_day = [o for o in surveys if o.exam.date == latest]
    # A same-day whole-body reading that shows more than one lesion (planar scan with two foci
    # next to a PET with one) means the lesion is not isolated; a same-day negative survey does
    # not cancel the lesion another one shows, whatever the exams' ids (issue 21, HZ-AD-12).
    if any(o.exam.result is Result.positive and not o.exam.is_isolated_lesion for o in same_day):
        return None
    return next((o for o in reversed(same_day) if o.exam.is_isolated_lesion), None)


def isolated_lesion_biopsy(exams: tuple[IndexedExam, ...], x: IndexedExam,
                           as_of: dt.date | None) -> LesionBiopsy | None:
    """The latest settling biopsy of the single lesion of `x`: recorded on that lesion, or on a
    lesion of the same site (side and level agreeing when both are recorded) of an exam, taken on
    or after `x` (so it sampled this lesion; an older biopsy of the site may predate it)."""
    if len(x.exam.lesions) != 1:
        return None
    lesion = x.exam.lesions[0]
    mine = f"{x.path}.lesions[0]"

    def same_lesion(b: LesionBiopsy) -> bool:
        if b.path == mine:
            return True
        other = b.lesion
        side_agrees = other.side is None or lesion.side is None or other.side is lesion.side
        level_agrees = other.level is None or lesion.level is None or other.level == lesion.level
        return (b.biopsy.date >= x.exam.date and other.site is lesion.site and side_agrees
                and level_agrees)

    matches = [b for b in _biopsies(exams, as_of) if same_lesion(b)]
    return matches[-1] if matches else None


def lesions_settled(exams: tuple[IndexedExam, ...], x: IndexedExam, as_of: dt.date | None) -> bool:
    """Every lesion of `x` has a biopsy that settled it (on the lesion itself, or, for a single
    lesion, a later biopsy of the same site): nothing left to characterise on that exam."""
    if not x.exam.lesions:
        return False
    if len(x.exam.lesions) == 1 and isolated_lesion_biopsy(exams, x, as_of) is not None:
        return True
    return all(lesion.biopsy is not None and lesion.biopsy.settles
               and (as_of is None or lesion.biopsy.date <= as_of) for lesion in x.exam.lesions)


def settled_isolated_lesion(case: Case, exams: tuple[IndexedExam, ...],
                            as_of: dt.date | None) -> tuple[IndexedExam, LesionBiopsy] | None:
    """The latest survey's single lesion when a biopsy has settled it (benign or metastasis)."""
    if case.cancer.bone_metastases_known:
        return None  # declared known: not an isolated-lesion question, nothing to settle
    x = _latest_isolated_survey(exams, as_of)
    if x is None:
        return None
    found = isolated_lesion_biopsy(exams, x, as_of)
    return (x, found) if found is not None else None


def isolated_lesion_exam(case: Case, exams: tuple[IndexedExam, ...],
                         as_of: dt.date | None) -> IndexedExam | None:
    """The whole-body exam showing a single bone lesion, when it is the latest whole-body reading,
    bone metastases are not already established (a known solitary metastasis is not a new isolated
    lesion; a biopsy showing one establishes them) and no biopsy has settled that lesion."""
    if bone_metastases_known(case, exams, as_of):
        return None
    x = _latest_isolated_survey(exams, as_of)
    if x is None or isolated_lesion_biopsy(exams, x, as_of) is not None:
        return None
    return x


def raised_questions(case: Case, exams: tuple[IndexedExam, ...],
                     as_of: dt.date | None,
                     patient: PatientView | None = None) -> tuple[RaisedQuestion, ...]:
    """Every question the case raises: the stated one, the phase's, and those of its findings."""
    ctx = case.context
    patient = patient or read_patient(case, as_of)
    found: list[RaisedQuestion] = []
    if ctx.question is not None:
        found.append(RaisedQuestion(ctx.question, "context.question"))
    found.append(RaisedQuestion(_PHASE_QUESTION[ctx.phase], "context.phase"))
    pain = patient.bone_pain.positive
    if pain:
        # Onset not recorded: the validity window alone says which exams answer it. New pain is
        # read from every section that records it (pain sites say there is pain, issue 21).
        found.append(RaisedQuestion(Question.new_bone_pain, pain[0].path))
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
    # A booked exam (status planned) is never read as done: no rule sees it (issue 21, class 7).
    exams = tuple(
        sorted((IndexedExam(i, e) for i, e in enumerate(case.exams) if e.done),
               key=lambda x: (x.exam.date, x.exam.id))
    )
    scope, scope_missing = case.cancer.scope()
    patient = read_patient(case, as_of)
    return CaseView(
        case=case,
        question=question,
        question_explicit=case.context.question is not None,
        as_of=as_of,
        exams=exams,
        current_line=current_systemic_line(case, as_of),
        questions=raised_questions(case, exams, as_of, patient),
        scope=scope,
        scope_missing=scope_missing,
        patient=patient,
    )
