"""Small mCODE-shaped resources for the issue-26 tests (written here; the shapes follow HL7's mCODE
STU4 examples, CC0)."""

from __future__ import annotations

from typing import Any

MC = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
SCT, LOINC = "http://snomed.info/sct", "http://loinc.org"
RX, ATC = "http://www.nlm.nih.gov/research/umls/rxnorm", "http://www.whocc.no/atc"
PID = "p1"


def cc(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def patient() -> dict[str, Any]:
    return {"resourceType": "Patient", "id": PID, "gender": "female", "birthDate": "1960-01-01"}


def condition(
    rid: str,
    code: dict[str, Any],
    profile: str = "primary",
    body: list[Any] | None = None,
    hist: dict[str, Any] | None = None,
    onset: str = "2025-09-01",
    verification: str = "confirmed",
) -> dict[str, Any]:
    r: dict[str, Any] = {
        "resourceType": "Condition",
        "id": rid,
        "meta": {"profile": [MC + f"mcode-{profile}-cancer-condition"]},
        "verificationStatus": cc("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification),
        "code": code,
        "subject": {"reference": f"Patient/{PID}"},
        "onsetDateTime": onset,
    }
    if body is not None:
        r["bodySite"] = body
    if hist is not None:
        r["extension"] = [{"url": MC + "mcode-histology-morphology-behavior", "valueCodeableConcept": hist}]
    return r


def lateral(code: str, display: str, side_code: str) -> dict[str, Any]:
    x = cc(SCT, code, display)
    x["extension"] = [{"url": MC + "mcode-laterality-qualifier", "valueCodeableConcept": cc(SCT, side_code)}]
    return x


def med_request(rid: str, med: dict[str, Any], status: str, day: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": med,
        "subject": {"reference": f"Patient/{PID}"},
        "authoredOn": day,
        **extra,
    }


def med_admin(
    rid: str, med: dict[str, Any], day: str, status: str = "completed", **extra: Any
) -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration",
        "id": rid,
        "status": status,
        "medicationCodeableConcept": med,
        "subject": {"reference": f"Patient/{PID}"},
        "effectiveDateTime": day,
        **extra,
    }


def observation(
    rid: str, code: dict[str, Any], day: str = "2025-11-01", profile: str | None = None, **value: Any
) -> dict[str, Any]:
    r: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": code,
        "subject": {"reference": f"Patient/{PID}"},
        "effectiveDateTime": day,
        **value,
    }
    if profile:
        r["meta"] = {"profile": [MC + profile]}
    return r


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
            for r in (patient(), *resources)
        ],
    }


LUNG_PRIMARY = condition(
    "primary",
    cc(SCT, "254637007", "Non-small cell lung cancer (disorder)"),
    body=[cc(SCT, "39607008", "Lung structure (body structure)")],
)
