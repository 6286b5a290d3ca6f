"""Facts derived once from a case, shared by every rule (so no rule re-scans the case)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bonemet.model.case import (
    Case,
    ImagingExam,
    Modality,
    Phase,
    PrimarySite,
    Question,
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


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    question: Question
    question_explicit: bool
    as_of: dt.date | None
    exams: tuple[IndexedExam, ...]  # sorted by date, then id: never by input order
    current_line: tuple[int, Treatment] | None

    @property
    def is_lung(self) -> bool:
        return self.case.cancer.primary_site is PrimarySite.lung

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


def view(case: Case) -> CaseView:
    question = case.context.question or _PHASE_QUESTION[case.context.phase]
    as_of = case.context.as_of or case.latest_date()
    exams = tuple(
        sorted((IndexedExam(i, e) for i, e in enumerate(case.exams)),
               key=lambda x: (x.exam.date, x.exam.id))
    )
    return CaseView(
        case=case,
        question=question,
        question_explicit=case.context.question is not None,
        as_of=as_of,
        exams=exams,
        current_line=current_systemic_line(case, as_of),
    )
