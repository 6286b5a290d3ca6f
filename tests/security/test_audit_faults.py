"""`bonemet audit` under faults (issue 22, item 13): killed, it leaves no scratch for good; an input
that changes while it is read is said plainly (exit 2, the file and what changed), never a
traceback nor a report on data that is no longer the export's.

The kills are real: a `bonemet audit` subprocess gets SIGTERM or SIGKILL while its scratch folder
exists. The input changes are made in process, between the check of the files and the engine's
read (deterministic: a race in a subprocess could not be timed)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bonemet.audit import run as audit_run
from bonemet.audit.scratch import _host, remove_stale
from bonemet.audit.synth import write_cohort
from bonemet.cli import app


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cohort") / "export"
    write_cohort(directory, 300, 7, workers=1)
    return directory


def _scratch(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".out."))


@pytest.fixture
def audit(cohort: Path, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[str]]]:
    """Start `bonemet audit` in its own session (so that whatever it forked can be reaped)."""
    started: list[subprocess.Popen[str]] = []

    def start() -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BONEMET_")}
        process = subprocess.Popen(
            [sys.executable, "-m", "bonemet", "audit", str(cohort), "-o", str(tmp_path / "out"),
             "--workers", "2"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True)
        started.append(process)
        deadline = time.monotonic() + 60
        while not any(".out.work-" in name for name in _scratch(tmp_path)):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the audit made no scratch folder"
            time.sleep(0.02)
        time.sleep(0.3)  # into the reading
        return process

    yield start
    for process in started:  # the test's own processes, by their session id
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_sigterm_removes_the_scratch_and_says_so(audit: Callable[[], subprocess.Popen[str]],
                                                  tmp_path: Path) -> None:
    process = audit()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr and "stopped by SIGTERM" in stderr
    assert _scratch(tmp_path) == [] and not (tmp_path / "out").exists()


def test_after_sigkill_the_next_run_removes_the_dead_runs_scratch(
        audit: Callable[[], subprocess.Popen[str]], cohort: Path, tmp_path: Path) -> None:
    process = audit()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):  # what systemd does to the rest of the unit
        os.killpg(process.pid, signal.SIGKILL)
    left = _scratch(tmp_path)
    assert any(".out.work-" in name for name in left), left  # SIGKILL: nothing can clean up
    dead = process.pid
    for kind in ("tmp", "old"):  # as a kill during the writing of the outputs leaves them
        (tmp_path / f".out.{kind}-{_host()}-{dead}-x1y2z3").mkdir()
    alive = tmp_path / f".out.work-{_host()}-{os.getpid()}-running"  # a live run's: kept
    other_host = tmp_path / f".out.work-00000000-{dead}-elsewhere"  # another host's: kept
    legacy = tmp_path / ".out.work-k2j3h4g5"  # no owner in the name: kept
    for keep in (alive, other_host, legacy):
        keep.mkdir()
    result = CliRunner().invoke(app, ["audit", str(cohort), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert _scratch(tmp_path) == sorted(p.name for p in (alive, other_host, legacy))
    assert (tmp_path / "out" / "summary.json").is_file()


def test_stale_scratch_is_only_a_dead_runs_folder(tmp_path: Path) -> None:
    (tmp_path / f".out.work-{_host()}-999999999-abc").write_text("a file, not a folder")
    (tmp_path / f".other.work-{_host()}-999999999-abc").mkdir()  # another output's
    (tmp_path / f".out.work-{_host()}-999999999-abc-link").symlink_to(tmp_path)
    assert remove_stale(tmp_path, "out") == []
    assert len(list(tmp_path.iterdir())) == 3


# --- the input changes while it is read ----------------------------------------------------------


def _change_after_the_check(monkeypatch: pytest.MonkeyPatch, change: Callable[[Path], None]) -> None:
    """The files are checked (their size and time noted), then `change` alters the export before
    the engine reads it: as a copy still being written, or a clean-up job, would."""
    prepare = audit_run.prepare

    def then_change(directory: Path, work: Path) -> object:
        inputs = prepare(directory, work)
        change(directory)
        return inputs

    monkeypatch.setattr(audit_run, "prepare", then_change)


def _copy(cohort: Path, tmp_path: Path) -> Path:
    target = tmp_path / "export"
    target.mkdir()
    for p in cohort.iterdir():
        (target / p.name).write_bytes(p.read_bytes())
    return target


CHANGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "deleted": (lambda d: (d / "Observation.ndjson").unlink(), "deleted while the audit was reading it"),
    "truncated": (lambda d: (d / "Condition.ndjson").write_bytes(b""), "bytes"),
    "appended": (lambda d: (d / "Patient.ndjson").open("ab").write(b'{"resourceType": "Patient"}\n'),
                 "size"),
    "rewritten, same size": (lambda d: os.utime(d / "Procedure.ndjson", ns=(1, 1)),
                             "modification time changed"),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_an_input_that_changes_while_read_stops_the_audit_plainly(
        name: str, cohort: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    change, words = CHANGES[name]
    export = _copy(cohort, tmp_path)
    _change_after_the_check(monkeypatch, change)
    result = CliRunner().invoke(app, ["audit", str(export), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and "Traceback" not in result.output
    assert words in result.output and str(export) in result.output
    assert "the export changed while the audit read it: nothing was written" in result.output
    assert not (tmp_path / "out").exists() and _scratch(tmp_path) == []
