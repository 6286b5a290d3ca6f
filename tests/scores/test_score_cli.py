"""`bonemet score …` as a user runs it: a real subprocess, exit code 2 on bad input.

Every command of this module runs in ONE `bonemet` process, through the real entry point
`bonemet.cli:main` (tests/cli_batch.py: its own stdout, stderr and exit code per command); a process
per command spent a second or two loading before its first line (issue 27). `run` looks a command's
result up; a command missing from COMMANDS is a mistake in this file, said so.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import orjson
import pytest

import cli_batch
from bonemet.scores.registry import SCORE_IDS
from golden import ROOT

MIRELS = ("score", "mirels", "--site", "lower-limb", "--pain", "functional", "--lesion", "lytic",
          "--size", "gt-2/3")
SINS_FR = ("score", "sins", "--level", "T11", "--pain", "mechanical", "--lesion", "lytic", "--alignment",
           "normal", "--collapse", "lt-50", "--posterolateral", "bilateral", "--lang", "fr")
TOKUHASHI_MISSING = ("score", "tokuhashi", "--karnofsky", "80", "--primary-site", "lung")
ASIA = ("score", "asia", "--all-normal", "no", "--sacral-sparing", "no", "-f", "json")
COMMANDS = [MIRELS, (*MIRELS, "--format", "json"), SINS_FR, ("score", "--list"),
            ("score", "--list", "--format", "json"), ("score", "mirels", "--site", "leg"),
            TOKUHASHI_MISSING, ("score", "tokuhashi", "--karnofsky", "45"),
            ("score", "harrington", "--class", "II", "--medial-wall", "deficient"),
            ("score", "frankel", "--grade", "C", "--format", "json"),
            ("score", "bilsky", "--grade", "1b", "-f", "json"), ASIA,
            ("assess", "examples/30-scores-spine-tumour-board.yaml")]
# PYTHONPATH passed on: the subprocess runs the source under test, not the venv's installed copy.
ENV = {"COLUMNS": "120", "PATH": "/usr/bin:/bin",
       **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}


@pytest.fixture(scope="module")
def ran() -> dict[tuple[str, ...], subprocess.CompletedProcess[str]]:
    results = cli_batch.run_batch([list(c) for c in COMMANDS], cwd=ROOT, env=ENV)
    return dict(zip(COMMANDS, results, strict=True))


@pytest.fixture
def run(ran: dict[tuple[str, ...], subprocess.CompletedProcess[str]]) -> object:
    def result(*args: str) -> subprocess.CompletedProcess[str]:
        assert args in ran, f"add {args} to COMMANDS"
        return ran[args]
    return result


def test_mirels_text_and_json(run: Any) -> None:
    args = MIRELS
    text = run(*args)
    assert text.returncode == 0, text.stderr
    assert "Total 11" in text.stdout and "High risk" in text.stdout and "guideline ref. 77" in text.stdout
    out = run(*args, "--format", "json")
    doc = orjson.loads(out.stdout)
    assert (doc["total"], doc["band"]["id"], doc["citation"]["guideline_ref"]) == (11, "high", 77)
    assert doc["thresholds"][0]["status"] == "not_evaluable"


def test_french_output(run: Any) -> None:
    out = run(*SINS_FR)
    assert out.returncode == 0, out.stderr
    assert "Instable" in out.stdout and "avis" in out.stdout


def test_list(run: Any) -> None:
    out = run("score", "--list")
    assert out.returncode == 0
    for name in SCORE_IDS:
        assert name in out.stdout
    assert "Rades" in out.stdout
    doc = orjson.loads(run("score", "--list", "--format", "json").stdout)
    assert {s["id"] for s in doc["scores"]} >= {"mirels", "tokuhashi"} and doc["kb_version"]


def test_wrong_value_exits_2_listing_allowed_values(run: Any) -> None:
    out = run("score", "mirels", "--site", "leg")
    assert out.returncode == 2
    assert "upper-limb" in out.stderr and "peritrochanteric" in out.stderr and "Traceback" not in out.stderr


def test_missing_inputs_exit_2_listing_every_missing_field(run: Any) -> None:
    out = run(*TOKUHASHI_MISSING)
    assert out.returncode == 2
    for field in ("extraspinal_bone_metastases", "vertebral_body_metastases", "internal_organ_metastases",
                  "palsy"):
        assert f"{field}: missing" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_karnofsky_off_scale_exits_2(run: Any) -> None:
    out = run("score", "tokuhashi", "--karnofsky", "45")
    assert out.returncode == 2 and "multiple of 10" in out.stderr


def test_harrington_class_and_findings_together_exit_2(run: Any) -> None:
    out = run("score", "harrington", "--class", "II", "--medial-wall", "deficient")
    assert out.returncode == 2 and "not both" in out.stderr


def test_grade_scores(run: Any) -> None:
    doc = orjson.loads(run("score", "frankel", "--grade", "C", "--format", "json").stdout)
    assert doc["links"] == [{"score": "tokuhashi", "item": "palsy", "value": "incomplete", "points": 1}]
    doc = orjson.loads(run("score", "bilsky", "--grade", "1b", "-f", "json").stdout)
    assert (doc["grade"]["rank"], doc["band"]["id"]) == (2, "low-grade")
    doc = orjson.loads(run(*ASIA).stdout)
    assert doc["grade"]["id"] == "A"


def test_assess_shows_scores_of_the_example(run: Any) -> None:
    out = run("assess", "examples/30-scores-spine-tumour-board.yaml")
    assert out.returncode == 0, out.stderr
    assert "Scores:" in out.stdout and "SINS" in out.stdout and "Tokuhashi" in out.stdout
