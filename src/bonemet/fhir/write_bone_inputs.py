"""Issue 24: the plan inputs of the systemic bone treatment written as FHIR resources (case_to_bundle).

- weight → a body-weight Observation (vital-signs, LOINC 29463-7, UCUM kg);
- a creatinine clearance taken as entered → an Observation (LOINC 2164-2, UCUM mL/min);
- osteonecrosis of the jaw → a Condition (bonemet's local code: no SNOMED CT code was citable),
  confirmed for True, refuted for False;
- the dose of a bone-targeted agent → `dosage[0].doseAndRate[0].doseQuantity` (UCUM mg) of the
  MedicationStatement, never a case-data extension.

Each also carries bonemet's local code second, so that the round trip gives the case back exactly.
A weight or clearance without its date stays in the Patient's case-data extension (an Observation
without a date is refused by the reader: a lab or measure is placed in time).
"""

from __future__ import annotations

from typing import Any, Protocol

from bonemet.fhir import common as c
from bonemet.fhir import write_mcode, write_oncology
from bonemet.fhir.valuesets import ValueSets
from bonemet.model.case import Case
from bonemet.model.plan_inputs import PlanInputs

Json = dict[str, Any]


class _Writer(Protocol):
    """What this module needs of from_case's writer (kept as a protocol: no import cycle)."""

    case: Case
    vs: ValueSets

    def add(self, resource: Json, *key: str) -> str: ...
    def subject(self) -> Json: ...
    def local(self, vocabulary: str, code: str, display: str | None = None) -> Json: ...
    def category(self, key: str) -> list[Json]: ...

UCUM = "http://unitsofmeasure.org"

# (PlanInputs value field, date field, value-set group, local concept code, UCUM unit, category)
_MEASURES = (
    ("weight_kg", "weight_date", "body_weight", c.CONCEPT_BODY_WEIGHT, "kg", "category_vital_signs"),
    ("creatinine_clearance_ml_min", "creatinine_clearance_date", "creatinine_clearance", c.CONCEPT_CLEARANCE,
     "mL/min", "category_laboratory"),
)


def written_fields(pi: PlanInputs | None, case: Case | None = None) -> set[str]:
    """The plan_inputs fields these resources carry (the rest stays in case-data). With the case: the
    ECOG too when it is written as its own Observation (review 26 F11, write_oncology)."""
    if pi is None:
        return set()
    out = {f for f, d, *_ in _MEASURES if getattr(pi, f) is not None and getattr(pi, d) is not None}
    out |= {d for f, d, *_ in _MEASURES if f in out}
    if pi.osteonecrosis_jaw is not None:
        out.add("osteonecrosis_jaw")
    if case is not None and write_oncology.ecog_as_resource(case):
        out |= {"ecog", "ecog_date"}
    return out


def plan_inputs(w: _Writer) -> None:
    pi = w.case.plan_inputs
    if pi is None:
        return
    written = written_fields(pi)
    for field, day_field, group, local, unit, category in _MEASURES:
        if field not in written:
            continue
        concept = w.vs.concept(group, group)
        code = {"coding": [*w.vs.codings(group, group), w.local(c.CS_CONCEPT, local, concept.display.en)],
                "text": concept.display.en}
        # Issue 26: the weight as FHIR's body-weight vital sign, the clearance as a US Core lab result.
        w.add(write_mcode.profile({
            "resourceType": "Observation",
            "status": "final",
            "category": w.category(category),
            "code": code,
            "subject": w.subject(),
            "effectiveDateTime": getattr(pi, day_field).isoformat(),
            "valueQuantity": {"value": getattr(pi, field), "unit": unit, "system": UCUM, "code": unit},
        }, write_mcode.BODY_WEIGHT if field == "weight_kg" else write_mcode.US_CORE_LAB), "plan", local)
    if pi.osteonecrosis_jaw is not None:
        display = w.vs.concept("osteonecrosis_jaw", "osteonecrosis_jaw").display.en
        status = "confirmed" if pi.osteonecrosis_jaw else "refuted"
        res: Json = {
            "resourceType": "Condition",
            "verificationStatus": {"coding": [{"system": c.CONDITION_VERIFICATION, "code": status}]},
            "code": {"coding": [w.local(c.CS_CONCEPT, c.CONCEPT_ONJ, display)], "text": display},
            "subject": w.subject(),
        }
        w.add(res, "plan", c.CONCEPT_ONJ)


def dosage(dose_mg: float) -> list[Json]:
    """MedicationStatement.dosage with the dose per administration in mg (UCUM)."""
    quantity = {"value": dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}
    return [{"doseAndRate": [{"doseQuantity": quantity}]}]
