"""Typed view of the knowledge base. The YAML files are the source; these models are the contract."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from bonemet.base import Frozen as _Frozen
from bonemet.base.text import Text


class Number(_Frozen):
    name: str
    value: float | None = None
    range: tuple[float, float] | None = None
    unit: Literal["percent", "mSv", "months", "years", "ratio", "count"]
    approx: bool = False

    @model_validator(mode="after")
    def _one_of_value_or_range(self) -> Number:
        if (self.value is None) == (self.range is None):
            raise ValueError(f"number {self.name!r}: give exactly one of value or range")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"number {self.name!r}: range {self.range} is reversed")
        return self


class Statement(_Frozen):
    id: str
    kind: Literal["fact", "figure_caption", "recommendation"]
    section: str
    topic: str
    text: Text
    numbers: tuple[Number, ...] = ()
    refs: tuple[int, ...] = ()
    # The encoders' remarks on the source, in both languages like every text a reader sees.
    notes: tuple[Text, ...] = ()


class RelatedRef(_Frozen):
    number: int
    relation: str


class Reference(_Frozen):
    number: int = Field(ge=1)
    numbered_in_source: bool
    citation: str
    authors: tuple[str, ...] = ()
    et_al: bool = False
    title: str | None = None
    journal: str | None = None
    year: int | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None
    kind: str = "article"
    duplicate_of: int | None = None
    related: tuple[RelatedRef, ...] = ()
    notes: tuple[str, ...] = ()

    def short(self) -> str:
        first = self.authors[0] if self.authors else (self.journal or "")
        more = " et al." if self.et_al or len(self.authors) > 1 else ""
        year = f" {self.year}" if self.year else ""
        return f"[{self.number}] {first}{more}{year}"


Scenario = Literal[
    "staging",
    "follow_up",
    "response_assessment",
    "isolated_lesion",
    "equivocal_finding",
    "occult_disease",
    "new_bone_pain",
]


class OutsideSource(_Frozen):
    """A source outside the chapter (and outside its reference list) that a safety rule rests on."""

    citation: str = Field(min_length=1)
    url: str | None = None
    read_in: str = Field(min_length=1, description="Where the project read it (guideline-notes section)")


class Rule(_Frozen):
    # NM-xx: the chapter's rules (NM-14 and later: derived by the project from its statements);
    # ADV-xx: controls of the advisor over every rule; SAFE-xx: safety nets from outside the chapter.
    id: str = Field(pattern=r"^(NM|ADV|SAFE)-\d{2}$")
    basis: Literal["explicit", "derived"]
    scenarios: tuple[Scenario, ...]
    statements: tuple[str, ...] = ()
    outside_chapter: bool = False
    sources: tuple[OutsideSource, ...] = ()
    # Message keys whose text adds something the chapter does not say (flagged as interpretation).
    interpretive_messages: tuple[str, ...] = ()
    extra_refs: tuple[int, ...] = ()
    params: dict[str, object] = Field(default_factory=dict)
    title: Text
    text: Text
    messages: dict[str, Text] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _traceable(self) -> Rule:
        if self.outside_chapter:
            if self.basis != "derived" or not self.sources or not self.id.startswith("SAFE-"):
                raise ValueError("a rule from outside the chapter is a derived SAFE-xx rule with sources")
        elif not self.statements:
            raise ValueError("a rule of the chapter names at least one statement")
        unknown = [k for k in self.interpretive_messages if k not in self.messages]
        if unknown:
            raise ValueError(f"interpretive_messages name unknown messages {unknown}")
        return self

    @property
    def interpretation(self) -> bool:
        return self.basis == "derived"

    @field_validator("params")
    @classmethod
    def _freeze_params(cls, v: dict[str, object]) -> dict[str, object]:
        return dict(v)

    def message(self, key: str, **values: object) -> Text:
        try:
            template = self.messages[key]
        except KeyError:
            raise KeyError(f"rule {self.id} has no message {key!r}") from None
        return template.format(**values)


