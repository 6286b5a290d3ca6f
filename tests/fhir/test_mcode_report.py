"""Issue 26, "say why": HL7's mCODE examples (assembled per patient at run time) and the variants are
read, and the mapping report accounts for every resource of each record exactly once; the facts
written in tests/fhir/mcode_variants/expectations.yaml before the reader are all read right."""

from __future__ import annotations

import json
from typing import Any

import mcode_examples as mx
import mcode_facts
import pytest

from bonemet.fhir.to_case import case_from_fhir

pytestmark = pytest.mark.skipif(not mx.available(), reason="HL7 mCODE package absent: run `make mcode`")


def _records() -> dict[str, dict[str, Any]]:
    if not mx.available():
        return {}
    out = {**mx.patient_bundles(), **mx.hl7_bundles()}
    for p in sorted(mx.VARIANTS.glob("*.json")):
        out[p.stem] = json.loads(p.read_text())
    return out


RECORDS = _records()


def test_every_hl7_patient_and_bundle_is_assembled() -> None:
    # 7 example patients, HL7's 2 example Bundles, 7 variants and 3 of the issue-26 review.
    assert len(RECORDS) == 19
    in_bundles = {rid for b in RECORDS.values() for _, rid in mx.resource_ids(b)}
    patients = [rid for b in RECORDS.values() for rt, rid in mx.resource_ids(b) if rt == "Patient"]
    assert len(set(patients)) == 7 + 7 + 3 and len(in_bundles) > 150


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_the_report_accounts_for_every_resource_once(name: str) -> None:
    bundle = RECORDS[name]
    result = case_from_fhir(bundle)
    reported = [(x.resource_type, x.resource_id) for x in result.report]
    assert sorted(reported) == sorted(mx.resource_ids(bundle))
    assert len(set(reported)) == len(reported)  # each once
    silent = [str(x) for x in result.report if x.outcome == "not accounted"]
    assert silent == []
    for x in result.report:
        assert x.detail.strip(), x  # read into something, or skipped with a reason


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_a_record_with_a_cancer_condition_is_never_no_cancer(name: str) -> None:
    bundle = RECORDS[name]
    profiles = [p for e in bundle["entry"] for p in e["resource"].get("meta", {}).get("profile", [])]
    result = case_from_fhir(bundle)
    if any(p.endswith(("primary-cancer-condition", "secondary-cancer-condition")) for p in profiles):
        assert result.scope != "no_cancer"


def test_the_facts_written_before_the_reader_are_all_read_right() -> None:
    right, total, wrong = mcode_facts.score(case_from_fhir)
    assert wrong == []
    assert (right, total) == (80, 80)


def test_the_report_says_why_a_resource_is_skipped() -> None:
    result = case_from_fhir(RECORDS["cancer-patient-john-anyperson"])
    by_id = {x.resource_id: x for x in result.report}
    assert by_id["secondary-cancer-condition-brain-mets"].outcome == "skipped"
    assert "metastasis outside bone" in by_id["secondary-cancer-condition-brain-mets"].detail
    assert "germline" in by_id["genomic-variant-germline-deletion"].detail
    assert by_id["human-specimen-lung"].detail == "resource type Specimen is not used by bonemet"
    assert by_id["cancer-related-medication-request-gefitinib"].outcome == "read"
    assert "egfr_tki" in by_id["cancer-related-medication-request-gefitinib"].detail
