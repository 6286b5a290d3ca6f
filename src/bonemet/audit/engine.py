"""The audit run: read FHIR bulk NDJSON, group per patient, run the per-patient core, write the outputs.

DuckDB (embedded, default) reads every line of every file as text, so no schema is inferred from a
sample and a malformed line cannot stop the scan: `json_valid` flags it, with its file and line
number (row order within a file is preserved, `row_number() OVER ()` is the line number). Resource
type and patient reference come from `json_extract_string`. The per-patient core runs in worker
processes; rows come back to DuckDB for the aggregation (bonemet.audit.report).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from bonemet.api import InputError, Problem
from bonemet.audit.patient_audit import Rows, audit_batch, bad_line_reason
from bonemet.audit.synth import GROUND_TRUTH

BATCH_ROWS = 512  # patients per batch handed to a worker


@dataclass
class Scan:
    """What the reading step found before the per-patient work."""

    files: list[str]
    lines_per_file: dict[str, int]
    organisations: dict[str, str]
    patients: int
    rows: Rows  # malformed lines and resources without a patient, already as issue rows


def input_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise InputError([Problem("DIR", f"{directory} is not a directory")])
    files = sorted(p for p in directory.glob("*.ndjson") if p.name != GROUND_TRUTH)
    if not files:
        raise InputError([Problem("DIR", f"no *.ndjson file in {directory} (FHIR bulk data export)")])
    return files


def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")


def _lines_sql(files: list[Path]) -> str:
    """Every line of every file: file index, line number, text (NULL for a blank line)."""
    reader = (
        "read_csv('{path}', columns={{'j': 'VARCHAR'}}, header=false, delim=E'\\x1f', quote='', "
        "escape='', auto_detect=false, max_line_size=67108864, new_line='\\n')"
    )
    parts = [
        f"SELECT {i}::INTEGER AS f, (row_number() OVER ())::INTEGER AS line, j FROM "
        + reader.format(path=_sql_path(p))
        for i, p in enumerate(files)
    ]
    return "\nUNION ALL\n".join(parts)


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"preserve_insertion_order": True})
    con.execute("SET enable_progress_bar = false")  # bonemet draws its own (TTY only)
    if threads:
        con.execute(f"SET threads={int(threads)}")
    return con


def load(con: duckdb.DuckDBPyConnection, files: list[Path]) -> Scan:
    """Read and classify every line into the table `res`; report what is not a patient's resource."""
    names = [p.name for p in files]
    # One materialised table: each line's text once, with its type and patient key (rt is NULL when the
    # line is not a FHIR resource: malformed JSON, or JSON without resourceType).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE res AS
        SELECT f, line, j, json_extract_string(v, '$.resourceType') AS rt,
               CASE WHEN json_extract_string(v, '$.resourceType') = 'Patient'
                    THEN 'Patient/' || json_extract_string(v, '$.id')
                    ELSE coalesce(json_extract_string(v, '$.subject.reference'),
                                  json_extract_string(v, '$.patient.reference')) END AS pid
        FROM (SELECT f, line, j, CASE WHEN json_valid(j) THEN j END AS v  -- NULL: never parsed
              FROM ({_lines_sql(files)}) WHERE j IS NOT NULL)
    """)
    rows = Rows()
    bad = con.execute("SELECT f, line, j FROM res WHERE rt IS NULL ORDER BY f, line").fetchall()
    for f, line, text in bad:
        rows.issues.append(("malformed", names[f], line, None, None, bad_line_reason(text)))
    orphans = con.execute("""
        SELECT f, line, rt, json_extract_string(j, '$.id') FROM res
        WHERE rt IS NOT NULL AND pid IS NULL AND rt <> 'Organization' ORDER BY f, line
    """).fetchall()
    for f, line, rt, rid in orphans:
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
        FROM res WHERE rt = 'Organization'
    """).fetchall()
    )
    counts = dict(con.execute("SELECT f, max(line) FROM res GROUP BY f").fetchall())
    patients = con.execute(
        "SELECT count(DISTINCT pid) FROM res WHERE rt IS NOT NULL AND pid IS NOT NULL"
    ).fetchall()[0][0]
    return Scan(names, {names[f]: int(n) for f, n in counts.items()}, orgs, int(patients), rows)


GROUPED_SQL = """
    SELECT pid, list(f ORDER BY f, line) AS files, list(line ORDER BY f, line) AS lines,
           list(j ORDER BY f, line) AS docs
    FROM res WHERE rt IS NOT NULL AND pid IS NOT NULL GROUP BY pid ORDER BY pid
"""


def grouped_batches(con: duckdb.DuckDBPyConnection, batch_rows: int = BATCH_ROWS) -> Iterator[Any]:
    reader = con.sql(GROUPED_SQL).to_arrow_reader(batch_rows)
    yield from reader


def _worker_init() -> None:
    import gc

    gc.freeze()  # the knowledge base and modules stay out of the cyclic GC's way


def _audit_batch(task: tuple[Any, list[str]]) -> Rows:
    return audit_batch(*task)


def worker_pool(workers: int) -> Any:
    """Worker processes for the per-patient core, or None for in-process work. Created before the data
    is loaded, so that forked workers start small (they never see DuckDB's memory)."""
    if workers <= 1:
        return None
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    return ctx.Pool(workers, initializer=_worker_init)


def run_patients(
    batches: Iterator[Any], files: list[str], pool: Any, advance: Callable[[int], None] | None = None
) -> Rows:
    """The per-patient core over all batches, in the pool's processes (None: in this process)."""
    rows = Rows()
    if pool is None:
        for batch in batches:
            rows.extend(audit_batch(batch, files))
            if advance:
                advance(batch.num_rows)
        return rows
    for part in pool.imap(_audit_batch, ((batch, files) for batch in batches), chunksize=1):
        rows.extend(part)
        if advance:
            advance(len(part.patients))
    return rows


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
