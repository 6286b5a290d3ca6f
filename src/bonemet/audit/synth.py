"""Synthetic cohort: FHIR R4 bulk NDJSON with deliberate guideline deviations and their ground truth.

Every patient is built from its own `random.Random((seed, index))`, so the output is identical for a
seed whatever the number of worker processes, and files are written as patients are made (memory
does not grow with N). The distributions and deviation rates below are SYNTHETIC CHOICES, plausible
orders of magnitude for a thoracic-oncology department, not estimates from data; docs/audit.md lists
them. The ground truth is decided here, from the deviations the generator injects, never by the
audit code, so comparing the two checks the audit.

Four modules, by concept: `synth_rates.py` (the synthetic choices), `synth_story.py` (one patient
and its ground truth), `synth_bone.py` (its systemic bone treatment, issue 24) and this one (FHIR
bulk lines, files, worker processes).
"""


from __future__ import annotations

import multiprocessing
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bonemet.audit.synth_rates import (
    P_MALFORMED_AFTER_LINE,
    SITES,
    UNKNOWN_CODE,
)
from bonemet.audit.synth_story import Truth as Truth
from bonemet.audit.synth_story import build_patient as build_patient
from bonemet.fhir import case_to_bundle

GROUND_TRUTH = "ground_truth.ndjson"
EXPORT_NAME = "bonemet synthetic cohort"


# --- FHIR bulk lines -----------------------------------------------------------------------------------


@dataclass
class PatientLines:
    """One patient's NDJSON lines: (resource type, line, write a malformed copy after it?)."""

    lines: list[tuple[str, bytes, bool]]
    truth: Truth
    unknown_code_type: str | None


def patient_lines(seed: int, index: int) -> PatientLines:
    case, truth, site_id = build_patient(seed, index)
    bundle = case_to_bundle(case, include_context=False)
    entries = bundle["entry"]
    patient_entry = next(e for e in entries if e["resource"]["resourceType"] == "Patient")
    pid = patient_entry["resource"]["id"]
    refs = {
        e["fullUrl"].encode(): f"{e['resource']['resourceType']}/{e['resource']['id']}".encode()
        for e in entries
    }
    patient_entry["resource"]["managingOrganization"] = {"reference": f"Organization/{site_id}"}
    rng = random.Random(f"{seed}:{index}:lines")
    out: list[tuple[str, bytes, bool]] = []
    for e in entries:
        res = e["resource"]
        line = orjson.dumps(res)
        if b"urn:uuid:" in line:
            for url, ref in refs.items():
                line = line.replace(url, ref)
        out.append((res["resourceType"], line, rng.random() < P_MALFORMED_AFTER_LINE))
    unknown = None
    if truth.unknown_code:
        obs = {
            "resourceType": "Observation",
            "id": f"{pid}-unknown-test",
            "status": "final",
            "code": {"coding": [UNKNOWN_CODE], "text": UNKNOWN_CODE["display"]},
            "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": case.cancer.diagnosis_date.isoformat()
            if case.cancer.diagnosis_date
            else None,
            "valueQuantity": {"value": 1.0, "unit": "U/L"},
        }
        out.append(("Observation", orjson.dumps(obs), False))
        unknown = "Observation"
    return PatientLines(out, truth, unknown)


def _payload(args: tuple[int, int]) -> PatientLines:
    return patient_lines(*args)


def _iter_patients(seed: int, patients: int, workers: int) -> Iterator[PatientLines]:
    jobs = ((seed, i) for i in range(1, patients + 1))
    if workers <= 1 or patients < 500:
        yield from map(_payload, jobs)
        return
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ctx.Pool(workers) as pool:
        yield from pool.imap(_payload, jobs, chunksize=64)  # imap keeps the order: same bytes


def write_cohort(
    directory: Path, patients: int, seed: int, workers: int = 1, progress: Any = None
) -> dict[str, int]:
    """Write the cohort as one NDJSON file per resource type plus ground_truth.ndjson; returns the
    number of lines per file. `progress(n)` is called after each patient (for a progress bar)."""
    directory.mkdir(parents=True, exist_ok=True)
    handles: dict[str, Any] = {}
    counts: dict[str, int] = {}

    def write(rtype: str, line: bytes) -> tuple[str, int]:
        name = f"{rtype}.ndjson"
        if name not in handles:
            handles[name] = (directory / name).open("wb", buffering=1 << 20)
            counts[name] = 0
        handles[name].write(line + b"\n")
        counts[name] += 1
        return name, counts[name]

    try:
        for sid, name, *_ in SITES:
            write(
                "Organization",
                orjson.dumps({"resourceType": "Organization", "id": sid, "name": name, "active": True}),
            )
        truth_file = (directory / GROUND_TRUTH).open("wb", buffering=1 << 20)
        with truth_file:
            for p in _iter_patients(seed, patients, workers):
                malformed: list[dict[str, Any]] = []
                unknown: list[dict[str, Any]] = []
                for i, (rtype, line, broken) in enumerate(p.lines):
                    fname, lineno = write(rtype, line)
                    if p.unknown_code_type and i == len(p.lines) - 1:
                        unknown.append({"file": fname, "line": lineno})
                    if broken:
                        fname, lineno = write(rtype, line[: len(line) // 2])
                        malformed.append({"file": fname, "line": lineno})
                t = p.truth
                truth_file.write(
                    orjson.dumps(
                        {
                            "patient_id": t.patient_id,
                            "site": t.site,
                            "in_scope": t.in_scope,
                            "primary_site": t.primary_site,
                            "indicators": t.indicators,
                            "unknown_code_lines": unknown,
                            "malformed_lines": malformed,
                            "set_aside": t.set_aside,
                        },
                        option=orjson.OPT_SORT_KEYS,
                    )
                    + b"\n"
                )
                if progress is not None:
                    progress(1)
    finally:
        for h in handles.values():
            h.close()
    return counts
