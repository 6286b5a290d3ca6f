"""Inputs of the bone plan (issue 23), all optional: a missing one is named, never guessed.

- `PlanInputs` (case.plan_inputs): the clinician's estimate of life expectancy as a band (never
  computed by bonemet) and the performance status (ECOG) with its date; `clinical_status[].ecog`
  is read too (core/plan_patient.py), and two values that disagree are shown, never resolved
  toward the reassuring one. It also carries what the oligometastatic definition needs besides
  the bone lesions (primary controlled, metastatic sites and metastases outside bone: RT-05).
- `LesionComplications` (lesion.complications): what makes a lesion "complicated" for
  radiotherapy (pathological fracture, epidural extension, soft-tissue extension, neuropathic pain),
  and the lesion's largest size in cm (RT-05).
- `RadiotherapyDose` fields live on `Treatment` (dose_gy, fractions) for a radiotherapy course.
Surgery done is a `Treatment` of type surgery with its site and start date.
- Systemic bone treatment (issue 24): weight, a creatinine clearance taken as entered, the dental
  status and date, unhealed oral lesions, a planned extraction, osteonecrosis of the jaw. The
  antiresorptive history is `treatments[]` of type zoledronic_acid / denosumab (start; end = the
  last dose); creatinine, calcium and 25-OH vitamin D are `labs[]`.
The FHIR mapping of these inputs is not written yet (issue 23 step 2: said in docs/plan.md).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from bonemet.base import CaseDate
from bonemet.base import Frozen as _Frozen


class LifeExpectancyBand(StrEnum):
    """The clinician's estimate, in the bands the chapter's surgery thresholds need (6 weeks,
    1 year) plus a 3-month cut (ESMO's condition for bone-targeted agents, issue 24)."""

    under_6_weeks = "under_6_weeks"
    six_weeks_to_3_months = "6_weeks_to_3_months"
    three_to_12_months = "3_to_12_months"
    over_12_months = "over_12_months"


class DentalStatus(StrEnum):
    """The latest oral and dental evaluation before or during an antiresorptive (issue 24)."""

    cleared = "cleared"              # no dental obstacle to an antiresorptive
    care_needed = "care_needed"      # care to complete first
    not_assessed = "not_assessed"


class PlanInputs(_Frozen):
    life_expectancy: LifeExpectancyBand | None = Field(
        None, description="The clinician's estimate of life expectancy (a band; never computed)")
    life_expectancy_date: CaseDate | None = Field(None, description="When the estimate was made")
    ecog: int | None = Field(None, ge=0, le=4, description="Performance status (ECOG 0-4)")
    ecog_date: CaseDate | None = Field(None, description="When the performance status was assessed")
    # What the chapter's oligometastatic definition needs besides the bone lesions (RT-05).
    primary_controlled: bool | None = Field(
        None, description="Whether the primary tumour is controlled (oligometastatic definition)")
    extra_osseous_sites: int | None = Field(
        None, ge=0, description="Number of metastatic sites (organs) outside bone; 0 if none")
    extra_osseous_metastases: int | None = Field(
        None, ge=0, description="Number of metastases outside bone; 0 if none")
    # Systemic bone treatment (issue 24). Bounds are bonemet's plausibility limits: a value
    # outside them is refused with its field named, never read.
    weight_kg: float | None = Field(None, gt=20, le=350, description="Body weight in kg (Cockcroft-Gault)")
    weight_date: CaseDate | None = Field(None, description="When the weight was measured")
    creatinine_clearance_ml_min: float | None = Field(
        None, gt=0, le=250, description="Creatinine clearance in mL/min, taken as entered")
    creatinine_clearance_date: CaseDate | None = Field(None, description="When it was measured")
    dental_status: DentalStatus | None = Field(None, description="Latest oral and dental evaluation")
    dental_date: CaseDate | None = Field(None, description="Date of that evaluation")
    unhealed_oral_lesions: bool | None = Field(None, description="Unhealed oral lesions (delay the start)")
    planned_extraction: bool | None = Field(None, description="A dental extraction is planned")
    osteonecrosis_jaw: bool | None = Field(None, description="Osteonecrosis of the jaw, current or past")


class LesionComplications(_Frozen):
    """None: not recorded (named as missing); False: recorded absent. `largest_size_cm` is the
    lesion's largest dimension, which the oligometastatic definition needs (RT-05); it lives
    here, with the lesion's other plan inputs, so the Lesion model keeps one plan field."""

    pathological_fracture: bool | None = None
    epidural_extension: bool | None = Field(None, description="Epiduritis / epidural extension")
    soft_tissue_extension: bool | None = None
    neuropathic_pain: bool | None = None
    largest_size_cm: float | None = Field(
        None, gt=0, le=100, description="Largest dimension of the lesion, in cm (RT-05)")

    def flags(self) -> dict[str, bool | None]:
        return {k: v for k, v in self.model_dump().items() if k != "largest_size_cm"}

    def present(self) -> tuple[str, ...]:
        return tuple(name for name, value in self.flags().items() if value is True)

    def not_recorded(self) -> tuple[str, ...]:
        return tuple(name for name, value in self.flags().items() if value is None)
