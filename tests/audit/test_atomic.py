"""Outputs are replaced atomically; bad input fails clearly; robustness on hand-written NDJSON."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from bonemet.audit.report import wilson
from bonemet.audit.run import run_audit
from bonemet.cli import app


def test_wilson_interval_known_values() -> None:
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = wilson(0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775
    assert wilson(0, 0) == (None, None)


def _bulk(directory: Path) -> Path:
    directory.mkdir()
    patients = [
        {"resourceType": "Patient", "id": "a", "managingOrganization": {"reference": "Organization/o1"}},
        {"resourceType": "Patient", "id": "b"},
    ]
    conditions = [
        {
            "resourceType": "Condition",
            "subject": {"reference": "Patient/a"},
            "verificationStatus": {"coding": [{"code": "confirmed"}]},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "254837009"}]},
        },
        {
            "resourceType": "Condition",
            "subject": {"reference": "Patient/b"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "93880001"}]},
        },
    ]
    (directory / "Patient.ndjson").write_bytes(b"\n".join(orjson.dumps(p) for p in patients) + b"\n")
    lines = [
        orjson.dumps(conditions[0]),
        b'{"resourceType": "Condition", "subject": ',
        b"",
        orjson.dumps(conditions[1]),
        b"[1, 2]",
    ]
    (directory / "Condition.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    (directory / "Observation.ndjson").write_bytes(
        orjson.dumps(
            {
                "resourceType": "Observation",
                "id": "x",
                "subject": {"reference": "Patient/zz"},
                "status": "final",
                "code": {"text": "weight"},
            }
        )
        + b"\n"
    )
    return directory


def test_hand_written_bulk_data(tmp_path: Path) -> None:
    summary = run_audit(_bulk(tmp_path / "in"), tmp_path / "out", workers=1, progress=False)
    issues = {(i["kind"], i["file"], i["line"]) for i in summary["issues"]["first"]}
    assert ("malformed", "Condition.ndjson", 2) in issues  # line 3 is blank: skipped, still counted
    assert ("malformed", "Condition.ndjson", 5) in issues  # JSON, but not a resource
    assert ("orphan", "Observation.ndjson", 1) in issues  # Patient/zz is not in Patient.ndjson
    assert summary["patients"]["out_of_scope_ids"] == ["a"]  # breast cancer
    assert summary["patients"]["in_scope"] == 1


def test_a_failed_run_leaves_no_output_and_keeps_the_previous_one(tmp_path: Path) -> None:
    source = _bulk(tmp_path / "in")
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        run_audit(source, out, workers=1, progress=False, fail_after_writing=True)
    assert not out.exists() and list(tmp_path.iterdir()) == [source]
    run_audit(source, out, workers=1, progress=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(RuntimeError):
        run_audit(source, out, workers=1, progress=False, fail_after_writing=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_cli_synth_and_audit(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["synth", "--patients", "60", "--seed", "3", "-o", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["audit", str(tmp_path / "c"), "-o", str(tmp_path / "r"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "NM-01" in result.output and (tmp_path / "r" / "report.html").exists()


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    # A path longer than any terminal: the message must stay on one line (issue 12, finding 10), so a
    # script or a log reader finds the path and the reason together.
    missing = tmp_path / ("d" * 150) / "missing"
    result = CliRunner().invoke(app, ["audit", str(missing), "-o", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert any(str(missing) in line and "not a directory" in line for line in result.output.splitlines())
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(app, ["audit", str(tmp_path / "empty"), "-o", str(tmp_path / "r")])
    assert result.exit_code == 2 and "no *.ndjson" in result.output
