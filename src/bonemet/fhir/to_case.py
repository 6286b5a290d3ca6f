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

import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import orjson
from pydantic import ValidationError

from bonemet.errors import FhirMappingError, Problem
from bonemet.fhir import (
    read_bone_inputs,
    read_conditions,
    read_imaging,
    read_observations,
    read_oncology,
    read_patient,
    read_treatments,
)
from bonemet.fhir.read_base import SCOPES, Json, Mapper, MappingContext, MappingScope, Res, Unmapped
from bonemet.fhir.read_imaging import ImagingReading, imaging_modality, imaging_reading
from bonemet.fhir.valuesets import ValueSets, default_valuesets
from bonemet.model.case import Case, ClinicalContext

__all__ = ["SCOPES", "ImagingReading", "MappingContext", "MappingResult", "MappingScope", "ResourceReport",
           "Unmapped",
           "case_from_fhir", "imaging_modality", "imaging_reading"]

# Read through the resources that reference them (medicationReference, a radiotherapy volume).
_HANDLED_ELSEWHERE = {"Medication", "BodyStructure"}


@dataclass(frozen=True)
class ResourceReport:
    """What became of one resource of the input (issue 26, "say why"): read (into which case fields,
    with what of it was left out), skipped (why), or not accounted for (a reader said nothing: a bug
    the tests catch)."""

    resource_type: str
    resource_id: str | None
    outcome: Literal["read", "skipped", "not accounted"]
    detail: str

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.resource_id or '?'}: {self.outcome} — {self.detail}"


@dataclass(frozen=True)
class MappingResult:
    case: Case
    unmapped: tuple[Unmapped, ...]
    assumptions: tuple[Unmapped, ...] = ()  # what the mapping inferred (e.g. the phase); review these
    valuesets_version: str = ""
    # What the record says of the guideline's population: "lung" only for a diagnosed lung primary;
    # "suspected_lung", "other_primary", "site_unknown" (a cancer, no organ named) or "no_cancer".
    scope: MappingScope = "no_cancer"
    # One line per resource of the input, in its order: read into what, or skipped and why.
    report: tuple[ResourceReport, ...] = ()

    @property
    def in_scope(self) -> bool:
        return self.scope == "lung"

    @property
    def contradictions(self) -> tuple[Unmapped, ...]:
        """Facts recorded both ways (a deficit and a "no deficit"): the case holds the safe reading,
        these name both sources (read_neuro; the case model has no place for the negative)."""
        return tuple(a for a in self.assumptions if a.reason.startswith("contradiction"))


@lru_cache(maxsize=1)
def _r4b_type_names() -> frozenset[str]:
    import fhir.resources.R4B as r4b

    return frozenset(m.name for m in pkgutil.iter_modules(r4b.__path__))


# --------------------------------------------------------------------------------------------- input
def _decode(data: Any) -> Any:
    if isinstance(data, bytes | bytearray | memoryview | str):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise FhirMappingError([Problem("", f"malformed JSON: {str(exc).splitlines()[0]}")]) from None
    return data


def _collect(data: Any, problems: list[Problem]) -> list[Res]:
    out: list[Res] = []

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
            Res(
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


def _validate_strict(resources: list[Res]) -> list[Problem]:
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
        raise FhirMappingError(problems)
    if strict:
        problems = _validate_strict(resources)
        if problems:
            raise FhirMappingError(problems)
    known = _r4b_type_names()
    problems = [
        Problem(f"{r.where}.resourceType", f"unknown FHIR resource type {r.rt!r}")
        for r in resources
        if r.rt.lower() not in known or not r.rt[0].isupper()
    ]
    if problems:
        raise FhirMappingError(problems)
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
    raise FhirMappingError(outcome)


def _run(
    vs: ValueSets, ctx: MappingContext, resources: list[Res], data: Any, checked: bool
) -> MappingResult | list[Problem]:
    """One mapping pass: the result, or the problems that refuse the input."""
    m = Mapper(vs, ctx, checked=checked)
    buckets: dict[str, list[Res]] = {}
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
        from bonemet.errors import problems_from

        return [Problem(f"case.{p.field}", p.message) for p in problems_from(exc)]
    return MappingResult(case, tuple(m.unmapped), tuple(m.assumptions), vs.version, m.scope,
                         _report(m, resources))


def _report(m: Mapper, resources: list[Res]) -> tuple[ResourceReport, ...]:
    out: list[ResourceReport] = []
    for r in resources:
        into, skipped = m.read_into.get(r.pos), m.skipped_at.get(r.pos, [])
        if into:
            detail = "into " + "; ".join(into)
            if skipped:
                detail += " (left out: " + "; ".join(skipped) + ")"
            out.append(ResourceReport(r.rt, r.id, "read", detail))
        elif skipped:
            out.append(ResourceReport(r.rt, r.id, "skipped", "; ".join(skipped)))
        else:
            out.append(ResourceReport(r.rt, r.id, "not accounted", "no reader said what became of it"))
    return tuple(out)


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
    "Encounter",  # read only for a dental evaluation (issue 24); any other is reported as not used
)


def _map(m: Mapper, buckets: dict[str, list[Res]], raw: Any) -> dict[str, Any]:
    patient = read_patient.patient(m, buckets.get("Patient", []))
    for rt, items in buckets.items():
        if rt in _READERS and rt not in ("Patient", "Parameters", "Encounter"):
            for r in items:
                m.check_subject(r)
    for rt, items in sorted(buckets.items()):
        if rt not in _READERS and rt not in _HANDLED_ELSEWHERE:
            for r in items:
                m.skip(r, "", f"resource type {rt} is not used by bonemet")
    params = read_patient.context_params(m, buckets.get("Parameters", []))
    as_of = read_bone_inputs.decision_date(m, params)
    # Issue 24: osteonecrosis of the jaw and dental evaluations first, so that the cancer and imaging
    # readers do not report them (a panoramic radiograph is not a bone-metastasis exam).
    onj, buckets["Condition"] = read_bone_inputs.osteonecrosis(m, buckets.get("Condition", []))
    dental_date, dental_rest = read_bone_inputs.dental(
        m, buckets.get("Procedure", []) + buckets.get("Encounter", []), as_of)
    buckets["Procedure"] = [r for r in dental_rest if r.rt == "Procedure"]
    for r in dental_rest:
        if r.rt == "Encounter":
            m.skip(r, "", "resource type Encounter is not used by bonemet (only a dental evaluation is read)")
    # Issue 26: mCODE's staging, disease status, Karnofsky/Lansky, genomics and cancer surgery first,
    # so that the other readers do not report them as unknown observations or procedures.
    oncology = read_oncology.split(m, buckets)
    conditions = read_conditions.conditions(m, buckets.get("Condition", []))
    cancer, findings, m.scope = conditions.cancer, conditions.findings, conditions.scope
    exams = read_imaging.imaging(m, buckets)
    observed = read_observations.observations(m, buckets.get("Observation", []))
    labs, statuses, drivers, observed_findings, patient_scores, measures = observed
    treatments = read_treatments.treatments(m, buckets, read_treatments.Primaries(
        conditions.primary_site, conditions.other_primaries))
    drivers = [*drivers, *(d for d in oncology.drivers if d not in drivers)]
    if drivers:
        cancer["driver_alterations"] = drivers
    findings = [*findings, *observed_findings]
    case: dict[str, Any] = {
        "case_id": read_patient.case_id(m, raw, buckets.get("Patient", []), params),
        "patient": patient,
        "cancer": cancer,
        "exams": exams,
        "treatments": treatments,
        "labs": labs,
        "clinical_status": statuses,
    }
    for p in buckets.get("Patient", [])[:1]:
        m.case_data(p.body, case)
    plan = read_bone_inputs.latest(m, measures, as_of)
    extra = (case.get("plan_inputs") or {}).get("extra_osseous_sites")
    if conditions.extra_osseous and extra is None:  # F10: organs recorded, never 0 from their absence
        plan["extra_osseous_sites"] = len(conditions.extra_osseous)
        m.assume(None, "plan_inputs.extra_osseous_sites",
                 f"{len(conditions.extra_osseous)} metastatic site(s) outside bone counted from the "
                 f"secondary cancer conditions ({', '.join(conditions.extra_osseous)}); a site not "
                 "recorded as a condition is not counted")
    if onj is not None:
        plan["osteonecrosis_jaw"] = onj
    if dental_date is not None:
        plan["dental_date"] = dental_date
    if plan:  # the resources win over a case-data copy of the same field
        case["plan_inputs"] = {**(case.get("plan_inputs") or {}), **plan}
    if patient_scores is not None:
        case["score_inputs"] = patient_scores
    record = oncology.record(conditions.bone_sites)
    if record:  # review 26 F11: field by field, the resources win over a case-data copy
        case["oncology"] = {**(case.get("oncology") or {}), **record}
    case["context"] = read_patient.context(m, params, findings, treatments)
    for rt in _HANDLED_ELSEWHERE:
        for r in buckets.get(rt, []):
            if r.pos not in m.read_into:
                m.skip(r, "", f"{rt} not referenced by a resource bonemet reads")
    if m.ctx.availability is not None:
        case["availability"] = m.ctx.availability.model_dump(mode="json")
    elif "availability" in params:
        case["availability"] = params["availability"]
    return case




def iter_unmapped_lines(items: Iterable[Unmapped]) -> list[str]:
    return [str(u) for u in items]
