"""Cohort audit at 100,000 patients: DuckDB scan + grouping alone vs the full audit, and Spark.

    .venv/bin/python benchmarks/bench_audit.py [--patients N] [--workers 2] [--no-spark]
        [--cache ~/.cache/bonemet-bench] [--out benchmarks/results/audit.json]

The cohort is generated once (seed 1) and cached outside the repository. In one run the script times
(a) DuckDB reading every line, classifying it and grouping the resources per patient, consumed as
Arrow batches with no Python work per patient, and (b) the full audit (same reading and grouping,
then case_from_fhir + indicators per patient in worker processes, aggregation, every output file).
Target: (b) <= 2 x (a). Peak memory is the maximum resident set size of this process and of its
children (getrusage), which include the worker processes (and Spark's Python workers, not the JVM).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import pyarrow.compute as pc

from bonemet.audit import engine as duck
from bonemet.audit.run import run_audit
from bonemet.audit.synth import write_cohort

ROOT = Path(__file__).resolve().parents[1]


def _peak_mb() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self_mb": round(own, 1), "children_max_mb": round(children, 1)}


def cohort(cache: Path, patients: int, seed: int, workers: int) -> tuple[Path, float | None]:
    directory = cache / f"cohort-{patients}-seed-{seed}"
    if (directory / ".complete").exists():
        return directory, None
    shutil.rmtree(directory, ignore_errors=True)
    t0 = time.perf_counter()
    write_cohort(directory, patients, seed, workers=workers)
    (directory / ".complete").write_text("ok")
    return directory, time.perf_counter() - t0


def duckdb_alone(directory: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    con = duck.connect()
    scan = duck.load(con, duck.input_files(directory))
    t_load = time.perf_counter() - t0
    groups = resources = 0
    for batch in duck.grouped_batches(con):
        groups += batch.num_rows
        resources += pc.sum(pc.list_value_length(batch.column("lines"))).as_py()  # no Python objects
    con.close()
    return {
        "seconds": time.perf_counter() - t0,
        "load_seconds": t_load,
        "patients": groups,
        "resources": resources,
        "lines": sum(scan.lines_per_file.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "bonemet-bench")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "audit.json")
    args = parser.parse_args()

    directory, generated = cohort(args.cache, args.patients, args.seed, args.workers)
    size_mb = sum(p.stat().st_size for p in directory.glob("*.ndjson")) / 1e6
    duckdb_alone(directory)  # warm-up: both timings then read the files from the OS page cache
    a = duckdb_alone(directory)
    print(
        f"(a) DuckDB scan + group: {a['seconds']:.2f} s ({a['lines']:,} lines, {size_mb:.0f} MB)", flush=True
    )
    with tempfile.TemporaryDirectory(prefix="bonemet-bench-") as tmp:
        t0 = time.perf_counter()
        summary = run_audit(directory, Path(tmp) / "out", workers=args.workers, progress=False)
        b = time.perf_counter() - t0
    print(
        f"(b) full audit: {b:.2f} s; ratio {b / a['seconds']:.1f}x; {args.patients / b:,.0f} patients/s",
        flush=True,
    )
    memory = _peak_mb()
    result: dict[str, Any] = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
        },
        "cohort": {
            "patients": args.patients,
            "seed": args.seed,
            "ndjson_mb": round(size_mb, 1),
            "lines": a["lines"],
            "generation_seconds": round(generated, 1) if generated else "cached",
        },
        "duckdb_scan_and_group_seconds": round(a["seconds"], 2),
        "full_audit_seconds": round(b, 2),
        "full_audit_breakdown_seconds": summary["seconds"],
        "ratio_full_over_scan": round(b / a["seconds"], 2),
        "target_ratio": 2.0,
        "target_met": b <= 2 * a["seconds"],
        "patients_per_second": round(args.patients / b, 1),
        "workers": args.workers,
        "peak_memory_duckdb": memory,
    }
    if not args.no_spark:
        with tempfile.TemporaryDirectory(prefix="bonemet-bench-spark-") as tmp:
            t0 = time.perf_counter()
            s = run_audit(directory, Path(tmp) / "out", engine="spark", progress=False)
            spark_s = time.perf_counter() - t0
        same = s["indicators_table"] == summary["indicators_table"] and s["issues"] == summary["issues"]
        result["spark"] = {
            "master": "local[*]",
            "seconds_including_session_start": round(spark_s, 2),
            "patients_per_second": round(args.patients / spark_s, 1),
            "identical_to_duckdb": same,
            "peak_memory_python": _peak_mb(),
        }
        print(f"Spark: {spark_s:.1f} s, identical: {same}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
