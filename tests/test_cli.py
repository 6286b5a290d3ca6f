"""The CLI as a user runs it: a real subprocess, golden outputs, exit code 2 on bad input.

Catalogues of commands (every example's golden, every rule in both languages) run in one `bonemet`
process each, through the real entry point (tests/cli_batch.py): a process per command spent two to
three seconds each loading the knowledge base, two minutes of the suite (issue 27).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import orjson
import pytest

import cli_batch
from bonemet.core.advisor import RULES  # importing the advisor registers every rule
from golden import GOLDEN_DIR, ROOT, example_cases, same_golden

BONEMET = [sys.executable, "-m", "bonemet"]


# PYTHONPATH passed on: the subprocess runs the source under test (a work tree run with
# PYTHONPATH=src), not whichever copy the virtual environment has installed.
ENV = {"COLUMNS": "100", "PATH": "/usr/bin:/bin",
       **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BONEMET, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=60, env=ENV)


def run_batch(commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    return cli_batch.run_batch(commands, cwd=ROOT, env=ENV)


@pytest.fixture(scope="module")
def assessment_schema() -> dict[str, object]:
    """`bonemet schema assessment`, asked once: the same document for every example."""
    result = run("schema", "assessment")
    assert result.returncode == 0, result.stderr
    schema: dict[str, object] = orjson.loads(result.stdout)
    return schema


@pytest.fixture(scope="module")
def assessed_examples() -> dict[str, subprocess.CompletedProcess[str]]:
    """`bonemet assess <example> --format json` for every example, in one process."""
    cases = example_cases()
    results = run_batch([["assess", str(c.relative_to(ROOT)), "--format", "json"] for c in cases])
    return {c.stem: r for c, r in zip(cases, results, strict=True)}


def test_at_least_15_examples_with_goldens() -> None:
    cases = example_cases()
    assert len(cases) >= 15
    assert {p.stem for p in cases} == {p.stem for p in GOLDEN_DIR.glob("*.json")}


@pytest.mark.parametrize("case", example_cases(), ids=lambda p: p.stem)
def test_golden_json_and_schema(case: Path, assessed_examples: dict[str, subprocess.CompletedProcess[str]],
                                assessment_schema: dict[str, object]) -> None:
    result = assessed_examples[case.stem]
    assert result.returncode == 0, result.stderr
    assert same_golden(result.stdout, GOLDEN_DIR / f"{case.stem}.json"), (
        "output differs from golden (knowledge-base version aside); run `make golden` and review "
        "the diff")
    jsonschema.Draft202012Validator(assessment_schema).validate(orjson.loads(result.stdout))


def test_examples_fire_every_imaging_rule_and_every_rating() -> None:
    fired: set[str] = set()
    ratings: set[str] = set()
    for golden in GOLDEN_DIR.glob("*.json"):
        data = orjson.loads(golden.read_bytes())
        fired |= {r["rule_id"] for r in data["recommendations"]}
        ratings |= {r["rating"] for r in data["ratings"]}
    # Every imaging rule of the registry (one YAML entry, one @rule function: NM-xx, SAFE-xx) has an
    # example that fires it; the list is the registry's, not typed here.
    assert {r for r in RULES if r.split("-")[0] in {"NM", "SAFE"}} <= fired
    assert ratings == {"usually_appropriate", "may_be_appropriate", "usually_not_appropriate",
                       "no_criteria_apply"}


def test_text_report_in_french() -> None:
    result = run("assess", "examples/11-response-early.yaml", "--lang", "fr")
    assert result.returncode == 0
    # Inside the flare window the scan is "not now", with its day (review 25 F3).
    assert "Pas maintenant" in result.stdout and "01/08/2025" in result.stdout
    assert "n'est pas un dispositif médical" in result.stdout


def test_case_schema_is_valid_json_schema() -> None:
    schema = orjson.loads(run("schema", "case").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "context" in schema["required"]


def test_bad_case_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: '1.0'\ncase_id: x\ncontext: {phase: nope}\n"
                   "exams: [{id: a, date: 2025-13-01, modality: bone_scan}]\n")
    result = run("assess", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "context.phase" in result.stderr and "exams[0].date" in result.stderr


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [("{not json", "c.json", "malformed json"), ("a: [", "c.yaml", "malformed yaml"),
     ("- 1\n- 2\n", "c.yaml", "must be a mapping")],
)
def test_malformed_files_exit_2(tmp_path: Path, content: str, name: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = run("assess", str(path))
    assert result.returncode == 2 and expected in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2() -> None:
    result = run("assess", "does-not-exist.yaml")
    assert result.returncode == 2 and "cannot read file" in result.stderr


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_rule_and_statement_reachable_in_both_languages(lang: str) -> None:
    from bonemet.kb import default_kb

    kb = default_kb()
    *rules, listed, statement = run_batch(
        [*(["kb", "rule", rule_id, "--lang", lang, "--format", "json"] for rule_id in kb.rules),
         ["kb", "list", "--lang", lang], ["kb", "statement", "F20", "--lang", lang]])
    for rule_id, out in zip(kb.rules, rules, strict=True):
        assert out.returncode == 0 and orjson.loads(out.stdout)["id"] == rule_id
    listing = listed.stdout
    for statement_id in kb.statements:
        assert statement_id in listing
    shown = statement.stdout
    assert kb.statement("F20").text(lang)[:30] in shown.replace("\n", " ")  # type: ignore[arg-type]


def test_kb_ref_and_unknown_ids() -> None:
    ref31, rule99, ref151, ref83 = run_batch([["kb", "ref", "31", "--format", "json"],
                                              ["kb", "rule", "NM-99"], ["kb", "ref", "151"],
                                              ["kb", "ref", "83"]])
    ref = orjson.loads(ref31.stdout)
    assert ref["year"] == 2009 and "Krüger S" in ref["authors"]
    assert rule99.returncode == 2
    assert ref151.returncode == 2
    assert "duplicate of: 82" in ref83.stdout


def test_demo_prints_every_demo_case() -> None:
    result = run("demo")
    assert result.returncode == 0
    for case in example_cases():
        case_id = orjson.loads((GOLDEN_DIR / f"{case.stem}.json").read_bytes())["case_id"]
        assert case_id in result.stdout


def test_french_ratings_table_keeps_the_reason_readable_at_80_columns() -> None:
    # Review of issue 21 (M3): long French exam and rating names squeezed "Pourquoi" to one letter.
    import io

    from rich.console import Console

    from bonemet.api import assess, load_case
    from bonemet.cli.render import assessment

    a = assess(load_case(ROOT / "examples" / "49-cord-grade-contradicts-context.yaml"))
    out = io.StringIO()
    Console(file=out, width=80, color_system=None).print(assessment(a, "fr"))
    header = next(line for line in out.getvalue().splitlines() if "Pourquoi" in line)
    why = header.split("┃")[-2]
    assert len(why) >= 18, header  # it was 3 characters wide
    assert "compression" in out.getvalue()
