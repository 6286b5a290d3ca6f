"""The DuckDB engine: the cohort in partitions of patients, so that memory depends on a partition's
size and not on the cohort's.

Phase 1 (this process, DuckDB, all threads) reads every line of every file as text once, classifies it
(`json_valid`; resource type and patient reference from one parse per line) and writes it to
Parquet partitioned by a hash of the patient reference into N buckets (bucket -1: lines that belong to
no patient: malformed lines, organisations, resources without a subject). A line's number is its
position in its file (`row_number() OVER ()`, a streaming window: the file is never held whole).

Phase 2 (worker processes, one DuckDB thread each) takes one bucket at a time: it sorts the bucket by
patient, file and line (a sort DuckDB spills to disk under its memory limit), runs the per-patient core
on each run of rows of one patient, and writes its rows to Parquet. Nothing per patient comes back to
this process; the aggregation reads the row files (bonemet.audit.report).

N is set from the memory budget (`--memory`): each worker's DuckDB gets a share of it and a bucket
holds at most a fraction of that share of text.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from bonemet.api import InputError, Problem
from bonemet.audit.patient_audit import Rows, audit_patient, bad_line_reason
from bonemet.audit.reader import MAX_LINE_BYTES, Inputs

MiB = 2**20
GiB = 2**30
PROCESS_BASE = 224 * MiB  # one Python process with bonemet, DuckDB and pyarrow loaded (measured ~200)
MIN_DUCKDB = 96 * MiB  # below this DuckDB's sorts and scans thrash
BUCKET_SHARE = 6  # a bucket's text is at most 1/6 of a worker's DuckDB limit (sort + strings + Python)
MAX_BUCKET = 128 * MiB
MIN_BUCKET = 4 * MiB
ARROW_BATCH = 4096  # rows per Arrow batch read back from a sorted bucket


@dataclass
class Scan:
    """What the reading step found before the per-patient work."""

    files: list[str]
    lines_per_file: dict[str, int]
    organisations: dict[str, str]
    patients: int
    rows: Rows  # malformed lines and resources without a patient, already as issue rows


@dataclass(frozen=True)
class Plan:
    """How the memory budget is spent (bytes)."""

    budget: int
    workers: int
    phase1_duckdb: int  # DuckDB's limit while reading (the workers are idle then)
    worker_duckdb: int  # each worker's DuckDB limit while grouping
    bucket_bytes: int
    buckets: int

    def describe(self) -> dict[str, Any]:
        return {
            "budget_mb": round(self.budget / MiB),
            "workers": self.workers,
            "reading_duckdb_limit_mb": round(self.phase1_duckdb / MiB),
            "worker_duckdb_limit_mb": round(self.worker_duckdb / MiB),
            "bucket_target_mb": round(self.bucket_bytes / MiB, 1),
            "buckets": self.buckets,
        }


def machine_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 4 * GiB


def default_budget() -> int:
    """An eighth of the machine's memory, between 1 and 8 GiB: the audit shares the machine."""
    return max(GiB, min(8 * GiB, machine_memory() // 8))


def minimum_budget(workers: int) -> int:
    return PROCESS_BASE * (workers + 1) + MIN_DUCKDB * max(1, workers)


def plan(total_bytes: int, workers: int, budget: int | None = None) -> Plan:
    budget = budget or default_budget()
    least = minimum_budget(workers)
    if budget < least:
        raise InputError(
            [
                Problem(
                    "--memory",
                    f"{budget // MiB} MB is too little for {workers} worker process(es): at least "
                    f"{math.ceil(least / MiB)} MB (or fewer --workers)",
                )
            ]
        )
    rest = budget - PROCESS_BASE * (workers + 1)
    worker_duckdb = rest // max(1, workers)
    bucket = max(MIN_BUCKET, min(MAX_BUCKET, worker_duckdb // BUCKET_SHARE))
    # At least two buckets per worker so that both stay busy to the end; more when the data is large.
    least_buckets = 1 if workers <= 1 else 2 * workers
    buckets = max(least_buckets, math.ceil(total_bytes / bucket))
    return Plan(budget, workers, rest, worker_duckdb, bucket, buckets)


def _sql_str(p: Path | str) -> str:
    return str(p).replace("'", "''")


def _lines_sql(paths: list[Path]) -> str:
    """Every line of every file: file index, line number, text (NULL for a blank line)."""
    reader = (
        "read_csv('{path}', columns={{'j': 'VARCHAR'}}, header=false, delim=E'\\x1f', quote='', "
        f"escape='', auto_detect=false, max_line_size={MAX_LINE_BYTES + 4096}, new_line='\\n')"
    )
    parts = [
        f"SELECT {i}::INTEGER AS f, (row_number() OVER ())::INTEGER AS line, j FROM "
        + reader.format(path=_sql_str(p))
        for i, p in enumerate(paths)
    ]
    return "\nUNION ALL\n".join(parts)


def connect(
    threads: int | None = None, memory_limit: int | None = None, spill: Path | None = None
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"preserve_insertion_order": True})
    con.execute("SET enable_progress_bar = false")  # bonemet draws its own (TTY only)
    if threads:
        con.execute(f"SET threads={int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit='{int(memory_limit // MiB)}MB'")
    if spill:
        con.execute(f"SET temp_directory='{_sql_str(spill)}'")
    return con


def partition(con: duckdb.DuckDBPyConnection, inputs: Inputs, parts: Path, buckets: int) -> Scan:
    """Phase 1: every line read once, classified and written to its bucket; what is not a patient's
    resource is reported (from bucket -1, small)."""
    names = inputs.names
    # One JSON parse per line for the four paths (a list-of-paths extract); `v` is NULL when the line
    # is not valid JSON, so such a line is never parsed further and lands in bucket -1 with rt NULL.
    con.execute(f"""
        COPY (
            SELECT f, line, j, rt, pid,
                   CASE WHEN rt IS NOT NULL AND pid IS NOT NULL
                        THEN (hash(pid) % {int(buckets)})::INTEGER ELSE -1 END AS b
            FROM (
                SELECT f, line, j, x[1] AS rt,
                       CASE WHEN x[1] = 'Patient' THEN 'Patient/' || x[2]
                            ELSE coalesce(x[3], x[4]) END AS pid
                FROM (
                    SELECT f, line, j,
                           json_extract_string(CASE WHEN json_valid(j) THEN j END,
                               ['$.resourceType', '$.id', '$.subject.reference', '$.patient.reference']) AS x
                    FROM ({_lines_sql([f.path for f in inputs.files])}) WHERE j IS NOT NULL
                )
            )
        ) TO '{_sql_str(parts)}' (FORMAT parquet, PARTITION_BY (b), COMPRESSION lz4_raw,
                                  ROW_GROUP_SIZE 16384)
    """)
    rows = Rows()
    rest = parts / "b=-1"
    if rest.exists():
        src = f"read_parquet('{_sql_str(rest)}/*.parquet', hive_partitioning=false)"
        for f, line, text in con.execute(
            f"SELECT f, line, j FROM {src} WHERE rt IS NULL ORDER BY f, line"
        ).fetchall():
            rows.issues.append(("malformed", names[f], line, None, None, bad_line_reason(text)))
        for f, line, rt, rid in con.execute(f"""
            SELECT f, line, rt, json_extract_string(j, '$.id') FROM {src}
            WHERE rt IS NOT NULL AND rt <> 'Organization' ORDER BY f, line
        """).fetchall():
            rows.issues.append(
                (
                    "orphan",
                    names[f],
                    line,
                    None,
                    f"{rt}/{rid}",
                    "no subject/patient reference: not attributable to a patient",
                )
            )
        orgs = dict(
            con.execute(f"""
            SELECT json_extract_string(j, '$.id'), coalesce(json_extract_string(j, '$.name'), '')
            FROM {src} WHERE rt = 'Organization'
        """).fetchall()
        )
    else:
        orgs = {}
    every = f"read_parquet('{_sql_str(parts)}/*/*.parquet', hive_partitioning=false)"
    found = dict(con.execute(f"SELECT f, max(line) FROM {every} GROUP BY f").fetchall())
    counts = {  # a blanked faulty line at the end still counts as a line of its file
        name: n
        for i, name in enumerate(names)
        if (n := max(int(found.get(i, 0)), inputs.last_bad_line(name)))
    }
    patients = con.execute(
        f"SELECT count(DISTINCT pid) FROM {every} WHERE rt IS NOT NULL AND pid IS NOT NULL"
    ).fetchall()[0][0]
    return Scan(names, counts, orgs, int(patients), rows)


# --- phase 2: one bucket in a worker process ------------------------------------------------------


@dataclass
class BucketTask:
    bucket: Path
    names: list[str]
    results: Path  # directory with memberships/, patients/, issues/
    duckdb_limit: int
    spill: Path


@dataclass
class BucketStats:
    patients: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


_CON: dict[str, duckdb.DuckDBPyConnection] = {}


def _worker_connection(task: BucketTask) -> duckdb.DuckDBPyConnection:
    if "con" not in _CON:  # one per worker process, reused for every bucket it takes
        _CON["con"] = connect(threads=1, memory_limit=task.duckdb_limit, spill=task.spill)
    return _CON["con"]


def audit_bucket(task: BucketTask) -> BucketStats:
    """Sort one bucket by patient, run the per-patient core on each patient, write the rows."""
    from bonemet.audit.report import write_rows

    stats = BucketStats()
    clock = stats.seconds
    t0 = time.perf_counter()
    con = _worker_connection(task)
    reader = con.sql(
        f"SELECT pid, f, line, j FROM read_parquet('{_sql_str(task.bucket)}/*.parquet', "
        "hive_partitioning=false) ORDER BY pid, f, line"
    ).to_arrow_reader(ARROW_BATCH)
    names = task.names
    rows = Rows()
    current: str | None = None
    files: list[str] = []
    lines: list[int] = []
    docs: list[str] = []
    t_group = t_convert = 0.0
    t1 = time.perf_counter()
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        t2 = time.perf_counter()
        t_group += t2 - t1
        pids = batch.column(0).to_pylist()
        fs = batch.column(1).to_pylist()
        ls = batch.column(2).to_pylist()
        js = batch.column(3).to_pylist()
        t_convert += time.perf_counter() - t2
        for pid, f, line, j in zip(pids, fs, ls, js, strict=True):
            if pid != current:
                if current is not None:
                    audit_patient(current, files, lines, docs, rows, clock)
                    stats.patients += 1
                current, files, lines, docs = pid, [], [], []
            files.append(names[f])
            lines.append(line)
            docs.append(j)
        t1 = time.perf_counter()
    if current is not None:
        audit_patient(current, files, lines, docs, rows, clock)
        stats.patients += 1
    t3 = time.perf_counter()
    write_rows(rows, task.results, task.bucket.name)
    clock["read_and_sort"] = t_group
    clock["arrow_to_python"] = t_convert
    clock["write_rows"] = time.perf_counter() - t3
    clock["bucket_total"] = time.perf_counter() - t0
    return stats


def _worker_init() -> None:
    import gc

    gc.freeze()  # the knowledge base and modules stay out of the cyclic GC's way


def worker_pool(workers: int) -> Any:
    """Worker processes for phase 2, or None for in-process work. Created before any DuckDB database
    is opened in this process, so that forked workers start small and hold no DuckDB state."""
    if workers <= 1:
        return None
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    return ctx.Pool(workers, initializer=_worker_init, maxtasksperchild=None)


def run_buckets(
    tasks: list[BucketTask], pool: Any, advance: Callable[[int], None] | None = None
) -> dict[str, float]:
    """Phase 2 over every bucket; returns the workers' time per stage, summed (CPU-bound seconds)."""
    total: dict[str, float] = {}

    def add(stats: BucketStats) -> None:
        for k, v in stats.seconds.items():
            total[k] = total.get(k, 0.0) + v
        if advance:
            advance(stats.patients)

    if pool is None:
        for task in tasks:
            add(audit_bucket(task))
        _CON.pop("con", None)
    else:
        # Largest buckets first, so that the last ones to finish are small.
        order = sorted(tasks, key=lambda t: -sum(p.stat().st_size for p in t.bucket.glob("*.parquet")))
        for stats in pool.imap_unordered(audit_bucket, order, chunksize=1):
            add(stats)
    return total


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def progress_bar(total: int, label: str, enabled: bool | None = None) -> Any:
    """A Rich progress bar with rate and ETA on a terminal; a no-op otherwise."""
    from contextlib import nullcontext

    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return nullcontext(lambda n: None)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    class _Bar:
        def __enter__(self) -> Callable[[int], None]:
            self.p = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.p.__enter__()
            self.task = self.p.add_task(label, total=total, rate="")
            self.t0 = time.perf_counter()
            self.done = 0
            return self.advance

        def advance(self, n: int) -> None:
            self.done += n
            rate = self.done / max(time.perf_counter() - self.t0, 1e-9)
            self.p.update(self.task, advance=n, rate=f"{rate:,.0f} patients/s")

        def __exit__(self, *exc: object) -> None:
            self.p.__exit__(None, None, None)

    return _Bar()


def bucket_dirs(parts: Path) -> list[Path]:
    return sorted((p for p in parts.glob("b=*") if p.name != "b=-1"), key=lambda p: int(p.name[2:]))
