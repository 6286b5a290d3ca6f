"""`bonemet probability` as a user runs it: numbers, sources, nomogram, exit code 2 on bad values."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from test_cli import run


def test_issue_example_in_json() -> None:
    result = run("probability", "--pretest", "0.3", "--test", "bone_scan:negative",
                 "--test", "fdg_pet_ct:positive", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = orjson.loads(result.stdout)
    # Defaults since KB 2026.12 (issue 17): Liu 2011 for both arms (0.3 → LR- 0.119 → LR+ 28.7).
    assert [s["source"]["entry_id"] for s in data["steps"]] == ["liu2011_bs", "liu2011_pet"]
    assert data["posttest"] == pytest.approx(0.5946, abs=1e-4)
    assert data["table_version"] and data["knowledge_base"]["version"]
    assert any("conditionally independent" in a["en"] for a in data["assumptions"])


def test_text_with_prior_and_source_in_french() -> None:
    result = run("probability", "--prior", "nsclc_staging", "--test", "bone_scan:negative",
                 "--source", "liu2011_bs", "--lang", "fr")
    assert result.returncode == 0, result.stderr
    assert "Probabilité post-test" in result.stdout and "liu2011_bs" in result.stdout


def test_percent_pretest_and_nomogram(tmp_path: Path) -> None:
    out = tmp_path / "fagan.svg"
    result = run("probability", "--pretest", "30%", "--test", "spect_ct:positive",
                 "--nomogram", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"<?xml")
    assert "chapter_f07" in result.stdout


def test_table_json_lists_every_modality_with_its_default() -> None:
    result = run("probability", "--table", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = orjson.loads(result.stdout)
    defaults = {m["id"]: m["default"] for m in data["modalities"]}
    assert defaults["bone_scan"] == "liu2011_bs" and defaults["spect_ct"] == "chapter_f07"
    assert {s["id"] for s in data["sources"]} >= {"song2009", "kruger2009", "chapter"}


def test_table_text() -> None:
    result = run("probability", "--table")
    assert result.returncode == 0, result.stderr
    assert "Krüger" in result.stdout and "song2009_bs" in result.stdout
    assert "unconfirmed" in result.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (["--pretest", "1.5", "--test", "bone_scan:negative"], "--pretest: must be a probability"),
    (["--pretest", "abc", "--test", "bone_scan:negative"], "--pretest: not a number"),
    (["--pretest", "0.3", "--test", "pet:positive"], "--test: unknown modality 'pet'"),
    (["--pretest", "0.3", "--test", "bone_scan"], "--test: expected MODALITY:RESULT"),
    (["--pretest", "0.3", "--test", "bone_scan:equivocal"], "--test: result must be positive or negative"),
    (["--pretest", "0.3"], "--test: give at least one result"),
    (["--test", "bone_scan:negative"], "--pretest: give either --pretest or --prior"),
    (["--prior", "sclc", "--test", "bone_scan:negative"], "--prior: unknown prior 'sclc'"),
    (["--pretest", "0.3", "--test", "bone_scan:negative", "--source", "nope"], "--source: unknown entry"),
    (["--pretest", "0.3", "--test", "naf_pet_ct:negative", "--source", "kruger2009_naf"],
     "--source: entry 'kruger2009_naf' cannot be used"),
    (["--pretest", "0.3", "--test", "bone_scan:negative", "--nomogram", "x.pdf"], "--nomogram: unsupported"),
    (["--table", "--pretest", "0.3"], "--table: prints the table only"),
])
def test_bad_values_exit_2_naming_the_option(args: list[str], expected: str) -> None:
    result = run("probability", *args)
    assert result.returncode == 2
    assert expected in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
