"""`bonemet audit DIR -o OUT`: the whole run, engine-agnostic after the per-patient step."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import jinja2

from bonemet import __version__
from bonemet.audit import engine as duck
from bonemet.audit.definitions import IndicatorDefs, default_definitions
from bonemet.audit.patient_audit import ISSUE_COLUMNS, Rows
from bonemet.audit.report import aggregate, atomic_directory, tables, write_outputs
from bonemet.fhir import default_valuesets
from bonemet.kb import default_kb

Engine = Literal["duckdb", "spark"]


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
    directory: Path,
    engine: str,
    scan: duck.Scan,
    rows: Rows,
    indicator_rows: list[dict[str, Any]],
    defs: IndicatorDefs,
    seconds: dict[str, float],
) -> dict[str, Any]:
    statuses = Counter(p[3] for p in rows.patients)
    in_scope = sum(1 for p in rows.patients if p[2] is True)
    out_scope = sorted(p[0] for p in rows.patients if p[2] is False)
    numerators: dict[str, list[str]] = {d.id: [] for d in defs.indicators}
    for m in rows.memberships:
        if m[5]:
            numerators[m[2]].append(m[0])
    issues = sorted(rows.issues, key=lambda i: (i[1] or "", i[2] or 0, i[0]))
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
            "total": len(rows.patients),
            "in_scope": in_scope,
            "out_of_scope": len(out_scope),
            "not_assessable": sum(v for k, v in statuses.items() if k != "ok"),
            "out_of_scope_ids": out_scope,
        },
        "organisations": scan.organisations,
        "definitions": [d.model_dump(mode="json") for d in defs.indicators],
        "indicators_table": indicator_rows,
        "numerator_patient_ids": {k: sorted(v) for k, v in numerators.items()},
        "issues": {
            "by_kind": dict(sorted(Counter(i[0] for i in rows.issues).items())),
            "first": [dict(zip(ISSUE_COLUMNS, i, strict=True)) for i in issues[:200]],
        },
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
    }


def run_audit(
    directory: Path,
    out: Path,
    engine: Engine = "duckdb",
    workers: int | None = None,
    progress: bool | None = None,
    spark_master: str = "local[*]",
    fail_after_writing: bool = False,
) -> dict[str, Any]:
    """Audit the NDJSON files of `directory` and write every output into `out` atomically.

    `fail_after_writing` is for the atomicity test: the run raises once the outputs are written
    into the temporary directory, as a crash before the final rename would."""
    defs = default_definitions()
    files = duck.input_files(directory)
    workers = workers or duck.default_workers()
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    con = duck.connect()
    if engine == "duckdb":
        pool = duck.worker_pool(workers)
        try:
            scan = duck.load(con, files)
            seconds["read"] = time.perf_counter() - t0
            with duck.progress_bar(scan.patients, "auditing", progress) as advance:
                rows = duck.run_patients(duck.grouped_batches(con), scan.files, pool, advance)
        finally:
            if pool is not None:
                pool.close()
                pool.join()
        con.execute("DROP TABLE IF EXISTS res")
        rows.issues[:0] = scan.rows.issues
    else:
        from bonemet.audit import spark_engine

        scan, rows = spark_engine.run(files, master=spark_master)
    seconds["group_and_patients"] = time.perf_counter() - t0 - seconds.get("read", 0.0)
    rows.patients.sort()
    rows.memberships.sort(key=lambda m: (m[2], m[0]))
    rows.issues.sort(key=lambda i: (i[1] or "", i[2] or 0, i[0], i[4] or ""))
    t1 = time.perf_counter()
    t = tables(rows)
    indicator_table = aggregate(con, t, defs, scan.organisations)
    indicator_rows = indicator_table.to_pylist()
    seconds["aggregate"] = time.perf_counter() - t1
    summary = summarise(directory, engine, scan, rows, indicator_rows, defs, seconds)
    with atomic_directory(out) as tmp:
        write_outputs(tmp, con, t, summary, indicator_table, defs, lambda s, c: render_html(s, c, defs))
        if fail_after_writing:
            raise RuntimeError("simulated failure before the final rename")
    con.close()
    summary["seconds"]["total"] = round(time.perf_counter() - t0, 3)
    return summary
