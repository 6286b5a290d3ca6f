"""The dose of one administration on a medication resource, in mg (issue 24: bone-targeted agents).

Shared by the case reader (the dose of the last zoledronic acid or denosumab given) and the CDS
Hooks order check (the dose of a draft order). A dose is read only when it is a single mass with a
UCUM unit this module converts; anything else (a range, a rate, mL, no unit, "1 vial") is said as
a reason, so the caller names why the dose is not known instead of guessing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_UCUM = "http://unitsofmeasure.org"
# mg per unit: only exact metric mass units; a dose in mL needs a concentration we do not read.
_MG_PER: dict[str, float] = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "mcg": 0.001, "µg": 0.001}


@dataclass(frozen=True, slots=True)
class DoseReading:
    """`mg` the dose per administration, or None with `reason` (in English, for the mapping report)."""

    mg: float | None
    reason: str | None = None
    path: str = ""


def _quantity_places(body: dict[str, Any], resource_type: str) -> list[tuple[str, Any]]:
    if resource_type == "MedicationAdministration":
        dosage = body.get("dosage")
        return [("dosage.dose", dosage.get("dose"))] if isinstance(dosage, dict) else []
    key = "dosageInstruction" if resource_type == "MedicationRequest" else "dosage"
    out: list[tuple[str, Any]] = []
    instructions = body.get(key)
    for i, ins in enumerate(instructions if isinstance(instructions, list) else []):
        rates = ins.get("doseAndRate") if isinstance(ins, dict) else None
        for j, dr in enumerate(rates if isinstance(rates, list) else []):
            if isinstance(dr, dict) and ("doseQuantity" in dr or "doseRange" in dr):
                out.append((f"{key}[{i}].doseAndRate[{j}].doseQuantity",
                            dr.get("doseQuantity", {"range": True})))
    return out


def dose_mg(body: dict[str, Any], resource_type: str) -> DoseReading:
    """The single dose in mg on a MedicationRequest, MedicationAdministration or MedicationStatement."""
    places = _quantity_places(body, resource_type)
    if not places:
        return DoseReading(None, "no dose recorded")
    readings = {_read_quantity(path, q) for path, q in places}
    doses = {r.mg for r in readings if r.mg is not None}
    if len(doses) > 1:
        return DoseReading(None, "several different doses in one resource", places[0][0])
    if doses:
        return next(r for r in readings if r.mg is not None)
    return next(iter(sorted(readings, key=lambda r: r.path)))


def _read_quantity(path: str, q: Any) -> DoseReading:
    if not isinstance(q, dict) or q.get("range"):
        return DoseReading(None, "the dose is not a single quantity (a range or a malformed value)", path)
    value = q.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return DoseReading(None, "the dose has no positive value", path)
    code = q.get("code") if q.get("system") in (None, _UCUM) else None
    unit = code if isinstance(code, str) else q.get("unit")
    if not isinstance(unit, str) or unit.strip() not in _MG_PER:
        return DoseReading(None, f"the dose unit {unit!r} is not a mass bonemet converts (mg, g, µg)", path)
    return DoseReading(round(float(value) * _MG_PER[unit.strip()], 6), None, path)
