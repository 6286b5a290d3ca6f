"""The Spark engine gives the same tables as DuckDB (same per-patient core, same aggregation)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bonemet.audit import spark_engine
from bonemet.audit.run import run_audit
from bonemet.audit.synth import write_cohort


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_engine.session("local[2]")
    yield session
    session.stop()


def test_spark_and_duckdb_give_identical_outputs(
    tmp_path: Path, spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cohort = tmp_path / "cohort"
    write_cohort(cohort, 300, 77, workers=1)
    with (cohort / "Observation.ndjson").open("ab") as handle:  # a fault Spark must see the same way
        handle.write(b'{"resourceType": "Observation", "subject"\n')
    duck = run_audit(cohort, tmp_path / "duck", engine="duckdb", workers=1, progress=False)
    monkeypatch.setattr(spark_engine, "session", lambda master="local[*]": spark)  # one session per module
    sparked = run_audit(cohort, tmp_path / "spark", engine="spark", progress=False)
    for name in ("indicators.csv", "indicator_patients.csv", "patients.csv", "issues.csv"):
        assert (tmp_path / "duck" / name).read_bytes() == (tmp_path / "spark" / name).read_bytes(), name
    for key in ("patients", "indicators_table", "numerator_patient_ids", "issues", "organisations"):
        assert duck[key] == sparked[key], key
    assert duck["input"]["files"] == sparked["input"]["files"]
    assert duck["issues"]["by_kind"]["malformed"] >= 1
