"""The FHIR value sets of bonemet: load `valuesets.yaml`, refuse it when inconsistent, match codings.

Matching order for a CodeableConcept: the bonemet local code system (exact, what `case_to_bundle`
writes), then standard codings (exact or prefix rows), then text/display patterns.

Text patterns match whole words of the accent-free, lower-case text, in French and English alike:
"spect" matches "SPECT-CT" but not "suspected", "inspection" or "spectroscopy". A pattern ending in
`*` is a word stem ("radiotherap*" matches "radiotherapy" and "radiothérapie"); it still starts at a
word boundary. The loader refuses SNOMED CT codes whose Verhoeff check digit fails and LOINC codes
whose mod-10 check digit fails.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bonemet.errors import ValueSetError
from bonemet.kb import strict_yaml
from bonemet.model.case import (
    LAB_CATALOGUE,
    Analyte,
    ClinicalState,
    Histology,
    Modality,
    PrimarySite,
    SkeletalSite,
    TreatmentType,
)

_ICD_LIKE = {"icd10", "icd10cm", "cim10"}
_TEXT_MEMO_SIZE = 4096


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CodeRow(_Strict):
    system: str
    code: str = Field(min_length=1)
    display: str | None = None
    confidence: Literal["V", "P", "U"]
    verified_by: str = Field(min_length=1)
    match: Literal["exact", "prefix"] = "exact"
    emit: bool = True
    coverage: str | None = None
    site: str | None = None
    primary_site: str | None = None  # histology codes naming their organ ("Adenocarcinoma of lung")
    level: str | None = None  # body-site codes naming one vertebra ("T8"): the level kept with the site
    role: str | None = None
    # Lab codes (issue 24): the units their LOINC property fits (a mass code for mg/dL, a moles code
    # for mmol/L); written only for a value in one of them. Empty: any unit.
    units: tuple[str, ...] = ()
    # Where an unverified code comes from (memory, the issue that reported it...): every row names
    # its origin, `verified_by` for V/P rows, `source` for U rows.
    source: str | None = None

    @model_validator(mode="after")
    def _unverified_is_labelled(self) -> CodeRow:
        if (self.confidence == "U") != (self.verified_by == "unverified"):
            raise ValueError(f"code {self.code}: confidence U and verified_by 'unverified' go together")
        if self.confidence == "U" and self.emit:
            raise ValueError(f"code {self.code}: an unverified code is never written (set emit: false)")
        if self.confidence == "U" and not self.source:
            raise ValueError(f"code {self.code}: an unverified code names its source (source: ...)")
        return self


class Display(_Strict):
    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)


class Concept(_Strict):
    key: str
    display: Display
    text: tuple[str, ...] = ()
    exclude_text: tuple[str, ...] = ()
    # The text matches only if one of these words is present too (e.g. a NaF tracer AND a PET).
    require_text: tuple[str, ...] = ()
    # Words naming the organ (primary sites only): with a histology or a malignancy word they name
    # the primary ("Adenocarcinoma of prostate"); alone they name nothing ("pulmonary embolism").
    anchor_text: tuple[str, ...] = ()
    codes: tuple[CodeRow, ...] = ()
    type: str | None = None  # agents only: the case's TreatmentType


class TreatmentRules(_Strict):
    """How lines and courses are derived from resources recorded one per administration (docs/fhir.md)."""

    line_gap_days: int = Field(ge=1)
    course_gap_days: int = Field(ge=1)
    ongoing_statuses: tuple[str, ...]
    recent_administration_days: int = Field(ge=1)
    regimen_window_days: int = Field(ge=0, le=28)  # issue 26 review F5: one regimen, one line


class _File(_Strict):
    version: str
    canonical_base: str
    systems: dict[str, str]
    system_aliases: dict[str, str] = Field(default_factory=dict)
    treatment_rules: TreatmentRules
    groups: dict[str, tuple[Concept, ...]]


# The groups whose keys must cover a case vocabulary exactly.
_ENUM_GROUPS: dict[str, tuple[str, ...]] = {
    "primary_site": tuple(PrimarySite),
    "histology": tuple(Histology),
    "modality": tuple(Modality),
    "analyte": tuple(Analyte),
    "body_site": tuple(SkeletalSite),
    "clinical_state": tuple(ClinicalState),
}


def normalise_text(text: str) -> str:
    """Lower case, accents removed, punctuation collapsed to single spaces, padded with spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split()) + " "


def _pattern(text: str) -> str:
    """A text pattern as matched: whole words (" spect "), or a word stem (" radiotherap")."""
    if text.endswith("*"):
        return normalise_text(text[:-1]).rstrip()
    return normalise_text(text)


def _found(patterns: tuple[str, ...], norm: str) -> bool:
    return any(p in norm for p in patterns)


_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4), (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7), (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def snomed_check_digit_ok(code: str) -> bool:
    """SNOMED CT identifiers end in a Verhoeff check digit (6 to 18 digits, no leading zero)."""
    if not code.isdigit() or not 6 <= len(code) <= 18 or code[0] == "0":
        return False
    check = 0
    for i, digit in enumerate(reversed(code)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][int(digit)]]
    return check == 0


def loinc_check_digit_ok(code: str) -> bool:
    """LOINC codes are NNNNN-C where C is the mod-10 (Luhn) check digit of NNNNN."""
    body, dash, check = code.partition("-")
    if not dash or not body.isdigit() or len(check) != 1 or not check.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(check)


def _norm_code(alias: str, code: str) -> str:
    code = code.strip()
    return code.replace(".", "").upper() if alias in _ICD_LIKE else code


@dataclass(frozen=True)
class Match:
    group: str
    concept: Concept
    row: CodeRow | None  # None when matched by the local code system or by text
    how: Literal["local", "code", "text"]


@dataclass(frozen=True)
class ValueSets:
    version: str
    base: str
    systems: dict[str, str]  # alias -> URI
    groups: dict[str, tuple[Concept, ...]]
    _exact: dict[tuple[str, str], tuple[tuple[str, Concept, CodeRow], ...]]
    _prefix: dict[str, tuple[tuple[str, str, Concept, CodeRow], ...]]
    _uri_alias: dict[str, str]
    _patterns: dict[str, tuple[tuple[Concept, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]]
    _anchors: dict[str, tuple[tuple[Concept, tuple[str, ...]], ...]]
    rules: TreatmentRules
    # Lookups derived from `groups` once, so that matching a coding is a few dict reads.
    _by_key: dict[str, dict[str, Concept]] = field(default_factory=dict, repr=False, compare=False)
    _position: dict[tuple[str, str], int] = field(default_factory=dict, repr=False, compare=False)
    # Matches are immutable: build each possible one once instead of on every lookup.
    _local_hit: dict[tuple[str, str], Match] = field(default_factory=dict, repr=False, compare=False)
    _text_hit: dict[tuple[str, str], Match] = field(default_factory=dict, repr=False, compare=False)
    _exact_hit: dict[tuple[str, str], tuple[Match, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _prefix_hit: dict[str, tuple[tuple[str, Match], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    # Memo of text matches: EHR texts repeat ("carboplatin" on every cycle). Bounded; results do
    # not depend on it.
    _text_memo: dict[tuple[str, str], Concept | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for group, concepts in self.groups.items():
            keyed: dict[str, Concept] = {}
            for i, concept in enumerate(concepts):
                keyed.setdefault(concept.key, concept)
                self._position.setdefault((group, concept.key), i)
                self._local_hit.setdefault((group, concept.key), Match(group, concept, None, "local"))
                self._text_hit.setdefault((group, concept.key), Match(group, concept, None, "text"))
            self._by_key[group] = keyed
        for k, rows in self._exact.items():
            self._exact_hit[k] = tuple(Match(g, c, r, "code") for g, c, r in rows)
        for alias, prefixed in self._prefix.items():
            self._prefix_hit[alias] = tuple((p, Match(g, c, r, "code")) for g, p, c, r in prefixed)

    # ---------------------------------------------------------------- canonical URLs
    def local_system(self, vocabulary: str) -> str:
        """The bonemet CodeSystem of one case vocabulary (e.g. 'modality', 'pet-coverage')."""
        return f"{self.base}/CodeSystem/{vocabulary}"

    def extension_url(self, name: str) -> str:
        return f"{self.base}/StructureDefinition/{name}"

    def identifier_system(self, name: str) -> str:
        return f"{self.base}/NamingSystem/{name}"

    def uri(self, alias: str) -> str:
        return self.systems.get(alias, alias)

    def alias_of(self, uri: str) -> str | None:
        return self._uri_alias.get(uri.rstrip("/")) or self._uri_alias.get(uri)

    # ---------------------------------------------------------------- lookup
    def concept(self, group: str, key: str) -> Concept:
        found = self._by_key[group].get(key)
        if found is None:
            raise KeyError(f"value set {group!r} has no concept {key!r}")
        return found

    def match_coding(self, groups: tuple[str, ...], system: str, code: str) -> list[Match]:
        alias = self.alias_of(system)
        if alias is None:
            return []
        norm = _norm_code(alias, code)
        found = [h for h in self._exact_hit.get((alias, norm), ()) if h.group in groups]
        prefixed = self._prefix_hit.get(alias)
        if prefixed:
            found += [h for p, h in prefixed if h.group in groups and norm.startswith(p)]
        return found

    def match_text(self, group: str, text: str) -> Concept | None:
        memo_key = (group, text)
        memo = self._text_memo
        if memo_key in memo:
            return memo[memo_key]
        found = self._match_text(group, text)
        if len(memo) >= _TEXT_MEMO_SIZE:
            memo.clear()
        memo[memo_key] = found
        return found

    def _match_text(self, group: str, text: str) -> Concept | None:
        norm = normalise_text(text)
        for concept, include, exclude, required in self._patterns.get(group, ()):
            if (_found(include, norm) and not _found(exclude, norm)
                    and (not required or _found(required, norm))):
                return concept
        return None

    def match_text_all(self, group: str, text: str) -> list[Concept]:
        """Every concept of `group` whose patterns the text matches (e.g. all tracers named)."""
        norm = normalise_text(text)
        return [concept for concept, include, exclude, required in self._patterns.get(group, ())
                if _found(include, norm) and not _found(exclude, norm)
                and (not required or _found(required, norm))]

    def match_anchor(self, group: str, text: str) -> Concept | None:
        """The concept whose organ words (`anchor_text`) the text names, first in file order."""
        norm = normalise_text(text)
        return next((c for c, words in self._anchors.get(group, ()) if _found(words, norm)), None)

    def match_codes(self, groups: tuple[str, ...], codeable: Any) -> list[Match]:
        """Every coded match of a CodeableConcept among `groups` (no text), best first."""
        if not isinstance(codeable, dict) or not isinstance(codeable.get("coding"), list):
            return []
        hits: list[Match] = []
        for c in codeable["coding"]:
            if isinstance(c, dict):
                system, code = c.get("system"), c.get("code")
                if isinstance(system, str) and isinstance(code, str):
                    hits.extend(self.match_coding(groups, system, code))
        return sorted(hits, key=lambda m: self._rank(groups, m))

    def search_codes(self, groups: tuple[str, ...], systems: tuple[str, ...]) -> list[str]:
        """`system|code` tokens of the exact rows of `groups` in `systems` (FHIR search values)."""
        out: list[str] = []
        for g in groups:
            for concept in self.groups.get(g, ()):
                for row in concept.codes:
                    token = f"{self.uri(row.system)}|{row.code}"
                    if row.system in systems and row.match == "exact" and token not in out:
                        out.append(token)
        return out

    def match(self, groups: tuple[str, ...], codeable: Any, local: str | None = None) -> Match | None:
        """Best concept for a CodeableConcept among `groups` (first group, first concept wins ties)."""
        if not isinstance(codeable, dict):
            return None
        raw = codeable.get("coding")
        # Only a list holds codings; anything else (a malformed element) holds none.
        codings = [c for c in raw if isinstance(c, dict)] if isinstance(raw, list) else []
        if local is not None and codings:
            url = self.local_system(local)
            for c in codings:
                code = c.get("code")
                if isinstance(code, str) and c.get("system") == url:
                    for g in groups:
                        hit = self._local_hit.get((g, code))
                        if hit is not None:
                            return hit
        hits: list[Match] = []
        for c in codings:
            system, code = c.get("system"), c.get("code")
            if isinstance(system, str) and isinstance(code, str):
                hits.extend(self.match_coding(groups, system, code))
        if hits:
            return hits[0] if len(hits) == 1 else min(hits, key=lambda m: self._rank(groups, m))
        texts = [codeable.get("text")] + [c.get("display") for c in codings]
        for g in groups:
            for t in texts:
                if isinstance(t, str) and t:
                    found = self.match_text(g, t)
                    if found is not None:
                        return self._text_hit[(g, found.key)]
        return None

    def _rank(self, groups: tuple[str, ...], m: Match) -> tuple[int, int]:
        # Concept keys are unique in a group (checked at load), so the key gives the position.
        return groups.index(m.group), self._position[(m.group, m.concept.key)]

    # ---------------------------------------------------------------- writing
    def codings(self, group: str, key: str) -> list[dict[str, str]]:
        """Standard codings written for a concept: the first emittable V/P row per system."""
        seen: set[str] = set()
        out = []
        for row in self.concept(group, key).codes:
            if row.emit and row.system not in seen:
                seen.add(row.system)
                coding = {"system": self.uri(row.system), "code": row.code}
                if row.display:
                    coding["display"] = row.display
                out.append(coding)
        return out

    def unit_codings(self, group: str, key: str, unit: str) -> list[dict[str, str]]:
        """Standard codings written for a value in `unit`: the first emittable row per system whose
        `units` include it (or that names no units). A moles code is never written for mg/dL."""
        seen: set[str] = set()
        out = []
        for row in self.concept(group, key).codes:
            if row.emit and row.system not in seen and (not row.units or unit in row.units):
                seen.add(row.system)
                coding = {"system": self.uri(row.system), "code": row.code}
                if row.display:
                    coding["display"] = row.display
                out.append(coding)
        return out

    def rows(self) -> list[tuple[str, Concept, CodeRow]]:
        return [(g, c, r) for g, concepts in self.groups.items() for c in concepts for r in c.codes]


def _check(data: _File) -> list[str]:
    problems: list[str] = []
    known = set(data.systems)
    for group, concepts in data.groups.items():
        keys = [c.key for c in concepts]
        problems.extend(f"{group}: duplicate key {k!r}" for k in set(keys) if keys.count(k) > 1)
        for c in concepts:
            for row in c.codes:
                if row.system not in known and "://" not in row.system:
                    problems.append(f"{group}.{c.key}: unknown system alias {row.system!r}")
                if row.system == "sct" and not snomed_check_digit_ok(row.code):
                    problems.append(f"{group}.{c.key}: SNOMED CT {row.code} fails its Verhoeff check digit")
                if row.system == "loinc" and not loinc_check_digit_ok(row.code):
                    problems.append(f"{group}.{c.key}: LOINC {row.code} fails its mod-10 check digit")
                if row.primary_site is not None and row.primary_site not in tuple(PrimarySite):
                    problems.append(f"{group}.{c.key}: primary_site {row.primary_site!r} is not a site")
            if group == "agent" and c.type not in tuple(TreatmentType):
                problems.append(f"agent {c.key}: type {c.type!r} is not a treatment type")
    for group, members in _ENUM_GROUPS.items():
        present = {c.key for c in data.groups.get(group, ())}
        missing = sorted(set(members) - present)
        extra = sorted(present - set(members))
        if missing:
            problems.append(f"{group}: no concept for {', '.join(missing)}")
        if extra:
            problems.append(f"{group}: unknown keys {', '.join(extra)}")
    for analyte, (loinc, confidence, _units) in LAB_CATALOGUE.items():
        concept = next((c for c in data.groups.get("analyte", ()) if c.key == analyte.value), None)
        if concept is None:
            continue
        first = next((r for r in concept.codes if r.system == "loinc" and r.emit), None)
        if (first.code if first else None) != loinc or (first and first.confidence != confidence):
            problems.append(f"analyte {analyte.value}: LOINC differs from model/case.py LAB_CATALOGUE")
    for alias, target in data.system_aliases.items():
        if target not in known:
            problems.append(f"system alias {alias!r} points to unknown system {target!r}")
    return problems


def load_valuesets(path: Path | None = None) -> ValueSets:
    if path is None:
        path = Path(str(resources.files("bonemet.fhir") / "valuesets.yaml"))
    try:
        raw = strict_yaml.load_path(path)
    except yaml.YAMLError as exc:
        raise ValueSetError([str(exc)]) from None
    try:
        data = _File.model_validate(raw)
    except ValidationError as exc:
        raise ValueSetError(
            [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        ) from None
    problems = _check(data)
    if problems:
        raise ValueSetError(problems)
    uri_alias = {uri: alias for alias, uri in data.systems.items()}
    uri_alias.update(data.system_aliases)
    exact: dict[tuple[str, str], list[tuple[str, Concept, CodeRow]]] = {}
    prefix: dict[str, list[tuple[str, str, Concept, CodeRow]]] = {}
    for group, concepts in data.groups.items():
        for c in concepts:
            for row in c.codes:
                alias = (
                    row.system if row.system in data.systems else uri_alias.setdefault(row.system, row.system)
                )
                norm = _norm_code(alias, row.code)
                if row.match == "prefix":
                    prefix.setdefault(alias, []).append((group, norm, c, row))
                else:
                    exact.setdefault((alias, norm), []).append((group, c, row))
    systems = dict(data.systems)
    patterns = {
        group: tuple(
            (c, tuple(_pattern(t) for t in c.text), tuple(_pattern(t) for t in c.exclude_text),
             tuple(_pattern(t) for t in c.require_text))
            for c in concepts
            if c.text
        )
        for group, concepts in data.groups.items()
    }
    anchors = {
        group: tuple((c, tuple(_pattern(t) for t in c.anchor_text)) for c in concepts if c.anchor_text)
        for group, concepts in data.groups.items()
    }
    return ValueSets(
        version=data.version,
        base=data.canonical_base.rstrip("/"),
        systems=systems,
        groups=dict(data.groups),
        _exact={k: tuple(v) for k, v in exact.items()},
        _prefix={k: tuple(v) for k, v in prefix.items()},
        _uri_alias=uri_alias,
        _patterns=patterns,
        _anchors=anchors,
        rules=data.treatment_rules,
    )


@lru_cache(maxsize=1)
def default_valuesets() -> ValueSets:
    """The shipped value sets, loaded and checked once per process."""
    return load_valuesets()
