"""One patient's NDJSON lines → audit rows, through the same mapping and core as `bonemet assess`.

Shared by both engines (DuckDB, Spark): they differ in how they read and group the lines, never in
what is decided for a patient. Rows are plain tuples so that they cross process boundaries cheaply.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

from bonemet.audit.definitions import IndicatorDefs, default_definitions
from bonemet.audit.indicators import Membership, checked, patient_indicators
from bonemet.errors import InputError
from bonemet.fhir import MappingContext, case_from_fhir
from bonemet.kb import default_kb
from bonemet.kb.loader import KnowledgeBase
from bonemet.model.case import Phase

# Column order of the three row kinds (the engines build Arrow tables with these names).
MEMBERSHIP_COLUMNS = (
    "patient_id",
    "site",
    "indicator",
    "rule_ids",
    "denominator",
    "numerator",
    "index_date",
    "year",
    "exam_ids",
)
PATIENT_COLUMNS = ("patient_id", "site", "in_scope", "status", "primary_site", "resources")
ISSUE_COLUMNS = ("kind", "file", "line", "patient_id", "resource", "reason")

# Elements whose code decides whether bonemet can use a resource: an unrecognised one is an unknown code.
_CODE_PATHS = frozenset({"code", "procedureCode", "medication[x]", "valueCodeableConcept"})
_CONTEXT = MappingContext(phase=Phase.follow_up)  # the audit reads history; the phase is not used


@dataclass
class Rows:
    memberships: list[tuple[Any, ...]] = field(default_factory=list)
    patients: list[tuple[Any, ...]] = field(default_factory=list)
    issues: list[tuple[Any, ...]] = field(default_factory=list)

    def extend(self, other: Rows) -> None:
        self.memberships.extend(other.memberships)
        self.patients.extend(other.patients)
        self.issues.extend(other.issues)


@lru_cache(maxsize=1)
def _knowledge() -> tuple[KnowledgeBase, IndicatorDefs]:
    return default_kb(), checked(default_definitions())


def warm_up() -> None:
    """Load what every patient needs (knowledge base, indicator definitions, value sets, lazy
    imports) by auditing one throwaway patient. Called before the worker processes fork, so that
    they share one copy instead of each loading its own on its first patient."""
    audit_patient("Patient/warm-up", ["warm-up"], [1], ['{"resourceType":"Patient","id":"warm-up"}'], Rows())


def bad_line_reason(text: str) -> str:
    """Why a line is not a FHIR resource (both engines report the same words)."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return f"malformed JSON: {str(exc).splitlines()[0]}"
    if not isinstance(doc, dict):
        return "not a FHIR resource (a JSON object is expected)"
    return "not a FHIR resource (no resourceType)"


def _site(resources: Sequence[dict[str, Any]]) -> str | None:
    for r in resources:
        if r.get("resourceType") == "Patient":
            ref = r.get("managingOrganization")
            if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
                return str(ref["reference"]).rsplit("/", 1)[-1]
    return None


def _tick(clock: dict[str, float] | None, stage: str, since: float) -> float:
    now = time.perf_counter()
    if clock is not None:
        clock[stage] = clock.get(stage, 0.0) + now - since
    return now


def _record_of(resources: Sequence[dict[str, Any]], record_id: str) -> int:
    """The position of the resource a case record came from: the one whose identifier carries the
    record's id (a course's treatment id), else the Patient resource."""
    for i, r in enumerate(resources):
        ids = r.get("identifier")
        if record_id and isinstance(ids, list) and any(
                isinstance(x, dict) and x.get("value") == record_id for x in ids):
            return i
    return next(i for i, r in enumerate(resources) if r.get("resourceType") == "Patient")


def _set_aside(memberships: Sequence[Membership], resources: Sequence[dict[str, Any]],
               files: Sequence[str], lines: Sequence[int], pid: str, rows: Rows) -> None:
    """What an indicator could not judge (issue 24): an issue of kind `set_aside` with the file and
    line of the record, so that it is counted apart and found, never dropped in silence."""
    for m in memberships:
        for s in m.set_aside:
            i = _record_of(resources, s.record_id)
            r = resources[i]
            rows.issues.append(("set_aside", files[i], lines[i], pid,
                                f"{r.get('resourceType')}/{r.get('id')}", f"{m.indicator}: {s.reason}"))


def audit_patient(
    patient_ref: str,
    files: Sequence[str],
    lines: Sequence[int],
    docs: Sequence[str],
    rows: Rows,
    clock: dict[str, float] | None = None,
) -> None:
    """Map one patient's resources to a case, decide every indicator, append the rows. `clock`, when
    given, accumulates the seconds spent per stage (the benchmark's profile)."""
    kb, defs = _knowledge()
    t = time.perf_counter()
    pid = patient_ref.removeprefix("Patient/")
    resources = [orjson.loads(d) for d in docs]
    t = _tick(clock, "json_parse", t)
    where = {
        (r.get("resourceType"), r.get("id")): (f, n) for r, f, n in zip(resources, files, lines, strict=True)
    }
    site = _site(resources)
    if not any(r.get("resourceType") == "Patient" for r in resources):
        for r, f, n in zip(resources, files, lines, strict=True):
            rows.issues.append(
                (
                    "orphan",
                    f,
                    n,
                    pid,
                    f"{r.get('resourceType')}/{r.get('id')}",
                    f"refers to {patient_ref}, which is not in Patient.ndjson",
                )
            )
        rows.patients.append((pid, site, None, "no_patient_resource", None, len(resources)))
        return
    try:
        result = case_from_fhir(resources, context=_CONTEXT)
    except InputError as exc:
        t = _tick(clock, "fhir_mapping", t)
        first = (files[0], lines[0])
        for p in exc.problems:
            label = p.field.split(".")[0]
            rt, _, rid = label.partition("/")
            f, n = where.get((rt, rid), first)
            rows.issues.append(("mapping_error", f, n, pid, label, p.message))
        rows.patients.append((pid, site, None, "mapping_error", None, len(resources)))
        _tick(clock, "rows", t)
        return
    t = _tick(clock, "fhir_mapping", t)
    for u in result.unmapped:
        f, n = where.get((u.resource_type, u.resource_id), (files[0], lines[0]))
        # A code the mapping knows and leaves out on purpose (a suspected cancer, a second primary,
        # chest imaging) is not an unknown code: the audit reports it under its own kind.
        if u.kind == "known_not_used":
            kind = "known_code_not_used"
        else:
            kind = "unknown_code" if u.path in _CODE_PATHS else "unmapped"
        rows.issues.append(
            (
                kind,
                f,
                n,
                pid,
                f"{u.resource_type}/{u.resource_id}",
                f"{u.path}: {u.reason}" if u.path else u.reason,
            )
        )
    case = result.case
    verdict = patient_indicators(case, kb, defs)
    t = _tick(clock, "indicators", t)
    primary = case.cancer.primary_site.value if case.cancer.primary_site else None  # none assumed (issue 17)
    rows.patients.append((pid, site, verdict.in_scope, "ok", primary, len(resources)))
    _set_aside(verdict.memberships, resources, files, lines, pid, rows)
    for m in verdict.memberships:
        if not m.denominator:
            continue
        day: dt.date | None = m.index_date
        rows.memberships.append(
            (
                pid,
                site,
                m.indicator,
                ",".join(m.rule_ids),
                m.denominator,
                m.numerator,
                day,
                day.year if day else None,
                ",".join(m.exam_ids),
            )
        )
    _tick(clock, "rows", t)
