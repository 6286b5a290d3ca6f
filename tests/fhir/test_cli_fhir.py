"""`bonemet assess` on a FHIR Bundle, `--format fhir`, and `bonemet fhir export`, as a user runs them."""

from __future__ import annotations

from pathlib import Path

import orjson
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.guidanceresponse import GuidanceResponse

from golden import ROOT
from test_cli import run, run_batch

FHIR_EXAMPLES = ROOT / "examples" / "fhir"


def test_assess_bundle_format_fhir_writes_a_guidance_response() -> None:
    out = run("assess", str(FHIR_EXAMPLES / "ehr-osimertinib.bundle.json"), "--format", "fhir",
              "--phase", "on_treatment", "--as-of", "2025-04-15", "--question", "response_assessment")
    assert out.returncode == 0, out.stderr
    g = orjson.loads(out.stdout)
    GuidanceResponse.model_validate(g)
    assert g["occurrenceDateTime"] == "2025-04-15"
    assert "not mapped: Encounter/enc1" in out.stderr  # reported, never silently dropped


def test_exported_bundle_assesses_like_the_case(tmp_path: Path) -> None:
    case = ROOT / "examples" / "12-response-after-month-6.yaml"
    bundle = tmp_path / "b.json"
    assert run("fhir", "export", str(case), "-o", str(bundle)).returncode == 0
    Bundle.model_validate(orjson.loads(bundle.read_bytes()))
    from_case = run("assess", str(case), "--format", "json")
    from_bundle = run("assess", str(bundle), "--format", "json")
    assert from_bundle.returncode == 0, from_bundle.stderr
    assert orjson.loads(from_bundle.stdout) == orjson.loads(from_case.stdout)


def test_shipped_example_bundle_is_the_exported_case() -> None:
    shipped = orjson.loads((FHIR_EXAMPLES / "11-response-early.bundle.json").read_bytes())
    out = run("fhir", "export", str(ROOT / "examples" / "11-response-early.yaml"))
    assert orjson.loads(out.stdout) == shipped


def test_bad_fhir_input_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Observation", '
                    b'"id": "o", "status": "final", "code": {"coding": [{"system": "http://loinc.org", '
                    b'"code": "2039-6"}]}, "valueQuantity": {"value": 1, "unit": "ng/mL"}}}]}')
    out = run("assess", str(bad))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "Observation/o.effectiveDateTime" in out.stderr
    malformed = tmp_path / "m.json"
    malformed.write_text("{")
    out = run("assess", str(malformed), "--format", "fhir")
    assert out.returncode == 2 and "malformed json" in out.stderr.lower()


def test_context_options_are_refused_for_a_case_file() -> None:
    out = run("assess", str(ROOT / "examples" / "01-staging-no-pet.yaml"), "--phase", "staging")
    assert out.returncode == 2 and "FHIR Bundles only" in out.stderr


def test_fhir_report_accounts_for_every_resource_of_an_mcode_record() -> None:
    """`bonemet fhir report` (issue 26, "say why"): one line per resource of the Bundle, read or
    skipped with its reason, and the count; `--json` the same as data; a case file is refused."""
    path = ROOT / "tests" / "fhir" / "mcode_variants" / "v03-tki-and-platinum-same-day.json"
    ids = {e["resource"]["id"] for e in orjson.loads(path.read_bytes())["entry"]}
    text, data, wrong = run_batch([["fhir", "report", str(path)], ["fhir", "report", str(path), "--json"],
                                   ["fhir", "report", str(ROOT / "examples" / "01-staging-no-pet.yaml")]])
    assert text.returncode == 0, text.stderr
    assert f"{len(ids)} resources:" in text.stdout and "0 not accounted for" in text.stdout
    rows = orjson.loads(data.stdout)
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert {r["outcome"] for r in rows} <= {"read", "skipped"}
    assert all(r["detail"] for r in rows)
    assert wrong.returncode == 2 and "not a FHIR Bundle" in wrong.stderr
