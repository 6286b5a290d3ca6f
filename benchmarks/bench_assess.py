"""Core `assess` per case, validation included: median and p99 over the example cases.

    .venv/bin/python benchmarks/bench_assess.py [--rounds N] [--out benchmarks/results/assess.json]

`--smallest`: one round per case (the test suite's run; figures meaningless).

Each timed call parses the decoded document into a Case (pydantic validation) and assesses it,
which is the work an adapter does per request once the bytes are decoded.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import orjson

from bonemet.api import assess, decode, parse_case
from bonemet.kb import default_kb

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "assess.json")
    parser.add_argument("--smallest", action="store_true", help="one round per case (test suite)")
    args = parser.parse_args()
    if args.smallest:
        args.rounds = 1
    kb = default_kb()
    docs = {p.stem: decode(p.read_bytes(), "yaml") for p in sorted((ROOT / "examples").glob("*.yaml"))}
    for doc in docs.values():  # warm-up: imports, caches
        assess(parse_case(doc), kb)
    samples: list[float] = []
    per_case: dict[str, float] = {}
    for name, doc in docs.items():
        times = []
        for _ in range(args.rounds):
            t0 = time.perf_counter_ns()
            assess(parse_case(doc), kb)
            times.append((time.perf_counter_ns() - t0) / 1000)
        per_case[name] = statistics.median(times)
        samples += times
    samples.sort()
    p99_index = max(0, int(len(samples) * 0.99) - 1)
    result = {
        "benchmark": "core assess (validation included)",
        "command": "python benchmarks/bench_assess.py",
        "python": sys.version.split()[0], "machine": platform.machine(),
        "cases": len(docs), "rounds_per_case": args.rounds, "smallest": args.smallest,
        "median_us": round(statistics.median(samples), 1),
        "p99_us": round(samples[p99_index], 1),
        "max_us": round(samples[-1], 1),
        "median_us_per_case": {k: round(v, 1) for k, v in per_case.items()},
        "targets": {"median_us": 200, "p99_us": 1000},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(f"median {result['median_us']} µs   p99 {result['p99_us']} µs   "
          f"(target ≤ 200 / ≤ 1000)   n={len(samples)}   → {args.out}")


if __name__ == "__main__":
    main()
