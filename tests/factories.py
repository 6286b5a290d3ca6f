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


def up_to_the_decision(doc: dict[str, Any]) -> dict[str, Any]:
    """A done fact is never after an explicit decision date (refused since issue 21): a drawn date
    after it becomes the decision date itself; a booked exam keeps its date."""
    as_of = doc["context"].get("as_of")
    if as_of:
        for e in doc["exams"]:
            if e.get("status") != "planned" and e["date"] > as_of:
                e["date"] = as_of
        for t in doc["treatments"]:
            if t["start"] and t["start"] > as_of:
                t["start"] = as_of
    return doc
