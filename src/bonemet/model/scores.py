"""What a score returns: inputs echoed, points per item, total or grade, band, thresholds, citation."""

from __future__ import annotations

from typing import Literal

from bonemet.base import Frozen as _Frozen
from bonemet.base.provenance import Citation, ThresholdSource
from bonemet.base.text import Text
from bonemet.errors import ScoreInputError as ScoreInputError  # re-exported beside MissingInputsError


class ItemScore(_Frozen):
    item: str
    label: Text
    value: str
    value_label: Text
    points: int | None = None
    derived_from: str | None = None  # path of the case fact the value was read from


class BandResult(_Frozen):
    id: str
    label: Text
    interpretation: Text


class GradeResult(_Frozen):
    id: str
    rank: int
    label: Text
    definition: Text


class ThresholdResult(_Frozen):
    id: str
    source: ThresholdSource
    status: Literal["met", "not_met", "not_evaluable"]
    text: Text
    references: tuple[int, ...] = ()
    missing: tuple[str, ...] = ()


class Link(_Frozen):
    """This result read as an item of another score (e.g. Frankel C is Tokuhashi palsy 'incomplete')."""

    score: str
    item: str
    value: str
    points: int | None


class NoteResult(_Frozen):
    kind: str
    text: Text


class ScoreResult(_Frozen):
    score: str
    name: Text
    kind: Literal["sum", "grade"]
    subject: str | None = None
    inputs: dict[str, str]
    measures: dict[str, float] = {}  # noqa: RUF012 - pydantic copies field defaults
    items: tuple[ItemScore, ...]
    total: int | None = None
    range: tuple[int, int] | None = None
    grade: GradeResult | None = None
    band: BandResult
    thresholds: tuple[ThresholdResult, ...] = ()
    links: tuple[Link, ...] = ()
    notes: tuple[NoteResult, ...] = ()
    citation: Citation
    sources: tuple[str, ...]
    kb_version: str


class MissingInput(_Frozen):
    field: str
    item: str
    label: Text
    allowed: tuple[str, ...] = ()


class IncompleteScore(_Frozen):
    """A score the case asks for but cannot be computed yet; never a partial total."""

    score: str
    name: Text
    subject: str
    missing: tuple[MissingInput, ...]


class CaseScores(_Frozen):
    computed: tuple[ScoreResult, ...] = ()
    incomplete: tuple[IncompleteScore, ...] = ()


class MissingInputsError(ScoreInputError):
    """Inputs needed by the score were not given: no total is produced from a subset of items."""

    def __init__(self, score: str, missing: list[MissingInput]) -> None:
        self.missing = missing
        super().__init__(score, [
            f"{m.field}: missing (allowed: {', '.join(m.allowed)})" if m.allowed else f"{m.field}: missing"
            for m in missing
        ])
