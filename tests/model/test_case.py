"""Case validation: errors name the field path and the reason."""

from __future__ import annotations

from typing import Any

import pytest

from bonemet.api import InputError, parse_case
from factories import case_doc, exam, pet


def problems(doc: Any) -> list[str]:
    with pytest.raises(InputError) as err:
        parse_case(doc)
    return [str(p) for p in err.value.problems]


def test_valid_case_round_trips() -> None:
    case = parse_case(case_doc(exams=[pet(pet_coverage="vertex_to_feet")]))
    assert case.exams[0].covers_femurs is True
    assert parse_case(case.model_dump(mode="json")) == case


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (case_doc(context={"phase": "later"}), "context.phase: Input should be 'staging'"),
        (case_doc(exams=[pet(date="2025-02-30")]), "exams[0].date: Input should be a valid date"),
        (case_doc(exams=[exam("bone_scan", "2025-01-01", pet_coverage="vertex_to_feet")]),
         "exams[0]: pet_coverage/femurs_included apply to PET exams only"),
        (case_doc(treatments=[{"id": "l", "type": "chemotherapy", "start": "2025-02-01",
                               "end": "2025-01-01"}]),
         "treatments[0]: end 2025-01-01 is before start 2025-02-01"),
        (case_doc(labs=[{"date": "2025-01-01", "analyte": "ctx", "value": 300, "unit": "mg"}]),
         "labs[0]: unit 'mg' is not accepted for ctx"),
        (case_doc(exams=[pet(), pet()]), "duplicate exam id"),
        (case_doc(extra_field=1), "extra_field: Extra inputs are not permitted"),
        (case_doc(schema_version="9.9"), "schema_version: Input should be '1.0'"),
        ([], "a case must be a mapping"),
    ],
    ids=["bad-enum", "bad-date", "pet-field-on-bone-scan", "end-before-start", "bad-unit",
         "duplicate-id", "unknown-field", "schema-version", "not-a-mapping"],
)
def test_errors_name_field_and_reason(doc: Any, expected: str) -> None:
    assert any(expected in p for p in problems(doc)), problems(doc)


def test_missing_required_field() -> None:
    doc = case_doc()
    del doc["context"]
    assert problems(doc) == ["context: Field required"]


def test_lab_loinc_codes() -> None:
    case = parse_case(case_doc(labs=[{"date": "2025-01-01", "analyte": "cea", "value": 4.2,
                                      "unit": "ng/mL"}]))
    assert case.labs[0].loinc == "2039-6"
