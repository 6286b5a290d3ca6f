"""FHIR → case mapping throughput: the fast path (plain dicts) vs strict (fhir.resources R4B first).

    .venv/bin/python benchmarks/bench_fhir.py [--rounds 300] [--out benchmarks/results/fhir.json]

`--smallest`: one round of each path (the test suite's run; figures meaningless).

The input is a 50-resource EHR-shaped Bundle: the shipped example `ehr-osimertinib.bundle.json`
(13 resources: Patient, Encounter, Conditions, PET Procedure + report + lesion, labs, drugs) plus
20 monthly tumour-marker Observations, 15 chemotherapy MedicationRequests (5 cycles x 3 drugs) and
2 Encounters. Each timed call maps the whole Bundle to a Case (pydantic-validated); the fast path
is timed from the JSON bytes (orjson decoding included) and from the decoded dict.
"""

from __future__ import annotations

import argparse
import copy
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bonemet.fhir import case_from_fhir

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "src" / "bonemet" / "demo" / "cases" / "fhir" / "ehr-osimertinib.bundle.json"
CONTEXT = {"phase": "on_treatment", "as_of": "2025-12-01", "question": "response_assessment"}


def fifty_resource_bundle() -> dict[str, Any]:
    bundle = copy.deepcopy(orjson.loads(EXAMPLE.read_bytes()))
    subject = {"reference": "Patient/ehr-p1"}
    extra: list[dict[str, Any]] = []
    markers = (("2039-6", "ng/mL", 5.0), ("25390-6", "ng/mL", 3.1))
    for month in range(1, 11):
        for code, unit, base in markers:
            extra.append({"resourceType": "Observation", "id": f"m-{code}-{month}", "status": "final",
                          "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                          "subject": subject, "effectiveDateTime": f"2025-{month:02d}-15",
                          "valueQuantity": {"value": base + month / 10, "unit": unit,
                                            "system": "http://unitsofmeasure.org", "code": unit}})
    for cycle in range(5):
        for drug in ("carboplatin", "pemetrexed", "pembrolizumab"):
            extra.append({"resourceType": "MedicationRequest", "id": f"c{cycle}-{drug}",
                          "status": "completed",
                          "intent": "order", "medicationCodeableConcept": {"text": drug}, "subject": subject,
                          "authoredOn": f"2024-{cycle + 3:02d}-01"})
    for i in range(2):
        extra.append({"resourceType": "Encounter", "id": f"enc-x{i}", "status": "finished",
                      "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                      "subject": subject})
    bundle["entry"] += [{"fullUrl": f"http://ehr.example/fhir/{r['resourceType']}/{r['id']}", "resource": r}
                        for r in extra]
    assert len(bundle["entry"]) == 50, len(bundle["entry"])
    return bundle


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    fn()  # warm-up: value sets loaded, R4B model classes imported
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def summary(times: list[float], n: int) -> dict[str, float]:
    med = statistics.median(times)
    p99 = sorted(times)[max(0, int(len(times) * 0.99) - 1)]
    return {"median_ms": round(med * 1000, 3), "p99_ms": round(p99 * 1000, 3),
            "resources_per_s": round(n / med), "bundles_per_s": round(1 / med, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "fhir.json")
    parser.add_argument("--smallest", action="store_true", help="one round of each path (test suite)")
    args = parser.parse_args()
    strict_rounds = max(20, args.rounds // 10)
    if args.smallest:
        args.rounds = strict_rounds = 1
    bundle = fifty_resource_bundle()
    raw = orjson.dumps(bundle)
    n = len(bundle["entry"])
    result = case_from_fhir(bundle, context=CONTEXT, strict=True)
    assert len(result.case.labs) == 21 and len(result.case.treatments) == 3
    figures = {
        "fast_from_bytes": summary(timed(lambda: case_from_fhir(raw, context=CONTEXT), args.rounds), n),
        "fast_from_dict": summary(timed(lambda: case_from_fhir(bundle, context=CONTEXT), args.rounds), n),
        "strict": summary(timed(lambda: case_from_fhir(bundle, context=CONTEXT, strict=True),
                                strict_rounds), n),
    }
    figures["speedup_fast_vs_strict"] = round(
        figures["strict"]["median_ms"] / figures["fast_from_bytes"]["median_ms"], 1)  # type: ignore[assignment]
    report = {"benchmark": "fhir-mapping", "bundle_resources": n, "bundle_bytes": len(raw),
              "rounds": args.rounds, "smallest": args.smallest, "python": sys.version.split()[0],
              "machine": platform.machine(),
              **figures}
    for name in ("fast_from_bytes", "fast_from_dict", "strict"):
        f = figures[name]
        print(f"{name:16s} median {f['median_ms']:8.3f} ms  p99 {f['p99_ms']:8.3f} ms  "  # type: ignore[index]
              f"{f['resources_per_s']:>8} resources/s")  # type: ignore[index]
    print(f"fast path is {figures['speedup_fast_vs_strict']}x the strict path")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
