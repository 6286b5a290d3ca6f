"""The memory plan and the partitioned run: memory is set by the budget, not by the cohort, and the
number of partitions never changes a result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bonemet.api import InputError
from bonemet.audit import engine
from bonemet.audit.run import run_audit
from bonemet.cli import app
from bonemet.cli.audit import parse_size

MiB, GiB = engine.MiB, engine.GiB


@given(
    total=st.integers(0, 10 * 2**40),
    workers=st.integers(1, 16),
    extra=st.integers(0, 64 * GiB),
)
@settings(max_examples=300, deadline=None)
def test_plan_fits_the_budget_whatever_the_cohort(total: int, workers: int, extra: int) -> None:
    budget = engine.minimum_budget(workers) + extra
    p = engine.plan(total, workers, budget)
    assert engine.MIN_BUCKET <= p.bucket_bytes <= engine.MAX_BUCKET
    assert p.buckets * p.bucket_bytes >= total  # every bucket within its share
    assert p.files <= engine.MAX_FILES and p.per_file * p.files == p.buckets
    # reading alone, then the workers together, never above the budget
    assert engine.PROCESS_BASE * (workers + 1) + p.phase1_duckdb <= budget
    assert engine.PROCESS_BASE * (workers + 1) + workers * p.worker_duckdb <= budget
    assert p.bucket_bytes <= max(engine.MIN_BUCKET, p.worker_duckdb // engine.BUCKET_SHARE)
    # the limits do not grow with the cohort: only the number of buckets does
    assert engine.plan(total * 10 + 1, workers, budget).worker_duckdb == p.worker_duckdb
    assert engine.plan(total * 10 + 1, workers, budget).phase1_duckdb == p.phase1_duckdb


@pytest.mark.parametrize(
    ("total_mb", "workers", "budget_gb", "buckets"),
    [
        (96, 2, 3, 4),  # 10,000 patients: two buckets per worker
        (958, 2, 3, 29),  # 100,000 patients: the same bucket size, more buckets
        (9580, 2, 3, 512),  # 1,000,000 patients: 256 partition files of 2 buckets
        (19, 1, 1, 1),  # a small cohort in one process: one bucket
    ],
)
def test_plan_examples(total_mb: int, workers: int, budget_gb: int, buckets: int) -> None:
    p = engine.plan(total_mb * 10**6, workers, budget_gb * GiB)
    assert p.buckets == buckets
    assert p.bucket_bytes == engine.MAX_BUCKET


def test_a_budget_too_small_is_refused_naming_the_option() -> None:
    with pytest.raises(InputError) as err:
        engine.plan(10**9, 4, 256 * MiB)
    assert err.value.problems[0].field == "--memory" and "at least" in err.value.problems[0].message


@pytest.mark.parametrize(
    ("text", "size"),
    [("2GB", 2 * GiB), ("512M", 512 * MiB), ("1.5GiB", int(1.5 * GiB)), ("800mb", 800 * MiB), ("4096", 4096)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "2 PB", "-1GB", ""])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(InputError):
        parse_size(text)


def test_cli_memory_errors_exit_2(cohort: Path, tmp_path: Path) -> None:
    for value, words in (("lots", "is not a size"), ("10MB", "too little")):
        result = CliRunner().invoke(app, ["audit", str(cohort), "-o", str(tmp_path / "o"), "--memory", value])
        assert result.exit_code == 2, result.output
        assert "--memory" in result.output and words in " ".join(result.output.split())
        assert not (tmp_path / "o").exists()


def test_many_small_partitions_give_the_same_outputs(
    cohort: Path, audited: tuple[Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Buckets of 256 KiB in 4 partition files (several sub-buckets per file) vs the default plan."""
    monkeypatch.setattr(engine, "MAX_BUCKET", 256 * 1024)
    monkeypatch.setattr(engine, "MIN_BUCKET", 256 * 1024)
    monkeypatch.setattr(engine, "MAX_FILES", 4)
    small = run_audit(cohort, tmp_path / "out", workers=2, progress=False)
    plan = small["seconds"]["plan"]
    assert plan["partition_files"] == 4 and plan["buckets"] >= 40
    reference, summary = audited
    assert summary["seconds"]["plan"]["buckets"] < plan["buckets"]
    for name in ("indicators.csv", "indicator_patients.csv", "patients.csv", "issues.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (reference / name).read_bytes(), name
    for key in ("patients", "indicators_table", "numerator_patient_ids", "issues", "input", "organisations"):
        assert small[key] == summary[key], key
