"""Issue 24: the inputs of the systemic bone treatment that FHIR holds outside the labs.

- Body weight (LOINC 29463-7, kg, g or [lb_av] converted) → `plan_inputs.weight_kg` + date.
- A MEASURED creatinine clearance (LOINC 2164-2, mL/min) → `plan_inputs.creatinine_clearance_ml_min`
  + date. A clearance normalised to 1.73 m² is an eGFR and is never read as the clearance (an eGFR
  is not a Cockcroft-Gault clearance: the zoledronic acid bands are in mL/min).
- Osteonecrosis of the jaw (Condition) → `plan_inputs.osteonecrosis_jaw`.
- A dental evaluation (Procedure or Encounter: dental examination, panoramic radiograph) →
  `plan_inputs.dental_date` (the latest).

No SNOMED CT code for osteonecrosis of the jaw, a dental examination or a panoramic radiograph was
found in a citable source (issue 24): these are read from bonemet's local codes and from their text
only (valuesets.yaml `osteonecrosis_jaw`, `dental_evaluation`), and written with the local code.

Of several weights (clearances, dental evaluations), the latest on or before the decision date is
kept; each other one is reported with the reason it was not used, never dropped in silence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bonemet.fhir import common as c
from bonemet.fhir.read_base import KNOWN_NOT_USED, Mapper, Res
from bonemet.model.plan_inputs import PlanInputs

_UCUM = "http://unitsofmeasure.org"
# kg per unit (UCUM [lb_av] = 0.45359237 kg exactly); compared lower-case.
_KG_PER = {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237, "lbs": 0.45359237}
_ML_MIN = {"ml/min", "ml/mn"}
EGFR_REASON = ("a clearance normalised to 1.73 m² is an eGFR (MDRD or CKD-EPI), not a Cockcroft-Gault "
               "creatinine clearance: never read as the clearance")


@dataclass(frozen=True, slots=True)
class Measure:
    """One dated value of a plan input, with the resource it came from."""

    field: str  # the PlanInputs field: weight_kg or creatinine_clearance_ml_min
    day: dt.date
    value: float
    r: Res


def _quantity(m: Mapper, r: Res, what: str) -> tuple[float, str] | None:
    """(value, unit as written) of Observation.valueQuantity, or None with the reason reported."""
    q = r.body.get("valueQuantity")
    value = q.get("value") if isinstance(q, dict) else None
    if not isinstance(q, dict) or isinstance(value, bool) or not isinstance(value, int | float):
        m.skip(r, "value[x]", f"{what} without a numeric valueQuantity")
        return None
    if q.get("comparator"):
        m.skip(r, "valueQuantity.comparator", f"censored {what} ({q['comparator']}{value}) not used")
        return None
    code = q.get("code") if q.get("system") in (None, _UCUM) else None
    unit = code if isinstance(code, str) and code.strip() else q.get("unit")
    if not isinstance(unit, str) or not unit.strip():
        m.skip(r, "valueQuantity.unit",
               f"{what} {value:g} without a unit: not read (a unit is never guessed)")
        return None
    return float(value), unit.strip()


def _bounded(m: Mapper, r: Res, field: str, value: float, shown: str) -> float | None:
    """The value if PlanInputs accepts it; otherwise reported with the model's reason."""
    try:
        PlanInputs.model_validate({field: value})
    except ValidationError as exc:
        m.skip(r, "valueQuantity", f"{shown} is outside bonemet's plausibility bounds for {field} "
                                   f"({exc.errors()[0]['msg']}): not read")
        return None
    return value


def weight(m: Mapper, r: Res, day: dt.date) -> Measure | None:
    read = _quantity(m, r, "body weight")
    if read is None:
        return None
    value, unit = read
    factor = _KG_PER.get(unit.lower())
    if factor is None:
        m.skip(r, "valueQuantity.unit", f"body weight unit {unit!r} is not one bonemet converts "
                                        "(kg, g, [lb_av]): not read")
        return None
    kg = value if factor == 1.0 else round(value * factor, 2)
    kept = _bounded(m, r, "weight_kg", kg, f"body weight {value:g} {unit}")
    return Measure("weight_kg", day, kept, r) if kept is not None else None


def clearance(m: Mapper, r: Res, day: dt.date) -> Measure | None:
    read = _quantity(m, r, "creatinine clearance")
    if read is None:
        return None
    value, unit = read
    if "1.73" in unit or "m2" in unit.lower() or "m²" in unit:
        m.skip(r, "valueQuantity.unit", f"{EGFR_REASON} (unit {unit!r})", KNOWN_NOT_USED)
        return None
    if unit.lower().replace(" ", "") not in _ML_MIN:
        m.skip(r, "valueQuantity.unit", f"creatinine clearance unit {unit!r} is not mL/min: not read "
                                        "(no conversion is made)")
        return None
    kept = _bounded(m, r, "creatinine_clearance_ml_min", value, f"creatinine clearance {value:g} {unit}")
    return Measure("creatinine_clearance_ml_min", day, kept, r) if kept is not None else None


def decision_date(m: Mapper, params: dict[str, Any]) -> dt.date | None:
    if m.ctx.as_of is not None:
        return m.ctx.as_of
    raw = params.get("as_of")
    parsed, _ = c.parse_date(raw)
    return parsed


# Issue 26: ECOG recorded on its own (mCODE ECOGPerformanceStatus, no clinical course that day) is the
# plan's performance status, the latest on or before the decision date like the others.
_DATE_FIELD = {"weight_kg": "weight_date", "creatinine_clearance_ml_min": "creatinine_clearance_date",
               "ecog": "ecog_date"}
_SHOWN = {"weight_kg": "body weight", "creatinine_clearance_ml_min": "creatinine clearance", "ecog": "ECOG"}


def latest(m: Mapper, measures: list[Measure], as_of: dt.date | None) -> dict[str, Any]:
    """plan_inputs fields from the latest measure of each field on or before `as_of`; the others
    are reported (after the decision date, or older than the one kept)."""
    out: dict[str, Any] = {}
    for name in _DATE_FIELD:
        these = sorted((x for x in measures if x.field == name), key=lambda x: (x.day, x.r.pos))
        usable = [x for x in these if as_of is None or x.day <= as_of]
        for x in these:
            if as_of is not None and x.day > as_of:
                m.skip(x.r, "effective[x]", f"{_SHOWN[name]} of {x.day.isoformat()} is after the decision "
                                            f"date {as_of.isoformat()}: not used", KNOWN_NOT_USED)
        if not usable:
            continue
        kept = usable[-1]
        for x in usable[:-1]:
            m.skip(x.r, "", f"an earlier {_SHOWN[name]} ({x.day.isoformat()}): the latest one, of "
                            f"{kept.day.isoformat()}, is used", KNOWN_NOT_USED)
        out[name] = int(kept.value) if name == "ecog" else kept.value
        out[_DATE_FIELD[name]] = kept.day.isoformat()
        m.read(kept.r, f"plan_inputs.{name}")
    return out


# ------------------------------------------------------------------------ Condition, Procedure
def osteonecrosis(m: Mapper, items: list[Res]) -> tuple[bool | None, list[Res]]:
    """(plan_inputs.osteonecrosis_jaw, the Conditions left for read_conditions). A refuted one is a
    recorded "no"; any other recorded one is a "yes" (current or past: both stop an antiresorptive)."""
    value: bool | None = None
    rest: list[Res] = []
    for r in items:
        hit = m.match(("osteonecrosis_jaw",), r.body.get("code"), local=c.CS_CONCEPT)
        if hit is None and m.local_code(r.body.get("code"), c.CS_CONCEPT) == c.CONCEPT_ONJ:
            hit = m.match(("osteonecrosis_jaw",), {"text": "osteonecrosis of the jaw"})
        if hit is None:
            rest.append(r)
            continue
        status = _verification(r.body)
        if status == "entered-in-error":
            m.skip(r, "verificationStatus", "osteonecrosis of the jaw entered in error")
        elif status == "refuted":
            value = value or False
            m.read(r, "plan_inputs.osteonecrosis_jaw (refuted: no)")
        else:
            value = True
            m.read(r, "plan_inputs.osteonecrosis_jaw")
    return value, rest


def _verification(body: dict[str, Any]) -> str | None:
    vs = body.get("verificationStatus")
    codings = vs.get("coding") if isinstance(vs, dict) else None
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            return str(coding["code"])
    return None


_NOT_DONE = {"entered-in-error", "not-done", "preparation", "in-progress", "planned", "cancelled",
             "arrived", "triaged", "onleave"}


def dental(m: Mapper, items: list[Res], as_of: dt.date | None) -> tuple[str | None, list[Res]]:
    """(plan_inputs.dental_date, the resources left for the other readers): the latest dental
    evaluation done on or before the decision date; the others are reported."""
    done: list[tuple[dt.date, Res]] = []
    rest: list[Res] = []
    for r in items:
        code = r.body.get("code") if r.rt == "Procedure" else _encounter_type(r.body)
        hit = m.match(("dental_evaluation",), code, local=c.CS_CONCEPT)
        if hit is None and m.local_code(code, c.CS_CONCEPT) == c.CONCEPT_DENTAL:
            hit = m.match(("dental_evaluation",), {"text": "dental examination"})
        if hit is None:
            rest.append(r)
            continue
        if r.rt == "Encounter":
            m.check_subject(r)  # other resources are checked by to_case; an Encounter only when read
        status = r.body.get("status")
        if status in _NOT_DONE:
            m.skip(r, "status", f"dental evaluation with status {status}: not done")
            continue
        keys = (("performedDateTime", "performedPeriod.start") if r.rt == "Procedure"
                else ("period.start", "period.end"))
        day = m.date(r, keys, required=False)
        if day is None:
            m.skip(r, keys[0], "dental evaluation without a date: not used")
        elif as_of is not None and day > as_of:
            m.skip(r, keys[0], f"dental evaluation of {day.isoformat()} is after the decision date "
                               f"{as_of.isoformat()}: not used", KNOWN_NOT_USED)
        else:
            done.append((day, r))
    if not done:
        return None, rest
    done.sort(key=lambda x: (x[0], x[1].pos))
    kept = done[-1][0]
    m.read(done[-1][1], "plan_inputs.dental_date")
    for day, r in done[:-1]:
        m.skip(r, "", f"an earlier dental evaluation ({day.isoformat()}): the latest one, of "
                      f"{kept.isoformat()}, is used", KNOWN_NOT_USED)
    return kept.isoformat(), rest


def _encounter_type(body: dict[str, Any]) -> Any:
    """The first Encounter.type, or serviceType (a dental consultation is typed either way)."""
    types = body.get("type")
    if isinstance(types, list) and types and isinstance(types[0], dict):
        return types[0]
    return body.get("serviceType")
