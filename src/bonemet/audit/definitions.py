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
        for indicator_id, param in (("switch_after_early_increase", "switch_within_days"),
                                    ("antiresorptive_within_days", "within_days")):
            found = next((i for i in self.indicators if i.id == indicator_id), None)
            if found is not None and found.params.get(param, 0) <= 0:
                raise ValueError(f"{indicator_id}.params.{param} must be a positive integer")
        return self

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    def get(self, indicator_id: str) -> IndicatorDef:
        return next(i for i in self.indicators if i.id == indicator_id)


def _rule_params(rule_ids: object) -> dict[str, object]:
    """The numbers of the rules an indicator measures (imaging rules, bone plan rules)."""
    kb = default_kb()
    values: dict[str, object] = {}
    for rid in rule_ids if isinstance(rule_ids, list) else []:
        if isinstance(rid, str) and rid in kb.rules:
            values.update(templates.scalar_params(kb.rules[rid].params))
        elif isinstance(rid, str) and kb.plan is not None and rid in kb.plan.rules:
            values.update(templates.scalar_params(kb.plan.rules[rid].params))
    return values


def _filled(data: object) -> object:
    """Texts with their placeholders filled (kb/templates.py): the base's values (the flare window),
    then each indicator's own: the params of the rules it measures and its own params (a window said
    in a title is the number the function reads, never typed twice)."""
    data = templates.fill(data, templates.values_of(default_kb()))
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        return data
    entries = []
    for entry in data["indicators"]:
        if isinstance(entry, dict):
            own = entry.get("params")
            values = {**_rule_params(entry.get("rule_ids")),
                      **templates.scalar_params(own if isinstance(own, dict) else {})}
            entry = templates.fill(entry, values)
        entries.append(entry)
    return {**data, "indicators": entries}


def parse_definitions(data: object, source: str = "indicators.yaml") -> IndicatorDefs:
    data = _filled(data)
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
