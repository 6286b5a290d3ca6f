"""Score definitions as typed data: the YAML files under kb/data/scores are the source.

Each table is checked when the knowledge base loads: the declared range must equal the range the
points allow, bands must tile it without gap or overlap, every grade must sit in exactly one band,
decision rules and derivations may only name known items and options, and cited guideline
references must exist. A table that fails any check refuses the whole base.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from bonemet.base import Frozen as _Frozen
from bonemet.base.provenance import Citation, ThresholdSource
from bonemet.base.text import Text
from bonemet.kb import strict_yaml


class Option(_Frozen):
    id: str = Field(min_length=1)
    label: Text
    points: int | None = None


class Item(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    options: tuple[Option, ...] = Field(min_length=2)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)

    @property
    def allowed(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)


class Grade(_Frozen):
    id: str = Field(min_length=1)
    label: Text
    definition: Text


class Band(_Frozen):
    id: str
    label: Text
    interpretation: Text
    min: int | None = None
    max: int | None = None
    grades: tuple[str, ...] = ()


class Measure(_Frozen):
    """A numeric finding beside the score (e.g. percentage of cortical lysis) that a threshold reads."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    gt: float


class Threshold(_Frozen):
    id: str
    source: ThresholdSource
    text: Text
    min: int | None = None
    max: int | None = None
    grades: tuple[str, ...] = ()
    measures: tuple[Measure, ...] = ()
    refs: tuple[int, ...] = ()


class Note(_Frozen):
    # An id lets another part of the base cite the note instead of copying it (plan.yaml
    # `score_notes`: the plan shows the calculator's own caveat, review 23b N7).
    id: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$")
    kind: Literal["conflict", "caveat", "convention", "interpretation"]
    text: Text
    when: dict[str, str] = Field(default_factory=dict)


class Rule(_Frozen):
    """One line of a first-match decision table: all `when` items must hold."""

    when: dict[str, str] = Field(min_length=1)
    grade: str
    note: Text | None = None


class Derivation(_Frozen):
    """How an item can be read from a fact of the case (e.g. Mirels lesion from the lesion phenotype)."""

    source: str = Field(alias="from")
    map: dict[str, str]

    @field_validator("map", mode="before")
    @classmethod
    def _keys_as_text(cls, v: Any) -> Any:
        return {str(k): str(val) for k, val in v.items()} if isinstance(v, dict) else v


class ScoreTable(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["sum", "grade"]
    name: Text
    purpose: Text
    applies_to: Text
    citation: Citation
    sources: tuple[str, ...] = Field(min_length=1)
    range: tuple[int, int] | None = None
    items: tuple[Item, ...] = ()
    grades: tuple[Grade, ...] = ()
    rules: tuple[Rule, ...] = ()
    bands: tuple[Band, ...] = Field(min_length=1)
    thresholds: tuple[Threshold, ...] = ()
    notes: tuple[Note, ...] = ()
    derive: dict[str, Derivation] = Field(default_factory=dict)

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(f"{self.id}: unknown item {item_id!r}")

    def grade(self, grade_id: str) -> Grade:
        for g in self.grades:
            if g.id == grade_id:
                return g
        raise KeyError(f"{self.id}: unknown grade {grade_id!r}")

    def rank(self, grade_id: str) -> int:
        return [g.id for g in self.grades].index(grade_id)


def check_table(t: ScoreTable, references: Collection[int] | None) -> list[str]:
    """Every inconsistency of one table, each as a sentence naming the table and the place."""
    p: list[str] = []
    where = f"score {t.id}"
    items = {i.id: i for i in t.items}
    if len(items) != len(t.items):
        p.append(f"{where}: duplicate item id")
    for it in t.items:
        ids = [o.id for o in it.options]
        if len(set(ids)) != len(ids):
            p.append(f"{where}: item {it.id}: duplicate option id")
    if t.kind == "sum":
        p += _check_sum(t, where)
    else:
        p += _check_grade(t, where, items)
    for th in t.thresholds:
        if t.kind == "sum" and th.grades:
            p.append(f"{where}: threshold {th.id}: a points score is thresholded on totals, not grades")
        if t.kind == "grade" and (th.min is not None or th.max is not None):
            p.append(f"{where}: threshold {th.id}: a grade is thresholded on grades, not totals")
        p += [f"{where}: threshold {th.id}: unknown grade {g!r}"
              for g in th.grades if g not in {x.id for x in t.grades}]
    for note in t.notes:
        p += _check_condition(note.when, items, f"{where}: note")
    for item_id, d in t.derive.items():
        if item_id not in items:
            p.append(f"{where}: derive: unknown item {item_id!r}")
            continue
        p += [f"{where}: derive {item_id}: {v!r} is not an option of {item_id}"
              for v in d.map.values() if items[item_id].option(v) is None]
    cited = ([t.citation.guideline_ref] if t.citation.guideline_ref else []) + list(
        t.citation.also_in_guideline) + [n for th in t.thresholds for n in th.refs]
    if references is not None:
        p += [f"{where}: unknown guideline reference {n}" for n in cited if n not in references]
    return p


def _check_sum(t: ScoreTable, where: str) -> list[str]:
    p: list[str] = []
    if not t.items or t.grades or t.rules:
        p.append(f"{where}: a points score has items and no grades or rules")
        return p
    missing = [f"{i.id}.{o.id}" for i in t.items for o in i.options if o.points is None]
    if missing:
        return [f"{where}: options without points: {', '.join(missing)}"]
    low = sum(min(o.points or 0 for o in i.options) for i in t.items)
    high = sum(max(o.points or 0 for o in i.options) for i in t.items)
    if t.range != (low, high):
        p.append(f"{where}: declared range {t.range} but the points allow ({low}, {high})")
    expected = low
    for band in sorted(t.bands, key=lambda b: (b.min if b.min is not None else -1)):
        if band.min is None or band.max is None or band.grades:
            p.append(f"{where}: band {band.id}: a points band needs min and max, no grades")
            return p
        if band.min != expected or band.max < band.min:
            p.append(f"{where}: band {band.id} starts at {band.min}, expected {expected} (gap or overlap)")
        expected = band.max + 1
    if expected != high + 1:
        p.append(f"{where}: bands end at {expected - 1}, range ends at {high}")
    return p


def _check_grade(t: ScoreTable, where: str, items: Mapping[str, Item]) -> list[str]:
    p: list[str] = []
    grade_ids = [g.id for g in t.grades]
    if not grade_ids or len(set(grade_ids)) != len(grade_ids):
        p.append(f"{where}: a grade needs a list of unique grades")
    if t.range is not None:
        p.append(f"{where}: a grade has no points range")
    placed = [g for b in t.bands for g in b.grades]
    for g in grade_ids:
        if placed.count(g) != 1:
            p.append(f"{where}: grade {g!r} is in {placed.count(g)} bands (expected exactly 1)")
    p += [f"{where}: band lists unknown grade {g!r}" for g in placed if g not in grade_ids]
    if bool(t.items) != bool(t.rules):
        p.append(f"{where}: findings items and decision rules go together")
    for i, rule in enumerate(t.rules):
        if rule.grade not in grade_ids:
            p.append(f"{where}: rule {i + 1}: unknown grade {rule.grade!r}")
        p += _check_condition(rule.when, items, f"{where}: rule {i + 1}")
    return p


def _check_condition(when: Mapping[str, str], items: Mapping[str, Item], where: str) -> list[str]:
    p: list[str] = []
    for item_id, option_id in when.items():
        if item_id not in items:
            p.append(f"{where}: unknown item {item_id!r}")
        elif items[item_id].option(option_id) is None:
            p.append(f"{where}: {option_id!r} is not an option of {item_id}")
    return p


def load_score_tables(
    directory: Path, references: Collection[int] | None, problems: list[str],
) -> dict[str, ScoreTable]:
    """Read every `*.yaml` table in `directory`; append each problem found to `problems`."""
    tables: dict[str, ScoreTable] = {}
    if not directory.is_dir():
        problems.append(f"score tables: no directory {directory}")
        return tables
    for path in sorted(directory.glob("*.yaml")):
        try:
            raw = strict_yaml.load_path(path)
        except yaml.YAMLError as exc:
            problems.append(f"score table {path.name}: {exc}")
            continue
        try:
            table = ScoreTable.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"])
                problems.append(f"score table {path.name}: {loc}: {err['msg']}")
            continue
        if table.id != path.stem:
            problems.append(f"score table {path.name}: id {table.id!r} differs from the file name")
        problems.extend(check_table(table, references))
        tables[table.id] = table
    return tables
