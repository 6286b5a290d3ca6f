"""The dose reader shared by the case reader and the CDS order check (issue 24)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bonemet.fhir.read_dose import dose_mg

UCUM = "http://unitsofmeasure.org"


def _request(*quantities: object) -> dict[str, object]:
    return {"dosageInstruction": [{"doseAndRate": [{"doseQuantity": q}]} for q in quantities]}


@pytest.mark.parametrize(("quantity", "mg"), [
    ({"value": 4, "unit": "mg", "system": UCUM, "code": "mg"}, 4.0),
    ({"value": 3.5, "unit": "milligram", "system": UCUM, "code": "mg"}, 3.5),
    ({"value": 0.12, "system": UCUM, "code": "g"}, 120.0),
    ({"value": 4000, "system": UCUM, "code": "ug"}, 4.0),
    ({"value": 120, "unit": "mg"}, 120.0),
])
def test_mass_doses_are_read_in_mg(quantity: dict[str, object], mg: float) -> None:
    assert dose_mg(_request(quantity), "MedicationRequest").mg == mg


@pytest.mark.parametrize(("body", "rt", "words"), [
    ({}, "MedicationRequest", "no dose"),
    (_request({"value": 100, "system": UCUM, "code": "mL"}), "MedicationRequest", "'mL'"),
    (_request({"value": 4}), "MedicationRequest", "unit None"),
    (_request({"value": -4, "code": "mg"}), "MedicationRequest", "positive"),
    (_request({"value": True, "code": "mg"}), "MedicationRequest", "positive"),
    (_request({"value": 4, "code": "mg"}, {"value": 3, "code": "mg"}), "MedicationRequest", "several"),
    ({"dosageInstruction": [{"doseAndRate": [{"doseRange": {"low": {"value": 3}}}]}]},
     "MedicationRequest", "range"),
    ({"dosage": {"dose": {"value": 4, "system": "http://snomed.info/sct", "code": "mg"}}},
     "MedicationAdministration", "not a mass"),
])
def test_unreadable_doses_say_why(body: dict[str, object], rt: str, words: str) -> None:
    reading = dose_mg(body, rt)
    assert reading.mg is None
    assert reading.reason is not None and words in reading.reason


def test_administration_and_statement_places() -> None:
    given_dose = {"dosage": {"dose": {"value": 3.3, "system": UCUM, "code": "mg"}}}
    assert dose_mg(given_dose, "MedicationAdministration").mg == 3.3
    statement = {"dosage": [{"doseAndRate": [{"doseQuantity": {"value": 120, "code": "mg"}}]}]}
    assert dose_mg(statement, "MedicationStatement").mg == 120.0
    assert dose_mg(statement, "MedicationStatement").path == "dosage[0].doseAndRate[0].doseQuantity"


@given(st.floats(min_value=0.001, max_value=10_000, allow_nan=False), st.sampled_from(["mg", "g", "ug"]))
def test_same_mass_same_dose_whatever_the_unit(value: float, unit: str) -> None:
    factor = {"mg": 1.0, "g": 1000.0, "ug": 0.001}[unit]
    got = dose_mg(_request({"value": value, "system": UCUM, "code": unit}), "MedicationRequest").mg
    assert got == pytest.approx(value * factor, rel=1e-6, abs=1e-6)
