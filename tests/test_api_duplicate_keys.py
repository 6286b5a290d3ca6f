"""A case file with a field given twice is refused, naming the field (hazard HZ-IN-01).

YAML and JSON parsers keep the last of two equal keys: a case with `result: positive` then
`result: negative` would be assessed on the second alone, without a word. Before the strict reader
every document below was accepted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bonemet.api import InputError, decode, load_case

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "20-flare-late-increase.yaml"

# (format, document, field path named by the problem)
REPEATS = [
    ("yaml", "case_id: a\ncase_id: b\n", "case_id"),
    ("yaml", "context:\n  phase: staging\n  as_of: 2025-01-01\n  phase: on_treatment\n",
     "context.phase"),
    ("yaml", "exams:\n  - id: bs0\n    result: positive\n    result: negative\n", "exams[0].result"),
    ("yaml", "exams:\n  - {id: bs0}\n  - {id: bs1, lesions: [{site: rib}, {site: rib, site: femur}]}\n",
     "exams[1].lesions[1].site"),
    ("json", '{"case_id": "a", "case_id": "b"}', "case_id"),
    ("json", '{"exams": [{"id": "bs0"}, {"id": "bs1", "result": "positive", "result": "negative"}]}',
     "exams[1].result"),
]


@pytest.mark.parametrize(("fmt", "raw", "field"), REPEATS,
                         ids=[f"{fmt}:{field}" for fmt, _, field in REPEATS])
def test_a_repeated_field_is_refused_with_its_path(fmt: str, raw: str, field: str) -> None:
    # What the strict reader replaces: both parsers accept the document and keep the last value.
    assert (json.loads(raw) if fmt == "json" else yaml.safe_load(raw)) is not None
    with pytest.raises(InputError) as err:
        decode(raw.encode(), fmt)
    [problem] = err.value.problems
    assert problem.field == field
    assert "duplicate key" in problem.message and "silently lost" in problem.message


def test_yaml_problem_gives_both_lines() -> None:
    with pytest.raises(InputError) as err:
        decode(b"exams:\n  - id: bs0\n    result: positive\n    result: negative\n", "yaml")
    assert "(line 4; first at line 3)" in err.value.problems[0].message


def _with_repeated_result(tmp_path: Path) -> Path:
    """The example case with the control scan's result written twice (negative last)."""
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "purpose: response_assessment, result: positive,",
        "purpose: response_assessment, result: positive, result: negative,")
    target = tmp_path / "repeated.yaml"
    target.write_text(text, encoding="utf-8")
    return target


def test_load_case_names_the_exam_field(tmp_path: Path) -> None:
    load_case(EXAMPLE)  # the example itself is valid
    with pytest.raises(InputError) as err:
        load_case(_with_repeated_result(tmp_path))
    assert [p.field for p in err.value.problems] == ["exams[1].result"]
    assert err.value.source.endswith("repeated.yaml")


def test_cli_exits_2_naming_the_field_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bonemet", "assess", str(_with_repeated_result(tmp_path))],
        capture_output=True, text=True, timeout=60, env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2, result.stdout
    assert "exams[1].result" in result.stderr and "duplicate key 'result'" in result.stderr
    assert "Traceback" not in result.stderr and not result.stdout
