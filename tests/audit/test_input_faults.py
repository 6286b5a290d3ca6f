"""Faults in the export are reported with file and line and the run goes on; the output directory is
never something the audit did not write (issue 12, finding 9)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from bonemet.audit.reader import MAX_LINE_BYTES
from bonemet.audit.run import MARKER, run_audit
from bonemet.audit.synth import write_cohort
from bonemet.cli import app

PATIENTS = 12


@pytest.fixture(scope="module")
def clean_cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("clean")
    write_cohort(directory, PATIENTS, 5, workers=1)
    return directory


@pytest.fixture(scope="module")
def clean_summary(clean_cohort: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_audit(clean_cohort, tmp_path_factory.mktemp("o") / "out", workers=1, progress=False)


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


def _insert_line(directory: Path, name: str, at: int, text: bytes) -> None:
    """Put `text` as line `at` (1-based) of `name`; the lines after it move down by one."""
    lines = (directory / name).read_bytes().split(b"\n")
    lines.insert(at - 1, text)
    (directory / name).write_bytes(b"\n".join(lines))


def _non_utf8(d: Path) -> tuple[str, int | None]:
    _insert_line(d, "Observation.ndjson", 3, b'{"resourceType": "Observation", "id": "caf\xe9"}')
    return "Observation.ndjson", 3


def _unit_separator(d: Path) -> tuple[str, int | None]:
    _insert_line(d, "Condition.ndjson", 2, b'{"resourceType": "Condition", "id": "a\x1fb"}')
    return "Condition.ndjson", 2


def _nul(d: Path) -> tuple[str, int | None]:
    _insert_line(d, "Condition.ndjson", 1, b'{"resourceType": "Condition", "id": "a\x00b"}')
    return "Condition.ndjson", 1


def _long_line(d: Path) -> tuple[str, int | None]:
    huge = b'{"resourceType": "Observation", "id": "' + b"x" * (MAX_LINE_BYTES + 16) + b'"}'
    _insert_line(d, "Observation.ndjson", 4, huge)
    return "Observation.ndjson", 4


def _directory(d: Path) -> tuple[str, int | None]:
    (d / "Media.ndjson").mkdir()
    return "Media.ndjson", None


def _dangling_symlink(d: Path) -> tuple[str, int | None]:
    os.symlink(d / "nowhere" / "gone.ndjson", d / "Device.ndjson")
    return "Device.ndjson", None


FAULTS: dict[str, tuple[Callable[[Path], tuple[str, int | None]], str, str]] = {
    "non_utf8_byte": (_non_utf8, "malformed", "not UTF-8"),
    "byte_0x1f": (_unit_separator, "malformed", "0x1F"),
    "nul_byte": (_nul, "malformed", "NUL"),
    "line_over_64_mib": (_long_line, "malformed", "64 MiB"),
    "directory_named_ndjson": (_directory, "unreadable", "directory"),
    "dangling_symlink": (_dangling_symlink, "unreadable", "dangling symbolic link"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_is_reported_with_file_and_line_and_the_run_goes_on(
    fault: str, clean_cohort: Path, clean_summary: dict[str, Any], tmp_path: Path
) -> None:
    make, kind, words = FAULTS[fault]
    source = _copy(clean_cohort, tmp_path / "in")
    name, line = make(source)
    result = CliRunner().invoke(
        app, ["audit", str(source), "-o", str(tmp_path / "out"), "--workers", "1"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    summary = orjson.loads((tmp_path / "out" / "summary.json").read_bytes())
    found = [i for i in summary["issues"]["first"] if i["file"] == name and i["kind"] == kind]
    assert len(found) == 1, summary["issues"]["first"]
    assert found[0]["line"] == line and words in found[0]["reason"]
    # every patient is still audited, with the same verdicts as on the clean export
    assert summary["patients"] == clean_summary["patients"]
    assert summary["indicators_table"] == clean_summary["indicators_table"]
    if line is not None:  # the other lines keep their numbers: a line after the fault is still found
        issues_csv = (tmp_path / "out" / "issues.csv").read_text()
        assert f"{kind},{name},{line}," in issues_csv


def test_a_fault_after_a_long_clean_stretch_keeps_its_line_number(tmp_path: Path) -> None:
    """The check reads in chunks: the line count must carry across chunk boundaries."""
    from bonemet.audit.reader import CHUNK_BYTES, check_file

    line = b'{"resourceType": "Basic", "id": "' + b"y" * 1000 + b'"}\n'
    count = CHUNK_BYTES // len(line) * 2 + 7
    path = tmp_path / "Basic.ndjson"
    path.write_bytes(line * count + b'{"x": "\xff"}\n' + line + b"\n" + line + b"\xfe")
    assert [n for n, _ in check_file(path).bad] == [count + 1, count + 5]
    assert check_file(path).max_line == CHUNK_BYTES  # no line spans more than a chunk
    sanitised = tmp_path / "s.ndjson"
    check_file(path, sanitised)
    assert sanitised.read_bytes() == line * count + b"\n" + line + b"\n" + line + b"\n"


# --- the output directory --------------------------------------------------------------------------


def _audit(source: Path, out: Path) -> Any:
    return CliRunner().invoke(app, ["audit", str(source), "-o", str(out), "--workers", "1"])


def test_refuses_a_non_empty_directory_that_is_not_an_audit_output(
    clean_cohort: Path, tmp_path: Path
) -> None:
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("years of work")
    result = _audit(clean_cohort, out)
    assert result.exit_code == 2, result.output
    assert "not empty" in " ".join(result.output.split()) and "Traceback" not in result.output
    assert [p.name for p in out.iterdir()] == ["chapter1.tex"]
    assert (out / "chapter1.tex").read_text() == "years of work"


def test_refuses_the_input_directory_and_its_parents(clean_cohort: Path, tmp_path: Path) -> None:
    source = _copy(clean_cohort, tmp_path / "export")
    before = sorted(p.name for p in source.iterdir())
    for target in (source, tmp_path):
        result = _audit(source, target)
        assert result.exit_code == 2, result.output
        assert "input" in " ".join(result.output.split())
    assert sorted(p.name for p in source.iterdir()) == before
    # even when it looks like a previous output (a marker planted in the export)
    (source / MARKER).write_text("{}")
    assert _audit(source, source).exit_code == 2
    assert (source / "Patient.ndjson").exists()


def test_refuses_a_file(clean_cohort: Path, tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_text("x")
    result = _audit(clean_cohort, tmp_path / "report.pdf")
    assert result.exit_code == 2 and (tmp_path / "report.pdf").read_text() == "x"


def test_replaces_a_previous_audit_output_and_fills_an_empty_directory(
    clean_cohort: Path, tmp_path: Path
) -> None:
    out = tmp_path / "audit"
    out.mkdir()
    assert _audit(clean_cohort, out).exit_code == 0  # empty: accepted
    assert (out / MARKER).exists()
    (out / "stale.csv").write_text("from an older run")
    result = _audit(clean_cohort, out)
    assert result.exit_code == 0, result.output
    assert not (out / "stale.csv").exists() and (out / "summary.json").exists()
