"""FHIR R4 (a Bundle, a list of resources or a CDS Hooks prefetch) → a bonemet `Case`.

Two parsers share one mapping: the fast path reads plain dicts (orjson-decoded) and never builds a
model; `strict=True` first validates every resource with fhir.resources R4B and refuses the input
with the validator's errors (resource and path). The fast path validates the case once, at the end,
and falls back to the checked pass (each exam, lab, lesion... validated as it is built, and skipped
with its reason when invalid) only when that fails: same result, a fraction of the pydantic work.
Whatever cannot be mapped is returned as `Unmapped(resource_type, resource_id, path, reason)`; what
makes the case wrong or unsafe (another patient's data, an undated exam or lab, malformed JSON) raises
`InputError`. Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from bonemet.api import InputError, Problem
from bonemet.fhir import common as c
from bonemet.fhir.valuesets import Match, ValueSets, default_valuesets
from bonemet.model.case import (
    LAB_CATALOGUE,
    SYSTEMIC_ANTICANCER,
    Availability,
    Case,
    ClinicalContext,
    ClinicalStatus,
    DriverAlteration,
    ImagingExam,
    LabResult,
    Lesion,
    Modality,
    Phase,
    Question,
    Treatment,
    TreatmentType,
)

Json = dict[str, Any]

_PET = {Modality.fdg_pet_ct, Modality.naf_pet_ct}
_MODALITY = {x.value: x for x in Modality}  # the modality value set's keys are exactly these
_SYSTEMIC_TYPES = frozenset(t.value for t in SYSTEMIC_ANTICANCER)
_HANDLED_ELSEWHERE = {"Medication"}  # read through medicationReference
_V3_RESULT = {"POS": "positive", "NEG": "negative", "IND": "equivocal", "A": "positive", "N": "negative"}
_RESULT_WORDS = {
    "positive": "positive",
    "positif": "positive",
    "negative": "negative",
    "negatif": "negative",
    "equivocal": "equivocal",
    "equivoque": "equivocal",
    "douteux": "equivocal",
    "indeterminate": "equivocal",
    "indetermine": "equivocal",
}
_YES = {"yes", "y", "true", "present", "oui", "positive"}
_NO = {"no", "n", "false", "absent", "non", "negative"}
_UNIT_SYNONYMS = {
    "[IU]/L": "U/L",
    "IU/L": "U/L",
    "mcg/L": "µg/L",
    "μg/L": "µg/L",
    "μmol/L": "µmol/L",
    "ug/L": "ug/L",
    "umol/L": "umol/L",
    "pg/ml": "pg/mL",
    "ng/ml": "ng/mL",
}


@dataclass(frozen=True)
class Unmapped:
    """A resource or element that did not make it into the case, and why."""

    resource_type: str
    resource_id: str | None
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.resource_type}/{self.resource_id or '?'}"
        return f"{where} {self.path}: {self.reason}" if self.path else f"{where}: {self.reason}"


@dataclass(frozen=True)
class MappingContext:
    """What the FHIR data cannot say and the caller (the hook, the CLI) knows. None: not given."""

    phase: Phase | None = None
    as_of: dt.date | None = None
    question: Question | None = None
    question_text: str | None = None
    new_bone_pain: bool | None = None
    case_id: str | None = None
    availability: Availability | None = None

    @classmethod
    def of(cls, value: MappingContext | ClinicalContext | dict[str, Any] | None) -> MappingContext:
        if value is None:
            return cls()
        if isinstance(value, MappingContext):
            return value
        if isinstance(value, ClinicalContext):
            return cls(
                phase=value.phase,
                as_of=value.as_of,
                question=value.question,
                question_text=value.question_text,
                new_bone_pain=value.new_bone_pain,
            )
        if not isinstance(value, dict):
            raise InputError([Problem("context", "must be a mapping")])
        return _context_from_dict(value)


class _ContextModel(BaseModel):
    model_config = {"extra": "forbid", "frozen": True}
    phase: Phase | None = None
    as_of: dt.date | None = None
    question: Question | None = None
    question_text: str | None = None
    new_bone_pain: bool | None = None
    case_id: str | None = None
    availability: Availability | None = None


def _context_from_dict(value: dict[str, Any]) -> MappingContext:
    try:
        m = _ContextModel.model_validate(value)
    except ValidationError as exc:
        from bonemet.api import problems_from

        raise InputError([Problem(f"context.{p.field}", p.message) for p in problems_from(exc)]) from None
    return MappingContext(**m.model_dump())


@dataclass(frozen=True)
class MappingResult:
    case: Case
    unmapped: tuple[Unmapped, ...]
    assumptions: tuple[Unmapped, ...] = ()  # what the mapping inferred (e.g. the phase); review these
    valuesets_version: str = ""


@dataclass(slots=True)
class _Res:
    rt: str
    id: str | None
    body: Json
    where: str  # where it sits in the input, e.g. "entry[3].resource"
    full_url: str | None = None
    pos: int = 0  # order in the input: the case keeps the input's order

    def label(self) -> str:
        return f"{self.rt}/{self.id}" if self.id else f"{self.rt} at {self.where}"


@lru_cache(maxsize=1)
def _r4b_type_names() -> frozenset[str]:
    import fhir.resources.R4B as r4b

    return frozenset(m.name for m in pkgutil.iter_modules(r4b.__path__))


# --------------------------------------------------------------------------------------------- helpers
def _str(x: Any) -> str | None:
    return x if isinstance(x, str) and x else None


def _dicts(x: Any) -> list[Json]:
    return [i for i in x if isinstance(i, dict)] if isinstance(x, list) else []


def _first_date(body: Json, *keys: str) -> tuple[str | None, Any]:
    """The first present date element among `keys` (dotted for periods: 'effectivePeriod.start')."""
    for key in keys:
        head, _, tail = key.partition(".")
        value = body.get(head)
        if tail:
            value = value.get(tail) if isinstance(value, dict) else None
        if value is not None:
            return key, value
    return None, None


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    for k in keys[:-1]:
        nxt = target.setdefault(k, {})
        if not isinstance(nxt, dict):
            return
        target = nxt
    target[keys[-1]] = value


# --------------------------------------------------------------------------------------------- mapper
@dataclass(slots=True)
class _Mapper:
    vs: ValueSets
    ctx: MappingContext
    checked: bool = True  # validate each element as it is built (False: the final Case check only)
    problems: list[Problem] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    assumptions: list[Unmapped] = field(default_factory=list)
    by_key: dict[str, _Res] = field(default_factory=dict)
    consumed: set[int] = field(default_factory=set)
    patient_keys: set[str] = field(default_factory=set)
    # Per-resource indexes of extensions (by url) and identifiers (by system), built on first use:
    # an exam reads a dozen extensions of each of its resources. Keyed by id(body); the body is kept
    # in the entry so that the id cannot be reused while the mapping runs.
    _ext_index: dict[int, tuple[Json, dict[str, list[Json]]]] = field(default_factory=dict)
    _id_index: dict[int, tuple[Json, dict[str, str]]] = field(default_factory=dict)

    # ---------------------------------------------------------------- reporting
    def problem(self, r: _Res, path: str, reason: str) -> None:
        self.problems.append(Problem(f"{r.label()}{'.' + path if path else ''}", reason))

    def skip(self, r: _Res, path: str, reason: str) -> None:
        self.unmapped.append(Unmapped(r.rt, r.id, path, reason))

    def assume(self, r: _Res | None, path: str, reason: str) -> None:
        self.assumptions.append(Unmapped(r.rt if r else "Bundle", r.id if r else None, path, reason))

    # ---------------------------------------------------------------- extensions & references
    def extensions(self, body: Json) -> dict[str, list[Json]]:
        """The body's extensions grouped by url, in their order (a non-string url never matches)."""
        entry = self._ext_index.get(id(body))
        if entry is not None and entry[0] is body:
            return entry[1]
        index: dict[str, list[Json]] = {}
        for e in _dicts(body.get("extension")):
            url = e.get("url")
            if isinstance(url, str):
                same = index.get(url)
                if same is None:
                    index[url] = [e]
                else:
                    same.append(e)
        self._ext_index[id(body)] = (body, index)
        return index

    def ext(self, body: Json, name: str) -> Any:
        found = self.extensions(body).get(self.vs.extension_url(name))
        if not found:
            return None
        return next((v for k, v in found[0].items() if k.startswith("value")), None)

    def read_ext(self, body: Json, fields: tuple[tuple[str, str], ...], out: dict[str, Any]) -> None:
        """out[key] = the value of extension `name` for each (name, key) present with a value."""
        index = self.extensions(body)
        if not index:
            return
        for name, key in fields:
            found = index.get(self.vs.extension_url(name))
            if found:
                v = next((v for k, v in found[0].items() if k.startswith("value")), None)
                if v is not None:
                    out[key] = v

    def ext_all(self, body: Json, name: str) -> list[Any]:
        return [
            next((v for k, v in e.items() if k.startswith("value")), None)
            for e in self.extensions(body).get(self.vs.extension_url(name), ())
        ]

    def identifier(self, body: Json, name: str) -> str | None:
        entry = self._id_index.get(id(body))
        if entry is not None and entry[0] is body:
            index = entry[1]
        else:
            index = {}
            for i in _dicts(body.get("identifier")):
                system, value = i.get("system"), i.get("value")
                if isinstance(system, str) and _str(value) and system not in index:
                    index[system] = str(value)
            self._id_index[id(body)] = (body, index)
        return index.get(self.vs.identifier_system(name))

    def resolve(self, ref: Any) -> _Res | None:
        if not isinstance(ref, dict) or not _str(ref.get("reference")):
            return None
        text = str(ref["reference"])
        if text in self.by_key:
            return self.by_key[text]
        parts = [p for p in text.split("/_history/")[0].split("/") if p]
        return self.by_key.get("/".join(parts[-2:])) if len(parts) >= 2 else None

    def case_data(self, body: Json, target: dict[str, Any]) -> None:
        """Apply the `case-data` extension: case fields FHIR has no element for (docs/fhir.md)."""
        for e in self.extensions(body).get(self.vs.extension_url("case-data"), ()):
            parts = {x.get("url"): x.get("valueString") for x in _dicts(e.get("extension"))}
            path, raw = parts.get("path"), parts.get("value")
            if isinstance(path, str) and isinstance(raw, str):
                try:
                    _set_path(target, path, orjson.loads(raw))
                except orjson.JSONDecodeError:
                    continue

    def date(self, r: _Res, keys: tuple[str, ...], required: bool) -> dt.date | None:
        key, value = _first_date(r.body, *keys)
        parsed, reason = c.parse_date(value)
        if parsed is None:
            message = f"no date ({' or '.join(keys)})" if reason == "missing" else str(reason)
            if required:
                self.problem(r, key or keys[0], message)
            elif reason != "missing":
                self.skip(r, key or keys[0], message)
        return parsed

    def check_subject(self, r: _Res) -> None:
        for key in ("subject", "patient"):
            ref = r.body.get(key)
            if not isinstance(ref, dict) or not _str(ref.get("reference")):
                continue
            text = str(ref["reference"])
            if not self.patient_keys or text in self.patient_keys:
                continue
            tail = "/".join([p for p in text.split("/") if p][-2:])
            if tail not in self.patient_keys:
                self.problem(r, key, f"refers to another patient ({text}); one case is one patient")

    # ---------------------------------------------------------------- matching
    def match(self, groups: tuple[str, ...], cc: Any, local: str | None = None) -> Match | None:
        return self.vs.match(groups, cc, local)

    def local_code(self, cc: Any, vocabulary: str) -> str | None:
        system = self.vs.local_system(vocabulary)
        if isinstance(cc, dict):
            for coding in _dicts(cc.get("coding")):
                if coding.get("system") == system and _str(coding.get("code")):
                    return str(coding["code"])
        return None

    def site_of(self, r: _Res, path: str, cc: Any) -> str | None:
        m = self.match(("body_site", "body_site_ambiguous"), cc, local="body-site")
        if m is None:
            return None
        if m.group == "body_site_ambiguous":
            self.assume(
                r,
                path,
                "femur without its part: recorded as femur_proximal (most frequent "
                "femoral site; interpretation) — check the report",
            )
            return "femur_proximal"
        return m.concept.key


# --------------------------------------------------------------------------------------------- input
def _decode(data: Any) -> Any:
    if isinstance(data, bytes | bytearray | memoryview | str):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise InputError([Problem("", f"malformed JSON: {str(exc).splitlines()[0]}")]) from None
    return data


def _collect(data: Any, problems: list[Problem]) -> list[_Res]:
    out: list[_Res] = []

    def add(resource: Any, where: str, full_url: Any = None) -> None:
        if not isinstance(resource, dict):
            problems.append(Problem(where, "not a FHIR resource (a JSON object is expected)"))
            return
        rt = resource.get("resourceType")
        if not isinstance(rt, str) or not rt:
            problems.append(Problem(where, "not a FHIR resource (no resourceType)"))
            return
        if rt == "Bundle":
            bundle(resource, where)
            return
        rid = resource.get("id")
        out.append(
            _Res(
                rt,
                rid if isinstance(rid, str) and rid else None,
                resource,
                where,
                full_url if isinstance(full_url, str) and full_url else None,
                len(out),
            )
        )

    def bundle(b: Json, where: str) -> None:
        entries = b.get("entry", [])
        if not isinstance(entries, list):
            problems.append(Problem(f"{where}.entry", "must be a list"))
            return
        for i, e in enumerate(entries):
            here = f"{where}.entry[{i}]" if where else f"entry[{i}]"
            if not isinstance(e, dict):
                problems.append(Problem(here, "a Bundle entry must be a JSON object"))
            elif e.get("resource") is None:
                continue  # e.g. a DELETE in a transaction: nothing to read
            else:
                add(e["resource"], f"{here}.resource", e.get("fullUrl"))

    if isinstance(data, list):
        for i, item in enumerate(data):
            add(item, f"[{i}]")
    elif isinstance(data, dict) and data.get("resourceType") == "Bundle":
        bundle(data, "")
    elif isinstance(data, dict) and "resourceType" in data:
        problems.append(
            Problem(
                "resourceType",
                f"expected a Bundle (or a list of resources, or a CDS Hooks "
                f"prefetch object), got {data.get('resourceType')!r}",
            )
        )
    elif isinstance(data, dict):
        if not data:
            problems.append(Problem("", "empty document: expected a FHIR Bundle"))
        for key, value in data.items():  # CDS Hooks prefetch: key → resource, Bundle or null
            if value is not None:
                add(value, f"prefetch.{key}")
    else:
        problems.append(Problem("", f"expected a FHIR Bundle (JSON object), got {type(data).__name__}"))
    return out


def _validate_strict(resources: list[_Res]) -> list[Problem]:
    from fhir.resources.R4B import get_fhir_model_class

    problems: list[Problem] = []
    for r in resources:
        try:
            model = get_fhir_model_class(r.rt)
        except (ValueError, KeyError):
            problems.append(Problem(f"{r.where}.resourceType", f"unknown FHIR R4 resource type {r.rt!r}"))
            continue
        try:
            model.model_validate(r.body)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"] if p != "__root__")
                problems.append(
                    Problem(f"{r.label()}{'.' + loc if loc else ''}", f"FHIR R4 validation: {err['msg']}")
                )
    return problems


# --------------------------------------------------------------------------------------------- public
def case_from_fhir(
    data: Any,
    context: MappingContext | ClinicalContext | dict[str, Any] | None = None,
    strict: bool = False,
    valuesets: ValueSets | None = None,
) -> MappingResult:
    """Map FHIR R4 data to a case. `data`: a Bundle (dict), a list of resources, a CDS Hooks
    prefetch dict, or JSON bytes/str of one of these. `context`: phase, as_of, question, … (wins
    over the Bundle's bonemet context Parameters). Raises InputError with every problem found."""
    vs = valuesets or default_valuesets()
    ctx = MappingContext.of(context)
    problems: list[Problem] = []
    resources = _collect(_decode(data), problems)
    if problems:
        raise InputError(problems)
    if strict:
        problems = _validate_strict(resources)
        if problems:
            raise InputError(problems)
    known = _r4b_type_names()
    problems = [
        Problem(f"{r.where}.resourceType", f"unknown FHIR resource type {r.rt!r}")
        for r in resources
        if r.rt.lower() not in known or not r.rt[0].isupper()
    ]
    if problems:
        raise InputError(problems)
    if not strict:
        # Optimistic pass: the case's elements are not validated one by one, since the final
        # Case.model_validate runs the same models on the same dicts. If the whole case is valid,
        # every element was, and the result is the one the checked pass gives. Anything else
        # (a mapping problem, an invalid element) is decided by the checked pass below, which
        # skips invalid elements with their reason.
        outcome = _run(vs, ctx, resources, data, checked=False)
        if isinstance(outcome, MappingResult):
            return outcome
    outcome = _run(vs, ctx, resources, data, checked=True)
    if isinstance(outcome, MappingResult):
        return outcome
    raise InputError(outcome)


def _run(
    vs: ValueSets, ctx: MappingContext, resources: list[_Res], data: Any, checked: bool
) -> MappingResult | list[Problem]:
    """One mapping pass: the result, or the problems that refuse the input."""
    m = _Mapper(vs, ctx, checked=checked)
    buckets: dict[str, list[_Res]] = {}
    by_key = m.by_key
    for r in resources:
        items = buckets.get(r.rt)
        if items is None:
            buckets[r.rt] = [r]
        else:
            items.append(r)
        if r.id:
            by_key.setdefault(f"{r.rt}/{r.id}", r)
        if r.full_url:
            by_key.setdefault(r.full_url, r)
    case_dict = _map(m, buckets, data)
    if m.problems:
        return m.problems
    try:
        case = Case.model_validate(case_dict)
    except ValidationError as exc:
        from bonemet.api import problems_from

        return [Problem(f"case.{p.field}", p.message) for p in problems_from(exc)]
    return MappingResult(case, tuple(m.unmapped), tuple(m.assumptions), vs.version)


# --------------------------------------------------------------------------------------------- mapping
_READERS = (
    "Patient",
    "Condition",
    "Observation",
    "DiagnosticReport",
    "ImagingStudy",
    "Procedure",
    "ServiceRequest",
    "MedicationRequest",
    "MedicationStatement",
    "MedicationAdministration",
    "Parameters",
)


def _map(m: _Mapper, buckets: dict[str, list[_Res]], raw: Any) -> dict[str, Any]:
    patient = _patient(m, buckets.get("Patient", []))
    for rt, items in buckets.items():
        if rt in _READERS and rt not in ("Patient", "Parameters"):
            for r in items:
                m.check_subject(r)
    for rt, items in sorted(buckets.items()):
        if rt not in _READERS and rt not in _HANDLED_ELSEWHERE:
            for r in items:
                m.skip(r, "", f"resource type {rt} is not used by bonemet")
    params = _context_params(m, buckets.get("Parameters", []))
    cancer, bone_pain = _conditions(m, buckets.get("Condition", []))
    exams = _imaging(m, buckets)
    labs, statuses, drivers, pain_obs, patient_scores = _observations(m, buckets.get("Observation", []))
    treatments = _treatments(m, buckets)
    if drivers:
        cancer["driver_alterations"] = drivers
    bone_pain = [*bone_pain, *pain_obs]
    case: dict[str, Any] = {
        "case_id": _case_id(m, raw, buckets.get("Patient", []), params),
        "patient": patient,
        "cancer": cancer,
        "exams": exams,
        "treatments": treatments,
        "labs": labs,
        "clinical_status": statuses,
    }
    for p in buckets.get("Patient", [])[:1]:
        m.case_data(p.body, case)
    if patient_scores is not None:
        case["score_inputs"] = patient_scores
    case["context"] = _context(m, params, bone_pain, treatments)
    if m.ctx.availability is not None:
        case["availability"] = m.ctx.availability.model_dump(mode="json")
    elif "availability" in params:
        case["availability"] = params["availability"]
    return case


def _patient(m: _Mapper, patients: list[_Res]) -> dict[str, Any]:
    ids = {p.id for p in patients}
    if len(patients) > 1 and len(ids) > 1:
        for p in patients[1:]:
            m.problem(p, "", "more than one Patient: one case is one patient")
        return {}
    if not patients:
        return {}
    p = patients[0]
    m.consumed.add(id(p.body))
    if p.id:
        m.patient_keys.add(f"Patient/{p.id}")
    if p.full_url:
        m.patient_keys.add(p.full_url)
    out: dict[str, Any] = {}
    label = m.identifier(p.body, c.ID_PATIENT_LABEL)
    if label:
        out["label"] = label  # bonemet never copies names or hospital identifiers (privacy)
    gender = p.body.get("gender")
    if gender in ("female", "male", "other", "unknown"):
        out["sex"] = gender
    elif gender is not None:
        m.skip(p, "gender", f"unknown gender {gender!r}")
    birth = p.body.get("birthDate")
    if isinstance(birth, str) and len(birth) >= 4 and birth[:4].isdigit():
        out["birth_year"] = int(birth[:4])
    elif birth is not None:
        m.skip(p, "birthDate", f"not a FHIR date: {birth!r}")
    return out


def _context_params(m: _Mapper, items: list[_Res]) -> dict[str, Any]:
    profile = m.vs.extension_url(c.PROFILE_CONTEXT)
    out: dict[str, Any] = {}
    for r in items:
        profiles = (r.body.get("meta") or {}).get("profile") if isinstance(r.body.get("meta"), dict) else None
        if not isinstance(profiles, list) or profile not in profiles:
            m.skip(r, "", "Parameters without the bonemet assessment-context profile")
            continue
        for i, p in enumerate(_dicts(r.body.get("parameter"))):
            name = p.get("name")
            value = next((v for k, v in p.items() if k.startswith("value")), None)
            if isinstance(name, str) and name.startswith("context.") and isinstance(value, str):
                try:  # a context field FHIR has no element for, JSON-encoded (docs/fhir.md)
                    out[name.removeprefix("context.")] = orjson.loads(value)
                except orjson.JSONDecodeError:
                    m.skip(r, f"parameter[{i}]", "value is not JSON")
            elif isinstance(name, str) and value is not None:
                _set_path(out, name.replace("-", "_"), value)
            else:
                m.skip(r, f"parameter[{i}]", "parameter without name or value")
    return out


def _case_id(m: _Mapper, raw: Any, patients: list[_Res], params: dict[str, Any]) -> str:
    if m.ctx.case_id:
        return m.ctx.case_id
    if isinstance(params.get("case_id"), str):
        return str(params["case_id"])
    if isinstance(raw, dict) and raw.get("resourceType") == "Bundle":
        ident = raw.get("identifier")
        own = isinstance(ident, dict) and ident.get("system") == m.vs.identifier_system(c.ID_CASE)
        if own and isinstance(ident, dict) and _str(ident.get("value")):
            return str(ident["value"])
        if _str(raw.get("id")):
            return str(raw["id"])
    if patients and patients[0].id:
        return f"fhir-{patients[0].id}"
    return "fhir-case"


def _context(
    m: _Mapper,
    params: dict[str, Any],
    bone_pain: list[tuple[dt.date | None, bool, _Res]],
    treatments: list[dict[str, Any]],
) -> dict[str, Any]:
    ctx = m.ctx
    out: dict[str, Any] = {}
    for key in ("phase", "as_of", "question", "question_text"):
        given = getattr(ctx, key)
        if given is not None:
            out[key] = given.isoformat() if isinstance(given, dt.date) else str(given)
        elif key in params:
            out[key] = params[key]
    if ctx.new_bone_pain is not None:
        out["new_bone_pain"] = ctx.new_bone_pain
    elif "new_bone_pain" in params:
        out["new_bone_pain"] = params["new_bone_pain"]
    elif bone_pain:
        latest = max(bone_pain, key=lambda t: t[0] or dt.date.min)
        out["new_bone_pain"] = latest[1]
        if len(bone_pain) > 1:
            m.assume(latest[2], "", "several bone-pain records: the latest one is used")
    for k, v in params.items():
        if k not in out and k not in (
            "case_id",
            "availability",
            "as_of",
            "phase",
            "question",
            "question_text",
            "new_bone_pain",
        ):
            out[k] = v
    if "phase" not in out:
        out["phase"] = _derive_phase(treatments).value
        m.assume(
            None,
            "context.phase",
            f"phase not given: {out['phase']} derived from the treatments "
            "(interpretation: open systemic line → on_treatment, ended "
            "lines → follow_up, none → staging)",
        )
    return out


def _derive_phase(treatments: list[dict[str, Any]]) -> Phase:
    systemic = [t for t in treatments if TreatmentType(t["type"]) in SYSTEMIC_ANTICANCER]
    if any(t.get("end") is None for t in systemic):
        return Phase.on_treatment
    return Phase.follow_up if systemic else Phase.staging


# --------------------------------------------------------------------------------------------- Condition
def _verification(body: Json) -> str | None:
    vs = body.get("verificationStatus")
    if isinstance(vs, dict):
        for coding in _dicts(vs.get("coding")):
            if _str(coding.get("code")):
                return str(coding["code"])
    return None


def _clinical(body: Json) -> str | None:
    cs = body.get("clinicalStatus")
    if isinstance(cs, dict):
        for coding in _dicts(cs.get("coding")):
            if _str(coding.get("code")):
                return str(coding["code"])
    return None


def _conditions(
    m: _Mapper, items: list[_Res]
) -> tuple[dict[str, Any], list[tuple[dt.date | None, bool, _Res]]]:
    primaries: list[tuple[_Res, str, str | None, dt.date | None]] = []
    bone_known: bool | None = None
    pain: list[tuple[dt.date | None, bool, _Res]] = []
    for r in items:
        status = _verification(r.body)
        if status == "entered-in-error":
            m.skip(r, "verificationStatus", "entered in error")
            continue
        hit = m.match(
            ("bone_metastasis", "histology", "primary_site", "bone_pain"),
            r.body.get("code"),
            local="histology",
        )
        if hit is None:
            local_site = m.local_code(r.body.get("code"), "primary-site")
            if local_site:
                hit = Match("primary_site", m.vs.concept("primary_site", local_site), None, "local")
        if hit is None:
            m.skip(
                r, "code", "condition not used by bonemet (no lung-cancer, bone-metastasis or bone-pain code)"
            )
            continue
        onset = m.date(r, ("onsetDateTime", "onsetPeriod.start", "recordedDate"), required=False)
        if hit.group == "bone_metastasis":
            if status == "refuted":
                bone_known = bone_known or False
            elif status in (None, "confirmed", "unconfirmed", "provisional", "differential"):
                if status in ("provisional", "differential", "unconfirmed"):
                    m.skip(r, "verificationStatus", f"bone metastasis {status}: not counted as established")
                    continue
                bone_known = True
            continue
        if hit.group == "bone_pain":
            active = _clinical(r.body) not in ("inactive", "resolved", "remission")
            pain.append((onset, status != "refuted" and active, r))
            continue
        if status in ("refuted", "provisional", "differential", "unconfirmed"):
            m.skip(r, "verificationStatus", f"cancer diagnosis {status}: not used")
            continue
        if hit.row is not None and hit.row.role == "suspected":
            m.skip(r, "code", "a suspected lung cancer is not a diagnosis")
            continue
        if hit.group == "histology":
            primaries.append((r, "lung", hit.concept.key, onset))
        else:
            local_hist = m.local_code(r.body.get("code"), "histology")
            primaries.append((r, hit.concept.key, local_hist, onset))
    cancer: dict[str, Any] = {}
    if primaries:
        lung = [p for p in primaries if p[1] == "lung"]
        chosen = lung or primaries[:1]
        for p in primaries:
            if p not in chosen:
                m.skip(
                    p[0],
                    "code",
                    f"second primary ({p[1]}): the case holds one primary, {chosen[0][1]} is kept",
                )
        cancer["primary_site"] = chosen[0][1]
        histologies = [p[2] for p in chosen if p[2]]
        specific = [h for h in histologies if h not in ("nsclc_nos", "other")]
        if histologies:
            cancer["histology"] = (specific or histologies)[0]
            if len(set(specific)) > 1:
                m.assume(
                    chosen[0][0], "code", f"several histologies {sorted(set(specific))}: {specific[0]} kept"
                )
        dates = [p[3] for p in chosen if p[3]]
        if dates:
            cancer["diagnosis_date"] = min(dates).isoformat()
        for p in chosen:
            m.case_data(p[0].body, cancer)
    if bone_known is not None:
        cancer["bone_metastases_known"] = bone_known
    return cancer, pain


# --------------------------------------------------------------------------------------------- imaging
_IMAGING_GROUPS = ("modality", "non_bone_imaging")


def _imaging_code(m: _Mapper, r: _Res) -> tuple[Match | None, list[Any]]:
    """Modality of one imaging resource, from its code(s) then (ImagingStudy) DICOM modalities."""
    body = r.body
    codes: list[Any] = []
    if r.rt == "ImagingStudy":
        codes = [*_dicts(body.get("procedureCode"))]
        if _str(body.get("description")):
            codes.append({"text": body["description"]})
    else:
        codes = [body.get("code")]
    for cc in codes:
        hit = m.match(_IMAGING_GROUPS, cc, local="modality")
        if hit is not None:
            return hit, codes
    return None, codes


def _dicom_modality(body: Json) -> set[str]:
    out: set[str] = set()
    for s in [*_dicts(body.get("modality")), *(x.get("modality") for x in _dicts(body.get("series")))]:
        if isinstance(s, dict) and _str(s.get("code")):
            out.add(str(s["code"]))
    return out


_DICOM = {"MR": Modality.mri, "CT": Modality.ct, "CR": Modality.radiograph, "DX": Modality.radiograph}


@dataclass
class _Exam:
    members: list[_Res]
    modality: Modality
    row_coverage: str | None = None
    row_site: str | None = None


def _imaging(m: _Mapper, buckets: dict[str, list[_Res]]) -> list[dict[str, Any]]:
    candidates: list[tuple[_Res, Modality, Match | None]] = []
    for rt in ("DiagnosticReport", "Procedure", "ImagingStudy", "ServiceRequest"):
        for r in buckets.get(rt, []):
            hit, _ = _imaging_code(m, r)
            if rt == "Procedure" and hit is None:
                continue  # treatment procedures are read by _treatments
            if hit is None and rt == "ImagingStudy":
                dicom = _dicom_modality(r.body) & set(_DICOM)
                if len(dicom) == 1:
                    modality = _DICOM[dicom.pop()]
                    m.assume(r, "series.modality", f"no procedure code: modality {modality.value} from DICOM")
                    candidates.append((r, modality, None))
                    continue
            if hit is None:
                reason = (
                    "imaging code not recognised"
                    if rt != "DiagnosticReport"
                    else "report code not recognised as bone imaging "
                    "(laboratory reports are read through their Observations)"
                )
                m.skip(r, "code" if rt != "ImagingStudy" else "procedureCode", reason)
                continue
            if hit.group == "non_bone_imaging":
                m.consumed.add(id(r.body))
                m.skip(r, "code", f"{hit.concept.display.en}")
                continue
            status = r.body.get("status")
            if status in ("entered-in-error", "cancelled", "revoked", "not-done", "stopped"):
                m.skip(r, "status", f"status {status}: not an exam that took place")
                continue
            if rt == "ServiceRequest" and status != "completed":
                m.skip(
                    r,
                    "status",
                    f"order ({status}): not a performed exam; orders are rated by the CDS "
                    "service, not read as exams",
                )
                continue
            if rt == "Procedure" and status in ("preparation", "in-progress", "on-hold"):
                m.skip(r, "status", f"procedure {status}: not performed yet")
                continue
            candidates.append((r, _MODALITY[hit.concept.key], hit))
    # Group the resources of one exam: explicit links first, then same modality and day.
    parent: dict[int, int] = {i: i for i in range(len(candidates))}
    index = {id(r.body): i for i, (r, _, _) in enumerate(candidates)}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for i, (r, _, _) in enumerate(candidates):
        links = [
            *_dicts(r.body.get("imagingStudy")),
            *_dicts(r.body.get("basedOn")),
            *_dicts(r.body.get("report")),
            *_dicts(r.body.get("partOf")),
        ]
        for ref in links:
            target = m.resolve(ref)
            if target is not None and id(target.body) in index:
                union(i, index[id(target.body)])
    keyed: dict[tuple[str, str], int] = {}
    for i, (r, modality, _) in enumerate(candidates):
        if m.identifier(r.body, c.ID_EXAM):
            continue
        _, value = _first_date(
            r.body,
            "effectiveDateTime",
            "effectivePeriod.start",
            "performedDateTime",
            "performedPeriod.start",
            "started",
            "occurrenceDateTime",
        )
        day, _ = c.parse_date(value)
        if day is not None:
            key = (modality.value, day.isoformat())
            if key in keyed:
                union(i, keyed[key])
            else:
                keyed[key] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(candidates)):
        groups.setdefault(find(i), []).append(i)
    order = {"DiagnosticReport": 0, "Procedure": 1, "ImagingStudy": 2, "ServiceRequest": 3}
    exams: list[dict[str, Any]] = []
    used_ids: set[str] = set()
    for members in sorted(groups.values(), key=lambda ms: min(candidates[i][0].pos for i in ms)):
        rs = sorted((candidates[i] for i in members), key=lambda t: (order[t[0].rt], t[0].pos))
        exam = _exam(m, rs, used_ids)
        if exam is not None:
            exams.append(exam)
    return exams


_EXAM_EXTENSIONS = (
    (c.EXT_PURPOSE, "purpose"),
    (c.EXT_CHANGE, "change_vs_previous"),
    (c.EXT_PET_COVERAGE, "pet_coverage"),
    (c.EXT_FEMURS, "femurs_included"),
    (c.EXT_ISOLATED, "isolated_lesion"),
    (c.EXT_HOT_SPOTS, "hot_spot_count"),
)
_LESION_EXTENSIONS = (
    (c.EXT_SIDE, "side"),
    (c.EXT_LEVEL, "level"),
    (c.EXT_IRRADIATED, "irradiated"),
    (c.EXT_SUSPICIOUS, "suspicious"),
)


def _exam(
    m: _Mapper, rs: list[tuple[_Res, Modality, Match | None]], used_ids: set[str]
) -> dict[str, Any] | None:
    lead, modality, _ = rs[0]
    if len({mod for _, mod, _ in rs}) > 1:
        m.assume(
            lead, "code", f"linked resources disagree on the modality; {modality.value} kept (from {lead.rt})"
        )
    date: dt.date | None = None
    for r, _, _ in rs:
        date = m.date(
            r,
            (
                "effectiveDateTime",
                "effectivePeriod.start",
                "performedDateTime",
                "performedPeriod.start",
                "started",
                "occurrenceDateTime",
                "occurrencePeriod.start",
            ),
            required=False,
        )
        if date:
            break
    if date is None:
        for r, _, _ in rs[:1]:
            m.problem(r, "effective[x]", "imaging exam without a date: the rules count days from it")
        return None
    exam_id = next((x for r, _, _ in rs if (x := m.identifier(r.body, c.ID_EXAM))), None) or lead.id or "exam"
    base_id, n = exam_id, 2
    while exam_id in used_ids:
        exam_id, n = f"{base_id}-{n}", n + 1
    used_ids.add(exam_id)
    out: dict[str, Any] = {"id": exam_id, "date": date.isoformat(), "modality": modality.value}
    report = next((r for r, _, _ in rs if r.rt == "DiagnosticReport"), None)
    for r, _, _ in rs:
        m.consumed.add(id(r.body))
    # Extensions may sit on any member; the report wins.
    for r, _, _ in reversed(rs):
        b = r.body
        m.read_ext(b, _EXAM_EXTENSIONS, out)
        target = m.ext(b, c.EXT_TARGET_SITE)
        sites = [target] if target is not None else _dicts(b.get("bodySite"))
        if r.rt == "ImagingStudy":
            sites += [
                s.get("bodySite") for s in _dicts(b.get("series")) if isinstance(s.get("bodySite"), dict)
            ]
        for s in sites:
            site = m.site_of(r, "bodySite", s)
            if site:
                out["target_site"] = site
                break
    rows = [h.row for _, _, h in rs if h is not None and h.row is not None]
    site_row = next((row for row in rows if row.site), None)
    coverage_row = next((row for row in rows if row.coverage), None)
    if "target_site" not in out and site_row is not None:
        out["target_site"] = site_row.site
    if "pet_coverage" not in out and "femurs_included" not in out and modality in _PET and coverage_row:
        out["pet_coverage"] = coverage_row.coverage
        m.assume(lead, "code", f"PET coverage {coverage_row.coverage} read from CPT {coverage_row.code}")
    if modality not in _PET:
        for key in ("pet_coverage", "femurs_included"):
            if out.pop(key, None) is not None:
                m.skip(lead, "extension", f"{key} applies to PET only")
    if report is not None:
        _report(m, report, out, modality)
    m.case_data(lead.body, out)
    if not m.checked:
        return out
    try:
        ImagingExam.model_validate(out)
    except ValidationError as exc:
        for err in exc.errors():
            m.problem(lead, ".".join(str(p) for p in err["loc"]), err["msg"].removeprefix("Value error, "))
        return None
    return out


def _report(m: _Mapper, r: _Res, out: dict[str, Any], modality: Modality) -> None:
    status = r.body.get("status")
    results: list[str] = []
    for i, cc in enumerate(_dicts(r.body.get("conclusionCode"))):
        finding = m.local_code(cc, "imaging-finding")
        if finding:
            key = "radiograph_finding" if modality is Modality.radiograph else "mri_finding"
            if modality in (Modality.radiograph, Modality.mri, Modality.wb_mri):
                out[key] = finding
            else:
                m.skip(r, f"conclusionCode[{i}]", f"finding {finding} does not apply to {modality.value}")
            continue
        result = m.local_code(cc, "exam-result")
        if result is None:
            for coding in _dicts(cc.get("coding")):
                if coding.get("system") == c.V3_INTERPRETATION and coding.get("code") in _V3_RESULT:
                    result = _V3_RESULT[str(coding["code"])]
        if result is None and _str(cc.get("text")):
            result = _RESULT_WORDS.get(str(cc["text"]).strip().lower().strip(".").replace("é", "e"))
        if result:
            results.append(result)
        else:
            m.skip(r, f"conclusionCode[{i}]", "conclusion code not recognised")
    if not results and _str(r.body.get("conclusion")):
        word = str(r.body["conclusion"]).strip().lower().strip(".").replace("é", "e")
        if word in _RESULT_WORDS:
            results.append(_RESULT_WORDS[word])
    if status in ("registered", "partial"):
        if results:
            m.skip(r, "status", f"report {status}: result not final, read as pending")
    elif results:
        out["result"] = results[0]
    elif status not in (None,):
        m.skip(r, "conclusion", "no coded result (positive/negative/equivocal): read the report and enter it")
    lesions: list[dict[str, Any]] = []
    for i, ref in enumerate(_dicts(r.body.get("result"))):
        target = m.resolve(ref)
        if target is None or target.rt != "Observation":
            m.skip(r, f"result[{i}]", "reference not found in the data")
            continue
        m.consumed.add(id(target.body))
        lesion = _lesion(m, target)
        if lesion is not None:
            lesions.append(lesion)
    if lesions:
        out["lesions"] = lesions


def _lesion(m: _Mapper, r: _Res) -> dict[str, Any] | None:
    b = r.body
    site = m.site_of(r, "bodySite", b.get("bodySite"))
    if site is None:
        m.skip(r, "bodySite", "finding without a recognised skeletal site")
        return None
    out: dict[str, Any] = {"site": site}
    m.read_ext(b, _LESION_EXTENSIONS, out)
    phenotype = m.local_code(b.get("valueCodeableConcept"), "phenotype")
    if phenotype is None and isinstance(b.get("valueCodeableConcept"), dict):
        text = str(b["valueCodeableConcept"].get("text") or "").lower()
        phenotype = next((p for p in ("lytic", "blastic", "mixed") if p in text), None)
    if phenotype:
        out["phenotype"] = phenotype
    m.case_data(b, out)
    if not m.checked:
        return out
    try:
        Lesion.model_validate(out)
    except ValidationError as exc:
        m.skip(r, "", f"lesion refused: {exc.errors()[0]['msg']}")
        return None
    return out


# --------------------------------------------------------------------------------------------- Observation
def _observations(
    m: _Mapper, items: list[_Res]
) -> tuple[
    list[dict[str, Any]],
    list[dict[str, Any]],
    list[dict[str, Any]],
    list[tuple[dt.date | None, bool, _Res]],
    dict[str, Any] | None,
]:
    labs: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    drivers: list[dict[str, Any]] = []
    pain: list[tuple[dt.date | None, bool, _Res]] = []
    ecogs: list[tuple[dt.date, int, _Res]] = []
    patient_scores: dict[str, Any] | None = None
    for r in items:
        if id(r.body) in m.consumed:
            continue
        b = r.body
        status = b.get("status")
        if status in ("entered-in-error", "cancelled"):
            m.skip(r, "status", f"status {status}")
            continue
        kind = m.local_code(b.get("code"), c.CS_CONCEPT)
        if kind == c.CONCEPT_BONE_LESION:
            m.skip(r, "", "bone-lesion finding not referenced by an imaging report (DiagnosticReport.result)")
            continue
        if kind == "patient-score-inputs":
            patient_scores = {}
            m.case_data(b, patient_scores)
            continue
        if kind == c.CONCEPT_DRIVER:
            d = _driver(m, r)
            if d:
                drivers.append(d)
            continue
        hit: Match | None
        if kind == c.CONCEPT_ECOG:  # bonemet's own concept codes decide; no need to match the rest
            hit = Match("ecog", m.vs.concept("ecog", "ecog"), None, "local")
        elif kind == c.CONCEPT_CLINICAL_STATUS:
            hit = Match("clinical_status", m.vs.concept("clinical_status", "clinical_status"), None, "local")
        elif kind == c.CONCEPT_BONE_PAIN:
            hit = Match("bone_pain", m.vs.concept("bone_pain", "bone_pain"), None, "local")
        else:
            hit = m.match(
                ("analyte", "not_an_analyte", "ecog", "clinical_status", "bone_pain"),
                b.get("code"),
                local="analyte",
            )
        if hit is None:
            m.skip(r, "code", "observation code not used by bonemet")
            continue
        if hit.group == "not_an_analyte":
            m.skip(r, "code", hit.concept.display.en)
            continue
        if status == "registered":
            m.skip(r, "status", "registered: no result yet")
            continue
        if hit.group == "bone_pain":
            value = _yes_no(b)
            if value is None:
                m.skip(r, "value[x]", "bone pain without a yes/no value")
            else:
                pain.append(
                    (m.date(r, ("effectiveDateTime", "effectivePeriod.start", "issued"), False), value, r)
                )
            continue
        day = m.date(
            r, ("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued"), required=True
        )
        if day is None:
            continue
        if hit.group == "analyte":
            lab = _lab(m, r, hit.concept.key, day)
            if lab:
                labs.append(lab)
        elif hit.group == "ecog":
            score = _ecog_value(b)
            if score is None:
                m.skip(r, "value[x]", "ECOG value is not an integer 0-4")
            else:
                ecogs.append((day, score, r))
        else:
            st = _status(m, r, day)
            if st:
                statuses.append(st)
    for day, score, r in ecogs:
        same = [s for s in statuses if s["date"] == day.isoformat()]
        if same and same[0].get("ecog") is None:
            same[0]["ecog"] = score
        elif not same:
            m.skip(
                r,
                "",
                "ECOG without a clinical course (improving/stable/deteriorating) the same day: "
                "the case records ECOG inside a clinical status",
            )
    return labs, statuses, drivers, pain, patient_scores


def _yes_no(b: Json) -> bool | None:
    if isinstance(b.get("valueBoolean"), bool):
        return bool(b["valueBoolean"])
    cc = b.get("valueCodeableConcept")
    if isinstance(cc, dict):
        words = (
            [cc.get("text")]
            + [x.get("code") for x in _dicts(cc.get("coding"))]
            + [x.get("display") for x in _dicts(cc.get("coding"))]
        )
        for w in words:
            if isinstance(w, str) and w.strip().lower() in _YES:
                return True
            if isinstance(w, str) and w.strip().lower() in _NO:
                return False
        return None
    if not any(k.startswith("value") for k in b) and "dataAbsentReason" not in b:
        return True  # a finding coded in Observation.code without a value: the finding is present
    return None


def _ecog_value(b: Json) -> int | None:
    value: Any = b.get("valueInteger")
    if value is None and isinstance(b.get("valueQuantity"), dict):
        value = b["valueQuantity"].get("value")
    if value is None and isinstance(b.get("valueCodeableConcept"), dict):
        codes = [x.get("code") for x in _dicts(b["valueCodeableConcept"].get("coding"))]
        value = next((int(x) for x in codes if isinstance(x, str) and x.isdigit()), None)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value) if 0 <= value <= 4 else None


_ACCEPTED_UNITS = {a.value: units for a, (_, _, units) in LAB_CATALOGUE.items()}


def _lab(m: _Mapper, r: _Res, analyte: str, day: dt.date) -> dict[str, Any] | None:
    q = r.body.get("valueQuantity")
    if (
        not isinstance(q, dict)
        or isinstance(q.get("value"), bool)
        or not isinstance(q.get("value"), int | float)
    ):
        why = "no numeric valueQuantity" + (" (dataAbsentReason)" if "dataAbsentReason" in r.body else "")
        m.skip(r, "value[x]", why)
        return None
    if q.get("comparator"):
        m.skip(r, "valueQuantity.comparator", f"censored value ({q['comparator']}{q['value']}) not used")
        return None
    accepted = _ACCEPTED_UNITS[analyte]  # analyte keys = the Analyte enum (checked at load)
    unit = None
    for candidate in (q.get("unit"), q.get("code")):
        if isinstance(candidate, str):
            candidate = _UNIT_SYNONYMS.get(candidate, candidate)
            if candidate in accepted:
                unit = candidate
                break
    if unit is None:
        m.skip(
            r,
            "valueQuantity.unit",
            f"unit {q.get('unit') or q.get('code')!r} not accepted for {analyte} "
            f"(accepted: {', '.join(accepted)}); no conversion is made",
        )
        return None
    out = {"date": day.isoformat(), "analyte": analyte, "value": float(q["value"]), "unit": unit}
    m.case_data(r.body, out)
    if not m.checked:
        return out
    try:
        LabResult.model_validate(out)
    except ValidationError as exc:
        m.skip(r, "valueQuantity", exc.errors()[0]["msg"].removeprefix("Value error, "))
        return None
    return out


def _status(m: _Mapper, r: _Res, day: dt.date) -> dict[str, Any] | None:
    b = r.body
    hit = m.match(("clinical_state",), b.get("valueCodeableConcept"), local="clinical-state")
    if hit is None:
        m.skip(r, "valueCodeableConcept", "clinical course not recognised (improving/stable/deteriorating)")
        return None
    out: dict[str, Any] = {"date": day.isoformat(), "state": hit.concept.key}
    for comp in _dicts(b.get("component")):
        if (
            m.match(("ecog",), comp.get("code"), local=c.CS_CONCEPT)
            or m.local_code(comp.get("code"), c.CS_CONCEPT) == c.CONCEPT_ECOG
        ):
            score = _ecog_value(comp)
            if score is not None:
                out["ecog"] = score
    notes = [n.get("text") for n in _dicts(b.get("note")) if _str(n.get("text"))]
    if notes:
        out["note"] = "\n".join(str(n) for n in notes)
    m.case_data(b, out)
    if not m.checked:
        return out
    try:
        ClinicalStatus.model_validate(out)
    except ValidationError as exc:
        m.skip(r, "", exc.errors()[0]["msg"])
        return None
    return out


def _driver(m: _Mapper, r: _Res) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for comp in _dicts(r.body.get("component")):
        kind = m.local_code(comp.get("code"), c.CS_CONCEPT)
        if kind == c.CONCEPT_GENE:
            cc = comp.get("valueCodeableConcept")
            out["gene"] = m.local_code(cc, "gene") or (cc.get("text") if isinstance(cc, dict) else None)
        elif kind == c.CONCEPT_DETAIL and _str(comp.get("valueString")):
            out["detail"] = comp["valueString"]
    try:
        return DriverAlteration.model_validate(out).model_dump(mode="json", exclude_none=True)
    except ValidationError:
        m.skip(r, "component", "driver alteration without a known gene")
        return None


# --------------------------------------------------------------------------------------------- treatments
@dataclass(slots=True)
class _Med:
    r: _Res
    agent: str | None
    type: str
    start: dt.date | None
    end: dt.date | None
    key: str | None


def _medication_cc(m: _Mapper, r: _Res) -> Any:
    if isinstance(r.body.get("medicationCodeableConcept"), dict):
        return r.body["medicationCodeableConcept"]
    target = m.resolve(r.body.get("medicationReference"))
    if target is not None and target.rt == "Medication":
        return target.body.get("code")
    return None


def _treatments(m: _Mapper, buckets: dict[str, list[_Res]]) -> list[dict[str, Any]]:
    meds: list[_Med] = []
    for rt in ("MedicationStatement", "MedicationRequest", "MedicationAdministration"):
        for r in buckets.get(rt, []):
            med = _med(m, r)
            if med is not None:
                meds.append(med)
    treatments: list[dict[str, Any]] = []
    groups: dict[str, list[_Med]] = {}
    for med in meds:
        if med.key is None:
            same_day = med.type in _SYSTEMIC_TYPES and med.start is not None
            med.key = f"day:{med.start}" if same_day else f"agent:{med.type}:{med.agent}"
        groups.setdefault(med.key, []).append(med)
    # Unkeyed regimens repeated over cycles (one prescription per cycle) collapse into one line.
    merged: dict[tuple[str, ...], list[_Med]] = {}
    for key, members in groups.items():
        sig = (
            (key,)
            if not key.startswith("day:")
            else ("regimen", *sorted({x.agent or x.type for x in members}))
        )
        merged.setdefault(sig, []).extend(members)
    placed: list[tuple[int, dict[str, Any]]] = []
    for members in merged.values():
        t = _treatment(m, members)
        if t is not None:
            placed.append((min(x.r.pos for x in members), t))
    for r in buckets.get("Procedure", []):
        if id(r.body) in m.consumed:
            continue
        t = _procedure_treatment(m, r)
        if t is not None:
            placed.append((r.pos, t))
    treatments = [t for _, t in sorted(placed, key=lambda p: p[0])]
    ids: set[str] = set()
    for t in treatments:
        base, n = t["id"], 2
        while t["id"] in ids:
            t["id"], n = f"{base}-{n}", n + 1
        ids.add(t["id"])
    return treatments


def _med(m: _Mapper, r: _Res) -> _Med | None:
    b = r.body
    status = b.get("status")
    if status in ("entered-in-error", "cancelled", "not-taken", "draft", "unknown", "not-done"):
        m.skip(r, "status", f"status {status}: not a treatment given")
        return None
    if r.rt == "MedicationRequest" and b.get("intent") in ("proposal", "plan"):
        m.skip(r, "intent", f"intent {b.get('intent')}: not prescribed")
        return None
    cc = _medication_cc(m, r)
    declared = m.ext(b, c.EXT_TREATMENT_TYPE)
    hit = m.match(("agent", "agent_class"), cc)
    local_type = m.local_code(cc, "treatment-type")
    agent: str | None = None
    ttype: str | None = declared if isinstance(declared, str) else None
    own = m.identifier(b, c.ID_TREATMENT)
    if local_type:  # bonemet's own marker of a treatment recorded without its agents
        ttype = ttype or local_type
    elif hit is not None and hit.group == "agent":
        text = cc.get("text") if isinstance(cc, dict) else None
        agent = str(text) if own and isinstance(text, str) and text else hit.concept.key
        ttype = ttype or hit.concept.type
    elif hit is not None:
        agent = (cc.get("text") if isinstance(cc, dict) else None) or hit.concept.key
        ttype = ttype or hit.concept.key
    elif own and isinstance(cc, dict) and _str(cc.get("text")) and ttype:
        agent = str(cc["text"])
    if ttype is None:
        m.skip(
            r, "medication[x]", "medication not used by bonemet (not an anticancer or bone-targeted agent)"
        )
        return None
    if r.rt == "MedicationRequest":
        raw_dispense = b.get("dispenseRequest")
        dispense: Json = raw_dispense if isinstance(raw_dispense, dict) else {}
        _, vp = _first_date(dispense, "validityPeriod.start")
        start, _ = c.parse_date(vp)
        if start is None:
            start = m.date(r, ("authoredOn",), required=False)
        _, ve = _first_date(dispense, "validityPeriod.end")
        end, _ = c.parse_date(ve)
    else:
        start = m.date(r, ("effectivePeriod.start", "effectiveDateTime"), required=False)
        end = m.date(r, ("effectivePeriod.end",), required=False)
    group = b.get("groupIdentifier")
    key = (
        f"id:{own}"
        if own
        else (
            f"group:{group.get('system')}|{group.get('value')}"
            if isinstance(group, dict) and group.get("value")
            else None
        )
    )
    m.consumed.add(id(b))
    return _Med(r, agent, ttype, start, end, key)


def _combined_type(types: list[str]) -> str:
    kinds = set(types)
    if kinds == {"chemotherapy", "immunotherapy"} or "chemo_immunotherapy" in kinds:
        return "chemo_immunotherapy"
    return types[0]


def _treatment(m: _Mapper, members: list[_Med]) -> dict[str, Any] | None:
    lead = members[0]
    declared = m.ext(lead.r.body, c.EXT_TREATMENT_TYPE)
    ttype = declared if isinstance(declared, str) else _combined_type([x.type for x in members])
    agents: list[str] = []
    for x in members:
        if x.agent and x.agent not in agents:
            agents.append(x.agent)
    own = m.identifier(lead.r.body, c.ID_TREATMENT)
    out: dict[str, Any] = {"id": own or lead.r.id or f"treatment-{ttype}", "type": ttype}
    if agents:
        out["agents"] = agents
    starts = [x.start for x in members if x.start]
    ends = [x.end for x in members if x.end]
    if starts:
        out["start"] = min(starts).isoformat()
    if ends and len(ends) == len(members):
        out["end"] = max(ends).isoformat()
    line = m.ext(lead.r.body, c.EXT_LINE)
    if isinstance(line, int) and not isinstance(line, bool):
        out["line_number"] = line
    m.case_data(lead.r.body, out)
    if not m.checked:
        return out
    try:
        Treatment.model_validate(out)
    except ValidationError as exc:
        m.problem(lead.r, "effective[x]", exc.errors()[0]["msg"].removeprefix("Value error, "))
        return None
    return out


def _procedure_treatment(m: _Mapper, r: _Res) -> dict[str, Any] | None:
    b = r.body
    local_type = m.local_code(b.get("code"), "treatment-type")
    hit = m.match(("procedure_treatment",), b.get("code"))
    ttype = local_type or (hit.concept.key if hit else None)
    if ttype is None:
        m.skip(r, "code", "procedure not used by bonemet (neither bone imaging nor radiotherapy/surgery)")
        return None
    status = b.get("status")
    if status in ("entered-in-error", "not-done", "preparation"):
        m.skip(r, "status", f"status {status}: not a treatment given")
        return None
    out: dict[str, Any] = {
        "id": m.identifier(b, c.ID_TREATMENT) or r.id or f"procedure-{ttype}",
        "type": ttype,
    }
    start = m.date(r, ("performedPeriod.start", "performedDateTime"), required=False)
    end = m.date(r, ("performedPeriod.end", "performedDateTime"), required=False)
    if start:
        out["start"] = start.isoformat()
    if end:
        out["end"] = end.isoformat()
    for s in _dicts(b.get("bodySite")):
        site = m.site_of(r, "bodySite", s)
        if site:
            out["site"] = site
            break
    line = m.ext(b, c.EXT_LINE)
    if isinstance(line, int) and not isinstance(line, bool):
        out["line_number"] = line
    m.case_data(b, out)
    m.consumed.add(id(b))
    if not m.checked:
        return out
    try:
        Treatment.model_validate(out)
    except ValidationError as exc:
        m.problem(r, "performed[x]", exc.errors()[0]["msg"].removeprefix("Value error, "))
        return None
    return out


def imaging_modality(resource: Json, valuesets: ValueSets | None = None) -> Modality | None:
    """Modality of one imaging resource (e.g. a draft ServiceRequest of an order-select hook), or None."""
    vs = valuesets or default_valuesets()
    if not isinstance(resource, dict):
        return None
    m = _Mapper(vs, MappingContext())
    rt = str(resource.get("resourceType") or "")
    hit, _ = _imaging_code(m, _Res(rt, None, resource, ""))
    return Modality(hit.concept.key) if hit is not None and hit.group == "modality" else None


def iter_unmapped_lines(items: Iterable[Unmapped]) -> list[str]:
    return [str(u) for u in items]
