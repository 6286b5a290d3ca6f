"""The audit log of patient data (issue 22, item 6): writing rows that name their case, and
answering "who viewed patient X" on a large log.

    .venv/bin/python benchmarks/bench_audit_log.py [--rows 1000000] [--cases 20000]
        [--queries 2000] [--out benchmarks/results/audit-log.json]

In a fresh store (a temporary file), the script:

(a) queues `--rows` audit entries through `Store.audit` (one case each, 50 users, `--cases` case
    ids) and times until the writer thread has committed them all: rows per second written;
(b) queues 1,000 calls that each show a board session of 20 cases (one row per case, the cases
    read by the writer in its transaction): calls and rows per second;
(c) asks `audit_rows(200, case_id=X)` for `--queries` random case ids, then
    `audit_rows(200, user=U)` and a case-and-user question: milliseconds per question, p50 / p99.

Target: (c) p99 under 5 ms at a million rows (an index lookup, not a scan).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bonemet.model.board import AddCase, SessionIn  # noqa: E402
from bonemet.stores.board_store import BoardStore  # noqa: E402
from bonemet.stores.store import AuditEntry, Store  # noqa: E402


def _drain(store: Store) -> None:
    while store._pending:  # the writer thread empties the queue batch by batch
        time.sleep(0.005)
    store.flush_audit()


def _timed(ask: Any, n: int) -> dict[str, float]:
    times = []
    for i in range(n):
        start = time.perf_counter()
        ask(i)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 3),
            "p99_ms": round(times[int(0.99 * (len(times) - 1))], 3), "n": n}


def run(rows: int, cases: int, queries: int) -> dict[str, Any]:
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite3")
        started = time.perf_counter()
        for n in range(rows):
            store.audit(AuditEntry("GET", "/cases/{case_id}", 200, 1.0, user=f"user-{n % 50}",
                                   case_ids=(f"case-{rng.randrange(cases)}",)))
        _drain(store)
        write_s = time.perf_counter() - started

        board = BoardStore(store)
        sid = board.create(SessionIn(meeting_date="2026-12-04", site="CHU", attendees=["A"]), "x")
        from bonemet.api import load_case
        from bonemet.demo import demo_cases

        demo_ids = [load_case(p).case_id for p in demo_cases()][:20]  # a board of 20 patients
        for case_id in demo_ids:
            board.add_case(sid, AddCase(case_id=case_id), "x")
        started = time.perf_counter()
        for _ in range(1000):
            store.audit(AuditEntry("GET", "/sessions/{session_id}/summary.pdf", 200, 1.0,
                                   user="user-1", session_id=sid))
        _drain(store)
        session_s = time.perf_counter() - started

        by_case = _timed(lambda i: store.audit_rows(200, case_id=f"case-{rng.randrange(cases)}"),
                         queries)
        by_user = _timed(lambda i: store.audit_rows(200, user=f"user-{i % 50}"), min(queries, 500))
        both = _timed(lambda i: store.audit_rows(200, case_id=f"case-{rng.randrange(cases)}",
                                                 user=f"user-{i % 50}"), queries)
        total = store.execute("SELECT COUNT(*) FROM audit")[0][0]
        size_mb = (Path(tmp) / "bench.sqlite3").stat().st_size / 1e6
        store.close()
    return {
        "rows": rows, "cases": cases, "total_rows": total, "file_mb": round(size_mb, 1),
        "write_rows_per_s": round(rows / write_s),
        "session_calls_per_s": round(1000 / session_s),
        "session_rows_per_s": round(1000 * len(demo_ids) / session_s),
        "session_cases": len(demo_ids),
        "who_viewed_case": by_case, "what_user_opened": by_user, "case_and_user": both,
        "python": platform.python_version(), "machine": platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "audit-log.json")
    parser.add_argument("--smallest", action="store_true",
                        help="every step once at a tiny size (benchmarks/README.md); figures mean nothing")
    args = parser.parse_args()
    if args.smallest:
        args.rows, args.cases, args.queries = 2_000, 100, 50
    if args.rows < 1 or args.cases < 1 or args.queries < 1:
        parser.error("--rows, --cases and --queries must be at least 1")
    result = {**run(args.rows, args.cases, args.queries), "smallest": args.smallest}
    print(f"audit rows written: {result['write_rows_per_s']:,}/s ({args.rows:,} rows, "
          f"{result['file_mb']} MB)")
    print(f"session PDF calls ({result['session_cases']} cases each): "
          f"{result['session_calls_per_s']:,}/s = {result['session_rows_per_s']:,} rows/s")
    for name in ("who_viewed_case", "what_user_opened", "case_and_user"):
        r = result[name]
        print(f"{name}: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms ({r['n']} questions)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
