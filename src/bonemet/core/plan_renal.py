"""Renal function for the bone plan (issue 24): Cockcroft-Gault and the zoledronic acid bands.

A named, tested calculation, pure: the creatinine clearance in mL/min from age, weight, serum
creatinine and sex (Cockcroft DW, Gault MH, Nephron 1976; clinical-reference.md §10.1):

    CrCl = (140 - age) x weight / (72 x creatinine in mg/dL), x 0.85 for a woman

A creatinine in µmol/L is divided by 88.4 (mg/dL) as its unit states, never guessed from its size.
The sex unknown gives no clearance (the female factor is not guessed either way). The result is
rounded to one decimal, and that rounded value is the one banded and shown, so the text and the
dose never disagree at a boundary (60.0 shown is 60.0 banded: 3.5 mg).

The zoledronic acid bands are data (plan.yaml BT-03 params: `full_above`, `full_mg`, `bands`,
`min_clearance`): the full dose only above `full_above`, then the first band whose lower bound the
clearance reaches, none below `min_clearance`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

UMOL_PER_MG_DL = 88.4  # creatinine: µmol/L per mg/dL
FEMALE_FACTOR = 0.85
_AGE_CONSTANT = 140
_DIVISOR = 72
MICROMOL_UNITS = frozenset({"µmol/L", "umol/L"})
# The highest clearance bonemet takes, entered or computed (the entered one is bounded alike in
# model/plan_inputs.py): above it a unit or weight slip is likelier than a kidney, so no dose.
MAX_PLAUSIBLE_CLEARANCE = 250.0


def cockcroft_gault(*, age_years: float, weight_kg: float, creatinine_mg_dl: float,
                    female: bool) -> float:
    """Creatinine clearance (mL/min), rounded to one decimal. Refuses impossible inputs."""
    if not 0 <= age_years < _AGE_CONSTANT:
        raise ValueError(f"age {age_years} is outside 0-{_AGE_CONSTANT - 1} years")
    if weight_kg <= 0 or creatinine_mg_dl <= 0:
        raise ValueError("weight and creatinine must be positive")
    value = (_AGE_CONSTANT - age_years) * weight_kg / (_DIVISOR * creatinine_mg_dl)
    return round(value * (FEMALE_FACTOR if female else 1.0), 1)


def creatinine_mg_dl(value: float, unit: str) -> float:
    """The creatinine in mg/dL as its unit states (µmol/L ÷ 88.4)."""
    if unit in MICROMOL_UNITS:
        return value / UMOL_PER_MG_DL
    if unit == "mg/dL":
        return value
    raise ValueError(f"creatinine unit {unit!r} is not µmol/L or mg/dL")


@dataclass(frozen=True, slots=True)
class ClearanceInputs:
    age_years: int
    weight_kg: float
    creatinine: float
    creatinine_unit: str
    sex: str | None

    @property
    def creatinine_mg_dl(self) -> float:
        return creatinine_mg_dl(self.creatinine, self.creatinine_unit)

    def clearance(self) -> float | None:
        """None when the sex is not recorded as male or female (the factor is never guessed)."""
        if self.sex not in ("male", "female"):
            return None
        return cockcroft_gault(age_years=self.age_years, weight_kg=self.weight_kg,
                               creatinine_mg_dl=self.creatinine_mg_dl, female=self.sex == "female")


def zoledronic_acid_dose(clearance: float, params: Mapping[str, Any]) -> float | None:
    """The label's dose (mg) for a creatinine clearance (mL/min), None below the minimum.
    Monotone non-decreasing in the clearance (tested as a property)."""
    if clearance < float(params["min_clearance"]):
        return None
    if clearance > float(params["full_above"]):
        return float(params["full_mg"])
    for lower, dose in params["bands"]:
        if clearance >= float(lower):
            return float(dose)
    return None


def renal_deterioration(baseline_mg_dl: float, current_mg_dl: float,
                        params: Mapping[str, Any]) -> tuple[float, float] | None:
    """(rise, threshold) in mg/dL when the creatinine rose from the pre-treatment value by the
    label's threshold for that baseline (BT-02 params; thresholds from memory, labelled PL-64),
    else None. The threshold is the higher one from a baseline at or above `rise_baseline_high_mg_dl`."""
    high = baseline_mg_dl >= float(params["rise_baseline_high_mg_dl"])
    threshold = float(params["rise_high_mg_dl"] if high else params["rise_normal_mg_dl"])
    rise = round(current_mg_dl - baseline_mg_dl, 2)
    return (rise, threshold) if rise >= threshold else None
