"""`bonemet score …` as a user runs it: a real subprocess, exit code 2 on bad input."""

from __future__ import annotations

import subprocess
import sys

import orjson

from bonemet.scores.registry import SCORE_IDS
from golden import ROOT

BONEMET = [sys.executable, "-m", "bonemet"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BONEMET, *args], capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"})


def test_mirels_text_and_json() -> None:
    args = ["score", "mirels", "--site", "lower-limb", "--pain", "functional", "--lesion", "lytic",
            "--size", "gt-2/3"]
    text = run(*args)
    assert text.returncode == 0, text.stderr
    assert "Total 11" in text.stdout and "High risk" in text.stdout and "guideline ref. 77" in text.stdout
    out = run(*args, "--format", "json")
    doc = orjson.loads(out.stdout)
    assert (doc["total"], doc["band"]["id"], doc["citation"]["guideline_ref"]) == (11, "high", 77)
    assert doc["thresholds"][0]["status"] == "not_evaluable"


def test_french_output() -> None:
    out = run("score", "sins", "--level", "T11", "--pain", "mechanical", "--lesion", "lytic", "--alignment",
              "normal", "--collapse", "lt-50", "--posterolateral", "bilateral", "--lang", "fr")
    assert out.returncode == 0, out.stderr
    assert "Instable" in out.stdout and "avis" in out.stdout


def test_list() -> None:
    out = run("score", "--list")
    assert out.returncode == 0
    for name in SCORE_IDS:
        assert name in out.stdout
    assert "Rades" in out.stdout
    doc = orjson.loads(run("score", "--list", "--format", "json").stdout)
    assert {s["id"] for s in doc["scores"]} >= {"mirels", "tokuhashi"} and doc["kb_version"]


def test_wrong_value_exits_2_listing_allowed_values() -> None:
    out = run("score", "mirels", "--site", "leg")
    assert out.returncode == 2
    assert "upper-limb" in out.stderr and "peritrochanteric" in out.stderr and "Traceback" not in out.stderr


def test_missing_inputs_exit_2_listing_every_missing_field() -> None:
    out = run("score", "tokuhashi", "--karnofsky", "80", "--primary-site", "lung")
    assert out.returncode == 2
    for field in ("extraspinal_bone_metastases", "vertebral_body_metastases", "internal_organ_metastases",
                  "palsy"):
        assert f"{field}: missing" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_karnofsky_off_scale_exits_2() -> None:
    out = run("score", "tokuhashi", "--karnofsky", "45")
    assert out.returncode == 2 and "multiple of 10" in out.stderr


def test_harrington_class_and_findings_together_exit_2() -> None:
    out = run("score", "harrington", "--class", "II", "--medial-wall", "deficient")
    assert out.returncode == 2 and "not both" in out.stderr


def test_grade_scores() -> None:
    doc = orjson.loads(run("score", "frankel", "--grade", "C", "--format", "json").stdout)
    assert doc["links"] == [{"score": "tokuhashi", "item": "palsy", "value": "incomplete", "points": 1}]
    doc = orjson.loads(run("score", "bilsky", "--grade", "1b", "-f", "json").stdout)
    assert (doc["grade"]["rank"], doc["band"]["id"]) == (2, "low-grade")
    doc = orjson.loads(run("score", "asia", "--all-normal", "no", "--sacral-sparing", "no",
                           "-f", "json").stdout)
    assert doc["grade"]["id"] == "A"


def test_assess_shows_scores_of_the_example() -> None:
    out = run("assess", "examples/30-scores-spine-tumour-board.yaml")
    assert out.returncode == 0, out.stderr
    assert "Scores:" in out.stdout and "SINS" in out.stdout and "Tokuhashi" in out.stdout
