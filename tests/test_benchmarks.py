"""Every benchmark still runs (issue 22, item 12): a benchmark nobody runs rots unseen.

Each script of benchmarks/ (found by glob: a new one is covered without editing this file) is
run as a subprocess at its smallest size, as benchmarks/README.md asks every script to allow:

    python benchmarks/<script>.py --smallest --out PATH

It must exit 0 and write its JSON result to PATH (a temporary folder: the committed figures in
benchmarks/results/ are left alone), and docs/performance.md must give its command. Nothing is
timed: the figures of a smallest run mean nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
SCRIPTS = sorted(p for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))
PERFORMANCE_DOC = ROOT / "docs" / "performance.md"


# A deployment's settings exported in the shell (docs/deploy.md) must not stop a benchmark's own server:
# bench_service.py stopped on "server did not start" with an incomplete BONEMET_AUTH=oidc (issue 27).
# Each value is refused or changes the answers if it reaches `bonemet serve --dev`.
DEPLOYMENT_ENV = {"BONEMET_AUTH": "oidc", "BONEMET_BASE_URL": "https://bonemet.hospital.example",
                  "BONEMET_CORS_ORIGINS": "*"}
RUN_UNDER_DEPLOYMENT_ENV = {"bench_service"}


def _results_state() -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in (BENCHMARKS / "results").glob("*")}


def test_the_benchmarks_are_found() -> None:
    assert len(SCRIPTS) >= 5, SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_benchmark_runs_at_its_smallest_size(script: Path, tmp_path: Path) -> None:
    out = tmp_path / f"{script.stem}.json"
    before = _results_state()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
    if script.stem in RUN_UNDER_DEPLOYMENT_ENV:
        env.update(DEPLOYMENT_ENV)
    run = subprocess.run([sys.executable, str(script), "--smallest", "--out", str(out)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"{script.name} exited {run.returncode}:\n{run.stderr[-3000:]}"
    assert out.is_file(), f"{script.name} wrote no JSON to --out"
    result = json.loads(out.read_text())
    assert isinstance(result, dict) and result
    assert _results_state() == before, "a smallest run must not rewrite benchmarks/results/"


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_benchmark_command_is_documented(script: Path) -> None:
    assert f"benchmarks/{script.name}" in PERFORMANCE_DOC.read_text(), \
        f"docs/performance.md gives no command for benchmarks/{script.name}"
