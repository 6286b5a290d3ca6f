"""`bonemet synth` and `bonemet audit`: thin adapters over the cohort audit.

In Python: `bonemet.audit.synth.write_cohort` and `bonemet.audit.run.run_audit` (docs/audit.md).
"""

from __future__ import annotations

import re
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bonemet.cli.options import fail
from bonemet.errors import InputError, Problem

_out = Console(stderr=True, soft_wrap=True, highlight=False)  # one line per message, whatever the width


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


def synth_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Directory for the NDJSON files")],
    patients: Annotated[int, typer.Option("--patients", "-n", help="Number of patients")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes")] = 1,
    workers: Annotated[int, typer.Option("--workers", help="Generator processes (output is the same)")] = 2,
) -> None:
    """Synthetic FHIR R4 bulk cohort with known guideline deviations and its ground truth.

    One NDJSON file per resource type plus ground_truth.ndjson; distributions and rates: docs/audit.md.
    """
    from bonemet.audit.engine import progress_bar
    from bonemet.audit.synth import write_cohort

    if patients < 1:
        fail(InputError([Problem("--patients", "must be at least 1")]))
    if out.exists() and not out.is_dir():
        fail(InputError([Problem("--out", f"{out} exists and is not a directory")]))
    t0 = time.perf_counter()
    with progress_bar(patients, "generating") as advance:
        counts = write_cohort(out, patients, seed, workers=workers, progress=advance)
    _out.print(
        f"{patients} patients, {sum(counts.values())} lines in {len(counts)} files → {out} "
        f"({time.perf_counter() - t0:.1f} s)",
        highlight=False,
    )


_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text: str) -> int:
    """'2GB', '512M', '1.5GiB', '800mb' → bytes (binary multiples, as DuckDB and Spark read them)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if not m:
        raise InputError([Problem("--memory", f"{text!r} is not a size such as 2GB or 512MB")])
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def _spark_conf(items: list[str]) -> dict[str, str]:
    conf: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError([Problem("--spark-conf", f"{item!r} is not KEY=VALUE")])
        conf[key.strip()] = value.strip()
    return conf


def audit_cmd(
    directory: Annotated[Path, typer.Argument(help="Directory of FHIR bulk NDJSON files")],
    out: Annotated[
        Path,
        typer.Option(
            "-o",
            "--out",
            help="Output directory: new, empty, or a previous audit output (replaced atomically)",
        ),
    ],
    engine: Annotated[
        EngineName, typer.Option("--engine", help="duckdb (default) or spark")
    ] = EngineName.duckdb,
    workers: Annotated[
        int, typer.Option("--workers", help="Processes for the per-patient core (0: auto)")
    ] = 0,
    memory: Annotated[
        str,
        typer.Option(
            "--memory", help="Memory budget of the whole run, e.g. 2GB (default: 1/8 of RAM, 1-8 GB)"
        ),
    ] = "",
    master: Annotated[
        str, typer.Option("--master", "--spark-master", help="Spark master URL (spark://host:7077, yarn)")
    ] = "local[*]",
    spark_conf: Annotated[
        list[str], typer.Option("--spark-conf", help="Spark setting KEY=VALUE (repeatable)")
    ] = [],  # noqa: B006 - Typer reads the default, it is never mutated
) -> None:
    """Guideline adherence over a FHIR bulk export: one indicator per rule, by year and site.

    Indicators NM-01, NM-03, NM-04, NM-05, NM-07/08, NM-09 with numerator, denominator, rate and Wilson
    95% CI; Parquet, CSV, JSON and HTML outputs (docs/audit.md).
    """
    from bonemet.audit.run import run_audit
    from bonemet.audit.scratch import Terminated, terminate_as_exit

    if engine is EngineName.spark:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            fail(
                InputError(
                    [Problem("--engine", "spark needs the optional extra: pip install 'bonemet[spark]'")]
                )
            )
    try:
        # SIGTERM (kill, systemd, a batch scheduler) unwinds the run like Ctrl-C: its scratch
        # folders, as large as the input, are removed on the way out (issue 22, item 13).
        with terminate_as_exit():
            summary = run_audit(
                directory,
                out,
                engine=engine.value,
                workers=workers or None,
                spark_master=master,
                spark_conf=_spark_conf(spark_conf),
                memory=parse_size(memory) if memory else None,
            )
    except InputError as exc:
        fail(exc)
    except Terminated as stop:
        _out.print(f"error: stopped by {stop}: scratch folders removed, no half-written output in {out}",
                   highlight=False)
        raise typer.Exit(128 + stop.signo) from None
    p = summary["patients"]
    _out.print(
        f"{p['total']} patients ({p['in_scope']} in scope, {p['out_of_scope']} out of scope, "
        f"{p['not_assessable']} not assessable); issues {summary['issues']['by_kind'] or 'none'}; "
        f"{summary['seconds']['total']:.1f} s → {out}",
        highlight=False,
    )
    for r in summary["indicators_table"]:
        if r["breakdown"] == "all":
            rate = "–" if r["rate"] is None else f"{100 * r['rate']:.1f}%"
            _out.print(
                f"  {r['rule_ids']:<12} {r['indicator']:<42} "
                f"{r['numerator']:>6}/{r['denominator']:<6} {rate}",
                highlight=False,
            )
