"""The corpus (issue 14): records written the way other EHRs write them, each with what it must map to.

Every bundle under tests/fhir/corpus/ is listed in expected.yaml (and the reverse): its scope, the
primary site set or left unset, each draft order's modality, its systemic lines and radiotherapy
courses. The cards side (nothing out of scope gets a card) runs against the real service in
tests/service/test_service_cdshooks.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from bonemet.fhir import case_from_fhir
from bonemet.model.case import OUTSIDE_CHAPTER_HISTOLOGY, TreatmentType
from bonemet.service.fhir_bridge import ordered_modality

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text("utf-8"))
AS_OF = "2025-06-01"


def load(name: str) -> tuple[Any, list[dict[str, Any]]]:
    """The record (a Bundle's resources, or a CDS Hooks request's prefetch) and the draft orders of
    one corpus file."""
    doc = orjson.loads((CORPUS / f"{name}.json").read_bytes())
    if "hook" in doc:  # a CDS Hooks request, shaped as the specification's examples
        drafts = [e["resource"] for e in doc["context"]["draftOrders"]["entry"]]
        return doc["prefetch"], [r for r in drafts if r["resourceType"] == "ServiceRequest"]
    resources = [e["resource"] for e in doc["entry"]]
    orders = [r for r in resources if r["resourceType"] == "ServiceRequest" and r.get("status") == "draft"]
    return [r for r in resources if r not in orders], orders


def test_every_corpus_file_has_an_expectation_and_back() -> None:
    files = {p.stem for p in CORPUS.glob("*.json")}
    assert files == set(EXPECTED)
    assert len(files) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_bundle_maps_as_expected(name: str) -> None:
    want = EXPECTED[name]
    record, orders = load(name)
    result = case_from_fhir(record, context={"as_of": want.get("as_of", AS_OF)})
    cancer = result.case.cancer
    assert result.scope == want["scope"], result.assumptions
    if want["primary_site"] is None:
        assert "primary_site" not in cancer.model_fields_set, cancer
    else:
        assert cancer.primary_site == want["primary_site"]
    if "histology" in want:
        assert cancer.histology == want["histology"]
    if "diagnosis" in want:
        assert cancer.diagnosis == want["diagnosis"]
    # Only a confirmed lung primary puts the case in the advisor's scope (issue 17).
    # A carcinoid of the lung maps as lung and is outside the chapter (issue 21, docs/scope.md).
    chapter = cancer.histology not in OUTSIDE_CHAPTER_HISTOLOGY
    assert (cancer.scope()[0] == "in_scope") == (want["scope"] == "lung" and chapter), cancer
    got_orders = {o["id"]: (m.value if (m := ordered_modality(o)) else None) for o in orders}
    assert got_orders == want.get("orders", {})
    if "lines" in want:
        lines = sorted((t for t in result.case.treatments if t.is_systemic_line),
                       key=lambda t: (t.start is None, t.start))
        got = [[t.type.value, "+".join(sorted(t.agents)), t.start and t.start.isoformat(),
                t.end and t.end.isoformat()] for t in lines]
        assert got == want["lines"]
        assert [t.line_number for t in lines] == list(range(1, len(lines) + 1))
    if "radiotherapy_courses" in want:
        courses = [t for t in result.case.treatments if t.type is TreatmentType.radiotherapy]
        assert len(courses) == want["radiotherapy_courses"]
