"""How long an exam answers a question: one reading of "already done" for every rule.

An exam counts as done for a question only while it still describes the disease the question is
about: within the question's validity window (rules.yaml, ADV-01 `validity_days`, days before the
decision date) and, for the questions a treatment reopens (ADV-01 `reopened_by_treatment`:
staging, occult disease), with no treatment of the cancer started after it. The windows and the
reopening are written once in the knowledge base; ADV-01 (core/advisor.py) and the staging rules
NM-01, NM-02, NM-03 and NM-13 (core/imaging.py) all read them through this module, so a staging
PET done before neoadjuvant treatment, or months ago, suppresses no rating anywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bonemet.kb.loader import KnowledgeBase
from bonemet.model.case import Question, Treatment, TreatmentType

from .context import CaseView, IndexedExam


@dataclass(frozen=True, slots=True)
class Validity:
    """Whether an exam still answers a question on the decision date, and if not, why."""

    window_days: int
    age_days: int | None  # None without a decision date
    # The first treatment of the cancer started after the exam (index in case.treatments), when it
    # reopens the question.
    reopened_by: tuple[int, Treatment] | None = None

    @property
    def expired(self) -> bool:
        return self.age_days is not None and self.age_days > self.window_days

    @property
    def answers(self) -> bool:
        return not self.expired and self.reopened_by is None


def window_days(kb: KnowledgeBase, question: Question) -> int:
    """The validity window of `question` (days), from ADV-01's `validity_days`."""
    days = kb.rule("ADV-01").params["validity_days"]
    if not isinstance(days, dict) or question.value not in days:
        raise KeyError(f"rules.yaml ADV-01 validity_days has no window for {question.value!r}")
    return int(days[question.value])


# ADV-01's reopening, read once per knowledge base rather than on every (exam, question) pair
# (issue 27): keyed by the rule object, which a knowledge base never changes (frozen); the rule is
# kept with its reading so that a key is never the id of another, later object.
_REOPENING: dict[int, tuple[object, tuple[frozenset[Question], frozenset[TreatmentType]]]] = {}


def _reopening(kb: KnowledgeBase) -> tuple[frozenset[Question], frozenset[TreatmentType]]:
    rule = kb.rule("ADV-01")
    known = _REOPENING.get(id(rule))
    if known is not None and known[0] is rule:
        return known[1]
    if len(_REOPENING) > 32:  # test suites load many bases: never more than a few kept
        _REOPENING.clear()
    reading = _read_reopening(rule.params.get("reopened_by_treatment"))
    _REOPENING[id(rule)] = (rule, reading)
    return reading


def _read_reopening(params: object) -> tuple[frozenset[Question], frozenset[TreatmentType]]:
    if params is None:
        return frozenset(), frozenset()
    if not isinstance(params, dict):
        raise ValueError("rules.yaml ADV-01 reopened_by_treatment must be a mapping")
    try:
        questions = frozenset(Question(str(q)) for q in params.get("questions", ()))
        types = frozenset(TreatmentType(str(t)) for t in params.get("treatment_types", ()))
    except ValueError as exc:
        raise ValueError(f"rules.yaml ADV-01 reopened_by_treatment: {exc}") from None
    return questions, types


def reopening_treatment(v: CaseView, kb: KnowledgeBase, exam_date: dt.date,
                        question: Question) -> tuple[int, Treatment] | None:
    """The earliest treatment of the cancer started strictly after `exam_date` and by the decision
    date, when `question` is one a treatment reopens. An undated treatment cannot be placed and
    reopens nothing; a bone-targeted agent does not change the cancer's extent."""
    questions, types = _reopening(kb)
    if question not in questions:
        return None
    started = [
        (i, t) for i, t in enumerate(v.case.treatments)
        if t.type in types and t.start is not None and t.start > exam_date
        and (v.as_of is None or t.start <= v.as_of)
    ]
    return min(started, key=lambda it: (it[1].start, it[0])) if started else None


def validity(v: CaseView, kb: KnowledgeBase, x: IndexedExam, question: Question) -> Validity:
    """How `x` stands for `question` on the decision date."""
    age = (v.as_of - x.exam.date).days if v.as_of is not None else None
    return Validity(window_days=window_days(kb, question), age_days=age,
                    reopened_by=reopening_treatment(v, kb, x.exam.date, question))


def answers(v: CaseView, kb: KnowledgeBase, x: IndexedExam, question: Question) -> bool:
    """Whether `x` still answers `question`: within its window, not reopened by a treatment."""
    return validity(v, kb, x, question).answers
