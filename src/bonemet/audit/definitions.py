"""The audit indicators as data (kb/data/audit/indicators.yaml), validated when loaded."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from bonemet.base.text import Text
from bonemet.errors import IndicatorDefsError
from bonemet.kb import strict_yaml

INDICATOR_IDS = (
    "bone_scan_after_pet",
    "pet_femurs_not_covered",
    "routine_follow_up_scan",
    "early_control_scan",
    "switch_after_early_increase",
    "isolated_lesion_without_targeted_imaging",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConfidenceInterval(_Frozen):
    method: Literal["wilson"]
    level_pct: Literal[95]


class IndicatorDef(_Frozen):
    id: str
    rule_ids: tuple[str, ...]
    interpretation: bool
    params: dict[str, int] = {}
    title: Text
    denominator: Text
    numerator: Text


class IndicatorDefs(_Frozen):
    version: int
    confidence_interval: ConfidenceInterval
    indicators: tuple[IndicatorDef, ...]

    @model_validator(mode="after")
    def _known_and_complete(self) -> IndicatorDefs:
        ids = tuple(i.id for i in self.indicators)
        if ids != INDICATOR_IDS:
            raise ValueError(
                f"indicators must be exactly {list(INDICATOR_IDS)} in this order, got {list(ids)}"
            )
        switch = self.get("switch_after_early_increase")
        if switch.params.get("switch_within_days", 0) <= 0:
            raise ValueError(
                "switch_after_early_increase.params.switch_within_days must be a positive integer"
            )
        return self

    def get(self, indicator_id: str) -> IndicatorDef:
        return next(i for i in self.indicators if i.id == indicator_id)


def parse_definitions(data: object, source: str = "indicators.yaml") -> IndicatorDefs:
    try:
        return IndicatorDefs.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise IndicatorDefsError(lines) from None


def load_definitions(path: Path) -> IndicatorDefs:
    """Read an indicator file strictly (duplicate keys, aliases refused) and validate it."""
    try:
        data = strict_yaml.load_path(path)
    except yaml.YAMLError as exc:
        raise IndicatorDefsError(str(exc)) from None
    return parse_definitions(data, path.name)


@lru_cache(maxsize=1)
def default_definitions() -> IndicatorDefs:
    return load_definitions(Path(str(resources.files("bonemet.kb") / "data" / "audit" / "indicators.yaml")))
