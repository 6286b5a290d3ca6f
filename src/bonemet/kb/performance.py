"""Diagnostic performance of bone imaging as data: typed view and load-time checks of performance.yaml.

Every number carries its source; a default entry per modality is chosen (and justified) in the data,
never in code. The loader refuses the whole table when one entry is inconsistent.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from bonemet.base import Frozen as _Frozen
from bonemet.base.provenance import Interval, SourceUsed
from bonemet.base.text import Text
from bonemet.errors import PerformanceTableError
from bonemet.kb import strict_yaml

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Population = Literal["nsclc", "lung_cancer", "all_cancers", "not_stated"]
StudyType = Literal[
    "meta_analysis", "large_series", "head_to_head_subset", "comparative_study", "guideline_chapter"
]
Evidence = Literal["confirmed", "unconfirmed", "numbers_not_retrieved"]
Analysis = Literal["per_patient", "per_lesion", "not_stated"]
BoundsKind = Literal["ci95", "range"]

LUNG_POPULATIONS: frozenset[str] = frozenset({"nsclc", "lung_cancer"})

REQUIRED_TEXTS = (
    "independence", "bounds_method", "bounds_partial", "bounds_none", "range_no_point",
    "unconfirmed", "all_cancers", "certainty", "per_patient", "not_a_device", "residual_staging",
    "no_prior", "no_prior_histology", "known_metastases", "not_lung", "unused_equivocal",
    "unused_pending", "unused_superseded", "unused_spect_supersedes", "unused_not_survey",
    "unused_no_entry", "unused_after_as_of", "unused_outside_staging",
    "counted_partial_coverage",
)




class Measure(_Frozen):
    """A sensitivity or specificity as the source gives it: a point, with its 95% CI when the source
    reports one, or a range across studies (then there is no point)."""

    value: Fraction | None = None
    ci95: tuple[Fraction, Fraction] | None = None
    range: tuple[Fraction, Fraction] | None = None
    derived: bool = Field(False, description="Computed by bonemet from another figure (interpretation)")

    @model_validator(mode="after")
    def _consistent(self) -> Measure:
        if (self.value is None) == (self.range is None):
            raise ValueError("give exactly one of value or range")
        if self.ci95 is not None:
            if self.value is None:
                raise ValueError("ci95 needs a value")
            low, high = self.ci95
            if not low <= self.value <= high:
                raise ValueError(f"value {self.value} is outside its ci95 {self.ci95}")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"range {self.range} is reversed")
        return self

    @property
    def bounds(self) -> tuple[float, float] | None:
        return self.ci95 or self.range

    @property
    def bounds_kind(self) -> BoundsKind | None:
        if self.ci95 is not None:
            return "ci95"
        return "range" if self.range is not None else None


class Source(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    citation: str = Field(min_length=1)
    guideline_refs: tuple[int, ...] = Field((), description="Numbers in the chapter's reference list")
    doi: str | None = None
    pmid: str | None = None
    design: str
    read_in: str = Field(description="Where the figures were read, with the notes' confidence tag")


class PerformanceEntry(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    source: str
    statement_ids: tuple[str, ...] = ()
    sensitivity: Measure | None = None
    specificity: Measure | None = None
    population: Population
    population_detail: Text
    analysis: Analysis
    study_type: StudyType
    evidence: Evidence
    notes: tuple[Text, ...] = ()

    @model_validator(mode="after")
    def _numbers_match_evidence(self) -> PerformanceEntry:
        has_numbers = self.sensitivity is not None or self.specificity is not None
        if self.evidence == "numbers_not_retrieved" and has_numbers:
            raise ValueError("evidence numbers_not_retrieved but numbers are given")
        if self.evidence != "numbers_not_retrieved" and not has_numbers:
            raise ValueError("no sensitivity or specificity: use evidence numbers_not_retrieved")
        s, p = self.sensitivity, self.specificity
        if s is not None and p is not None and s.value is not None and p.value is not None \
                and s.value + p.value <= 1:
            raise ValueError("sensitivity + specificity <= 1: the test would carry no information")
        return self

    @property
    def computable(self) -> bool:
        """Both measures are known, so likelihood ratios (or their range) can be computed."""
        return self.sensitivity is not None and self.specificity is not None

    @property
    def has_point(self) -> bool:
        return (self.computable and self.sensitivity is not None and self.sensitivity.value is not None
                and self.specificity is not None and self.specificity.value is not None)


class ModalityPerformance(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: Text
    default: str
    default_reason: Text
    entries: tuple[PerformanceEntry, ...] = Field(min_length=1)
    notes: tuple[Text, ...] = ()

    def entry(self, entry_id: str) -> PerformanceEntry:
        return next(e for e in self.entries if e.id == entry_id)

    @property
    def default_entry(self) -> PerformanceEntry:
        return self.entry(self.default)


class Prior(_Frozen):
    """A documented pre-test probability: the prevalence in a named population, with its source."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    setting: Literal["staging"]
    value: Fraction
    events: int | None = Field(None, ge=0)
    n: int | None = Field(None, ge=1)
    histologies: tuple[str, ...] = Field(min_length=1)
    source: str
    population: Text
    notes: tuple[Text, ...] = ()

    @model_validator(mode="after")
    def _counts_match(self) -> Prior:
        if (self.events is None) != (self.n is None):
            raise ValueError("give both events and n, or neither")
        if self.events is not None and self.n is not None:
            if self.events > self.n:
                raise ValueError("events > n")
            if abs(self.events / self.n - self.value) > 5e-4:
                raise ValueError(f"events/n = {self.events}/{self.n} does not give value {self.value}")
        return self


class _TableFile(_Frozen):
    version: str = Field(min_length=1)
    sources: tuple[Source, ...]
    priors: tuple[Prior, ...]
    further_exams: tuple[str, ...]
    modalities: tuple[ModalityPerformance, ...]
    texts: dict[str, Text]


def lr_pair(sensitivity: float, specificity: float) -> tuple[float, float]:
    """(LR+, LR-) = (sens / (1 - spec), (1 - sens) / spec); LR+ is inf when spec = 1.

    No checks: the caller makes sure that spec > 0 and not (sens = 0 and spec = 1)
    (`bonemet.core.probability.likelihood_ratios` is the checked version).
    """
    positive = math.inf if specificity == 1.0 else sensitivity / (1.0 - specificity)
    return positive, (1.0 - sensitivity) / specificity


def _lr_defined(sensitivity: float, specificity: float) -> bool:
    return specificity > 0.0 and not (sensitivity == 0.0 and specificity == 1.0)


def _box(m: Measure) -> tuple[float, float]:
    if m.bounds is not None:
        return m.bounds
    assert m.value is not None  # a Measure has a value or a range
    return m.value, m.value


def build_source_used(source: Source, modality: ModalityPerformance, entry: PerformanceEntry) -> SourceUsed:
    sens, spec = entry.sensitivity, entry.specificity
    kinds = {m.bounds_kind for m in (sens, spec) if m is not None and m.bounds_kind}
    return SourceUsed(
        entry_id=entry.id, modality=modality.id, source_id=source.id, citation=source.citation,
        guideline_refs=source.guideline_refs, statement_ids=entry.statement_ids,
        population=entry.population, study_type=entry.study_type, evidence=entry.evidence,
        is_default=entry.id == modality.default,
        sensitivity=sens.value if sens else None, specificity=spec.value if spec else None,
        sensitivity_bounds=Interval(low=sens.bounds[0], high=sens.bounds[1])
        if sens and sens.bounds else None,
        specificity_bounds=Interval(low=spec.bounds[0], high=spec.bounds[1])
        if spec and spec.bounds else None,
        bounds_kind="range" if "range" in kinds else ("ci95" if kinds else None),
    )


@dataclass(frozen=True, slots=True)
class EntryFigures:
    """What the calculator reads of one computable entry, derived once when the table is loaded
    (the entry's numbers never change, so neither do these)."""

    modality: ModalityPerformance
    entry: PerformanceEntry
    used: SourceUsed
    sensitivity_box: tuple[float, float]  # (low, high); a point gives (value, value)
    specificity_box: tuple[float, float]
    point_lrs: tuple[float, float] | None  # (LR+, LR-) at the point values, when the entry has them
    # Extreme LRs over the box, (lowest, highest), for a positive and a negative result; None when
    # some corner has no LR (the calculator then reports the problem).
    positive_lr_range: tuple[float, float] | None
    negative_lr_range: tuple[float, float] | None


def _figures(source: Source, modality: ModalityPerformance, entry: PerformanceEntry) -> EntryFigures:
    assert entry.sensitivity is not None and entry.specificity is not None
    sens_box, spec_box = _box(entry.sensitivity), _box(entry.specificity)
    point = None
    if entry.has_point:
        sens, spec = entry.sensitivity.value, entry.specificity.value
        assert sens is not None and spec is not None
        point = lr_pair(sens, spec) if _lr_defined(sens, spec) else None
    positive = negative = None
    # LR+ rises and LR- falls with both measures: the extremes sit at the low and high corners.
    if _lr_defined(sens_box[0], spec_box[0]) and _lr_defined(sens_box[1], spec_box[1]):
        low, high = lr_pair(sens_box[0], spec_box[0]), lr_pair(sens_box[1], spec_box[1])
        positive, negative = (low[0], high[0]), (high[1], low[1])
    return EntryFigures(modality, entry, build_source_used(source, modality, entry), sens_box, spec_box,
                        point, positive, negative)


@dataclass(frozen=True)
class PerformanceTable:
    version: str
    sources: dict[str, Source]
    priors: dict[str, Prior]
    further_exams: tuple[str, ...]
    modalities: dict[str, ModalityPerformance]
    texts: dict[str, Text]
    # Derived at construction from the fields above: (modality id, entry id) -> figures of every
    # computable entry, and the staging prior.
    figures: dict[tuple[str, str], EntryFigures] = field(init=False, repr=False, compare=False)
    staging_prior: Prior | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        figures = {
            (m.id, e.id): _figures(self.sources[e.source], m, e)
            for m in self.modalities.values() for e in m.entries if e.computable
        }
        object.__setattr__(self, "figures", figures)
        object.__setattr__(self, "staging_prior",
                           next((p for p in self.priors.values() if p.setting == "staging"), None))

    def modality(self, modality_id: str) -> ModalityPerformance:
        try:
            return self.modalities[modality_id]
        except KeyError:
            raise KeyError(
                f"unknown modality {modality_id!r}; known: {', '.join(self.modalities)}"
            ) from None

    def entry(self, entry_id: str) -> tuple[ModalityPerformance, PerformanceEntry]:
        for m in self.modalities.values():
            for e in m.entries:
                if e.id == entry_id:
                    return m, e
        known = ", ".join(e.id for m in self.modalities.values() for e in m.entries)
        raise KeyError(f"unknown source entry {entry_id!r}; known: {known}")

    def source(self, source_id: str) -> Source:
        return self.sources[source_id]

    def text(self, key: str) -> Text:
        return self.texts[key]


def _check(table: _TableFile, reference_numbers: Collection[int] | None,
           statement_ids: Collection[str] | None) -> list[str]:
    problems: list[str] = []
    sources = {s.id for s in table.sources}
    for what, ids in (("source", [s.id for s in table.sources]), ("prior", [p.id for p in table.priors]),
                      ("modality", [m.id for m in table.modalities]),
                      ("entry", [e.id for m in table.modalities for e in m.entries])):
        problems.extend(f"duplicate {what} id {i!r}" for i, n in Counter(ids).items() if n > 1)
    if reference_numbers is not None:
        for s in table.sources:
            problems.extend(f"source {s.id}: unknown guideline reference {n}"
                            for n in s.guideline_refs if n not in reference_numbers)
    for p in table.priors:
        if p.source not in sources:
            problems.append(f"prior {p.id}: unknown source {p.source!r}")
    modality_ids = {m.id for m in table.modalities}
    problems.extend(f"further_exams: unknown modality {m!r}"
                    for m in table.further_exams if m not in modality_ids)
    for m in table.modalities:
        for e in m.entries:
            if e.source not in sources:
                problems.append(f"entry {e.id}: unknown source {e.source!r}")
            if statement_ids is not None:
                problems.extend(f"entry {e.id}: unknown statement {s!r}"
                                for s in e.statement_ids if s not in statement_ids)
        default = next((e for e in m.entries if e.id == m.default), None)
        if default is None:
            problems.append(f"modality {m.id}: default {m.default!r} is not one of its entries")
        elif not (default.has_point and default.evidence == "confirmed"
                  and default.analysis in ("per_patient",)):
            problems.append(f"modality {m.id}: default {m.default!r} must be confirmed, per patient, "
                            "with a point sensitivity and specificity")
    problems.extend(f"texts: missing {key!r}" for key in REQUIRED_TEXTS if key not in table.texts)
    problems.extend(_spect_dominates_planar(table))
    return problems


def _spect_dominates_planar(table: _TableFile) -> list[str]:
    """The chapter says SPECT-CT improves on the planar scan (F07). A SPECT-CT reading replaces the
    planar one in the residual probability, so its default must weigh at least as much both ways:
    otherwise a confirming SPECT-CT would lower the probability (issue 17, hazard HZ-AD-07)."""
    defaults = {m.id: next((e for e in m.entries if e.id == m.default), None) for m in table.modalities}
    planar, spect = defaults.get("bone_scan"), defaults.get("spect_ct")
    if planar is None or spect is None or not (planar.has_point and spect.has_point):
        return []
    assert planar.sensitivity and planar.specificity and spect.sensitivity and spect.specificity
    ps, pp = planar.sensitivity.value, planar.specificity.value
    ss, sp = spect.sensitivity.value, spect.specificity.value
    assert ps is not None and pp is not None and ss is not None and sp is not None
    if not (_lr_defined(ps, pp) and _lr_defined(ss, sp)):
        return []
    (p_pos, p_neg), (s_pos, s_neg) = lr_pair(ps, pp), lr_pair(ss, sp)
    if s_pos < p_pos or s_neg > p_neg:
        return [f"spect_ct default {spect.id!r} (LR+ {s_pos:.3g}, LR- {s_neg:.3g}) must dominate the "
                f"bone_scan default {planar.id!r} (LR+ {p_pos:.3g}, LR- {p_neg:.3g}): a confirming "
                "SPECT-CT would otherwise lower the probability"]
    return []


def load_performance(path: Path, reference_numbers: Collection[int] | None = None,
                     statement_ids: Collection[str] | None = None) -> PerformanceTable:
    """Read and cross-check the table; reference and statement ids are checked when given."""
    try:
        raw = strict_yaml.load_path(path)
    except yaml.YAMLError as exc:
        raise PerformanceTableError([str(exc)]) from None
    try:
        table = _TableFile.model_validate(raw)
    except ValidationError as exc:
        raise PerformanceTableError([
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        ]) from None
    problems = _check(table, reference_numbers, statement_ids)
    if problems:
        raise PerformanceTableError(problems)
    return PerformanceTable(
        version=table.version,
        sources={s.id: s for s in table.sources},
        priors={p.id: p for p in table.priors},
        further_exams=table.further_exams,
        modalities={m.id: m for m in table.modalities},
        texts=dict(table.texts),
    )
