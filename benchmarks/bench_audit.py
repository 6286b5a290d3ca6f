"""Cohort audit at several sizes: DuckDB's own scan-and-group vs the full audit, time and peak memory.

    .venv/bin/python benchmarks/bench_audit.py [--sizes 10000,100000] [--workers 2] [--memory 3GB]
        [--spark local[2]] [--data ~/.cache/bonemet-bench] [--out benchmarks/results/audit.json]

Each cohort is generated once (seed 1) and cached outside the repository (`--data`). For each size, in
one run, the script times, each in a child process whose whole process tree is sampled for resident
memory every 50 ms (the sum of RSS over the process and all its descendants: DuckDB's threads, the
worker processes, Spark's JVM and Python workers):

(a) DuckDB alone: read every line of every file, classify it, group the lines per patient (ordered
    `list()`), stream the groups out as Arrow batches with no Python work per patient;
(b) the full audit, `bonemet audit DIR -o OUT` (the product's command), whose summary.json gives the
    profile: wall time per step, and the workers' time per stage (read and sort a bucket, Arrow to
    Python, JSON parse, FHIR mapping, indicators, rows, writing rows);
(c) with `--spark MASTER`, the same command with `--engine spark --master MASTER`.

`--smallest` (the test suite's run; figures meaningless): one cohort of 40 patients generated in a
temporary folder; Spark only when `--spark` is given too (a Spark session costs 30-70 s on a 2-core
machine even for 40 patients; tests/audit/test_spark_engine.py covers the engine).

Target: (b) <= 2 x (a); peak of (b) at the largest size <= 1.5 x its peak at the smallest size.
A warm-up read precedes each size, so every timing reads the files from the OS page cache.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")

SCAN_AND_GROUP = r"""
import sys, time, duckdb, pyarrow.compute as pc
from pathlib import Path
files = sorted(p for p in Path(sys.argv[1]).glob("*.ndjson") if p.name != "ground_truth.ndjson")
reader = ("read_csv('{p}', columns={{'j': 'VARCHAR'}}, header=false, delim=E'\\x1f', quote='', "
          "escape='', auto_detect=false, max_line_size=67112960, new_line='\\n')")
lines = "\nUNION ALL\n".join(
    f"SELECT {i} AS f, row_number() OVER () AS line, j FROM " + reader.format(p=p)
    for i, p in enumerate(files))
con = duckdb.connect(config={"preserve_insertion_order": True})
con.execute("SET enable_progress_bar = false")
t0 = time.perf_counter()
sql = f'''
  SELECT pid, list(f ORDER BY f, line) AS files, list(line ORDER BY f, line) AS lines,
         list(j ORDER BY f, line) AS docs
  FROM (SELECT f, line, j, x[1] AS rt,
               CASE WHEN x[1] = 'Patient' THEN 'Patient/' || x[2] ELSE coalesce(x[3], x[4]) END AS pid
        FROM (SELECT f, line, j, json_extract_string(CASE WHEN json_valid(j) THEN j END,
                ['$.resourceType', '$.id', '$.subject.reference', '$.patient.reference']) AS x
              FROM ({lines}) WHERE j IS NOT NULL))
  WHERE rt IS NOT NULL AND pid IS NOT NULL GROUP BY pid'''
groups = resources = 0
for batch in con.sql(sql).to_arrow_reader(4096):
    groups += batch.num_rows
    resources += pc.sum(pc.list_value_length(batch.column("lines"))).as_py()
print(groups, resources, time.perf_counter() - t0)
"""


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):  # the process or thread has just ended
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return out


def _tree_rss(pid: int) -> int:
    total = 0
    for p in _descendants(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `cmd`; wall time and the peak of the summed RSS of its process tree (sampled every 50 ms)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}):\n{stderr.decode()[-4000:]}")
    return {
        "seconds": round(seconds, 2),
        "peak_tree_rss_mb": round(peak / 2**20, 1),
        "stdout": stdout.decode(),
    }


def cohort(data: Path, patients: int, seed: int, workers: int) -> tuple[Path, float | None]:
    directory = data / f"cohort-{patients}-seed-{seed}"
    if (directory / ".complete").exists():
        return directory, None
    shutil.rmtree(directory, ignore_errors=True)
    t0 = time.perf_counter()
    from bonemet.audit.synth import write_cohort

    write_cohort(directory, patients, seed, workers=workers)
    (directory / ".complete").write_text("ok")
    return directory, time.perf_counter() - t0


def _bonemet(*args: str) -> list[str]:
    return [sys.executable, "-c", "from bonemet.cli import main; main()", *args]


def one_size(args: argparse.Namespace, patients: int) -> dict[str, Any]:
    load_before = os.getloadavg()
    directory, generated = cohort(args.data, patients, args.seed, args.workers)
    size_mb = sum(p.stat().st_size for p in directory.glob("*.ndjson")) / 1e6
    measure([sys.executable, "-c", SCAN_AND_GROUP, str(directory)])  # warm-up: files into the page cache
    a = measure([sys.executable, "-c", SCAN_AND_GROUP, str(directory)])
    groups, resources, _ = a.pop("stdout").split()
    print(
        f"[{patients:,}] (a) DuckDB scan + group: {a['seconds']:.2f} s, peak {a['peak_tree_rss_mb']:.0f} MB"
    )
    with tempfile.TemporaryDirectory(prefix="bonemet-bench-", dir=args.scratch) as tmp:
        cmd = _bonemet("audit", str(directory), "-o", f"{tmp}/out", "--workers", str(args.workers))
        if args.memory:
            cmd += ["--memory", args.memory]
        b = measure(cmd)
        b.pop("stdout")
        summary = orjson.loads((Path(tmp) / "out" / "summary.json").read_bytes())
    ratio = b["seconds"] / a["seconds"]
    print(
        f"[{patients:,}] (b) full audit: {b['seconds']:.2f} s = {ratio:.2f} x (a); "
        f"peak {b['peak_tree_rss_mb']:.0f} MB; {patients / b['seconds']:,.0f} patients/s",
        flush=True,
    )
    result: dict[str, Any] = {
        "cohort": {
            "patients": patients,
            "seed": args.seed,
            "ndjson_mb": round(size_mb, 1),
            "patients_grouped": int(groups),
            "resources": int(resources),
            "generation_seconds": round(generated, 1) if generated else "cached",
        },
        "duckdb_scan_and_group": a,
        "full_audit": {**b, "patients_per_second": round(patients / b["seconds"], 1)},
        "ratio_full_over_scan": round(ratio, 2),
        "profile_seconds": summary["seconds"],
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    if args.spark:
        with tempfile.TemporaryDirectory(prefix="bonemet-bench-spark-", dir=args.scratch) as tmp:
            cmd = _bonemet("audit", str(directory), "-o", f"{tmp}/out", "--engine", "spark")
            cmd += ["--master", args.spark]
            c = measure(cmd)
            c.pop("stdout")
            s = orjson.loads((Path(tmp) / "out" / "summary.json").read_bytes())
        same = all(s[k] == summary[k] for k in ("patients", "indicators_table", "issues"))
        result["spark"] = {**c, "master": args.spark, "identical_to_duckdb": same}
        print(
            f"[{patients:,}] (c) Spark {args.spark}: {c['seconds']:.1f} s, "
            f"peak {c['peak_tree_rss_mb']:.0f} MB, identical: {same}",
            flush=True,
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory", default="", help="--memory for bonemet audit (default: its own)")
    parser.add_argument("--spark", default="", help="also run the Spark engine on this master")
    parser.add_argument("--data", type=Path, default=Path.home() / ".cache" / "bonemet-bench")
    parser.add_argument("--scratch", type=Path, default=None, help="where outputs are written")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "audit.json")
    parser.add_argument("--smallest", action="store_true",
                        help="40 patients in a temporary folder (test suite)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.smallest:
            args.sizes = "40"
            args.data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bonemet-bench-")))
        sizes = [int(s) for s in args.sizes.split(",")]
        runs = {str(n): one_size(args, n) for n in sizes}
    small, large = runs[str(min(sizes))], runs[str(max(sizes))]
    peak_ratio = large["full_audit"]["peak_tree_rss_mb"] / small["full_audit"]["peak_tree_rss_mb"]
    result = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "memory_gb": round(PAGE * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "load_average_after_largest_size": large["load_average_after"],
        },
        "command": " ".join(sys.argv),
        "smallest": args.smallest,
        "workers": args.workers,
        "sizes": runs,
        "peak_ratio_largest_over_smallest": round(peak_ratio, 2),
        "target_peak_ratio": 1.5,
        "peak_target_met": peak_ratio <= 1.5,
        "target_time_ratio": 2.0,
        "time_target_met": {n: r["ratio_full_over_scan"] <= 2.0 for n, r in runs.items()},
    }
    print(
        f"peak RSS of the audit's process tree, {max(sizes):,} / {min(sizes):,} patients: {peak_ratio:.2f} x"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
