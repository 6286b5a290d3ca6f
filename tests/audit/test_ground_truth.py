"""The audit recovers exactly what the generator injected (the generator decides, not the audit)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from bonemet.audit.indicators import INDICATOR_IDS


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_indicator_equals_the_ground_truth(
    audited: tuple[Path, dict[str, Any]], truth: list[dict[str, Any]]
) -> None:
    out, _ = audited
    got: dict[tuple[str, str], tuple[bool, bool]] = {}
    for r in _csv(out / "indicator_patients.csv"):
        got[(r["patient_id"], r["indicator"])] = (r["denominator"] == "true", r["numerator"] == "true")
    expected: dict[tuple[str, str], tuple[bool, bool]] = {}
    for t in truth:
        for indicator, v in t["indicators"].items():
            if v["denominator"]:
                expected[(t["patient_id"], indicator)] = (True, v["numerator"])
    assert got == expected
    for indicator in INDICATOR_IDS:  # the cohort exercises every indicator, both ways
        members = [v for (_, i), v in expected.items() if i == indicator]
        assert any(n for _, n in members) and not all(n for _, n in members), indicator


def test_rates_match_the_ground_truth_counts(
    audited: tuple[Path, dict[str, Any]], truth: list[dict[str, Any]]
) -> None:
    _, summary = audited
    overall = {r["indicator"]: r for r in summary["indicators_table"] if r["breakdown"] == "all"}
    for indicator in INDICATOR_IDS:
        den = sum(1 for t in truth if t["indicators"].get(indicator, {}).get("denominator"))
        num = sum(1 for t in truth if t["indicators"].get(indicator, {}).get("numerator"))
        row = overall[indicator]
        assert (row["numerator"], row["denominator"]) == (num, den)
        assert row["ci_low"] <= row["rate"] <= row["ci_high"]
        by_site = [
            r for r in summary["indicators_table"] if r["indicator"] == indicator and r["breakdown"] == "site"
        ]
        by_year = [
            r for r in summary["indicators_table"] if r["indicator"] == indicator and r["breakdown"] == "year"
        ]
        assert sum(r["denominator"] for r in by_site) == den == sum(r["denominator"] for r in by_year)
        assert sum(r["numerator"] for r in by_site) == num == sum(r["numerator"] for r in by_year)
        truth_sites = {t["site"] for t in truth if t["indicators"].get(indicator, {}).get("denominator")}
        assert {r["key"] for r in by_site} == truth_sites


def test_malformed_lines_are_reported_with_file_and_line(
    audited: tuple[Path, dict[str, Any]], truth: list[dict[str, Any]]
) -> None:
    out, summary = audited
    issues = _csv(out / "issues.csv")
    got = {(i["file"], int(i["line"])) for i in issues if i["kind"] == "malformed"}
    expected = {(m["file"], m["line"]) for t in truth for m in t["malformed_lines"]}
    assert expected and got == expected
    assert all(i["reason"].startswith("malformed JSON") for i in issues if i["kind"] == "malformed")
    assert summary["issues"]["by_kind"]["malformed"] == len(expected)


def test_unknown_codes_are_reported_with_file_and_line(
    audited: tuple[Path, dict[str, Any]], truth: list[dict[str, Any]]
) -> None:
    out, _ = audited
    issues = _csv(out / "issues.csv")
    got = {(i["file"], int(i["line"])) for i in issues if i["kind"] == "unknown_code"}
    expected = {(u["file"], u["line"]) for t in truth for u in t["unknown_code_lines"]}
    assert expected and got == expected
    # Nothing else was lost on the way: every other resource the generator wrote was mapped (the
    # records set aside by an indicator are not lost: test below).
    assert {i["kind"] for i in issues} == {"malformed", "unknown_code", "set_aside"}


def test_records_set_aside_are_reported_with_their_own_line(
    audited: tuple[Path, dict[str, Any]], truth: list[dict[str, Any]], cohort: Path
) -> None:
    """Issue 24: a zoledronic acid course without a dose or a clearance at its start is counted
    apart, on the line of the course's own resource, never dropped in silence."""
    out, summary = audited
    aside = [i for i in _csv(out / "issues.csv") if i["kind"] == "set_aside"]
    got = sorted((i["patient_id"], i["reason"].split(":")[0]) for i in aside)
    expected = sorted((t["patient_id"], a["indicator"]) for t in truth for a in t["set_aside"])
    assert expected and got == expected
    assert summary["set_aside"]["zoledronic_acid_dose_within_band"] == len(expected)
    assert summary["set_aside"]["bone_scan_after_pet"] == 0
    records = {(t["patient_id"], a["record"]) for t in truth for a in t["set_aside"]}
    for i in aside:
        line = (cohort / i["file"]).read_text(encoding="utf-8").splitlines()[int(i["line"]) - 1]
        assert any(f'"{record}"' in line for pid, record in records if pid == i["patient_id"]), i
        assert "missing" in i["reason"] or "no dose" in i["reason"], i


def test_non_lung_patients_are_out_of_scope(
    audited: tuple[Path, dict[str, Any]], truth: list[dict[str, Any]]
) -> None:
    out, summary = audited
    expected = sorted(t["patient_id"] for t in truth if not t["in_scope"])
    assert expected and summary["patients"]["out_of_scope_ids"] == expected
    patients = pq.read_table(out / "patients.parquet").to_pylist()
    assert len(patients) == len(truth) and all(p["status"] == "ok" for p in patients)
    members = {r["patient_id"] for r in _csv(out / "indicator_patients.csv")}
    assert not members & set(expected)


def test_report_files_are_complete(audited: tuple[Path, dict[str, Any]]) -> None:
    out, summary = audited
    names = {p.name for p in out.iterdir()}
    for table in ("indicators", "indicator_patients", "patients", "issues"):
        assert {f"{table}.csv", f"{table}.parquet"} <= names
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 1 + 2 * 6 and "NM-07,NM-08" in html and "interpretation" in html
    assert summary["knowledge_base"]["version"] and summary["valuesets_version"]
