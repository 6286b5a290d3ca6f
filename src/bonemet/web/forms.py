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
_FR_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*")  # .fullmatch: `$` passes a final "\n"
_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")  # .fullmatch: `$` passes a final "\n"
# Free-text lists typed as "a, b" in one input.
LIST_FIELDS = frozenset({"agents"})
# Coded lists drawn as a group of checkboxes (one pair per ticked box; issue 25, item 5).
CHOICE_LISTS = frozenset({"pain_sites"})
# The board's own words: kept exactly as typed (issue 25, item 7), only a blank one means "none".
# Codes, dates and numbers lose the spaces around them.
FREE_TEXT = frozenset({"label", "level", "detail", "note", "question_text"})
# Inputs that are not case fields: the editor's own controls.
CONTROL_PREFIX = "_"


@dataclass(frozen=True)
class Field:
    """One input of the editor: the case field it edits and how it is drawn."""

    name: str  # field name in the model; the label key is f"f_{name}"
    kind: str  # text | date | number | select | bool | textarea
    enum: str | None = None  # catalogue vocabulary (msgctxt enum:<kind>) of a select
    options: tuple[str, ...] = ()
    wide: bool = False
    score: str = ""  # score table (kb/data/scores) whose item or grade labels this input
    redraw: bool = False  # changing it re-draws the editor (blocks that depend on it appear)
    sites: frozenset[str] | None = None  # drawn only in a lesion row whose site is one of these
    modalities: frozenset[str] | None = None  # drawn only in an exam row of one of these modalities
    required: bool = False  # no default: the user must choose (shown as required)


@dataclass(frozen=True)
class Section:
    key: str  # list path in the case ("exams") or object path ("context")
    title: str  # label key
    fields: tuple[Field, ...]
    repeated: bool = False
    item: str = ""  # label key of one row
    children: tuple[Section, ...] = field(default=())
    score: str = ""  # score table whose name titles the block
    sites: frozenset[str] | None = None  # drawn only in a lesion row whose site is one of these


def _path(tokens: list[str | int]) -> str:
    out = ""
    for t in tokens:
        out += f"[{t}]" if isinstance(t, int) else (f".{t}" if out else t)
    return out


def parse_name(name: str) -> list[str | int]:
    return [int(index) if index else key for key, index in _TOKEN.findall(name)]


def _free_text(tokens: list[str | int]) -> bool:
    key = tokens[-1]
    return key in FREE_TEXT or (key == "site" and tokens[0] == "response_outside_bone")


def _normalise(tokens: list[str | int], value: str) -> Any:
    key = str(tokens[-1])
    if _free_text(tokens):
        # A browser sends a textarea's line breaks as CRLF: read back as the "\n" they were.
        return value.replace("\r\n", "\n") if value.strip() else ""
    # Spaces around a typed value go; a newline or another control character in an id is kept,
    # so that the id is refused with its rule (no input can type one: only a forged form sends it).
    value = value.strip(" ") if key == "case_id" else value.strip()
    if key in CHOICE_LISTS:  # a ticked box; a forged "a, b" in one value is read as two
        return [part.strip() for part in value.split(",") if part.strip()]
    if key in LIST_FIELDS:
        return [part.strip() for part in value.split(",") if part.strip()]
    if _DECIMAL_COMMA.fullmatch(value):  # 12,5 as typed on a French keyboard
        return value.replace(",", ".")
    # Dates stay as typed ("31/11/2026" is shown back as typed, with its error); `for_validation`
    # converts them for the model.
    return value


def iso_date(value: Any) -> Any:
    """31/01/2025, as French clinicians write it, in ISO form; anything else unchanged (the model
    then says whether it is a real date)."""
    match = _FR_DATE.fullmatch(value) if isinstance(value, str) else None
    if match:
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
    rests: list[tuple[list[str | int], str]] = []
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
        if tokens[-1] == ROW_REST:  # a row's fields the form does not draw, carried as JSON
            rests.append((tokens[:-1], value))
            continue
        normalised = _normalise(tokens, value)
        if tokens[-1] in CHOICE_LISTS:  # one pair per ticked box: gathered, not replaced
            _put(root, tokens, [*_ticked(root, tokens), *normalised])
            continue
        _put(root, tokens, normalised)
    for tokens, value in rests:
        _put_rest(root, tokens, value)
    doc = _compact(root)
    _new_lesion_flags(doc)
    # Fields this form does not draw (added to the model later, or imported) survive a round trip.
    for key, value in extra.items():
        doc.setdefault(key, value)
    doc.setdefault("schema_version", "1.0")
    return dict(doc)


def _ticked(root: dict[str, Any], tokens: list[str | int]) -> list[Any]:
    node: Any = root
    for here in tokens:
        node = node.get(here) if isinstance(node, dict) else None
    return node if isinstance(node, list) else []


ROW_REST = "_rest"


def _put_rest(root: dict[str, Any], tokens: list[str | int], value: str) -> None:
    """Put back a row's fields that the editor does not draw (a treatment's dose, an exam's
    indication, a lesion's complications): re-saving a case never loses them. A field the form
    drew wins (the hidden copy is the value when the page was drawn)."""
    try:
        loaded = orjson.loads(value) if value.strip() else {}
    except orjson.JSONDecodeError:
        return
    if not isinstance(loaded, dict):
        return
    row: Any = root
    for here in tokens:
        if not isinstance(row, dict):
            return
        row = row.setdefault(here, {})
    if isinstance(row, dict):
        for key, kept in loaded.items():
            if isinstance(key, str) and key not in row and not key.startswith(CONTROL_PREFIX):
                row[key] = kept


def row_rest(section: Section, row: Any) -> str:
    """The row's fields that this section neither draws nor holds as a child block, as JSON."""
    if not isinstance(row, dict):
        return ""
    drawn = {f.name for f in section.fields} | {c.key for c in section.children} | {NEW_ROW}
    if any(f.name == NEW_LESION for f in section.fields):
        drawn.add("change_vs_previous")
    rest = {k: v for k, v in row.items() if k not in drawn}
    return orjson.dumps(rest).decode() if rest else ""


def _new_lesion_flags(doc: dict[str, Any]) -> None:
    """The lesion row's "new lesion on this scan" answer is the model's change `more_foci` (a new
    focus versus the previous scan): yes sets it, no clears it; not answered leaves the change."""
    for exam in doc.get("exams") or []:
        for lesion in (exam.get("lesions") if isinstance(exam, dict) else None) or []:
            if not isinstance(lesion, dict) or NEW_LESION not in lesion:
                continue
            flag = lesion.pop(NEW_LESION)
            if flag == "true":
                lesion["change_vs_previous"] = "more_foci"
            elif flag == "false" and lesion.get("change_vs_previous") == "more_foci":
                del lesion["change_vs_previous"]


NEW_LESION = "new_on_scan"
DATE_FIELDS = frozenset({"date", "as_of", "diagnosis_date", "irradiated_on", "start", "end",
                         "birth_date"})
# Short id prefixes of generated exam and treatment ids (the user never types an id).
_EXAM_PREFIX = {"bone_scan": "bs", "spect_ct": "spect", "fdg_pet_ct": "pet", "naf_pet_ct": "naf",
                "ct": "ct", "mri": "mri", "wb_mri": "wbmri", "radiograph": "xr"}


def assign_ids(doc: dict[str, Any]) -> dict[str, Any]:
    """Give every exam and treatment row without an id a short unique one (kept once given)."""
    for key in ("exams", "treatments"):
        rows = [r for r in doc.get(key) or [] if isinstance(r, dict)]
        taken = {str(r["id"]) for r in rows if r.get("id")}
        for row in rows:
            if row.get("id") or not set(row) - {NEW_ROW}:  # a row still empty gets no id
                continue
            if key == "exams":
                prefix = _EXAM_PREFIX.get(str(row.get("modality")), "exam")
            else:
                prefix = "rt" if row.get("type") == "radiotherapy" else "l"
            n = 1
            while f"{prefix}{n}" in taken:
                n += 1
            row["id"] = f"{prefix}{n}"
            taken.add(row["id"])
    return doc


def for_validation(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of the form's document as the model reads it: dates in ISO form, a context present
    (so that a phase not chosen is reported on the phase field)."""
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: iso_date(v) if k in DATE_FIELDS else walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out: dict[str, Any] = _drop_new_markers(walk(doc))
    out.setdefault("context", {})
    return out


NEW_ROW = "__new__"


def _drop_new_markers(node: Any) -> Any:
    """Rows just added keep a marker so that a re-draw does not drop them while still empty; the
    model never sees it, and a row that is still empty is left out."""
    if isinstance(node, dict):
        return {k: _drop_new_markers(v) for k, v in node.items() if k != NEW_ROW}
    if isinstance(node, list):
        rows = [_drop_new_markers(v) for v in node]
        return [r for r in rows if r not in ({}, None)]
    return node


def extra_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """Top-level entries of the document that the form does not edit, carried in a hidden input."""
    drawn = {s.key.split(".")[0] for s in SECTIONS} | {"case_id", "schema_version"}
    return {k: v for k, v in doc.items() if k not in drawn}


def value_at(doc: Any, path: str) -> Any:
    if path.endswith("." + NEW_LESION):  # drawn from the lesion's change (see _new_lesion_flags)
        change = value_at(doc, path[: -len(NEW_LESION)] + "change_vs_previous")
        return None if change in (None, "") else change == "more_foci"
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
    if kind in ("text", "textarea"):  # typed words: written back exactly (issue 25, item 7)
        from bonemet.report.labels import Verbatim

        return Verbatim(value)
    return str(value)


def field_id(name: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def _sel(name: str, enum: str, options: tuple[str, ...]) -> Field:
    return Field(name, "select", enum=enum, options=options)


def _b(name: str) -> Field:
    return Field(name, "bool")


def _score_sel(name: str, score: str, enum: Any) -> Field:
    return Field(name, "select", options=tuple(m.value for m in enum), score=score)


def shows_block(part: Section | Field, row: Any, errors: dict[str, list[str]], path: str) -> bool:
    """Whether a lesion's score input is drawn: its site fits, or it already holds values or errors
    (an input on a wrong site stays visible so its error can be read and the values are not lost)."""
    row = row if isinstance(row, dict) else {}
    key = part.key if isinstance(part, Section) else part.name
    modalities = getattr(part, "modalities", None)
    if part.sites is None and modalities is None:
        return True
    fits = (row.get("site") in part.sites if part.sites is not None
            else row.get("modality") in modalities)  # type: ignore[operator]
    return fits or row.get(key) not in (None, "", {}) or any(
        name == path or name.startswith(path + ".") for name in errors)


def place_problems(problems: list[Any]) -> list[Any]:
    """Re-point a lesion's 'mirels does not apply to site …' problems at the block they are about.

    The model checks the blocks against the site on the whole lesion, so its problem names the
    lesion row; the editor shows it inside the offending block instead, next to its fields.
    """
    from bonemet.api import Problem

    blocks = [s.key for s in _LESION_BLOCKS] + ["bilsky"]
    out: list[Any] = []
    for p in problems:
        parts = p.message.split("; ")
        if re.search(r"lesions\[\d+\]\Z", p.field) and all(
                any(part.startswith(f"{b} does not apply") for b in blocks) for part in parts):
            out += [Problem(f"{p.field}.{part.split(' ', 1)[0]}", part) for part in parts]
        else:
            out.append(p)
    return out


def score_labels(kb: Any, lang: str) -> tuple[Any, Any, Any]:
    """Label functions for score inputs, read from the score tables themselves (one wording)."""

    def table_of(f: Any) -> Any:
        # The template also draws ad-hoc inputs (case_id) from plain dicts, which have no score.
        score = getattr(f, "score", "")
        return kb.scores.get(score) if score else None

    def field_label(f: Field) -> str | None:
        table = table_of(f)
        if table is None:
            return None
        item = next((i for i in table.items if i.id == f.name), None)
        if item is not None:
            return str(item.label(lang))
        if table.kind == "grade" and f.kind == "select":  # the grade itself (Frankel, Bilsky…)
            return str(table.name(lang))
        measures = [m for th in table.thresholds for m in th.measures if m.id == f.name]
        return str(measures[0].label(lang)).capitalize() if measures else None

    def option_label(f: Field, option: str) -> str | None:
        table = table_of(f)
        if table is None:
            return None
        item = next((i for i in table.items if i.id == f.name), None)
        if item is not None:
            found = item.option(option)
            return str(found.label(lang)) if found is not None else None
        grade = next((g for g in table.grades if g.id == option), None)
        return str(grade.label(lang)) if grade is not None else None

    def section_title(s: Section) -> str | None:
        table = table_of(s)
        return str(table.name(lang)) if table is not None else None

    return field_label, option_label, section_title


def _score_blocks() -> tuple[tuple[Section, ...], Section]:
    from bonemet.model import score_inputs as si

    mirels = Section("mirels", "", (
        _score_sel("site", "mirels", si.MirelsSite), _score_sel("pain", "mirels", si.MirelsPain),
        _score_sel("lesion", "mirels", si.BoneLesionType), _score_sel("size", "mirels", si.MirelsSize),
        Field("axial_lysis_percent", "number", score="mirels"),
        Field("circumferential_lysis_percent", "number", score="mirels"),
    ), score="mirels", sites=si.LONG_BONE_SITES)
    sins = Section("sins", "", (
        _score_sel("location", "sins", si.SinsLocation), _score_sel("pain", "sins", si.SinsPain),
        _score_sel("lesion", "sins", si.BoneLesionType), _score_sel("alignment", "sins", si.SinsAlignment),
        _score_sel("collapse", "sins", si.SinsCollapse),
        _score_sel("posterolateral", "sins", si.SinsPosterolateral),
    ), score="sins", sites=si.SPINE_SITES)
    harrington = Section("harrington", "", (
        _score_sel("resectable_for_cure", "harrington", si.YesNo),
        _score_sel("medial_wall", "harrington", si.WallState),
        _score_sel("lateral_wall_or_roof", "harrington", si.WallState),
        _score_sel("classification", "harrington", si.HarringtonClass),
    ), score="harrington", sites=si.ACETABULAR_SITES)
    patient = Section("score_inputs", "section_score_inputs", (
        _score_sel("frankel", "frankel", si.FrankelGrade), _score_sel("asia", "asia", si.AsiaGrade),
    ), children=(
        Section("tokuhashi", "", (
            _score_sel("general_condition", "tokuhashi", si.TokuhashiGeneralCondition),
            Field("karnofsky", "number"),
            _score_sel("extraspinal_bone_metastases", "tokuhashi", si.TokuhashiExtraspinal),
            _score_sel("vertebral_body_metastases", "tokuhashi", si.TokuhashiVertebral),
            _score_sel("internal_organ_metastases", "tokuhashi", si.TokuhashiOrganMetastases),
            _score_sel("primary_site", "tokuhashi", si.TokuhashiPrimary),
            _score_sel("palsy", "tokuhashi", si.TokuhashiPalsy),
        ), score="tokuhashi"),
        Section("tomita", "", (
            _score_sel("primary_growth", "tomita", si.TomitaGrowth),
            _score_sel("visceral_metastases", "tomita", si.TomitaVisceral),
            _score_sel("bone_metastases", "tomita", si.TomitaBone),
        ), score="tomita"),
    ))
    return (mirels, sins, harrington), patient


_LESION_BLOCKS, _PATIENT_SCORES = _score_blocks()
# Exam fields that only mean something for some modalities (the model refuses PET fields elsewhere).
_PET = frozenset({"fdg_pet_ct", "naf_pet_ct"})
_SCANS = frozenset({"bone_scan", "spect_ct", "fdg_pet_ct", "naf_pet_ct"})
_TARGETED = frozenset({"ct", "mri", "radiograph", "spect_ct"})


def _lab_units() -> tuple[str, ...]:
    """Every unit the lab catalogue accepts, once, written as a clinician writes it ("µg/L"; the
    ASCII spelling "ug/L" an import may hold is still shown, as the selected value)."""
    from bonemet.model.follow_up import LAB_CATALOGUE

    units = [u for _, _, accepted in LAB_CATALOGUE.values() for u in accepted]
    return tuple(dict.fromkeys(u for u in units if not u.startswith("u")))


def _build() -> tuple[Section, ...]:
    from bonemet.model.case import (
        Analyte,
        BiopsyResult,
        Change,
        ClinicalState,
        CtFinding,
        DiagnosisStatus,
        ExamStatus,
        Gene,
        Histology,
        Modality,
        MriFinding,
        OutsideBoneStatus,
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
        StopReason,
        TreatmentType,
    )
    from bonemet.model.score_inputs import SPINE_SITES, BilskyGrade

    def opts(enum: Any) -> tuple[str, ...]:
        return tuple(m.value for m in enum)

    sites = opts(SkeletalSite)
    lesions = Section("lesions", "section_lesions", (
        Field("site", "select", enum="site", options=sites, redraw=True), _sel("side", "side", opts(Side)),
        Field("level", "text"),
        _sel("phenotype", "phenotype", opts(Phenotype)), _b("irradiated"),
        Field("irradiated_on", "date"), _b("suspicious"),
        _sel("change_vs_previous", "change", opts(Change)), _b(NEW_LESION),
        Field("bilsky", "select", options=tuple(g.value for g in BilskyGrade), score="bilsky",
              sites=SPINE_SITES),
    ), repeated=True, item="lesion", children=(*_LESION_BLOCKS, Section(
        # The lesion's bone biopsy (issue 21): its result settles an isolated lesion.
        "biopsy", "section_biopsy", (Field("date", "date"),
                                     _sel("result", "biopsy_result", opts(BiopsyResult))))))
    return (
        Section("patient", "section_case", (
            Field("label", "text"), _sel("sex", "sex", ("female", "male", "other", "unknown")),
            Field("birth_year", "number"), Field("birth_date", "date"), Field("hospital_id", "text"),
        )),
        Section("context", "section_context", (
            Field("phase", "select", enum="phase", options=opts(Phase), required=True),
            Field("as_of", "date"),
            _sel("question", "question", opts(Question)), _b("new_bone_pain"),
            # Where the pain is: ticked among the skeleton's sites, in words (issue 25, item 5).
            Field("pain_sites", "checks", enum="site", options=sites, wide=True),
            _b("neurological_deficit"),  # issue 17
            Field("question_text", "textarea", wide=True),
        )),
        Section("availability", "section_availability", (
            _b("fdg_pet"), _b("naf_pet"), _b("spect_ct"), _b("mri"),
        )),
        Section("cancer", "section_cancer", (
            _sel("primary_site", "primary_site", opts(PrimarySite)),
            _sel("diagnosis", "diagnosis", opts(DiagnosisStatus)),  # issue 17: scope
            _sel("histology", "histology", opts(Histology)), Field("diagnosis_date", "date"),
            _b("bone_metastases_known"),
        ), children=(
            Section("driver_alterations", "section_drivers", (
                _sel("gene", "gene", opts(Gene)), Field("detail", "text"),
            ), repeated=True, item="driver"),
        )),
        Section("exams", "section_exams", (
            Field("id", "hidden"), Field("date", "date"),
            _sel("status", "exam_status", opts(ExamStatus)),  # planned: booked, never read as done
            Field("modality", "select", enum="modality", options=opts(Modality), redraw=True),
            _sel("purpose", "purpose", opts(Purpose)), _sel("result", "result", opts(Result)),
            Field("pet_coverage", "select", enum="pet_coverage", options=opts(PetCoverage),
                  modalities=_PET),
            Field("femurs_included", "bool", modalities=_PET),
            Field("hot_spot_count", "number", modalities=_SCANS),
            Field("change_vs_previous", "select", enum="change", options=opts(Change),
                  modalities=_SCANS),
            _b("isolated_lesion"),
            Field("target_site", "select", enum="site", options=sites, modalities=_TARGETED),
            Field("radiograph_finding", "select", enum="radiograph_finding",
                  options=opts(RadiographFinding), modalities=frozenset({"radiograph"})),
            Field("mri_finding", "select", enum="mri_finding", options=opts(MriFinding),
                  modalities=frozenset({"mri", "wb_mri"})),
            Field("ct_finding", "select", enum="ct_finding", options=opts(CtFinding),
                  modalities=frozenset({"ct", "spect_ct", "fdg_pet_ct", "naf_pet_ct"})),
        ), repeated=True, item="exam", children=(lesions,)),
        Section("treatments", "section_treatments", (
            Field("id", "hidden"), _sel("type", "treatment_type", opts(TreatmentType)),
            Field("agents", "text"), Field("start", "date"), Field("end", "date"),
            Field("line_number", "number"), _sel("site", "site", sites),
            _sel("stop_reason", "stop_reason", opts(StopReason)), _sel("driver", "gene", opts(Gene)),
        ), repeated=True, item="treatment"),
        Section("labs", "section_labs", (
            Field("date", "date"), _sel("analyte", "analyte", opts(Analyte)), Field("value", "number"),
            Field("unit", "select", options=_lab_units()),  # the units the model accepts
        ), repeated=True, item="lab"),
        Section("clinical_status", "section_status", (
            Field("date", "date"), _sel("state", "clinical_state", opts(ClinicalState)),
            Field("ecog", "number"), Field("note", "text", wide=True),
        ), repeated=True, item="status_entry"),
        Section("response_outside_bone", "section_outside_bone", (
            Field("date", "date"), _sel("modality", "modality", opts(Modality)),
            _sel("status", "outside_status", opts(OutsideBoneStatus)), Field("site", "text"),
        ), repeated=True, item="outside_entry"),
        _PATIENT_SCORES,
    )


SECTIONS: tuple[Section, ...] = _build()
