"""`make run` installs what serving needs, with progress; `make test` still installs everything.

`make -n` prints the commands without running them, on a virtualenv path that does not exist, which is
what a fresh clone sees: no network, nothing installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def dry_run(target: str, tmp_path: Path, *extra: str) -> list[str]:
    if shutil.which("make") is None:
        pytest.fail("make is missing")
    # Under `make test` the parent make's MAKEFLAGS/MAKELEVEL reach this make, which then prints
    # "make[1]: Entering/Leaving directory" lines: run it as a top-level make.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEFILES")}
    out = subprocess.run(["make", "--no-print-directory", "-n", target, f"VENV={tmp_path / 'venv'}",
                          *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return out.splitlines()


def pip_installs(lines: list[str]) -> list[str]:
    return [line for line in lines if re.search(r"-m pip install\b", line) and "--upgrade pip" not in line]


def test_run_installs_the_package_without_the_dev_and_spark_extras(tmp_path: Path) -> None:
    lines = dry_run("run", tmp_path)
    (install,) = pip_installs(lines)
    assert install.endswith("install --progress-bar on -e .")
    assert "dev" not in install and "spark" not in install and " -q" not in install
    # A line says what is being installed before pip starts.
    assert any(line.startswith("echo") and "installing bonemet" in line for line in lines)
    assert lines[-1].endswith("--host 127.0.0.1 --port 8000")


def test_run_takes_the_port_and_host_from_make_variables(tmp_path: Path) -> None:
    assert dry_run("run", tmp_path, "PORT=8001")[-1].endswith("--port 8001")
    assert "--host ::1" in dry_run("run", tmp_path, "HOST=::1")[-1]


@pytest.mark.parametrize("target", ["test", "lint"])
def test_test_targets_still_install_everything_from_nothing(tmp_path: Path, target: str) -> None:
    lines = dry_run(target, tmp_path)
    assert any("-m venv" in line for line in lines)
    (install,) = pip_installs(lines)
    assert "'.[dev,spark]'" in install and " -q" not in install
