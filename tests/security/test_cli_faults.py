"""CLI faults (finding 10): one line per error, exit 2, no traceback, never "serving" before
failing; messages are not hard-wrapped when stderr is not a terminal."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BONEMET_")}
    env["COLUMNS"] = "40"  # a narrow terminal width must not matter when piped
    return subprocess.run([sys.executable, "-m", "bonemet", *args], capture_output=True, text=True,
                          timeout=60, env=env, cwd=cwd)


def _refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr[-800:])
    assert "Traceback" not in result.stderr and "serving" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_serve_db_on_a_directory(tmp_path: Path) -> None:
    _refused(_run("serve", "--dev", "--db", str(tmp_path)), "--db", "unable to open")


def test_serve_db_on_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("this is not a database\n" * 100)
    _refused(_run("serve", "--dev", "--db", str(path)), "not a database")


def test_serve_port_out_of_range() -> None:
    _refused(_run("serve", "--dev", "--port", "80000"), "--port")


def test_serve_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        _refused(_run("serve", "--dev", "--db", str(tmp_path / "s.db"), "--port", str(port)),
                 "cannot listen", str(port))


def test_synth_to_an_unwritable_path(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    _refused(_run("synth", "-o", str(target / "sub")), "cannot")


def test_kb_errors_print_no_literal_markup() -> None:
    result = _run("kb", "rule", "NM-99")
    _refused(result, "error: unknown rule")
    assert "[bold red]" not in result.stderr and "[/]" not in result.stderr


def test_long_messages_are_not_wrapped_when_piped(tmp_path: Path) -> None:
    deep = tmp_path / ("a-rather-long-directory-name-" * 4) / "case.yaml"
    result = _run("assess", str(deep))
    _refused(result)
    lines = [line for line in result.stderr.splitlines() if "cannot read" in line]
    assert lines and str(deep) in result.stderr.replace("\n", "") and len(result.stderr.splitlines()) <= 3
    assert any("No such file" in line for line in lines), result.stderr


@pytest.mark.parametrize("text", ["[bold]x[/bold]: y", "[link=http://evil]click[/link]"])
def test_user_text_in_errors_is_not_markup(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"case_id: '{text}'\ncontext: {{phase: nope}}\n")
    result = _run("assess", str(path))
    _refused(result)
    assert "nope" in result.stderr


def test_dollar_in_a_treatment_name_draws_in_the_cli(tmp_path: Path) -> None:
    case = tmp_path / "d.yaml"
    case.write_text('schema_version: "1.0"\ncase_id: d\ncontext: {phase: follow_up}\n'
                    'treatments: [{id: t1, type: chemotherapy, start: 2024-01-01, agents: ["$\\\\frac$"]}]\n'
                    "exams: [{id: e1, date: 2024-03-01, modality: bone_scan, result: positive}]\n")
    result = _run("timeline", str(case), "-o", str(tmp_path / "t.svg"))
    assert result.returncode == 0, result.stderr[-500:]
    assert "frac" in (tmp_path / "t.svg").read_text()
