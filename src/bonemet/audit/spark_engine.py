"""The Spark engine (optional extra `bonemet[spark]`): same reading rules, same per-patient core.

Spark reads each file as text with line numbers (`zipWithIndex`), extracts the resource type and the
patient reference with `get_json_object`, groups per patient, and runs `audit_patient` — the function
the DuckDB engine runs — inside `mapInArrow`. Rows come back to the driver; aggregation and outputs
are the shared step (bonemet.audit.report), so both engines give identical tables for the same
input. `local[*]` on one machine; a cluster URL (`spark://host:7077`, `yarn`) otherwise, where the
input directory (and the scratch directory beside the output, for sanitised copies of faulty files)
must be at the same path on the driver and every worker (a shared file system), and bonemet must be
importable by the executors' Python (docs/audit.md: spark-submit with the package as a wheel or zip).
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bonemet.audit.engine import Scan
from bonemet.audit.patient_audit import Rows, audit_patient, bad_line_reason
from bonemet.audit.reader import Inputs

_KINDS = ("memberships", "patients", "issues")


def session(master: str = "local[*]", conf: dict[str, str] | None = None) -> Any:
    """A Spark session for the audit: no UI. On `local[*]` few shuffle partitions (one machine); on a
    cluster, Spark's defaults unless `conf` (or spark-submit) says otherwise."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName("bonemet-audit")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith("local"):
        builder = builder.config("spark.sql.shuffle.partitions", "2").config("spark.driver.memory", "4g")
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _uri(p: Path) -> str:
    return p.resolve().as_uri()  # file:///…: never read from a cluster's default (HDFS) file system


def _audit_partition(names: list[str]) -> Any:
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        for batch in batches:
            rows = Rows()
            data = batch.to_pydict()
            for pid, items in zip(data["pid"], data["items"], strict=True):
                audit_patient(
                    pid,
                    [names[i["f"]] for i in items],
                    [i["line"] for i in items],
                    [i["j"] for i in items],
                    rows,
                )
            kinds: list[str] = []
            payloads: list[bytes] = []
            for kind in _KINDS:
                for row in getattr(rows, kind):
                    kinds.append(kind)
                    payloads.append(pickle.dumps(row))
            yield pa.RecordBatch.from_pydict(
                {"kind": kinds, "payload": payloads},
                schema=pa.schema([("kind", pa.string()), ("payload", pa.binary())]),
            )

    return run


def run(
    inputs: Inputs, master: str = "local[*]", spark: Any = None, conf: dict[str, str] | None = None
) -> tuple[Scan, Rows]:
    """Read and audit the checked input files (bonemet.audit.reader) on Spark."""

    own = spark is None  # a session this run started is stopped at its end (it holds cluster cores)
    spark = spark or session(master, conf)
    try:
        return _run(spark, inputs)
    finally:
        if own:
            spark.stop()


def _run(spark: Any, inputs: Inputs) -> tuple[Scan, Rows]:
    from pyspark.sql import functions as F

    sc = spark.sparkContext
    sc.setLogLevel("ERROR")
    names = inputs.names
    parts = [
        # minPartitions=1: a file smaller than a block is one partition, so zipWithIndex needs no extra
        # job to count lines; larger files are still split by block.
        sc.textFile(_uri(f.path), minPartitions=1).zipWithIndex().map(lambda t, i=i: (i, t[1] + 1, t[0]))
        for i, f in enumerate(inputs.files)
    ]
    lines = spark.createDataFrame(sc.union(parts), "f int, line long, j string").where(F.length("j") > 0)
    rt = F.get_json_object("j", "$.resourceType")
    typed = (
        lines.withColumn("rt", rt)
        .withColumn(
            "pid",
            F.when(
                F.col("rt") == "Patient", F.concat(F.lit("Patient/"), F.get_json_object("j", "$.id"))
            ).otherwise(
                F.coalesce(
                    F.get_json_object("j", "$.subject.reference"),
                    F.get_json_object("j", "$.patient.reference"),
                )
            ),
        )
        .cache()
    )
    rows = Rows()
    # One job for every line that is not a patient's resource (few): malformed lines, organisations and
    # resources without a subject, sorted here rather than by a Spark shuffle.
    rest = sorted(
        typed.where(F.col("rt").isNull() | F.col("pid").isNull() | (F.col("rt") == "Organization"))
        .select(
            "f",
            "line",
            "j",
            "rt",
            F.get_json_object("j", "$.id").alias("id"),
            F.get_json_object("j", "$.name").alias("name"),
        )
        .collect(),
        key=lambda r: (r.f, r.line),
    )
    orgs: dict[str, str] = {}
    for r in rest:
        if r.rt is None:
            rows.issues.append(("malformed", names[r.f], int(r.line), None, None, bad_line_reason(r.j)))
        elif r.rt == "Organization":
            orgs[r.id] = r.name or ""
        else:
            rows.issues.append(
                (
                    "orphan",
                    names[r.f],
                    int(r.line),
                    None,
                    f"{r.rt}/{r.id}",
                    "no subject/patient reference: not attributable to a patient",
                )
            )
    found = {int(r.f): int(r.n) for r in typed.groupBy("f").agg(F.max("line").alias("n")).collect()}
    counts = {  # as the DuckDB engine: a blanked faulty last line still counts
        name: n for i, name in enumerate(names) if (n := max(found.get(i, 0), inputs.last_bad_line(name)))
    }
    grouped = (
        typed.where(F.col("rt").isNotNull() & F.col("pid").isNotNull())
        .groupBy("pid")
        .agg(F.sort_array(F.collect_list(F.struct("f", "line", "j"))).alias("items"))
    )
    patients = 0
    for r in grouped.mapInArrow(_audit_partition(names), "kind string, payload binary").collect():
        row = pickle.loads(r.payload)
        getattr(rows, r.kind).append(row)
        patients += r.kind == "patients"
    typed.unpersist()
    return Scan(names, counts, orgs, patients, Rows()), rows
