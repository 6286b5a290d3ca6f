"""Output of the test-performance calculator: probabilities with their bounds, LRs and sources.

A likelihood ratio may be infinite (specificity 1) or zero (sensitivity 1); JSON has no infinity, so
an infinite ratio is written as the string "infinity".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from bonemet.base import Frozen as _Frozen
from bonemet.base.provenance import Interval, SourceUsed
from bonemet.base.text import Text

LikelihoodRatio = float | Literal["infinity"]




class BinaryResult(StrEnum):
    positive = "positive"
    negative = "negative"


class Pretest(_Frozen):
    value: float = Field(ge=0.0, le=1.0)
    bounds: Interval | None = None
    origin: Literal["user", "prior"]
    prior_id: str | None = None
    citation: str | None = None
    population: Text | None = None


class Step(_Frozen):
    """One result applied to the probability carried over from the previous step."""

    index: int = Field(ge=1)
    modality: str
    result: BinaryResult
    source: SourceUsed
    likelihood_ratio: LikelihoodRatio | None = Field(description="None when only a range is known")
    likelihood_ratio_bounds: tuple[LikelihoodRatio, LikelihoodRatio] | None = None
    pretest: float | None
    posttest: float | None
    posttest_bounds: Interval | None = None


class Calculation(_Frozen):
    pretest: Pretest
    steps: tuple[Step, ...]
    posttest: float | None = Field(description="None when a step has a range and no point")
    posttest_bounds: Interval | None = None
    bounds_method: Text
    assumptions: tuple[Text, ...]
    warnings: tuple[Text, ...] = ()
    table_version: str
    interpretation: bool = Field(True, description="A computation of the project; the chapter gives none")


class FurtherExam(_Frozen):
    """What one more exam would do: the probability after a positive and after a negative result."""

    modality: str
    source: SourceUsed
    likelihood_ratio_positive: LikelihoodRatio
    likelihood_ratio_negative: float
    probability_of_positive: float | None = None
    if_positive: float | None = None
    if_positive_bounds: Interval | None = None
    if_negative: float | None = None
    if_negative_bounds: Interval | None = None


class ExamUse(_Frozen):
    exam_id: str
    modality: str
    result: str | None
    counted: bool
    reason: Text | None = None


class ResidualProbability(_Frozen):
    """Assessment section: how likely bone metastases remain after the exams done, and what next."""

    status: Literal["computed", "likelihood_ratios_only", "not_applicable"]
    trigger: Literal["staging", "negative_bone_scan"]
    note: Text
    calculation: Calculation | None = None
    residual: float | None = None
    residual_bounds: Interval | None = None
    combined_likelihood_ratio: LikelihoodRatio | None = None
    exams: tuple[ExamUse, ...] = ()
    further: tuple[FurtherExam, ...] = ()
    rule_ids: tuple[str, ...] = ()
    assumptions: tuple[Text, ...] = ()
    table_version: str
    interpretation: bool = True
