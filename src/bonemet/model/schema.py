"""Published JSON Schemas of the input and output models."""

from __future__ import annotations

from typing import Any, Literal

from bonemet.model.assessment import ASSESSMENT_SCHEMA_VERSION, Assessment
from bonemet.model.case import CASE_SCHEMA_VERSION, Case


def json_schema(name: Literal["case", "assessment"] | str) -> dict[str, Any]:
    if name == "case":
        schema = Case.model_json_schema()
        version: str = CASE_SCHEMA_VERSION
    elif name == "assessment":
        schema = Assessment.model_json_schema(mode="serialization")
        version = ASSESSMENT_SCHEMA_VERSION
    else:
        raise KeyError(f"unknown schema {name!r}; known: case, assessment")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://bonemet.invalid/schema/{name}-{version}.json",
        **schema,
    }
