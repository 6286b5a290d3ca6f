"""The audit indicators as data (kb/data/audit/indicators.yaml), validated when loaded.

The list of indicators is the YAML's: each entry has its function registered in
`bonemet.audit.indicators` (`INDICATORS`), which refuses definitions and functions that disagree
(`checked`). No list of ids is typed here (issue 23)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from bonemet.base.text import Text
from bonemet.errors import IndicatorDefsError
from bonemet.kb import default_kb, strict_yaml, templates


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
        ids = [i.id for i in self.indicators]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"indicators defined twice: {twice}")
        switch = next((i for i in self.indicators if i.id == "switch_after_early_increase"), None)
        if switch is not None and switch.params.get("switch_within_days", 0) <= 0:
            raise ValueError(
                "switch_after_early_increase.params.switch_within_days must be a positive integer"
            )
        return self

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    def get(self, indicator_id: str) -> IndicatorDef:
        return next(i for i in self.indicators if i.id == indicator_id)


def parse_definitions(data: object, source: str = "indicators.yaml") -> IndicatorDefs:
    # The flare window is said by placeholder, filled from the knowledge base (kb/templates.py).
    data = templates.fill(data, templates.values_of(default_kb()))
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
