"""What the record says besides exams and treatments: laboratory results (with their LOINC codes
and accepted units), clinical status, the response outside bone, and the patient's label.
Re-exported by `bonemet.model.case`, the case's vocabulary."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from bonemet.base import CaseDate
from bonemet.base import Frozen as _Frozen
from bonemet.base.terms import Analyte, ClinicalState, Modality, OutsideBoneStatus

# LOINC code and accepted units per analyte. Confidence as in docs/interop: V verified in a
# public implementation guide, P plausible (one public table), None: no code asserted.
LAB_CATALOGUE: dict[Analyte, tuple[str | None, str, tuple[str, ...]]] = {
    Analyte.bone_alp: ("1777-2", "P", ("U/L", "µg/L", "ug/L")),
    Analyte.ctx: ("41171-0", "P", ("ng/L", "pg/mL", "ng/mL")),
    Analyte.cea: ("2039-6", "V", ("ng/mL", "µg/L", "ug/L")),
    Analyte.cyfra_21_1: ("25390-6", "V", ("ng/mL", "µg/L", "ug/L")),
    # Issue 24: the mass-concentration code; the FHIR writer picks the code that fits the unit
    # (fhir/valuesets.yaml `units`: 2000-8 for mmol/L, 14682-9 for µmol/L).
    Analyte.calcium: ("17861-6", "V", ("mmol/L", "mg/dL")),
    Analyte.calcium_corrected: ("29265-6", "V", ("mmol/L", "mg/dL")),
    Analyte.creatinine: ("2160-0", "V", ("µmol/L", "umol/L", "mg/dL")),
    Analyte.vitamin_d_25oh: ("62292-8", "P", ("ng/mL", "nmol/L")),
}


# Upper plausibility bounds per unit (bonemet's, issue 24): a creatinine of 90 is µmol/L or mg/dL only
# as stated, and 90 mg/dL is refused rather than read as a very poor renal function.
PLAUSIBLE_MAX: dict[tuple[Analyte, str], float] = {
    (Analyte.creatinine, "mg/dL"): 25.0,
    (Analyte.creatinine, "µmol/L"): 2210.0,
    (Analyte.creatinine, "umol/L"): 2210.0,
    (Analyte.calcium, "mmol/L"): 6.0,
    (Analyte.calcium, "mg/dL"): 24.0,
    (Analyte.calcium_corrected, "mmol/L"): 6.0,
    (Analyte.calcium_corrected, "mg/dL"): 24.0,
    (Analyte.vitamin_d_25oh, "ng/mL"): 300.0,
    (Analyte.vitamin_d_25oh, "nmol/L"): 750.0,
}
# Lower plausibility bounds (issue 24 review B1): a creatinine of 2.5 "µmol/L" is 2.5 mg/dL typed
# with the wrong unit, and read as stated it gives a clearance of some 1,900 mL/min and a full
# zoledronic acid dose. Below these values no adult serum holds the analyte: refused, naming the unit.
PLAUSIBLE_MIN: dict[tuple[Analyte, str], float] = {
    (Analyte.creatinine, "mg/dL"): 0.2,
    (Analyte.creatinine, "µmol/L"): 18.0,
    (Analyte.creatinine, "umol/L"): 18.0,
    (Analyte.calcium, "mmol/L"): 0.5,
    (Analyte.calcium, "mg/dL"): 2.0,
    (Analyte.calcium_corrected, "mmol/L"): 0.5,
    (Analyte.calcium_corrected, "mg/dL"): 2.0,
}
_POSITIVE = frozenset({Analyte.creatinine, Analyte.calcium, Analyte.calcium_corrected})


class LabResult(_Frozen):
    date: CaseDate
    analyte: Analyte
    value: float = Field(ge=0)
    unit: str

    @model_validator(mode="after")
    def _unit_known(self) -> LabResult:
        allowed = LAB_CATALOGUE[self.analyte][2]
        if self.unit not in allowed:
            raise ValueError(
                f"unit {self.unit!r} is not accepted for {self.analyte.value}; "
                f"use one of {', '.join(allowed)}"
            )
        top = PLAUSIBLE_MAX.get((self.analyte, self.unit))
        if top is not None and self.value > top:
            raise ValueError(f"value {self.value:g} {self.unit} is not a possible "
                             f"{self.analyte.value} (over {top:g} {self.unit}): check the unit")
        if self.analyte in _POSITIVE and self.value == 0:
            raise ValueError(f"value 0 is not a possible {self.analyte.value}")
        low = PLAUSIBLE_MIN.get((self.analyte, self.unit))
        if low is not None and self.value < low:
            raise ValueError(f"value {self.value:g} {self.unit} is not a possible "
                             f"{self.analyte.value} (under {low:g} {self.unit}): check the unit")
        return self

    @property
    def loinc(self) -> str | None:
        return LAB_CATALOGUE[self.analyte][0]


class ClinicalStatus(_Frozen):
    date: CaseDate
    state: ClinicalState
    ecog: int | None = Field(None, ge=0, le=4)
    note: str | None = None


class OutsideBoneResponse(_Frozen):
    """Response of the disease outside bone (chest CT, other sites): context of a flare reading."""

    date: dt.date
    modality: Modality = Field(description="Exam the response was read on (usually ct)")
    status: OutsideBoneStatus
    site: str | None = Field(None, description="e.g. 'primary', 'liver', 'nodes'")


class Patient(_Frozen):
    """Identity as entered by the user; bonemet never needs more than a label."""

    label: str | None = None
    sex: Literal["female", "male", "other", "unknown"] | None = None
    birth_year: int | None = Field(None, ge=1900, le=2100)
    # The RCP form's identity (issue 25): the full date of birth and the hospital's patient
    # identifier. A full date whose year differs from `birth_year` is kept as entered and shown
    # as a contradiction (decision form, fiche), never resolved in silence.
    birth_date: CaseDate | None = None
    hospital_id: str | None = Field(None, min_length=1, max_length=64)

    def birth_year_contradiction(self) -> bool:
        return (self.birth_date is not None and self.birth_year is not None
                and self.birth_date.year != self.birth_year)
