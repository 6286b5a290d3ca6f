"""The case editor's form, to and from a case document.

Input names are the very paths that `bonemet.api.InputError` uses for its problems
(`exams[0].date`, `treatments[1].agents`…), so a server-side error lands next to its field with no
mapping table. Rows are renumbered when the form is read, and the page is always re-drawn from the
renumbered document, so paths and inputs stay aligned after a row is removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_FR_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
# Free-text lists typed as "a, b" in one input.
LIST_FIELDS = frozenset({"agents"})
# Inputs that are not case fields: the editor's own controls.
CONTROL_PREFIX = "_"


@dataclass(frozen=True)
class Field:
    """One input of the editor: the case field it edits and how it is drawn."""

    name: str  # field name in the model; the label key is f"f_{name}"
    kind: str  # text | date | number | select | bool | textarea
    enum: str | None = None  # labels.yaml enums kind of a select
    options: tuple[str, ...] = ()
    wide: bool = False


@dataclass(frozen=True)
class Section:
    key: str  # list path in the case ("exams") or object path ("context")
    title: str  # label key
    fields: tuple[Field, ...]
    repeated: bool = False
    item: str = ""  # label key of one row
    children: tuple[Section, ...] = field(default=())


def _path(tokens: list[str | int]) -> str:
    out = ""
    for t in tokens:
        out += f"[{t}]" if isinstance(t, int) else (f".{t}" if out else t)
    return out


def parse_name(name: str) -> list[str | int]:
    return [int(index) if index else key for key, index in _TOKEN.findall(name)]


def _normalise(key: str, value: str) -> Any:
    value = value.strip()
    if key in LIST_FIELDS:
        return [part.strip() for part in value.split(",") if part.strip()]
    if _DECIMAL_COMMA.match(value):  # 12,5 as typed on a French keyboard
        return value.replace(",", ".")
    match = _FR_DATE.match(value)
    if match:  # 31/01/2025, as French clinicians write it; validation still checks the date exists
        day, month, year = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return value


def _put(root: dict[str, Any], tokens: list[str | int], value: Any) -> None:
    # Lists are built as {index: row} maps first; _compact turns them into lists afterwards.
    node: Any = root
    for here in tokens[:-1]:
        child = node.get(here)
        if not isinstance(child, dict):  # "a" then "a.b" only comes from a forged form: last wins
            child = node[here] = {}
        node = child
    node[tokens[-1]] = value


def _compact(node: Any) -> Any:
    """Turn {index: row} maps into lists in index order and drop empty values and empty rows."""
    if isinstance(node, dict):
        if node and all(isinstance(k, int) for k in node):
            rows = [_compact(node[k]) for k in sorted(node)]
            return [row for row in rows if row not in (None, {}, [], "")]
        out = {k: _compact(v) for k, v in node.items()}
        return {k: v for k, v in out.items() if v not in (None, "", {}, [])}
    return node


def document_from_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """A case document from the submitted (name, value) pairs; empty inputs mean 'not recorded'."""
    root: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in pairs:
        if name == "_extra" and value.strip():
            try:
                loaded = orjson.loads(value)
            except orjson.JSONDecodeError:
                loaded = {}
            if isinstance(loaded, dict):
                extra = loaded
            continue
        if name.startswith(CONTROL_PREFIX):
            continue
        tokens = parse_name(name)
        if not tokens or not isinstance(tokens[0], str):
            continue
        _put(root, tokens, _normalise(str(tokens[-1]), value))
    doc = _compact(root)
    # Fields this form does not draw (added to the model later, or imported) survive a round trip.
    for key, value in extra.items():
        doc.setdefault(key, value)
    doc.setdefault("schema_version", "1.0")
    return dict(doc)


def extra_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """Top-level entries of the document that the form does not edit, carried in a hidden input."""
    drawn = {s.key.split(".")[0] for s in SECTIONS} | {"case_id", "schema_version"}
    return {k: v for k, v in doc.items() if k not in drawn}


def add_row(doc: dict[str, Any], list_path: str) -> dict[str, Any]:
    """Append an empty row to a list (`exams`, `exams[0].lesions`); a marker keeps it drawn."""
    tokens = parse_name(list_path)
    node: Any = doc
    for t in tokens[:-1]:
        node = node[t]
    node.setdefault(tokens[-1], []).append({"__new__": True})
    return doc


def remove_row(doc: dict[str, Any], row_path: str) -> dict[str, Any]:
    tokens = parse_name(row_path)
    node: Any = doc
    try:
        for t in tokens[:-1]:
            node = node[t]
        del node[tokens[-1]]
    except (KeyError, IndexError, TypeError):
        pass
    return doc


def value_at(doc: Any, path: str) -> Any:
    node = doc
    for t in parse_name(path):
        try:
            node = node[t]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def shown(value: Any, kind: str) -> str:
    """How a document value is written back into its input."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def field_id(name: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def _sel(name: str, enum: str, options: tuple[str, ...]) -> Field:
    return Field(name, "select", enum=enum, options=options)


def _b(name: str) -> Field:
    return Field(name, "bool")


def _build() -> tuple[Section, ...]:
    from bonemet.model.case import (
        Analyte,
        Change,
        ClinicalState,
        Gene,
        Histology,
        Modality,
        MriFinding,
        PetCoverage,
        Phase,
        Phenotype,
        PrimarySite,
        Purpose,
        Question,
        RadiographFinding,
        Result,
        Side,
        SkeletalSite,
        TreatmentType,
    )

    def opts(enum: Any) -> tuple[str, ...]:
        return tuple(m.value for m in enum)

    sites = opts(SkeletalSite)
    lesions = Section("lesions", "section_lesions", (
        _sel("site", "site", sites), _sel("side", "side", opts(Side)), Field("level", "text"),
        _sel("phenotype", "phenotype", opts(Phenotype)), _b("irradiated"), _b("suspicious"),
    ), repeated=True, item="lesion")
    return (
        Section("patient", "section_case", (
            Field("label", "text"), _sel("sex", "sex", ("female", "male", "other", "unknown")),
            Field("birth_year", "number"),
        )),
        Section("context", "section_context", (
            _sel("phase", "phase", opts(Phase)), Field("as_of", "date"),
            _sel("question", "question", opts(Question)), _b("new_bone_pain"),
            Field("question_text", "textarea", wide=True),
        )),
        Section("availability", "section_availability", (
            _b("fdg_pet"), _b("naf_pet"), _b("spect_ct"), _b("mri"),
        )),
        Section("cancer", "section_cancer", (
            _sel("primary_site", "primary_site", opts(PrimarySite)),
            _sel("histology", "histology", opts(Histology)), Field("diagnosis_date", "date"),
            _b("bone_metastases_known"),
        ), children=(
            Section("driver_alterations", "section_drivers", (
                _sel("gene", "gene", opts(Gene)), Field("detail", "text"),
            ), repeated=True, item="driver"),
        )),
        Section("exams", "section_exams", (
            Field("id", "text"), Field("date", "date"), _sel("modality", "modality", opts(Modality)),
            _sel("purpose", "purpose", opts(Purpose)), _sel("result", "result", opts(Result)),
            _sel("pet_coverage", "pet_coverage", opts(PetCoverage)), _b("femurs_included"),
            Field("hot_spot_count", "number"), _sel("change_vs_previous", "change", opts(Change)),
            _b("isolated_lesion"), _sel("target_site", "site", sites),
            _sel("radiograph_finding", "radiograph_finding", opts(RadiographFinding)),
            _sel("mri_finding", "mri_finding", opts(MriFinding)),
        ), repeated=True, item="exam", children=(lesions,)),
        Section("treatments", "section_treatments", (
            Field("id", "text"), _sel("type", "treatment_type", opts(TreatmentType)),
            Field("agents", "text"), Field("start", "date"), Field("end", "date"),
            Field("line_number", "number"), _sel("site", "site", sites),
        ), repeated=True, item="treatment"),
        Section("labs", "section_labs", (
            Field("date", "date"), _sel("analyte", "analyte", opts(Analyte)), Field("value", "number"),
            Field("unit", "text"),
        ), repeated=True, item="lab"),
        Section("clinical_status", "section_status", (
            Field("date", "date"), _sel("state", "clinical_state", opts(ClinicalState)),
            Field("ecog", "number"), Field("note", "text", wide=True),
        ), repeated=True, item="status_entry"),
    )


SECTIONS: tuple[Section, ...] = _build()
