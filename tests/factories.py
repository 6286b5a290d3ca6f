"""Small builders for cases in tests: a valid base document plus the fields a test cares about."""

from __future__ import annotations

from typing import Any

from bonemet.api import assess, parse_case
from bonemet.model import Assessment


def case_doc(phase: str = "staging", **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": "1.0",
        "case_id": "t",
        "cancer": {"primary_site": "lung", "histology": "adenocarcinoma"},
        "context": {"phase": phase, "as_of": "2025-06-01"},
    }
    for key, value in overrides.items():
        if key == "context":
            doc["context"] = {**doc["context"], **value}
        else:
            doc[key] = value
    return doc


def assess_doc(doc: dict[str, Any]) -> Assessment:
    return assess(parse_case(doc))


def pet(date: str = "2025-05-20", **fields: Any) -> dict[str, Any]:
    return {"id": f"pet-{date}", "date": date, "modality": "fdg_pet_ct", "purpose": "staging",
            "result": "positive", **fields}


def exam(modality: str, date: str, **fields: Any) -> dict[str, Any]:
    return {"id": f"{modality}-{date}", "date": date, "modality": modality, **fields}
