"""The interpretation of follow-up bone scans under treatment: flare versus progression (NM-05..NM-08).

One `ScanReading` per follow-up bone scan: which scan it was compared with, on which treatment line,
whether it falls before or after the line's 6-month anniversary, what changed, the classification,
and every argument of the body of evidence with the values and dates it used. Part of the
assessment output since schema 1.1.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from bonemet.base import Frozen as _Frozen
from bonemet.base.provenance import MarkerThresholdUsed
from bonemet.base.terms import (  # re-exported: the reading's vocabulary, shared with the knowledge base
    ArgumentName as ArgumentName,
)
from bonemet.base.terms import (
    Classification as Classification,
)
from bonemet.base.terms import (
    Direction as Direction,
)
from bonemet.base.terms import (
    NotComparable as NotComparable,
)
from bonemet.base.terms import (
    Timing as Timing,
)
from bonemet.base.text import Text
from bonemet.model.case import Change


class ComparatorRole(StrEnum):
    same_line = "same_line"
    baseline_before_line = "baseline_before_line"
    before_line_change = "before_line_change"


class ChangeSource(StrEnum):
    reported = "reported"
    derived_from_hot_spot_counts = "derived_from_hot_spot_counts"


class Observation(_Frozen):
    """One value of the case an argument used: where it was read, when, and what it said."""

    path: str
    date: dt.date
    value: str | float
    unit: str | None = None


class Argument(_Frozen):
    name: ArgumentName
    direction: Direction
    observations: tuple[Observation, ...]
    change_pct: dict[str, float] = {}  # noqa: RUF012 - pydantic copies field defaults
    threshold_pct: dict[str, float] = {}  # noqa: RUF012 - pydantic copies field defaults
    interpretation: bool
    statement_ids: tuple[str, ...]
    explanation: Text


class MissingArgument(_Frozen):
    name: ArgumentName
    field: str
    reason: Text


class MissingItem(_Frozen):
    field: str
    reason: Text


class Advice(_Frozen):
    rule_id: str
    text: Text
    interpretation: bool = False  # the sentence rests on a reading of the project, not the chapter


class ScanReading(_Frozen):
    scan_id: str
    scan_date: dt.date
    modality: str
    hot_spot_count: int | None = None
    status: Literal["compared", "not_comparable"]
    not_comparable: NotComparable | None = None
    duplicate_of: str | None = None
    comparator_id: str | None = None
    comparator_date: dt.date | None = None
    comparator_role: ComparatorRole | None = None
    comparator_hot_spot_count: int | None = None
    line_id: str | None = None
    line_label: str | None = None
    line_start: dt.date | None = None
    anniversary: dt.date | None = None
    timing: Timing | None = None
    change: Change | None = None
    change_source: ChangeSource | None = None
    classification: Classification | None = None
    leaning: Direction | None = None  # indeterminate only: the side the available evidence leans to
    arguments: tuple[Argument, ...] = ()
    missing_arguments: tuple[MissingArgument, ...] = ()
    missing_data: tuple[MissingItem, ...] = ()
    control_scan_from: dt.date | None = None
    changed_lines: tuple[str, ...] = ()  # lines that started or ran between comparator and scan
    irradiated_sites: tuple[str, ...] = ()  # increased sites irradiated within the healing window
    advice: tuple[Advice, ...] = ()
    warnings: tuple[Text, ...] = ()
    rule_ids: tuple[str, ...] = ()
    interpretation: bool = False


class FollowUpSection(_Frozen):
    months: int
    params_version: int
    marker_thresholds: tuple[MarkerThresholdUsed, ...]
    scans: tuple[ScanReading, ...]

    def reading(self, scan_id: str) -> ScanReading:
        return next(s for s in self.scans if s.scan_id == scan_id)
