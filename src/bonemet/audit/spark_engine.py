"""The Spark engine (optional extra `bonemet[spark]`): same reading rules, same per-patient core.

Spark reads each file as text with line numbers (`zipWithIndex`), extracts the resource type and the
patient reference with `get_json_object`, groups per patient, and runs `audit_patient` — the function
the DuckDB engine runs — inside `mapInArrow`. Rows come back to the driver; aggregation and outputs
are the shared step (bonemet.audit.report), so both engines give identical tables for the same
input. `local[*]` here; a cluster URL (`spark://…`, `yarn`) in production.
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

_KINDS = ("memberships", "patients", "issues")


def session(master: str = "local[*]") -> Any:
    """A Spark session tuned for a single machine's audit: no UI, few shuffle partitions."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("bonemet-audit")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "4g")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


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


def run(files: list[Path], master: str = "local[*]", spark: Any = None) -> tuple[Scan, Rows]:
    from pyspark.sql import functions as F

    spark = spark or session(master)
    sc = spark.sparkContext
    sc.setLogLevel("ERROR")
    names = [p.name for p in files]
    parts = [
        sc.textFile(str(p)).zipWithIndex().map(lambda t, i=i: (i, t[1] + 1, t[0]))
        for i, p in enumerate(files)
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
    for r in typed.where(F.col("rt").isNull()).select("f", "line", "j").orderBy("f", "line").collect():
        rows.issues.append(("malformed", names[r.f], int(r.line), None, None, bad_line_reason(r.j)))
    orphans = (
        typed.where(F.col("rt").isNotNull() & F.col("pid").isNull() & (F.col("rt") != "Organization"))
        .select("f", "line", "rt", F.get_json_object("j", "$.id").alias("id"))
        .orderBy("f", "line")
        .collect()
    )
    for r in orphans:
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
    orgs = {
        r.id: r.name or ""
        for r in typed.where(F.col("rt") == "Organization")
        .select(F.get_json_object("j", "$.id").alias("id"), F.get_json_object("j", "$.name").alias("name"))
        .collect()
    }
    counts = {names[r.f]: int(r.n) for r in typed.groupBy("f").agg(F.max("line").alias("n")).collect()}
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
