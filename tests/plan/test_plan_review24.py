"""Findings of the issue-24 clinical review (thoracic oncologist + hospital pharmacist, review24.md),
each asserted on the reviewers' own case (tests/plan/review_cases_bt/) and on cases of our own."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bonemet.api import assess, parse_case
from bonemet.kb import default_kb
from bonemet.model.case import Case, LabResult

CASES = Path(__file__).parent / "review_cases_bt"


def _case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CASES / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


def _plan(doc: dict[str, Any]) -> Any:
    return assess(parse_case(doc), default_kb()).plan


def _proposal(plan: Any, rule_id: str) -> Any:
    return next((p for p in plan.proposals if p.rule_id == rule_id), None)


def _doses(plan: Any) -> list[str]:
    """Every zoledronic acid dose the plan states, in mg."""
    bt03 = _proposal(plan, "BT-03")
    return [] if bt03 is None else re.findall(r"\b(\d\.\d) mg\b", bt03.text.en)


# --- B1: an implausibly low creatinine (mg/dL typed as µmol/L) -------------------------------------

@pytest.mark.parametrize(("value", "unit"), [(2.5, "µmol/L"), (2.5, "umol/L"), (17.9, "µmol/L"),
                                             (0.15, "mg/dL"), (0.3, "mmol/L")])
def test_impossibly_low_creatinine_or_calcium_is_refused_naming_the_unit(value: float, unit: str) -> None:
    analyte = "calcium" if unit == "mmol/L" else "creatinine"
    with pytest.raises(ValidationError, match="check the unit"):
        LabResult(date=dt.date(2026, 12, 1), analyte=analyte, value=value, unit=unit)


@pytest.mark.parametrize(("value", "unit"), [(18.0, "µmol/L"), (0.2, "mg/dL"), (25.0, "mg/dL")])
def test_low_but_possible_creatinine_is_kept(value: float, unit: str) -> None:
    assert LabResult(date=dt.date(2026, 12, 1), analyte="creatinine", value=value, unit=unit).value == value


def test_reviewers_case_b16b_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError) as err:
        Case.model_validate(_case("BT16b-creat-2_5-umol"))
    assert "labs.0" in str(err.value) or "labs[0]" in str(err.value)


def _young_heavy(creatinine_mg_dl: float, weight: float, birth_year: int,
                 entered: float | None = None) -> dict[str, Any]:
    doc = _case("BT02-new-mets-full-labs")
    doc["patient"]["birth_year"] = birth_year
    doc["patient"]["sex"] = "male"
    doc["plan_inputs"]["weight_kg"] = weight
    doc["plan_inputs"].pop("creatinine_clearance_ml_min", None)
    if entered is not None:
        doc["plan_inputs"]["creatinine_clearance_ml_min"] = entered
    doc["labs"] = [lab for lab in doc["labs"] if lab["analyte"] != "creatinine"]
    doc["labs"].append({"date": "2026-12-01", "analyte": "creatinine", "value": creatinine_mg_dl,
                        "unit": "mg/dL"})
    return doc


def test_an_impossible_computed_clearance_gives_no_dose_and_says_why() -> None:
    # 25 years, 150 kg, creatinine 0.2 mg/dL: (140-25) x 150 / (72 x 0.2) = 1198 mL/min.
    plan = _plan(_young_heavy(0.2, 150, 2001))
    assert not _doses(plan)
    said = " ".join(m.reason.en for m in plan.missing_data)
    assert "over 250" in said and "check the creatinine's unit" in said


def test_an_entered_clearance_does_not_settle_an_impossible_computed_one() -> None:
    plan = _plan(_young_heavy(0.2, 150, 2001, entered=80))
    assert not _doses(plan)


@settings(max_examples=80, deadline=None)
@given(creat=st.floats(min_value=0.2, max_value=25), weight=st.floats(min_value=21, max_value=350),
       birth=st.integers(min_value=1900, max_value=2006))
def test_no_dose_ever_comes_from_a_clearance_over_250(creat: float, weight: float, birth: int) -> None:
    age = 2026 - birth
    clearance = (140 - age) * weight / (72 * creat)
    plan = _plan(_young_heavy(round(creat, 2), round(weight, 1), birth))
    if clearance > 251:
        assert not _doses(plan)
