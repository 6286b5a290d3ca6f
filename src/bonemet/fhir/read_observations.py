"""Observation: labs (by LOINC, units checked), clinical course with ECOG, driver alterations, bone and
spinal pain, neurological deficits (the last two through read_neuro); body weight and a measured
creatinine clearance for the bone plan (through read_bone_inputs, issue 24)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from bonemet.fhir import common as c
from bonemet.fhir import read_bone_inputs, read_neuro
from bonemet.fhir.read_base import KNOWN_NOT_USED, Json, Mapper, Res, dicts, nonempty
from bonemet.fhir.read_bone_inputs import Measure
from bonemet.fhir.read_neuro import Finding
from bonemet.fhir.valuesets import Match, ValueSets
from bonemet.model.case import LAB_CATALOGUE, ClinicalStatus, DriverAlteration, LabResult

_YES = {"yes", "y", "true", "present", "oui", "positive"}
_NO = {"no", "n", "false", "absent", "non", "negative"}
# SNOMED CT qualifier values EHRs answer findings with (issue 21): Yes 373066001 / No 373067005 (MII
# GECCO FSH examples), Present 52101004 / Absent 2667000 (openimagingdata finding models).
_SCT_YES_NO = {"373066001": True, "52101004": True, "373067005": False, "2667000": False}
_UNIT_SYNONYMS = {
    "[IU]/L": "U/L",
    "IU/L": "U/L",
    "mcg/L": "µg/L",
    "μg/L": "µg/L",
    "μmol/L": "µmol/L",
    "ug/L": "ug/L",
    "umol/L": "umol/L",
    "pg/ml": "pg/mL",
    "ng/ml": "ng/mL",
    # Issue 24: the same units as EHRs spell them (case only; the unit still decides the reading).
    "mg/dl": "mg/dL",
    "mmol/l": "mmol/L",
    "nmol/l": "nmol/L",
    "umol/l": "umol/L",
    "µmol/l": "µmol/L",
    "μmol/l": "µmol/L",
}


# The groups this reader uses: their codes are all a CDS service needs to prefetch (issue 14).
_USED_GROUPS = ("analyte", "body_weight", "creatinine_clearance", "ecog", "clinical_status", "bone_pain",
                "spinal_pain", "neuro_deficit")
_OWN_CONCEPTS = (c.CONCEPT_BONE_LESION, c.CONCEPT_DRIVER, c.CONCEPT_ECOG, c.CONCEPT_CLINICAL_STATUS,
                 c.CONCEPT_BONE_PAIN, c.CONCEPT_NEURO_DEFICIT, c.CONCEPT_BODY_WEIGHT, c.CONCEPT_CLEARANCE,
                 "patient-score-inputs")
# Issue 24: read into plan_inputs (the latest on or before the decision date, read_bone_inputs).
_MEASURE_GROUPS = ("body_weight", "creatinine_clearance")
_FINDING_GROUPS = ("bone_pain", *read_neuro.GROUPS)


def observation_search_codes(vs: ValueSets) -> list[str]:
    """`system|code` tokens of every Observation code this reader uses: the standard codes of the
    groups it reads, bonemet's own observation kinds and its local analyte codes."""
    tokens = vs.search_codes(_USED_GROUPS, ("loinc", "sct"))
    tokens += [f"{vs.local_system(c.CS_CONCEPT)}|{k}" for k in _OWN_CONCEPTS]
    tokens += [f"{vs.local_system('analyte')}|{concept.key}" for concept in vs.groups["analyte"]]
    return tokens


def observations(
    m: Mapper, items: list[Res]
) -> tuple[
    list[dict[str, Any]],
    list[dict[str, Any]],
    list[dict[str, Any]],
    list[Finding],
    dict[str, Any] | None,
    list[Measure],
]:
    labs: list[dict[str, Any]] = []
    measures: list[Measure] = []
    statuses: list[dict[str, Any]] = []
    drivers: list[dict[str, Any]] = []
    findings: list[Finding] = []
    ecogs: list[tuple[dt.date, int, Res]] = []
    patient_scores: dict[str, Any] | None = None
    for r in items:
        if id(r.body) in m.consumed:
            continue
        b = r.body
        status = b.get("status")
        if status in ("entered-in-error", "cancelled"):
            m.skip(r, "status", f"status {status}")
            continue
        kind = m.local_code(b.get("code"), c.CS_CONCEPT)
        if kind == c.CONCEPT_BONE_LESION:
            m.skip(r, "", "bone-lesion finding not referenced by an imaging report (DiagnosticReport.result)")
            continue
        if kind == "patient-score-inputs":
            patient_scores = {}
            m.read(r, "score_inputs")
            m.case_data(b, patient_scores)
            continue
        if kind == c.CONCEPT_DRIVER:
            d = _driver(m, r)
            if d:
                drivers.append(d)
                m.read(r, f"cancer.driver_alterations ({d['gene']})")
            continue
        hit: Match | None
        if kind == c.CONCEPT_ECOG:  # bonemet's own concept codes decide; no need to match the rest
            hit = Match("ecog", m.vs.concept("ecog", "ecog"), None, "local")
        elif kind == c.CONCEPT_CLINICAL_STATUS:
            hit = Match("clinical_status", m.vs.concept("clinical_status", "clinical_status"), None, "local")
        elif kind == c.CONCEPT_BONE_PAIN:
            hit = Match("bone_pain", m.vs.concept("bone_pain", "bone_pain"), None, "local")
        elif kind == c.CONCEPT_NEURO_DEFICIT:
            hit = Match("neuro_deficit", m.vs.concept("neuro_deficit", "neurological_deficit"), None, "local")
        elif kind == c.CONCEPT_BODY_WEIGHT:
            hit = Match("body_weight", m.vs.concept("body_weight", "body_weight"), None, "local")
        elif kind == c.CONCEPT_CLEARANCE:
            hit = Match("creatinine_clearance", m.vs.concept("creatinine_clearance", "creatinine_clearance"),
                        None, "local")
        else:
            hit = m.match(
                ("analyte", "not_an_analyte", *_MEASURE_GROUPS, "ecog", "clinical_status", *_FINDING_GROUPS),
                b.get("code"),
                local="analyte",
            )
        if hit is None:
            m.skip(r, "code", "observation code not used by bonemet")
            continue
        if hit.group == "not_an_analyte":
            m.skip(r, "code", hit.concept.display.en, KNOWN_NOT_USED)
            continue
        if status == "registered":
            m.skip(r, "status", "registered: no result yet")
            continue
        if hit.group in _FINDING_GROUPS:
            value = _yes_no(b)
            if value is None:
                m.skip(r, "value[x]", f"{hit.concept.display.en} without a yes/no value")
                continue
            day = m.date(r, ("effectiveDateTime", "effectivePeriod.start", "issued"), False)
            found = read_neuro.finding(m, r, hit.group, hit.concept.key, value, day,
                                       read_neuro.observation_sites(b))
            if found is not None:
                findings.append(found)
            continue
        day = m.date(
            r, ("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued"), required=True
        )
        if day is None:
            continue
        if hit.group == "analyte":
            lab = _lab(m, r, hit.concept.key, day)
            if lab:
                labs.append(lab)
                m.read(r, f"labs ({lab['analyte']} {lab['value']:g} {lab['unit']})")
        elif hit.group in _MEASURE_GROUPS:
            read = read_bone_inputs.weight if hit.group == "body_weight" else read_bone_inputs.clearance
            measure = read(m, r, day)
            if measure is not None:
                measures.append(measure)
        elif hit.group == "ecog":
            score = _ecog_value(b)
            if score is None:
                m.skip(r, "value[x]", "ECOG value is not an integer 0-4 (a Karnofsky score is coded "
                                      "LOINC 89243-0, not as ECOG)")
            else:
                ecogs.append((day, score, r))
        else:
            st = _status(m, r, day)
            if st:
                statuses.append(st)
                m.read(r, f"clinical_status ({st['state']} on {st['date']})")
    for day, score, r in ecogs:
        same = [s for s in statuses if s["date"] == day.isoformat()]
        if same and same[0].get("ecog") is None:
            same[0]["ecog"] = score
            m.read(r, f"clinical_status[].ecog ({score} on {day.isoformat()})")
        elif not same:  # ECOG on its own (issue 26): the plan's performance status
            measures.append(Measure("ecog", day, float(score), r))
        elif same[0].get("ecog") == score:  # mCODE's own ECOG beside the course carrying it
            m.read(r, f"clinical_status[].ecog ({score} on {day.isoformat()}, as the clinical status "
                      "of that day)")
        else:  # two ECOGs the same day: said, not settled toward either
            m.skip(r, "", f"a second ECOG on {day.isoformat()} ({score}) differs from the clinical "
                          f"status's ({same[0]['ecog']}): the clinical status keeps the first")
    return labs, statuses, drivers, findings, patient_scores, measures


def _yes_no(b: Json) -> bool | None:
    if isinstance(b.get("valueBoolean"), bool):
        return bool(b["valueBoolean"])
    cc = b.get("valueCodeableConcept")
    if isinstance(cc, dict):
        for x in dicts(cc.get("coding")):
            if x.get("system") == "http://snomed.info/sct" and x.get("code") in _SCT_YES_NO:
                return _SCT_YES_NO[str(x["code"])]
        words = (
            [cc.get("text")]
            + [x.get("code") for x in dicts(cc.get("coding"))]
            + [x.get("display") for x in dicts(cc.get("coding"))]
        )
        for w in words:
            if isinstance(w, str) and w.strip().lower() in _YES:
                return True
            if isinstance(w, str) and w.strip().lower() in _NO:
                return False
        return None
    if not any(k.startswith("value") for k in b) and "dataAbsentReason" not in b:
        return True  # a finding coded in Observation.code without a value: the finding is present
    return None


def _ecog_value(b: Json) -> int | None:
    value: Any = b.get("valueInteger")
    if value is None and isinstance(b.get("valueQuantity"), dict):
        value = b["valueQuantity"].get("value")
    if value is None and isinstance(b.get("valueCodeableConcept"), dict):
        codes = [x.get("code") for x in dicts(b["valueCodeableConcept"].get("coding"))]
        value = next((int(x) for x in codes if isinstance(x, str) and x.isdigit()), None)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value) if 0 <= value <= 4 else None


_ACCEPTED_UNITS = {a.value: units for a, (_, _, units) in LAB_CATALOGUE.items()}


def _lab(m: Mapper, r: Res, analyte: str, day: dt.date) -> dict[str, Any] | None:
    q = r.body.get("valueQuantity")
    if (
        not isinstance(q, dict)
        or isinstance(q.get("value"), bool)
        or not isinstance(q.get("value"), int | float)
    ):
        why = "no numeric valueQuantity" + (" (dataAbsentReason)" if "dataAbsentReason" in r.body else "")
        m.skip(r, "value[x]", why)
        return None
    if q.get("comparator"):
        m.skip(r, "valueQuantity.comparator", f"censored value ({q['comparator']}{q['value']}) not used")
        return None
    accepted = _ACCEPTED_UNITS[analyte]  # analyte keys = the Analyte enum (checked at load)
    unit = None
    for candidate in (q.get("unit"), q.get("code")):
        if isinstance(candidate, str):
            candidate = _UNIT_SYNONYMS.get(candidate, candidate)
            if candidate in accepted:
                unit = candidate
                break
    if unit is None:
        m.skip(
            r,
            "valueQuantity.unit",
            f"unit {q.get('unit') or q.get('code')!r} not accepted for {analyte} "
            f"(accepted: {', '.join(accepted)}); no conversion is made",
        )
        return None
    out = {"date": day.isoformat(), "analyte": analyte, "value": float(q["value"]), "unit": unit}
    m.case_data(r.body, out)
    if not m.checked:
        return out
    try:
        LabResult.model_validate(out)
    except ValidationError as exc:
        m.skip(r, "valueQuantity", exc.errors()[0]["msg"].removeprefix("Value error, "))
        return None
    return out


def _status(m: Mapper, r: Res, day: dt.date) -> dict[str, Any] | None:
    b = r.body
    hit = m.match(("clinical_state",), b.get("valueCodeableConcept"), local="clinical-state")
    if hit is None:
        m.skip(r, "valueCodeableConcept", "clinical course not recognised (improving/stable/deteriorating)")
        return None
    out: dict[str, Any] = {"date": day.isoformat(), "state": hit.concept.key}
    for comp in dicts(b.get("component")):
        if (
            m.match(("ecog",), comp.get("code"), local=c.CS_CONCEPT)
            or m.local_code(comp.get("code"), c.CS_CONCEPT) == c.CONCEPT_ECOG
        ):
            score = _ecog_value(comp)
            if score is not None:
                out["ecog"] = score
    notes = [n.get("text") for n in dicts(b.get("note")) if nonempty(n.get("text"))]
    if notes:
        out["note"] = "\n".join(str(n) for n in notes)
    m.case_data(b, out)
    if not m.checked:
        return out
    try:
        ClinicalStatus.model_validate(out)
    except ValidationError as exc:
        m.skip(r, "", exc.errors()[0]["msg"])
        return None
    return out


def _driver(m: Mapper, r: Res) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for comp in dicts(r.body.get("component")):
        kind = m.local_code(comp.get("code"), c.CS_CONCEPT)
        if kind == c.CONCEPT_GENE:
            cc = comp.get("valueCodeableConcept")
            out["gene"] = m.local_code(cc, "gene") or (cc.get("text") if isinstance(cc, dict) else None)
        elif kind == c.CONCEPT_DETAIL and nonempty(comp.get("valueString")):
            out["detail"] = comp["valueString"]
    try:
        return DriverAlteration.model_validate(out).model_dump(mode="json", exclude_none=True)
    except ValidationError:
        m.skip(r, "component", "driver alteration without a known gene")
        return None


