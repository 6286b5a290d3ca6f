"""Issue 25 (item 8): stopping `bonemet serve` (and so `make run`) ends with status 0 and one line.

uvicorn shuts down on SIGINT or SIGTERM, then raises the signal again; with no handler of bonemet's
the process then died of SIGTERM and `make run` printed "make: *** [run] Terminated". The server is
run for real (a subprocess), the signal sent as Ctrl+C or `kill` sends it; then the same under make.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _started(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while not any("another port" in line for line in lines):
        line = proc.stderr.readline()
        assert line or proc.poll() is None, f"server exited: {lines}"
        lines.append(line)
        assert time.monotonic() < deadline, lines
    return lines


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_ends_the_server_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    cmd = [sys.executable, "-m", "bonemet", "serve", "--dev", "--port", "0", "--db",
           str(tmp_path / "store.sqlite3")]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        _started(proc)
        proc.send_signal(sig)
        _, rest = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, (proc.returncode, rest)
    assert "bonemet stopped" in rest and "Traceback" not in rest


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_make_prints_no_error_when_the_server_is_stopped(tmp_path: Path, sig: signal.Signals) -> None:
    """The Makefile's own `run` recipe, with the interpreter of this test run as its `bonemet`."""
    make = shutil.which("make")
    assert make, "make is needed"
    root = Path(__file__).resolve().parents[2]
    recipe = next(line for line in (root / "Makefile").read_text().splitlines()
                  if "bonemet serve" in line and line.startswith("\t"))
    # The recipe as written, its program replaced by `python -m bonemet` (no install needed).
    command = recipe.replace("$(BIN)/bonemet", f"{sys.executable} -m bonemet").replace(
        "$(HOST)", "127.0.0.1").replace("$(PORT)", "0").replace(".bonemet-dev.sqlite3",
                                                                  str(tmp_path / "dev.sqlite3"))
    (tmp_path / "Makefile").write_text(f"run:\n{command}\n")
    proc = subprocess.Popen([make, "-s", "-C", str(tmp_path), "run"], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1",
                                 "PYTHONPATH": str(root / "src")})
    try:
        _started(proc)
        server = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
        child = int(server.stdout.split()[0]) if server.stdout.split() else proc.pid
        # What a terminal's Ctrl+C or a `kill` reaches: the server itself (make passes it on).
        os.kill(child, sig)
        _, rest = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "make: ***" not in rest, rest
    assert proc.returncode == 0, (proc.returncode, rest)
