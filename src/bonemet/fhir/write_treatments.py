"""The case's treatments written as FHIR (case_to_bundle): radiotherapy and surgery as Procedures, the
other lines one MedicationRequest per agent (issue 26: mCODE's CancerRelatedMedicationRequest; a
MedicationStatement before). Every resource carries the bonemet treatment identifier, type and line
number, so the reader gives the same treatment back.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel

from bonemet.fhir import common as c
from bonemet.fhir import write_bone_inputs, write_mcode
from bonemet.fhir.valuesets import ValueSets
from bonemet.model.case import Treatment, TreatmentType

Json = dict[str, Any]

_PROCEDURE_TYPES = {TreatmentType.radiotherapy, TreatmentType.surgery}


class _Writer(Protocol):
    """What this module needs of from_case's writer (a protocol: no import cycle)."""

    vs: ValueSets
    patient_url: str
    primary_url: str | None
    secondary_url: str | None

    def add(self, resource: Json, *key: str) -> str: ...
    def subject(self) -> Json: ...
    def local(self, vocabulary: str, code: str, display: str | None = None) -> Json: ...
    def ext(self, name: str, value_key: str, value: Any) -> Json: ...
    def identifier(self, name: str, value: str) -> list[Json]: ...
    def site_cc(self, site: str) -> Json: ...
    def case_data(self, items: list[tuple[str, Any]], prefix: str = "") -> list[Json]: ...


def residual(model: BaseModel, handled: set[str]) -> list[tuple[str, Any]]:
    """The fields of a case model no FHIR element carries: they travel in the case-data extension."""
    dumped = model.model_dump(mode="json", exclude_defaults=True)
    return [(k, v) for k, v in dumped.items() if k not in handled]


def treatment(w: _Writer, t: Treatment) -> None:
    common_ext = [w.ext(c.EXT_TREATMENT_TYPE, "valueCode", t.type.value)]
    if t.line_number is not None:
        common_ext.append(w.ext(c.EXT_LINE, "valuePositiveInt", t.line_number))
    if t.type in _PROCEDURE_TYPES:
        _procedure(w, t, common_ext)
        return
    agents: list[str | None] = list(t.agents) or [None]
    stopped = {s.agent: s for s in t.stopped_agents}
    for i, agent in enumerate(agents):
        cc: Json = (
            {"text": agent}
            if agent
            else {
                "coding": [w.local("treatment-type", t.type.value)],
                "text": t.type.value.replace("_", " "),
            }
        )
        # Issue 26: the line as mCODE's CancerRelatedMedicationRequest (mCODE STU4 has no
        # MedicationStatement profile); the reader takes the same dates and identifier from it.
        res = write_mcode.medication_request(t, cc, w.primary_url)
        res["identifier"] = w.identifier(c.ID_TREATMENT, t.id)
        res["subject"] = w.subject()
        handled = {"id", "type", "agents", "start", "end", "line_number", "dose_mg"}
        extra = residual(t, handled) if i == 0 else []
        if i == 0 and t.dose_mg is not None:  # issue 24: in dosage, UCUM mg, not in case-data
            instruction = res.setdefault("dosageInstruction", [{}])
            instruction[0].update(write_bone_inputs.dosage(t.dose_mg)[0])
        res["extension"] = common_ext + w.case_data(extra)
        stop = stopped.get(agent or "")
        if stop is not None:  # issue 26 review F6: an agent stopped while the line goes on is not active
            res["status"] = "stopped"
            period = res.setdefault("dispenseRequest", {}).setdefault("validityPeriod", {})
            period["end"] = stop.end.isoformat()
            if stop.stop_reason is not None:
                res["statusReason"] = {"text": w.vs.concept("stop_reason", stop.stop_reason.value).display.en}
        w.add(res, "treatment", t.id, str(i))


def _procedure(w: _Writer, t: Treatment, common_ext: list[Json]) -> None:
    res: Json = {
        "resourceType": "Procedure",
        "identifier": w.identifier(c.ID_TREATMENT, t.id),
        "status": "completed" if t.end or t.start else "unknown",
        "code": {
            "coding": [w.local("treatment-type", t.type.value)],
            "text": w.vs.concept("procedure_treatment", t.type.value).display.en,
        },
        "subject": w.subject(),
    }
    if t.start and t.end and t.start == t.end:
        res["performedDateTime"] = t.start.isoformat()
    elif t.start or t.end:
        res["performedPeriod"] = {k: d.isoformat() for k, d in (("start", t.start), ("end", t.end)) if d}
    if t.site:
        res["bodySite"] = [w.site_cc(t.site.value)]
    res["extension"] = common_ext + w.case_data(
        residual(t, {"id", "type", "start", "end", "line_number", "site"})
    )
    # Review 26 F11: the condition a course or an operation treats (mCODE asks for a reason): the bone
    # metastases when the case holds them, else the primary.
    reason = w.secondary_url or w.primary_url
    if t.type is TreatmentType.radiotherapy:
        site = res["bodySite"][0] if t.site else None
        write_mcode.radiotherapy_course(res, t, site, w.patient_url, reason)
    elif t.site and w.vs.match(("body_site", "body_site_ambiguous"), res["bodySite"][0]) is not None:
        # Bone surgery as mCODE's CancerRelatedSurgicalProcedure. Only with a site a reader knows
        # without bonemet's local code (a standard code or its words): the reader takes a profiled
        # surgery with no skeletal site for a cancer surgery (oncology.surgeries), not a bone one.
        write_mcode.bone_surgery(res, reason)
    w.add(res, "treatment", t.id)
