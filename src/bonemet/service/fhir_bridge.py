"""The service's only door to `bonemet.fhir`: the patient's resources to a case, and draft orders.

Kept in one module so that the CDS Hooks routes speak in cases and modalities, and the mapping
rules (codes, value sets) stay in the FHIR package that owns them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson

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


# Draft medication orders (issue 24): zoledronic acid and denosumab -------------------------------

_UCUM = "http://unitsofmeasure.org"
BONE_AGENT_KEYS = ("zoledronic_acid", "denosumab")


@dataclass(frozen=True)
class MedicationOrder:
    """A draft MedicationRequest of a bone-targeted agent: the agent (value-set key), the dose in
    mg as `bonemet.fhir.read_dose` reads it, or why not and where."""

    resource: dict[str, Any]
    agent: str
    dose_mg: float | None
    dose_problem: str | None
    dose_field: str

    @property
    def reference(self) -> str | None:
        rid = self.resource.get("id")
        return f"MedicationRequest/{rid}" if isinstance(rid, str) and rid else None


def _medication_codeable(resource: dict[str, Any]) -> Any:
    """medicationCodeableConcept, or the code of a contained Medication the reference points to,
    or the reference's display (a Medication on the EHR's server is not fetched)."""
    from bonemet.api import InputError, Problem

    if "medicationCodeableConcept" in resource:
        cc = resource["medicationCodeableConcept"]
        if not isinstance(cc, dict):
            raise InputError([Problem("medicationCodeableConcept", "must be a CodeableConcept")])
        return cc
    ref = resource.get("medicationReference")
    if not isinstance(ref, dict):
        raise InputError([Problem("medication[x]", "a MedicationRequest names its medication "
                                                   "(medicationCodeableConcept or "
                                                   "medicationReference)")])
    target = ref.get("reference")
    if isinstance(target, str) and target.startswith("#"):
        contained = resource.get("contained")
        for item in contained if isinstance(contained, list) else []:
            if isinstance(item, dict) and item.get("resourceType") == "Medication" \
                    and item.get("id") == target[1:]:
                return item.get("code")
    display = ref.get("display")
    return {"text": display} if isinstance(display, str) else None


def medication_order(resource: dict[str, Any]) -> MedicationOrder | None:
    """The draft MedicationRequest as a bone-agent order, or None when it is another medication.

    The agent is identified with the value sets (RxNorm, ATC, local code or the name), as the case
    reader does; the dose with `read_dose.dose_mg`. Raises InputError naming the field when the
    order has no medication at all.
    """
    from bonemet.fhir import default_valuesets
    from bonemet.fhir.read_dose import dose_mg

    hit = default_valuesets().match(("agent",), _medication_codeable(resource),
                                     local="treatment-type")
    if hit is None or hit.concept.key not in BONE_AGENT_KEYS:
        return None
    reading = dose_mg(resource, "MedicationRequest")
    # No dose place at all (order-select: the dose is often chosen later) is not a problem.
    problem = reading.reason if reading.mg is None and reading.path else None
    return MedicationOrder(resource=resource, agent=hit.concept.key, dose_mg=reading.mg,
                           dose_problem=problem, dose_field=reading.path)


def order_with_dose(resource: dict[str, Any], mg: float) -> dict[str, Any]:
    """The whole draft MedicationRequest with every dose quantity set to `mg` (a CDS `update`
    action carries the resource in its entirety, CDS Hooks 2.0 §Action)."""
    out: dict[str, Any] = orjson.loads(orjson.dumps(resource))
    quantity = {"value": mg, "unit": "mg", "system": _UCUM, "code": "mg"}
    for ins in out.get("dosageInstruction") or []:
        for dr in (ins.get("doseAndRate") or []) if isinstance(ins, dict) else []:
            if isinstance(dr, dict) and "doseQuantity" in dr:
                dr["doseQuantity"] = dict(quantity)
    return out
