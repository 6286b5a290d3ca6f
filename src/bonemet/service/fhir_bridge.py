"""The service's only door to `bonemet.fhir`: the patient's resources to a case, and draft orders.

Kept in one module so that the CDS Hooks routes speak in cases and modalities, and the mapping
rules (codes, value sets) stay in the FHIR package that owns them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bonemet.model import Case
from bonemet.model.assessment import RatedModality
from bonemet.model.case import Modality

# An ordered CT or MRI of a bone region is the "targeted" exam of the rules.
_RATED = {
    Modality.bone_scan: RatedModality.bone_scan,
    Modality.spect_ct: RatedModality.spect_ct,
    Modality.fdg_pet_ct: RatedModality.fdg_pet_ct,
    Modality.naf_pet_ct: RatedModality.naf_pet_ct,
    Modality.ct: RatedModality.targeted_ct,
    Modality.mri: RatedModality.targeted_mri,
    Modality.wb_mri: RatedModality.wb_mri,
    Modality.radiograph: RatedModality.radiograph,
}
_ORDERED = {rated: modality for modality, rated in _RATED.items()}


@dataclass(frozen=True)
class PatientCase:
    case: Case
    assumptions: tuple[str, ...]  # what the mapping inferred (e.g. the phase), shown on the cards
    unmapped: int
    # The mapping's scope: "lung" only for a diagnosed lung primary. Anything else (another primary,
    # a suspicion, no cancer on record) gets no card: the guideline is about lung cancer.
    scope: str = "lung"

    @property
    def in_scope(self) -> bool:
        return self.scope == "lung"

    @property
    def contradictions(self) -> tuple[str, ...]:
        """Facts recorded both ways (read the safe way by the mapping): shown on the urgent card."""
        return tuple(a for a in self.assumptions if a.startswith("contradiction"))


def case_from_resources(resources: list[dict[str, Any]], today: dt.date) -> PatientCase:
    """The patient's resources (prefetch and fetched) as a case dated today.

    Raises InputError (from the FHIR mapping) naming the resource and field of every problem.
    """
    from bonemet.fhir import case_from_fhir

    result = case_from_fhir(resources, context={"as_of": today})
    return PatientCase(result.case, tuple(a.reason for a in result.assumptions), len(result.unmapped),
                       result.scope)


# Exams of a region: bone imaging only when the order names a skeletal region.
_REGIONAL = (Modality.ct, Modality.mri, Modality.radiograph)


def ordered_modality(resource: dict[str, Any]) -> RatedModality | None:
    """The bone-imaging modality a draft ServiceRequest asks for; None when it is not one.

    A CT, MRI or radiograph counts only when it names a skeletal region (its code, a bone
    `bodySite`, or its words): a chest X-ray or a chest CT ordered for the lung is not a bone exam.
    Nuclear medicine is read with its tracer (a V/Q or octreotide SPECT is not a bone SPECT).
    """
    from bonemet.fhir import imaging_reading

    reading = imaging_reading(resource)
    if reading.modality is None:
        return None
    if reading.modality in _REGIONAL and reading.site is None:
        return None
    return _RATED[reading.modality]


def order_assumption(resource: dict[str, Any]) -> str | None:
    """What reading the order rests on, shown on its card (e.g. the tracer was not given)."""
    from bonemet.fhir import imaging_reading

    return imaging_reading(resource).assumption


def replacement_order(resource: dict[str, Any], alternative: RatedModality) -> dict[str, Any]:
    """A new draft order for the alternative exam, keeping the patient, requester and reason.

    A targeted CT/MRI's standard code depends on the region, which the clinician chooses: that
    order carries the bonemet code and text only.
    """
    from bonemet.fhir import default_valuesets, modality_codeable

    code = modality_codeable(_ORDERED[alternative])
    if alternative in (RatedModality.targeted_ct, RatedModality.targeted_mri):
        local = default_valuesets().local_system("modality")
        code = {**code, "coding": [c for c in code["coding"] if c["system"] == local]}
    kept = ("status", "intent", "category", "priority", "subject", "encounter", "requester",
            "reasonCode", "reasonReference", "note")
    order: dict[str, Any] = {"resourceType": "ServiceRequest"}
    order.update({k: resource[k] for k in kept if k in resource})
    order.setdefault("status", "draft")
    order.setdefault("intent", "order")
    order["code"] = code
    return order
