"""What an output echoes of the knowledge base that produced it.

The knowledge base builds these records once, when it loads (the figures of a test-performance entry,
the flare reader's marker thresholds); the assessment and calculation models carry them. Defined
here, below both, so that neither `kb` nor `model` imports the other.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bonemet.base import Frozen as _Frozen


class KnowledgeBaseInfo(_Frozen):
    """What every output echoes to say which base produced it."""

    name: str
    version: str



ThresholdSource = Literal["guideline", "score_source", "interpretation"]


class Citation(_Frozen):
    text: str = Field(min_length=10)
    guideline_ref: int | None = None
    also_in_guideline: tuple[int, ...] = ()
    doi: str | None = None
    pmid: str | None = None



class Interval(_Frozen):
    low: float = Field(ge=0.0, le=1.0)
    high: float = Field(ge=0.0, le=1.0)


class SourceUsed(_Frozen):
    """The table entry a step used, with enough of its provenance to be checked without the table."""

    entry_id: str
    modality: str
    source_id: str
    citation: str
    guideline_refs: tuple[int, ...] = ()
    statement_ids: tuple[str, ...] = ()
    population: str
    study_type: str
    evidence: str
    is_default: bool
    sensitivity: float | None
    specificity: float | None
    sensitivity_bounds: Interval | None = None
    specificity_bounds: Interval | None = None
    bounds_kind: Literal["ci95", "range"] | None = None



class MarkerThresholdUsed(_Frozen):
    analyte: str
    least_significant_change_pct: float
    source: str

