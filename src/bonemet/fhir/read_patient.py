"""Patient and context: the patient block, the assessment-context Parameters, the case id, the phase."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from bonemet.fhir import common as c
from bonemet.fhir import read_neuro
from bonemet.fhir.read_base import Mapper, Res, dicts, nonempty, set_path
from bonemet.fhir.read_neuro import Finding
from bonemet.model.case import SYSTEMIC_ANTICANCER, Phase, TreatmentType


def patient(m: Mapper, patients: list[Res]) -> dict[str, Any]:
    ids = {p.id for p in patients}
    if len(patients) > 1 and len(ids) > 1:
        for p in patients[1:]:
            m.problem(p, "", "more than one Patient: one case is one patient")
        return {}
    if not patients:
        return {}
    p = patients[0]
    m.consumed.add(id(p.body))
    for same in patients:
        m.read(same, "patient")
    if p.id:
        m.patient_keys.add(f"Patient/{p.id}")
    if p.full_url:
        m.patient_keys.add(p.full_url)
    out: dict[str, Any] = {}
    label = m.identifier(p.body, c.ID_PATIENT_LABEL)
    if label:
        out["label"] = label  # bonemet never copies names or hospital identifiers (privacy)
    gender = p.body.get("gender")
    if gender in ("female", "male", "other", "unknown"):
        out["sex"] = gender
    elif gender is not None:
        m.skip(p, "gender", f"unknown gender {gender!r}")
    birth = p.body.get("birthDate")
    if isinstance(birth, str) and len(birth) >= 4 and birth[:4].isdigit():
        out["birth_year"] = int(birth[:4])
        if len(birth) == 10:  # a full date (the RCP form prints it, issue 25)
            try:
                out["birth_date"] = dt.date.fromisoformat(birth).isoformat()
            except ValueError:
                m.skip(p, "birthDate", f"not a FHIR date: {birth!r}")
    elif birth is not None:
        m.skip(p, "birthDate", f"not a FHIR date: {birth!r}")
    return out


def context_params(m: Mapper, items: list[Res]) -> dict[str, Any]:
    profile = m.vs.extension_url(c.PROFILE_CONTEXT)
    out: dict[str, Any] = {}
    for r in items:
        profiles = (r.body.get("meta") or {}).get("profile") if isinstance(r.body.get("meta"), dict) else None
        if not isinstance(profiles, list) or profile not in profiles:
            m.skip(r, "", "Parameters without the bonemet assessment-context profile")
            continue
        m.read(r, "context")
        for i, p in enumerate(dicts(r.body.get("parameter"))):
            name = p.get("name")
            value = next((v for k, v in p.items() if k.startswith("value")), None)
            if isinstance(name, str) and name.startswith("context.") and isinstance(value, str):
                try:  # a context field FHIR has no element for, JSON-encoded (docs/fhir.md)
                    out[name.removeprefix("context.")] = orjson.loads(value)
                except orjson.JSONDecodeError:
                    m.skip(r, f"parameter[{i}]", "value is not JSON")
            elif isinstance(name, str) and value is not None:
                set_path(out, name.replace("-", "_"), value)
            else:
                m.skip(r, f"parameter[{i}]", "parameter without name or value")
    return out


def case_id(m: Mapper, raw: Any, patients: list[Res], params: dict[str, Any]) -> str:
    if m.ctx.case_id:
        return m.ctx.case_id
    if isinstance(params.get("case_id"), str):
        return str(params["case_id"])
    if isinstance(raw, dict) and raw.get("resourceType") == "Bundle":
        ident = raw.get("identifier")
        own = isinstance(ident, dict) and ident.get("system") == m.vs.identifier_system(c.ID_CASE)
        if own and isinstance(ident, dict) and nonempty(ident.get("value")):
            return str(ident["value"])
        if nonempty(raw.get("id")):
            return str(raw["id"])
    if patients and patients[0].id:
        return f"fhir-{patients[0].id}"
    return "fhir-case"


def context(
    m: Mapper,
    params: dict[str, Any],
    findings: list[Finding],
    treatments: list[dict[str, Any]],
) -> dict[str, Any]:
    ctx = m.ctx
    out: dict[str, Any] = {}
    for key in ("phase", "as_of", "question", "question_text"):
        given = getattr(ctx, key)
        if given is not None:
            out[key] = given.isoformat() if isinstance(given, dt.date) else str(given)
        elif key in params:
            out[key] = params[key]
    out.update(read_neuro.context_facts(m, params, findings))
    for k, v in params.items():
        if k not in out and k not in (
            "case_id",
            "availability",
            "as_of",
            "phase",
            "question",
            "question_text",
            "new_bone_pain",
            "pain_sites",
            "neurological_deficit",
        ):
            out[k] = v
    if "phase" not in out:
        out["phase"] = derive_phase(treatments).value
        m.assume(
            None,
            "context.phase",
            f"phase not given: {out['phase']} derived from the treatments "
            "(interpretation: open systemic line → on_treatment, ended "
            "lines → follow_up, none → staging)",
        )
    return out


def derive_phase(treatments: list[dict[str, Any]]) -> Phase:
    systemic = [t for t in treatments if TreatmentType(t["type"]) in SYSTEMIC_ANTICANCER]
    if any(t.get("end") is None for t in systemic):
        return Phase.on_treatment
    return Phase.follow_up if systemic else Phase.staging


