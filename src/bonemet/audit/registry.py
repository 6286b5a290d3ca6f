"""The indicator registry and the shapes an indicator function returns (issues 23, 24).

Each indicator is one entry of kb/data/audit/indicators.yaml plus one function registered with
`@indicator("<id>")`, taking (case, kb, its definition) and returning either its (denominator,
numerator) exams (the imaging indicators, `bonemet.audit.indicators`) or a `Verdict` (the systemic
bone treatment ones, `bonemet.audit.indicators_bone`, whose unit is not an exam).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from bonemet.audit.definitions import IndicatorDef
from bonemet.kb.loader import KnowledgeBase
from bonemet.model.case import Case, ImagingExam


@dataclass(frozen=True, slots=True)
class SetAside:
    """A record an indicator could not judge (a course without a start date, a zoledronic acid course
    whose clearance cannot be worked out): left out of the denominator, never guessed, and reported
    (an issue of kind `set_aside`). `record_id`: the treatment id, or "" for the patient."""

    record_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Item:
    """A record that decides a membership when it is not an exam: a course (its id and start), a lab,
    the diagnosis of bone metastases. `date` None: established but undated."""

    id: str
    date: dt.date | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an indicator function returns when exams are not its unit (issue 24): the denominator
    and numerator records, the date that gives the patient's year (the indicator's anchor: the
    diagnosis of bone metastases, the first dose), and the records set aside."""

    denominator: tuple[Item, ...] = ()
    numerator: tuple[Item, ...] = ()
    index_date: dt.date | None = None
    set_aside: tuple[SetAside, ...] = ()


Split = tuple[list[ImagingExam], list[ImagingExam]]  # (denominator exams, numerator exams)
IndicatorFn = Callable[[Case, KnowledgeBase, IndicatorDef], Split | Verdict]
# Filled by @indicator in import order (the YAML's order decides the report's).
INDICATORS: dict[str, IndicatorFn] = {}


def indicator(indicator_id: str) -> Callable[[IndicatorFn], IndicatorFn]:
    def register(fn: IndicatorFn) -> IndicatorFn:
        if indicator_id in INDICATORS:
            raise ValueError(f"indicator {indicator_id} registered twice")
        INDICATORS[indicator_id] = fn
        return fn
    return register
