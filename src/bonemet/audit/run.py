"""`bonemet audit DIR -o OUT`: the whole run, engine-agnostic after the per-patient step."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import duckdb
import jinja2
import orjson

from bonemet._version import __version__
from bonemet.audit import engine as duck
from bonemet.audit.definitions import IndicatorDefs, default_definitions
from bonemet.audit.indicators import checked
from bonemet.audit.patient_audit import ISSUE_COLUMNS, Rows
from bonemet.audit.reader import InputChangedError, Inputs, changed_inputs, prepare
from bonemet.audit.report import (
    ORDER_BY,
    aggregate,
    atomic_directory,
    register_results,
    write_outputs,
    write_rows,
)
from bonemet.audit.scratch import make_scratch, remove_stale
from bonemet.errors import AuditInputError, Problem
from bonemet.fhir import default_valuesets
from bonemet.kb import default_kb

Engine = Literal["duckdb", "spark"]
MARKER = ".bonemet-audit"  # in every output directory: only such a directory is ever replaced


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def render_html(summary: dict[str, Any], charts: dict[str, str], defs: IndicatorDefs) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bonemet.audit", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    return env.get_template("audit_report.html").render(
        s=summary, charts=charts, defs={d.id: d for d in defs.indicators}, pct=_pct
    )


def summarise(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    engine: str,
    scan: duck.Scan,
    indicator_rows: list[dict[str, Any]],
    defs: IndicatorDefs,
    seconds: dict[str, Any],
) -> dict[str, Any]:
    """The JSON summary, computed by DuckDB from the row tables (never loaded whole into Python)."""

    def q(sql: str) -> list[tuple[Any, ...]]:
        return con.execute(sql).fetchall()

    statuses = dict(q("SELECT status, count(*) FROM patients GROUP BY status"))
    total, in_scope = q("SELECT count(*), count(*) FILTER (WHERE in_scope) FROM patients")[0]
    out_scope = [r[0] for r in q("SELECT patient_id FROM patients WHERE NOT in_scope ORDER BY patient_id")]
    numerators: dict[str, list[str]] = {d.id: [] for d in defs.indicators}
    for indicator, pid in q(
        "SELECT indicator, patient_id FROM memberships WHERE numerator ORDER BY indicator, patient_id"
    ):
        numerators[indicator].append(pid)
    by_kind = dict(q("SELECT kind, count(*) FROM issues GROUP BY kind ORDER BY kind"))
    # Records an indicator could not judge (issue 24), per indicator: the reason starts with its id.
    set_aside = {d.id: 0 for d in defs.indicators}
    for indicator, n in q("SELECT split_part(reason, ':', 1), count(*) FROM issues "
                          "WHERE kind = 'set_aside' GROUP BY 1 ORDER BY 1"):
        set_aside[indicator] = int(n)
    first = q(f"SELECT {', '.join(ISSUE_COLUMNS)} FROM issues ORDER BY {ORDER_BY['issues']} LIMIT 200")
    kb = default_kb()
    return {
        "engine": engine,
        "engine_version": __version__,
        "knowledge_base": kb.info.model_dump(mode="json"),
        "valuesets_version": default_valuesets().version,
        "indicator_definitions_version": defs.version,
        "confidence_interval": "Wilson score interval, 95%, no continuity correction",
        "input": {"directory": str(directory), "files": scan.lines_per_file},
        "patients": {
            "total": int(total),
            "in_scope": int(in_scope),
            "out_of_scope": len(out_scope),
            "not_assessable": sum(int(v) for k, v in statuses.items() if k != "ok"),
            "out_of_scope_ids": out_scope,
        },
        "organisations": scan.organisations,
        "definitions": [d.model_dump(mode="json") for d in defs.indicators],
        "indicators_table": indicator_rows,
        "numerator_patient_ids": numerators,
        "set_aside": set_aside,
        "issues": {
            "by_kind": {k: int(v) for k, v in by_kind.items()},
            "first": [dict(zip(ISSUE_COLUMNS, i, strict=True)) for i in first],
        },
        "seconds": seconds,
    }


def check_output(directory: Path, out: Path) -> None:
    """Refuse an output that would replace the input, or anything the audit did not write itself."""
    src, dst = directory.resolve(), out.resolve()
    if dst == src or dst in src.parents:
        raise AuditInputError(
            [Problem("--out", f"{out} is the input directory or contains it: it would be replaced")]
        )
    if not (dst.exists() or out.is_symlink()):
        return
    if not dst.is_dir():
        raise AuditInputError([Problem("--out", f"{out} exists and is not a directory")])
    if any(dst.iterdir()) and not (dst / MARKER).is_file():
        raise AuditInputError(
            [
                Problem(
                    "--out",
                    f"{out} is not empty and is not a previous audit output (no {MARKER} file): "
                    "refusing to replace it; give a new or empty directory",
                )
            ]
        )


@contextmanager
def work_directory(out: Path, parent: Path | None = None) -> Iterator[Path]:
    """Scratch space (partitions, sanitised copies, row parts, DuckDB spill files), removed at the end
    however the run ends (bonemet.audit.scratch: a killed run's is removed by the next run). Beside
    the output by default: the same disk, and never inside the input."""
    base = (parent or out.resolve().parent).resolve()
    base.mkdir(parents=True, exist_ok=True)
    remove_stale(base, out.resolve().name)
    work = make_scratch(base, out.resolve().name, "work")
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_audit(
    directory: Path,
    out: Path,
    engine: Engine = "duckdb",
    workers: int | None = None,
    progress: bool | None = None,
    spark_master: str = "local[*]",
    spark_conf: dict[str, str] | None = None,
    memory: int | None = None,
    fail_after_writing: bool = False,
    spark: Any = None,
) -> dict[str, Any]:
    """Audit the NDJSON files of `directory` and write every output into `out` atomically.

    `memory`: the budget in bytes (None: engine.default_budget()). `spark`: an existing Spark session.
    `fail_after_writing` is for the atomicity test: the run raises once the outputs are written
    into the temporary directory, as a crash before the final rename would."""
    defs = checked(default_definitions())  # every definition has its function, and back (issue 23)
    check_output(directory, out)
    workers = workers or duck.default_workers()
    seconds: dict[str, Any] = {}
    t0 = time.perf_counter()
    with work_directory(out) as work, _stable(prepare(directory, work)) as inputs:
        seconds["check_input"] = time.perf_counter() - t0
        results = work / "results"
        write_rows(Rows(issues=inputs.issues), results, "input")
        spill = work / "spill"
        if engine == "duckdb":
            the_plan = duck.plan(inputs.total_bytes, workers, memory)
            seconds["plan"] = the_plan.describe()
            t = time.perf_counter()
            scan = duck.partition_in_child(inputs, work / "parts", the_plan, spill)
            _refuse_changed(inputs)  # everything is read: the data must still be the export's
            # The workers fork after the reading: small (no DuckDB state, no phase-1 memory).
            pool = duck.worker_pool(workers)
            try:
                write_rows(scan.rows, results, "scan")
                seconds["read_and_partition"] = time.perf_counter() - t
                t = time.perf_counter()
                tasks = [
                    duck.BucketTask(
                        b,
                        k,
                        the_plan.per_file,
                        the_plan.files,
                        scan.files,
                        results,
                        the_plan.worker_duckdb,
                        spill,
                    )
                    for b in duck.bucket_files(work / "parts")
                    for k in range(the_plan.per_file)
                ]
                with duck.progress_bar(scan.patients, "auditing", progress) as advance:
                    seconds["workers_cpu"] = duck.run_buckets(tasks, pool, advance)
                seconds["group_and_patients"] = time.perf_counter() - t
            except BaseException:
                if pool is not None:  # failed or interrupted: queued buckets are not worth waiting for
                    pool.terminate()
                raise
            finally:
                if pool is not None:
                    pool.close()
                    pool.join()
            shutil.rmtree(work / "parts", ignore_errors=True)
        else:
            from bonemet.audit import spark_engine

            t = time.perf_counter()
            scan, rows = spark_engine.run(inputs, master=spark_master, spark=spark, conf=spark_conf)
            _refuse_changed(inputs)  # everything is read: the data must still be the export's
            write_rows(rows, results, "spark")
            seconds["spark"] = time.perf_counter() - t
        t = time.perf_counter()
        # The row tables are small beside the input; DuckDB spills its sorts beyond this limit.
        limit = min(memory or duck.default_budget(), max(duck.MIN_DUCKDB, duck.READ_SHARE * duck.MAX_BUCKET))
        con = duck.connect(memory_limit=limit, spill=spill)
        register_results(con, results)
        indicator_table = aggregate(con, defs, scan.organisations)
        indicator_rows = indicator_table.to_pylist()
        seconds["aggregate"] = time.perf_counter() - t
        _round(seconds)
        summary = summarise(con, directory, engine, scan, indicator_rows, defs, seconds)
        t = time.perf_counter()
        with atomic_directory(out) as tmp:
            write_outputs(tmp, con, summary, indicator_table, defs, lambda s, c: render_html(s, c, defs))
            (tmp / MARKER).write_text(
                orjson.dumps({"written_by": "bonemet audit", "version": __version__}).decode() + "\n"
            )
            if fail_after_writing:
                raise RuntimeError("simulated failure before the final rename")
        con.close()
    seconds["write_outputs"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    _round(seconds)
    return summary


def _refuse_changed(inputs: Inputs) -> None:
    problems = changed_inputs(inputs)
    if problems:
        raise InputChangedError(problems)


@contextmanager
def _stable(inputs: Inputs) -> Iterator[Inputs]:
    """A failure while the inputs are read is first blamed on an input that changed (deleted,
    truncated, rewritten): that is said plainly, not as the reader's traceback."""
    try:
        yield inputs
    except Exception:
        _refuse_changed(inputs)
        raise


def _round(seconds: dict[str, Any]) -> None:
    for k, v in seconds.items():
        if isinstance(v, float):
            seconds[k] = round(v, 3)
        elif k == "workers_cpu":
            seconds[k] = {s: round(x, 3) for s, x in sorted(v.items())}
