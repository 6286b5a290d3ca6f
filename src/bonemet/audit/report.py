"""Aggregation in DuckDB (rates, Wilson 95% intervals, by year and by site) and the written outputs:
Parquet and CSV tables, a JSON summary and an HTML report with charts, all written atomically."""

from __future__ import annotations

import io
import math
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from bonemet.audit.definitions import IndicatorDefs
from bonemet.audit.patient_audit import ISSUE_COLUMNS, MEMBERSHIP_COLUMNS, PATIENT_COLUMNS, Rows
from bonemet.audit.scratch import make_scratch

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson(numerator: int, denominator: int, z: float = Z95) -> tuple[float | None, float | None]:
    """Wilson score interval (no continuity correction); (None, None) for an empty denominator."""
    if denominator <= 0:
        return None, None
    p = numerator / denominator
    z2 = z * z
    centre = (p + z2 / (2 * denominator)) / (1 + z2 / denominator)
    half = (
        z
        * math.sqrt(p * (1 - p) / denominator + z2 / (4 * denominator * denominator))
        / (1 + z2 / denominator)
    )
    # Clamped so that rounding never puts the bound on the wrong side of p (p = 0 or 1 exactly).
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


_TYPES = {
    "patient_id": pa.string(),
    "site": pa.string(),
    "indicator": pa.string(),
    "rule_ids": pa.string(),
    "denominator": pa.bool_(),
    "numerator": pa.bool_(),
    "index_date": pa.date32(),
    "year": pa.int32(),
    "exam_ids": pa.string(),
    "in_scope": pa.bool_(),
    "status": pa.string(),
    "primary_site": pa.string(),
    "resources": pa.int32(),
    "kind": pa.string(),
    "file": pa.string(),
    "line": pa.int64(),
    "resource": pa.string(),
    "reason": pa.string(),
}


def _table(rows: list[tuple[Any, ...]], columns: tuple[str, ...]) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pa.table({c: pa.array(list(v), type=_TYPES[c]) for c, v in zip(columns, cols, strict=True)})


def tables(rows: Rows) -> dict[str, pa.Table]:
    return {
        "memberships": _table(rows.memberships, MEMBERSHIP_COLUMNS),
        "patients": _table(rows.patients, PATIENT_COLUMNS),
        "issues": _table(rows.issues, ISSUE_COLUMNS),
    }


KINDS = {"memberships": MEMBERSHIP_COLUMNS, "patients": PATIENT_COLUMNS, "issues": ISSUE_COLUMNS}

# The one order of each output table, whichever engine and however many partitions produced the rows.
ORDER_BY = {
    "memberships": "indicator, patient_id",
    "patients": "patient_id",
    "issues": "coalesce(file, ''), coalesce(line, 0), kind, coalesce(resource, ''), reason, "
    "coalesce(patient_id, '')",
}


def write_rows(rows: Rows, results: Path, part: str) -> None:
    """One part of the row tables (a bucket's, the reading step's) as Parquet under `results`."""
    import pyarrow.parquet as pq

    for kind, table in tables(rows).items():
        (results / kind).mkdir(parents=True, exist_ok=True)
        pq.write_table(table, results / kind / f"{part}.parquet", compression="lz4")


def register_results(con: duckdb.DuckDBPyConnection, results: Path) -> None:
    """Views `memberships`, `patients`, `issues` over every part written by write_rows."""
    for kind in KINDS:
        glob = str(results / kind / "*.parquet").replace("'", "''")
        con.execute(f"CREATE OR REPLACE VIEW {kind} AS SELECT * FROM read_parquet('{glob}')")


def aggregate(con: duckdb.DuckDBPyConnection, defs: IndicatorDefs, organisations: dict[str, str]) -> pa.Table:
    """Numerator, denominator, rate and Wilson 95% CI per indicator: overall, by year, by site."""
    order = {d.id: i for i, d in enumerate(defs.indicators)}
    got = con.execute("""
        SELECT indicator, 'all' AS breakdown, 'all' AS key, count(*) AS denominator,
               count(*) FILTER (WHERE numerator) AS numerator FROM memberships GROUP BY indicator
        UNION ALL
        SELECT indicator, 'year', coalesce(CAST(year AS VARCHAR), 'unknown'), count(*),
               count(*) FILTER (WHERE numerator) FROM memberships GROUP BY indicator, year
        UNION ALL
        SELECT indicator, 'site', coalesce(site, 'unknown'), count(*),
               count(*) FILTER (WHERE numerator) FROM memberships GROUP BY indicator, site
    """).fetchall()
    present = {(r[0], r[1]) for r in got}
    for d in defs.indicators:  # an indicator nobody entered still appears, with denominator 0
        if (d.id, "all") not in present:
            got.append((d.id, "all", "all", 0, 0))
    kind_order = {"all": 0, "year": 1, "site": 2}
    got.sort(key=lambda r: (order[r[0]], kind_order[r[1]], r[2]))
    out: dict[str, list[Any]] = {
        k: []
        for k in (
            "indicator",
            "rule_ids",
            "breakdown",
            "key",
            "label",
            "numerator",
            "denominator",
            "rate",
            "ci_low",
            "ci_high",
        )
    }
    for ind, breakdown, key, den, num in got:
        low, high = wilson(int(num), int(den))
        out["indicator"].append(ind)
        out["rule_ids"].append(",".join(defs.get(ind).rule_ids))
        out["breakdown"].append(breakdown)
        out["key"].append(key)
        out["label"].append(organisations.get(key, key) if breakdown == "site" else key)
        out["numerator"].append(int(num))
        out["denominator"].append(int(den))
        out["rate"].append(num / den if den else None)
        out["ci_low"].append(low)
        out["ci_high"].append(high)
    return pa.table(out)


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a fresh directory beside `target`; on success it replaces `target`, on any failure it is
    removed and a previous `target` stays as it was. A killed run leaves at most a hidden temporary
    directory (`.NAME.tmp-*`, removed by the next run: bonemet.audit.scratch), never a half-written
    `target`."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_scratch(target.parent, target.name, "tmp")
    try:
        yield tmp
        if target.exists():
            old = make_scratch(target.parent, target.name, "old")
            os.replace(target, old / "previous")
            try:
                os.replace(tmp, target)
            except BaseException:  # interrupted between the two renames (SIGTERM): put it back
                os.replace(old / "previous", target)
                shutil.rmtree(old, ignore_errors=True)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _svg(draw: Callable[[Any], None], height: float = 3.2) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, height))
    try:
        draw(ax)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
    finally:
        plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def charts(summary_rows: list[dict[str, Any]], defs: IndicatorDefs) -> dict[str, str]:
    """One SVG per chart: overall rates with CIs, then per indicator by year and by site."""
    out: dict[str, str] = {}
    overall = [r for r in summary_rows if r["breakdown"] == "all"]

    def bars(rows: list[dict[str, Any]], labels: list[str]) -> Callable[[Any], None]:
        def draw(ax: Any) -> None:
            rates = [100 * (r["rate"] or 0) for r in rows]
            low = [max(0.0, 100 * ((r["rate"] or 0) - (r["ci_low"] or 0))) for r in rows]
            high = [max(0.0, 100 * ((r["ci_high"] or 0) - (r["rate"] or 0))) for r in rows]
            ax.barh(range(len(rows)), rates, xerr=[low, high], color="#4c78a8", capsize=3)
            ax.set_yticks(range(len(rows)), labels, fontsize=8)
            ax.invert_yaxis()
            ax.set_xlabel("% of denominator (95% Wilson CI)")
            ax.set_xlim(0, 100)

        return draw

    out["overall"] = _svg(
        bars(overall, [f"{r['rule_ids']} {r['indicator']}" for r in overall]),
        height=0.45 * len(overall) + 1.2,
    )
    for d in defs.indicators:
        years = [r for r in summary_rows if r["indicator"] == d.id and r["breakdown"] == "year"]
        sites = [r for r in summary_rows if r["indicator"] == d.id and r["breakdown"] == "site"]
        if years:

            def draw_years(ax: Any, years: list[dict[str, Any]] = years) -> None:
                xs = [r["key"] for r in years]
                ys = [100 * (r["rate"] or 0) for r in years]
                lo = [100 * (r["ci_low"] or 0) for r in years]
                hi = [100 * (r["ci_high"] or 0) for r in years]
                ax.plot(xs, ys, marker="o", color="#4c78a8")
                ax.fill_between(xs, lo, hi, alpha=0.2, color="#4c78a8")
                ax.set_ylabel("% (95% CI)")
                ax.set_ylim(0, 100)

            out[f"{d.id}_year"] = _svg(draw_years, height=2.4)
        if sites:
            out[f"{d.id}_site"] = _svg(
                bars(sites, [r["label"] for r in sites]), height=0.35 * len(sites) + 1.0
            )
    return out


def write_outputs(
    out: Path,
    con: duckdb.DuckDBPyConnection,
    summary: dict[str, Any],
    indicator_table: pa.Table,
    defs: IndicatorDefs,
    html: Callable[[dict[str, Any], dict[str, str]], str],
) -> None:
    """Every output into `out` (a fresh directory): Parquet + CSV tables, summary.json, report.html.
    The row tables are sorted by DuckDB (which spills), never held whole in Python."""
    con.register("indicators_out", indicator_table)
    named = {
        "indicators": "SELECT * FROM indicators_out",
        "indicator_patients": f"SELECT * FROM memberships ORDER BY {ORDER_BY['memberships']}",
        "patients": f"SELECT * FROM patients ORDER BY {ORDER_BY['patients']}",
        "issues": f"SELECT * FROM issues ORDER BY {ORDER_BY['issues']}",
    }
    for name, query in named.items():
        for fmt in ("parquet", "csv"):
            target = str(out / f"{name}.{fmt}").replace("'", "''")
            option = "(FORMAT parquet)" if fmt == "parquet" else "(FORMAT csv, HEADER true)"
            con.execute(f"COPY ({query}) TO '{target}' {option}")
    con.unregister("indicators_out")
    (out / "summary.json").write_bytes(
        orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    )
    (out / "report.html").write_text(
        html(summary, charts(summary["indicators_table"], defs)), encoding="utf-8"
    )
