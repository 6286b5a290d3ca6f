"""Treatments: medications (lines of systemic treatment, bone-targeted agents) and treatment procedures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bonemet.fhir import common as c
from bonemet.fhir.read_base import Json, Mapper, Res, dicts, first_date, nonempty
from bonemet.model.case import SYSTEMIC_ANTICANCER, Treatment

_SYSTEMIC_TYPES = frozenset(t.value for t in SYSTEMIC_ANTICANCER)


@dataclass(slots=True)
class _Med:
    r: Res
    agent: str | None
    type: str
    start: dt.date | None
    end: dt.date | None
    key: str | None


def _medication_cc(m: Mapper, r: Res) -> Any:
    if isinstance(r.body.get("medicationCodeableConcept"), dict):
        return r.body["medicationCodeableConcept"]
    target = m.resolve(r.body.get("medicationReference"))
    if target is not None and target.rt == "Medication":
        return target.body.get("code")
    return None


def treatments(m: Mapper, buckets: dict[str, list[Res]]) -> list[dict[str, Any]]:
    meds: list[_Med] = []
    for rt in ("MedicationStatement", "MedicationRequest", "MedicationAdministration"):
        for r in buckets.get(rt, []):
            med = _med(m, r)
            if med is not None:
                meds.append(med)
    treatments: list[dict[str, Any]] = []
    groups: dict[str, list[_Med]] = {}
    for med in meds:
        if med.key is None:
            same_day = med.type in _SYSTEMIC_TYPES and med.start is not None
            med.key = f"day:{med.start}" if same_day else f"agent:{med.type}:{med.agent}"
        groups.setdefault(med.key, []).append(med)
    # Unkeyed regimens repeated over cycles (one prescription per cycle) collapse into one line.
    merged: dict[tuple[str, ...], list[_Med]] = {}
    for key, members in groups.items():
        sig = (
            (key,)
            if not key.startswith("day:")
            else ("regimen", *sorted({x.agent or x.type for x in members}))
        )
        merged.setdefault(sig, []).extend(members)
    placed: list[tuple[int, dict[str, Any]]] = []
    for members in merged.values():
        t = _treatment(m, members)
        if t is not None:
            placed.append((min(x.r.pos for x in members), t))
    for r in buckets.get("Procedure", []):
        if id(r.body) in m.consumed:
            continue
        t = _procedure_treatment(m, r)
        if t is not None:
            placed.append((r.pos, t))
    treatments = [t for _, t in sorted(placed, key=lambda p: p[0])]
    ids: set[str] = set()
    for t in treatments:
        base, n = t["id"], 2
        while t["id"] in ids:
            t["id"], n = f"{base}-{n}", n + 1
        ids.add(t["id"])
    return treatments


def _med(m: Mapper, r: Res) -> _Med | None:
    b = r.body
    status = b.get("status")
    if status in ("entered-in-error", "cancelled", "not-taken", "draft", "unknown", "not-done"):
        m.skip(r, "status", f"status {status}: not a treatment given")
        return None
    if r.rt == "MedicationRequest" and b.get("intent") in ("proposal", "plan"):
        m.skip(r, "intent", f"intent {b.get('intent')}: not prescribed")
        return None
    cc = _medication_cc(m, r)
    declared = m.ext(b, c.EXT_TREATMENT_TYPE)
    hit = m.match(("agent", "agent_class"), cc)
    local_type = m.local_code(cc, "treatment-type")
    agent: str | None = None
    ttype: str | None = declared if isinstance(declared, str) else None
    own = m.identifier(b, c.ID_TREATMENT)
    if local_type:  # bonemet's own marker of a treatment recorded without its agents
        ttype = ttype or local_type
    elif hit is not None and hit.group == "agent":
        text = cc.get("text") if isinstance(cc, dict) else None
        agent = str(text) if own and isinstance(text, str) and text else hit.concept.key
        ttype = ttype or hit.concept.type
    elif hit is not None:
        agent = (cc.get("text") if isinstance(cc, dict) else None) or hit.concept.key
        ttype = ttype or hit.concept.key
    elif own and isinstance(cc, dict) and nonempty(cc.get("text")) and ttype:
        agent = str(cc["text"])
    if ttype is None:
        m.skip(
            r, "medication[x]", "medication not used by bonemet (not an anticancer or bone-targeted agent)"
        )
        return None
    if r.rt == "MedicationRequest":
        raw_dispense = b.get("dispenseRequest")
        dispense: Json = raw_dispense if isinstance(raw_dispense, dict) else {}
        _, vp = first_date(dispense, "validityPeriod.start")
        start, _ = c.parse_date(vp)
        if start is None:
            start = m.date(r, ("authoredOn",), required=False)
        _, ve = first_date(dispense, "validityPeriod.end")
        end, _ = c.parse_date(ve)
    else:
        start = m.date(r, ("effectivePeriod.start", "effectiveDateTime"), required=False)
        end = m.date(r, ("effectivePeriod.end",), required=False)
    group = b.get("groupIdentifier")
    key = (
        f"id:{own}"
        if own
        else (
            f"group:{group.get('system')}|{group.get('value')}"
            if isinstance(group, dict) and group.get("value")
            else None
        )
    )
    m.consumed.add(id(b))
    return _Med(r, agent, ttype, start, end, key)


def _combined_type(types: list[str]) -> str:
    kinds = set(types)
    if kinds == {"chemotherapy", "immunotherapy"} or "chemo_immunotherapy" in kinds:
        return "chemo_immunotherapy"
    return types[0]


def _treatment(m: Mapper, members: list[_Med]) -> dict[str, Any] | None:
    lead = members[0]
    declared = m.ext(lead.r.body, c.EXT_TREATMENT_TYPE)
    ttype = declared if isinstance(declared, str) else _combined_type([x.type for x in members])
    agents: list[str] = []
    for x in members:
        if x.agent and x.agent not in agents:
            agents.append(x.agent)
    own = m.identifier(lead.r.body, c.ID_TREATMENT)
    out: dict[str, Any] = {"id": own or lead.r.id or f"treatment-{ttype}", "type": ttype}
    if agents:
        out["agents"] = agents
    starts = [x.start for x in members if x.start]
    ends = [x.end for x in members if x.end]
    if starts:
        out["start"] = min(starts).isoformat()
    if ends and len(ends) == len(members):
        out["end"] = max(ends).isoformat()
    line = m.ext(lead.r.body, c.EXT_LINE)
    if isinstance(line, int) and not isinstance(line, bool):
        out["line_number"] = line
    m.case_data(lead.r.body, out)
    if not m.checked:
        return out
    try:
        Treatment.model_validate(out)
    except ValidationError as exc:
        m.problem(lead.r, "effective[x]", exc.errors()[0]["msg"].removeprefix("Value error, "))
        return None
    return out


def _procedure_treatment(m: Mapper, r: Res) -> dict[str, Any] | None:
    b = r.body
    local_type = m.local_code(b.get("code"), "treatment-type")
    hit = m.match(("procedure_treatment",), b.get("code"))
    ttype = local_type or (hit.concept.key if hit else None)
    if ttype is None:
        m.skip(r, "code", "procedure not used by bonemet (neither bone imaging nor radiotherapy/surgery)")
        return None
    status = b.get("status")
    if status in ("entered-in-error", "not-done", "preparation"):
        m.skip(r, "status", f"status {status}: not a treatment given")
        return None
    out: dict[str, Any] = {
        "id": m.identifier(b, c.ID_TREATMENT) or r.id or f"procedure-{ttype}",
        "type": ttype,
    }
    start = m.date(r, ("performedPeriod.start", "performedDateTime"), required=False)
    end = m.date(r, ("performedPeriod.end", "performedDateTime"), required=False)
    if start:
        out["start"] = start.isoformat()
    if end:
        out["end"] = end.isoformat()
    for s in dicts(b.get("bodySite")):
        site = m.site_of(r, "bodySite", s)
        if site:
            out["site"] = site
            break
    line = m.ext(b, c.EXT_LINE)
    if isinstance(line, int) and not isinstance(line, bool):
        out["line_number"] = line
    m.case_data(b, out)
    m.consumed.add(id(b))
    if not m.checked:
        return out
    try:
        Treatment.model_validate(out)
    except ValidationError as exc:
        m.problem(r, "performed[x]", exc.errors()[0]["msg"].removeprefix("Value error, "))
        return None
    return out


