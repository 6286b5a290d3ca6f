"""The DuckDB engine: the cohort in partitions of patients, so that memory depends on a partition's
size and not on the cohort's.

Phase 1 (this process, DuckDB, all threads) reads every line of every file as text once, file by file,
classifies it (`json_valid`; resource type and patient reference from one parse per line) and streams
it out as Arrow batches, which this process splits by a hash of the patient reference and appends to
one Arrow IPC file per partition (partition -1: lines that belong to no patient: malformed lines,
organisations, resources without a subject). A line's number is its position in its file
(`row_number() OVER ()`, a streaming window: the file is never held whole).

Phase 2 (worker processes, one DuckDB thread each) takes one bucket at a time (a partition file, or a
hash slice of one when there are more buckets than files): it sorts the bucket by patient, file and
line (a sort DuckDB spills to disk under its memory limit), runs the per-patient core on each run of
rows of one patient, and writes its rows to Parquet. Nothing per patient comes back to this process;
the aggregation reads the row files (bonemet.audit.report).

The memory budget (`--memory`) sets the bucket size and the DuckDB limits (`plan`); the number of
buckets follows the input's size.
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
import pyarrow as pa

from bonemet.audit.patient_audit import Rows, audit_patient, bad_line_reason, warm_up
from bonemet.audit.reader import MAX_LINE_BYTES, Inputs
from bonemet.errors import AuditInputError, Problem

MiB = 2**20
GiB = 2**30
PROCESS_BASE = 224 * MiB  # one Python process with bonemet, DuckDB and pyarrow loaded (measured ~200)
MIN_DUCKDB = 96 * MiB  # below this DuckDB's sorts and scans thrash
BUCKET_SHARE = 6  # a bucket's text is at most 1/6 of a worker's DuckDB limit (sort + strings + Python)
READ_SHARE = 12  # DuckDB's limit while reading and partitioning: 12 buckets' worth (384 MB by default)
MAX_BUCKET = 32 * MiB  # beyond this a bigger bucket saves little time and costs memory per worker
MIN_BUCKET = 4 * MiB
MAX_FILES = 256  # partition files written at once in phase 1 (open file handles); beyond, sub-buckets
ARROW_BATCH = 4096  # rows per Arrow batch read back from a sorted bucket
PARTITION_BATCH = 16384  # rows per Arrow batch split into partitions in phase 1


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
    buckets: int  # groups of patients processed one at a time
    files: int  # partition files written; each holds buckets // files (rounded up) buckets

    @property
    def per_file(self) -> int:
        return math.ceil(self.buckets / self.files)

    def describe(self) -> dict[str, Any]:
        return {
            "budget_mb": round(self.budget / MiB),
            "workers": self.workers,
            "reading_duckdb_limit_mb": round(self.phase1_duckdb / MiB),
            "worker_duckdb_limit_mb": round(self.worker_duckdb / MiB),
            "bucket_target_mb": round(self.bucket_bytes / MiB, 1),
            "buckets": self.buckets,
            "partition_files": self.files,
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
        raise AuditInputError(
            [
                Problem(
                    "--memory",
                    f"{budget // MiB} MB is too little for {workers} worker process(es): at least "
                    f"{math.ceil(least / MiB)} MB (or fewer --workers)",
                )
            ]
        )
    rest = budget - PROCESS_BASE * (workers + 1)
    share = rest // max(1, workers)
    bucket = max(MIN_BUCKET, min(MAX_BUCKET, share // BUCKET_SHARE))
    # DuckDB fills whatever limit it is given (measured: reading 958 MB peaked at 1.5 GB under a 2.4 GB
    # limit, at 0.7 GB under 512 MB, at the same speed), so the limits follow the bucket size, not the
    # budget: a bigger cohort then costs more buckets, not more memory.
    worker_duckdb = min(share, max(MIN_DUCKDB, BUCKET_SHARE * bucket))
    phase1 = min(rest, max(MIN_DUCKDB, READ_SHARE * bucket))
    # At least two buckets per worker so that both stay busy to the end; more when the data is large.
    least_buckets = 1 if workers <= 1 else 2 * workers
    buckets = max(least_buckets, math.ceil(total_bytes / bucket))
    files = min(buckets, MAX_FILES)
    return Plan(budget, workers, phase1, worker_duckdb, bucket, files * math.ceil(buckets / files), files)


def _sql_str(p: Path | str) -> str:
    return str(p).replace("'", "''")


def _lines_sql(i: int, path: Path, max_line: int = MAX_LINE_BYTES) -> str:
    """Every line of one file: file index, line number, text (NULL for a blank line). DuckDB's read
    buffers are sized from `max_line`, so it is the input check's bound, not the 64 MiB limit."""
    size = min(MAX_LINE_BYTES, max_line) + 4096
    return (
        f"SELECT {int(i)}::INTEGER AS f, (row_number() OVER ())::INTEGER AS line, j FROM "
        f"read_csv('{_sql_str(path)}', columns={{'j': 'VARCHAR'}}, header=false, delim=E'\\x1f', "
        f"quote='', escape='', auto_detect=false, max_line_size={size}, new_line='\\n')"
    )


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


_PART_SCHEMA = pa.schema(
    [
        ("f", pa.int32()),
        ("line", pa.int32()),
        ("j", pa.string()),
        ("rt", pa.string()),
        ("pid", pa.string()),
        ("s", pa.int32()),  # the sub-bucket within the partition file
    ]
)


def _classify_sql(i: int, path: Path, max_line: int, files: int, per_file: int) -> str:
    # One JSON parse per line for the four paths (a list-of-paths extract), only for valid JSON: a
    # malformed line gets rt NULL and goes to the rest (-1), where its reason is worked out.
    return f"""
        SELECT f, line, j, rt, pid, ((hash(pid) // {int(files)}) % {int(per_file)})::INTEGER AS s,
               CASE WHEN rt IS NOT NULL AND pid IS NOT NULL
                    THEN (hash(pid) % {int(files)})::INTEGER ELSE -1 END AS b
        FROM (
            SELECT f, line, j, x[1] AS rt,
                   CASE WHEN x[1] = 'Patient' THEN 'Patient/' || x[2] ELSE coalesce(x[3], x[4]) END AS pid
            FROM (
                SELECT f, line, j,
                       json_extract_string(CASE WHEN json_valid(j) THEN j END,
                           ['$.resourceType', '$.id', '$.subject.reference', '$.patient.reference']) AS x
                FROM ({_lines_sql(i, path, max_line)}) WHERE j IS NOT NULL
            )
        )"""


def part_path(parts: Path, b: int) -> Path:
    return parts / f"b={b}.arrow"


def partition(
    con: duckdb.DuckDBPyConnection, inputs: Inputs, parts: Path, files: int, per_file: int = 1
) -> Scan:
    """Phase 1: every line read once, classified and appended to its partition file (Arrow IPC);
    what is not a patient's resource is reported (from the rest, -1, small).

    DuckDB streams each file's classified lines as Arrow batches; this process splits each batch by
    partition and appends the pieces. (DuckDB's own `COPY … PARTITION_BY` was tried first: it holds
    a large file's rows in memory and fails under a bounded memory limit.)"""
    import pyarrow.compute as pc

    names = inputs.names
    parts.mkdir(parents=True, exist_ok=True)
    writers: dict[int, Any] = {}
    max_line: dict[int, int] = {}
    patients = 0
    try:
        for i, f in enumerate(inputs.files):
            sql = _classify_sql(i, f.path, f.max_line, files, per_file)
            for batch in con.sql(sql).to_arrow_reader(PARTITION_BATCH):
                if batch.num_rows == 0:
                    continue
                top = pc.max(batch.column("line")).as_py()
                max_line[i] = max(max_line.get(i, 0), top)
                patients += pc.sum(pc.equal(batch.column("rt"), "Patient")).as_py() or 0
                batch = batch.take(pc.sort_indices(batch.column("b")))
                counts = pc.value_counts(batch.column("b"))
                at = 0
                for b, n in zip(
                    counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
                ):
                    if b not in writers:
                        writers[b] = pa.ipc.new_file(str(part_path(parts, b)), _PART_SCHEMA)
                    piece = batch.slice(at, n)
                    writers[b].write_batch(
                        pa.record_batch([piece.column(k) for k in range(6)], schema=_PART_SCHEMA)
                    )
                    at += n
    finally:
        for w in writers.values():
            w.close()
    rows = Rows()
    orgs: dict[str, str] = {}
    rest = part_path(parts, -1)
    if rest.exists():
        con.register("rest_lines", _read_part(rest))
        for f, line, text in con.execute(
            "SELECT f, line, j FROM rest_lines WHERE rt IS NULL ORDER BY f, line"
        ).fetchall():
            rows.issues.append(("malformed", names[f], line, None, None, bad_line_reason(text)))
        for f, line, rt, rid in con.execute("""
            SELECT f, line, rt, json_extract_string(j, '$.id') FROM rest_lines
            WHERE rt <> 'Organization' ORDER BY f, line
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
            con.execute("""
            SELECT json_extract_string(j, '$.id'), coalesce(json_extract_string(j, '$.name'), '')
            FROM rest_lines WHERE rt = 'Organization'
        """).fetchall()
        )
        con.unregister("rest_lines")
    counts = {  # a blanked faulty line at the end still counts as a line of its file
        name: n for i, name in enumerate(names) if (n := max(max_line.get(i, 0), inputs.last_bad_line(name)))
    }
    return Scan(names, counts, orgs, patients, rows)


def _partition_child(conn: Any, inputs: Inputs, parts: Path, plan: Plan, spill: Path) -> None:
    try:
        con = connect(memory_limit=plan.phase1_duckdb, spill=spill)
        conn.send(("ok", partition(con, inputs, parts, plan.files, plan.per_file)))
        con.close()
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def partition_in_child(inputs: Inputs, parts: Path, plan: Plan, spill: Path) -> Scan:
    """Phase 1 in a short-lived process: what DuckDB's allocator keeps after the reading goes back to
    the system when it exits, instead of staying in this process for the rest of the run."""
    if os.name != "posix":  # pragma: no cover - fork is what keeps this cheap
        con = connect(memory_limit=plan.phase1_duckdb, spill=spill)
        try:
            return partition(con, inputs, parts, plan.files, plan.per_file)
        finally:
            con.close()
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_partition_child, args=(send, inputs, parts, plan, spill))
    child.start()
    send.close()
    try:
        status, value = receive.recv()
    except EOFError:
        status, value = "error", "the reading process ended without a result"
    except BaseException:  # interrupted (SIGTERM, Ctrl-C): the reading stops with the run
        child.terminate()
        child.join()
        raise
    child.join()
    if status != "ok":
        raise RuntimeError(f"reading the input failed: {value}")
    scan: Scan = value
    return scan


def _read_part(path: Path, part: int | None = None) -> Any:
    """A partition file as an Arrow table; with `part`, only that sub-bucket's rows (filtered batch by
    batch, so that memory holds one sub-bucket, not the file)."""
    import pyarrow.compute as pc

    with pa.OSFile(str(path), "rb") as source:
        reader = pa.ipc.open_file(source)
        if part is None:
            return reader.read_all()
        batches = []
        for k in range(reader.num_record_batches):
            batch = reader.get_batch(k)
            batches.append(batch.filter(pc.equal(batch.column("s"), part)))
        return pa.Table.from_batches(batches, schema=_PART_SCHEMA)


# --- phase 2: one bucket in a worker process ------------------------------------------------------


@dataclass
class BucketTask:
    bucket: Path  # a partition file of phase 1
    part: int  # which of its `parts` sub-buckets (patients with hash // files % parts == part)
    parts: int
    files: int
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
    con.register("bucket", _read_part(task.bucket, task.part if task.parts > 1 else None))
    reader = con.sql("SELECT pid, f, line, j FROM bucket ORDER BY pid, f, line").to_arrow_reader(ARROW_BATCH)
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
    del reader
    con.unregister("bucket")
    write_rows(rows, task.results, f"{task.bucket.stem}-{task.part}")
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
    warm_up()  # loaded once here and inherited, instead of once per worker on its first patient
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
        order = sorted(tasks, key=lambda t: -t.bucket.stat().st_size / t.parts)
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


def bucket_files(parts: Path) -> list[Path]:
    found = (p for p in parts.glob("b=*.arrow") if p.stem != "b=-1")
    return sorted(found, key=lambda p: int(p.stem[2:]))
