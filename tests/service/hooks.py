"""Builders of CDS Hooks requests from bonemet cases (tests and the service benchmark share them).

The patient's data goes through the FHIR writer (`case_to_bundle`) and is split into the prefetch
keys of the discovery document, as an EHR would fill them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path
from typing import Any

from bonemet.api import load_case, parse_case
from bonemet.fhir import case_to_bundle
from bonemet.service.cdshooks import PREFETCH

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CPT = "http://www.ama-assn.org/go/cpt"
KEY_OF_TYPE = {
    "Patient": "patient", "Condition": "conditions", "Procedure": "procedures",
    "ImagingStudy": "imagingStudies", "DiagnosticReport": "diagnosticReports",
    "Observation": "observations", "MedicationRequest": "medicationRequests",
    "MedicationStatement": "medicationStatements", "MedicationAdministration": "medicationAdministrations",
}
ORDER_CODES = {"bone_scan": "78306", "spect_ct": "78832", "fdg_pet_ct": "78815",
               "mri_thoracic_spine": "72146", "chest_ct": None}


def card_text(detail: str) -> str:
    """What the EHR shows of a card's Markdown detail: its text, rendered by a CommonMark renderer
    (the detail escapes the record's words, so substrings are looked for in the rendering)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(detail)
    return "\n".join("".join(c.content for c in t.children or [] if c.type in ("text", "code_inline"))
                     for t in tokens if t.type == "inline")


def case_doc(name: str, today: bool = False) -> dict[str, Any]:
    """An example case as a document; `today`: every date moved by the same number of days so
    that its decision date is today. The hooks decide on the wall-clock date, as an EHR asks, and
    a staging PET answers staging only within its window (rules.yaml ADV-01; issue 21, class 3):
    a case from 2025 read today has no valid staging PET. (Moving by days can move a 6-month
    anniversary by a day: use it for staging cases, not for the flare reader's boundary cases.)"""
    data: dict[str, Any] = json.loads(load_case(EXAMPLES / name).model_dump_json())
    if today:
        shift = dt.date.today() - dt.date.fromisoformat(data["context"]["as_of"])
        data = _shifted(data, shift)
    return data


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _shifted(value: Any, shift: dt.timedelta) -> Any:
    if isinstance(value, dict):
        return {k: _shifted(v, shift) for k, v in value.items()}
    if isinstance(value, list):
        return [_shifted(v, shift) for v in value]
    if isinstance(value, str) and _ISO_DAY.match(value):
        return (dt.date.fromisoformat(value) + shift).isoformat()
    return value


def patient_id(bundle: dict[str, Any]) -> str:
    for entry in bundle.get("entry", []):
        if entry["resource"]["resourceType"] == "Patient":
            return str(entry["resource"]["id"])
    raise AssertionError("bundle without a Patient")


def as_server_data(bundle: dict[str, Any]) -> dict[str, Any]:
    """The writer's transaction-style Bundle (urn:uuid references) as a FHIR server returns the
    same data: every reference relative (`Patient/123`), as prefetch results are."""
    relative = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
                for e in bundle.get("entry", []) if e.get("fullUrl") and e["resource"].get("id")}

    def fix(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (relative.get(v, v) if k == "reference" else fix(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return {**bundle, "entry": [{**e, "resource": fix(e["resource"])} for e in bundle["entry"]]}


def prefetch_of(bundle: dict[str, Any]) -> dict[str, Any]:
    """Every prefetch key filled: a resource for `patient`, searchset Bundles for the others
    (entries keep their fullUrl, which the writer's references point to)."""
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key in PREFETCH}
    for entry in bundle.get("entry", []):
        key = KEY_OF_TYPE.get(entry["resource"]["resourceType"])
        if key is not None:
            grouped[key].append(entry)
    out: dict[str, Any] = {}
    for key, entries in grouped.items():
        if key == "patient":
            out[key] = entries[0]["resource"] if entries else None
        else:
            out[key] = {"resourceType": "Bundle", "type": "searchset", "total": len(entries),
                        "entry": [{**e, "search": {"mode": "match"}} for e in entries]}
    return out


def draft_order(order_id: str, pid: str, exam: str) -> dict[str, Any]:
    code = ORDER_CODES[exam]
    coding = {"coding": [{"system": CPT, "code": code}]} if code else {"text": "CT chest with contrast"}
    return {"resourceType": "ServiceRequest", "id": order_id, "status": "draft", "intent": "order",
            "subject": {"reference": f"Patient/{pid}"}, "code": coding,
            "requester": {"reference": "Practitioner/dr-1"}}


def hook_request(hook: str, case: dict[str, Any], orders: tuple[str, ...] = (),
                 prefetch: bool = True, instance: str | None = None) -> dict[str, Any]:
    bundle = as_server_data(case_to_bundle(parse_case(case)))
    pid = patient_id(bundle)
    context: dict[str, Any] = {"userId": "Practitioner/dr-1", "patientId": pid}
    if hook != "patient-view":
        drafts = [draft_order(f"order-{i}", pid, exam) for i, exam in enumerate(orders)]
        context["draftOrders"] = {"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"resource": d} for d in drafts]}
        if hook == "order-select":
            context["selections"] = [f"ServiceRequest/{d['id']}" for d in drafts]
    body: dict[str, Any] = {"hook": hook, "hookInstance": instance or str(uuid.uuid4()),
                            "context": context}
    if prefetch:
        body["prefetch"] = prefetch_of(bundle)
    return body


def order_select_request(resources: int = 50) -> dict[str, Any]:
    """order-select of a bone scan for a staging case without PET, padded with lab results until
    the prefetch holds `resources` resources (the benchmark's realistic 50-resource call)."""
    doc = case_doc("01-staging-no-pet.yaml")
    base = len(prefetch_resources(hook_request("order-select", doc, ("bone_scan",))))
    as_of = dt.date.fromisoformat(doc["context"]["as_of"])
    analytes = (("cea", "ng/mL", 4.1), ("cyfra_21_1", "ng/mL", 2.5), ("calcium", "mmol/L", 2.35))
    labs = []
    for i in range(max(0, resources - base)):
        analyte, unit, value = analytes[i % 3]
        labs.append({"date": (as_of - dt.timedelta(days=7 * (i + 1))).isoformat(),
                     "analyte": analyte, "value": value + 0.01 * i, "unit": unit})
    doc["labs"] = labs
    request = hook_request("order-select", doc, ("bone_scan",), instance="bench-0001")
    assert len(prefetch_resources(request)) == resources, len(prefetch_resources(request))
    return request


def prefetch_resources(request: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for value in request["prefetch"].values():
        if value is None:
            continue
        if value["resourceType"] == "Bundle":
            out.extend(e["resource"] for e in value["entry"])
        else:
            out.append(value)
    return out
