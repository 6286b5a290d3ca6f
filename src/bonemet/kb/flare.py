"""Parameters of the follow-up scan interpreter (kb/data/flare.yaml), validated at load time.

Marker thresholds, time windows, argument metadata and labels. The loader of the knowledge base
reads this file with the others (so the base is refused whole when it is wrong); `load_flare_params`
reads it alone, for tools and tests.
"""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from bonemet.base import Frozen as _Frozen
from bonemet.base.provenance import MarkerThresholdUsed
from bonemet.base.terms import (
    Analyte,
    ArgumentName,
    Change,
    Classification,
    ClinicalState,
    CtFinding,
    Direction,
    Modality,
    MriFinding,
    NotComparable,
    OutsideBoneStatus,
    RadiographFinding,
    SkeletalSite,
    Timing,
    TreatmentType,
)
from bonemet.base.text import Text
from bonemet.errors import KnowledgeBaseError
from bonemet.kb import strict_yaml, templates

FLARE_ANALYTES = (Analyte.bone_alp, Analyte.ctx, Analyte.cea, Analyte.cyfra_21_1)




class Provenance(_Frozen):
    """Where a number comes from: a statement of the chapter, or the project's own choice."""

    source: Literal["project_choice", "chapter"]
    statements: tuple[str, ...] = ()
    reasoning: str = Field(min_length=10)


class Window(_Frozen):
    days_before: int = Field(ge=0, le=365)
    days_after: int = Field(ge=0, le=365)
    provenance: Provenance


class Windows(_Frozen):
    clinical_status: Window
    radiograph: Window
    mri: Window
    marker_baseline: Window
    marker_follow_up: Window
    response_outside_bone: Window


class EvidenceThreshold(_Frozen):
    """How much concordant evidence a `_likely` reading needs (the project's choice, issue 11)."""

    min_concordant: int = Field(ge=1, le=6)
    min_strong: int = Field(ge=0, le=6)
    strong: tuple[ArgumentName, ...] = Field(min_length=1)
    provenance: Provenance

    @model_validator(mode="after")
    def _coherent(self) -> EvidenceThreshold:
        if self.min_strong > self.min_concordant:
            raise ValueError("min_strong cannot exceed min_concordant")
        return self


class Interval(_Frozen):
    days: int = Field(ge=0, le=730)
    provenance: Provenance


class Caveat(_Frozen):
    """A sentence added to a reading for context the chapter names (line type, phenotype, RT)."""

    text: Text
    interpretation: bool
    statements: tuple[str, ...] = ()
    references: tuple[int, ...] = ()


CAVEATS = ("extension_line_type", "egfr_osteoblastic", "phenotype_lytic", "phenotype_blastic",
           "radiotherapy_healing", "radiotherapy_undated", "project_reading", "targeted_line_type",
           "anniversary_day", "fracture_risk", "naf_f28")


class MarkerThreshold(_Frozen):
    analyte: Analyte
    role: Literal["bone_formation", "bone_resorption", "tumour"]
    least_significant_change_pct: float = Field(gt=0, lt=100)
    units: dict[str, float] = Field(min_length=1)
    provenance: Provenance

    @model_validator(mode="after")
    def _units_positive(self) -> MarkerThreshold:
        bad = [u for u, f in self.units.items() if f <= 0]
        if bad:
            raise ValueError(f"unit factors must be positive: {', '.join(bad)}")
        return self


class Flag(_Frozen):
    value: bool
    provenance: Provenance


class ArgumentSpec(_Frozen):
    name: ArgumentName
    statements: tuple[str, ...] = Field(min_length=1)
    interpretation: dict[Literal["favours_flare", "favours_progression"], bool]
    label: Text
    obtain: Text
    note: Text | None = None

    @model_validator(mode="after")
    def _both_directions(self) -> ArgumentSpec:
        if set(self.interpretation) != {"favours_flare", "favours_progression"}:
            raise ValueError("interpretation needs favours_flare and favours_progression")
        if any(self.interpretation.values()) and self.note is None:
            raise ValueError("an argument read as interpretation needs a `note` saying why")
        return self

    def is_interpretation(self, direction: Direction) -> bool:
        if direction is Direction.neutral:
            return False
        return self.interpretation[direction.value]  # type: ignore[index]


_VALUE_LABELS = (
    {s.value for s in ClinicalState} | {f.value for f in RadiographFinding}
    | {f.value for f in MriFinding} | {s.value for s in OutsideBoneStatus}
    | {f.value for f in CtFinding}
    | {"rising", "falling", "mixed", "confounded", "none"}
    | {"exam_bone_scan", "exam_bone_scan_lc", "exam_naf_pet_ct", "exam_naf_pet_ct_lc",
       "exam_ct", "exam_ct_lc"}
    | {"ct_sclerosis_early", "ct_sclerosis_late", "ct_sclerosis_timing_unknown"}
)


class Labels(_Frozen):
    classification: dict[Classification, Text]
    change: dict[Change, Text]
    direction: dict[Direction, Text]
    leaning: dict[Direction, Text]  # the two sides only (checked below)
    sites: dict[SkeletalSite, Text]
    modalities: dict[Modality, Text]
    timing: dict[Timing, Text]
    not_comparable: dict[NotComparable, Text]
    values: dict[str, Text]

    @model_validator(mode="after")
    def _complete(self) -> Labels:
        gaps = []
        for name, enum in (("classification", Classification), ("change", Change),
                           ("direction", Direction), ("timing", Timing),
                           ("not_comparable", NotComparable), ("sites", SkeletalSite),
                           ("modalities", Modality)):
            missing = set(enum) - set(getattr(self, name))
            gaps += [f"{name}.{m.value}" for m in sorted(missing)]
        gaps += [f"leaning.{d.value}" for d in (Direction.favours_flare, Direction.favours_progression)
                 if d not in self.leaning]
        gaps += [f"values.{v}" for v in sorted(_VALUE_LABELS - set(self.values))]
        if gaps:
            raise ValueError(f"labels missing: {', '.join(gaps)}")
        return self


class FlareParams(_Frozen):
    _thresholds_used: tuple[MarkerThresholdUsed, ...] = PrivateAttr(default=())
    version: int = Field(ge=1)
    windows: Windows
    markers: tuple[MarkerThreshold, ...]
    antiresorptive_confounds_resorption_fall: Flag
    anniversary_day_is_early: Flag
    evidence_threshold: EvidenceThreshold
    radiotherapy_healing_window: Interval
    control_scan_min_interval: Interval
    previous_line_comparator: Interval
    caveats: dict[str, Caveat]
    flare_described_for: tuple[TreatmentType, ...] = Field(min_length=1)
    flare_reference_line_types: tuple[TreatmentType, ...] = ()
    weight_bearing_long_bones: tuple[SkeletalSite, ...] = ()
    arguments: tuple[ArgumentSpec, ...]
    labels: Labels

    @model_validator(mode="after")
    def _one_of_each(self) -> FlareParams:
        problems = []
        analytes = Counter(m.analyte for m in self.markers)
        problems += [f"marker {a.value} listed {n} times" for a, n in analytes.items() if n > 1]
        problems += [f"marker {a.value} missing" for a in FLARE_ANALYTES if a not in analytes]
        problems += [f"marker {a.value} is not a flare marker" for a in analytes
                     if a not in FLARE_ANALYTES]
        names = Counter(a.name for a in self.arguments)
        problems += [f"argument {a.value} listed {n} times" for a, n in names.items() if n > 1]
        problems += [f"argument {a.value} missing" for a in ArgumentName if a not in names]
        problems += [f"caveat {c} missing" for c in CAVEATS if c not in self.caveats]
        problems += [f"caveat {c} is not used by the reader" for c in self.caveats if c not in CAVEATS]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._thresholds_used = tuple(
            MarkerThresholdUsed(analyte=m.analyte.value,
                                least_significant_change_pct=m.least_significant_change_pct,
                                source=m.provenance.source)
            for m in self.markers)

    def marker(self, analyte: Analyte) -> MarkerThreshold:
        # A scan of the few entries: cheaper than a dict kept in a pydantic private attribute,
        # whose every read goes through BaseModel.__getattr__ (this runs for each argument read).
        for m in self.markers:
            if m.analyte == analyte:
                return m
        raise KeyError(analyte)  # the validator requires one entry per flare analyte

    def argument(self, name: ArgumentName) -> ArgumentSpec:
        for a in self.arguments:
            if a.name == name:
                return a
        raise KeyError(name)  # the validator requires one entry per argument

    def thresholds_used(self) -> tuple[MarkerThresholdUsed, ...]:
        """The marker thresholds as every follow-up section reports them (built once, at load)."""
        return self._thresholds_used

    def statement_ids(self) -> set[str]:
        ids = {s for a in self.arguments for s in a.statements}
        ids |= {s for m in self.markers for s in m.provenance.statements}
        ids |= {s for c in self.caveats.values() for s in c.statements}
        ids |= set(self.evidence_threshold.provenance.statements)
        return ids


def parse_flare_params(raw: Any, problems: list[str]) -> FlareParams | None:
    """Validate the decoded flare.yaml; append every problem (prefixed `flare.yaml`) to `problems`."""
    if not isinstance(raw, dict):
        problems.append("flare.yaml: must be a mapping")
        return None
    try:
        return FlareParams.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            problems.append(f"flare.yaml: {loc}: {err['msg'].removeprefix('Value error, ')}")
        return None


def load_flare_params(path: Path | None = None) -> FlareParams:
    """Read and validate flare.yaml alone (default: the shipped one); raise on any problem."""
    if path is None:
        path = Path(str(resources.files("bonemet.kb") / "data" / "flare.yaml"))
    try:
        raw = strict_yaml.load_path(path)
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError([str(exc)]) from None
    problems: list[str] = []
    # Its texts state the flare window by placeholder, filled from the rules beside it (templates.py).
    rules = path.parent / "rules.yaml"
    if rules.is_file():
        values = templates.knowledge_values(
            templates.rule_params_of(strict_yaml.load_path(rules).get("rules")))
        raw = templates.fill(raw, values)
    params = parse_flare_params(raw, problems)
    if params is None:
        raise KnowledgeBaseError(problems)
    return params
