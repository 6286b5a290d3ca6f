"""What a handler tells the audit log: the case a request's body or hook context was about.

Most routes name their case in the path, and the audit middleware (`bonemet.http.audit_trail`)
reads it there by its declared table. The routes whose case travels in the body (the editor's form,
`POST /api/cases`, `/api/assess`, a FHIR Bundle, a session's "add a case") or in a CDS Hooks
context (`patientId`) are declared `FromHandler` in that table, and their handler calls one of the
functions below once it has read the id. Only ids are kept, matched whole: a name typed into the id
field never reaches the log.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from bonemet.model.board import is_case_id

STATE_KEY = "audit_case_ids"
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # FHIR R4 id; .fullmatch


def _named(request: Request) -> list[str]:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    found = state.get(STATE_KEY)
    if not isinstance(found, list):
        found = state[STATE_KEY] = []
    return found


def name_case(request: Request, case_id: object) -> None:
    """The request read or wrote this bonemet case (ignored when `case_id` is not an id)."""
    if is_case_id(case_id):
        _named(request).append(case_id)


def name_patient(request: Request, patient_id: object) -> None:
    """The request carried the EHR's patient `patient_id` (a CDS Hooks context): logged as
    `Patient/<id>`, the FHIR reference, so that it cannot be mistaken for a bonemet case id."""
    if isinstance(patient_id, str) and _FHIR_ID.fullmatch(patient_id):
        _named(request).append(f"Patient/{patient_id}")


def named_cases(scope: Any) -> tuple[str, ...]:
    """What the handlers of this request named, in order (for the audit middleware)."""
    found = scope.get("state", {}).get(STATE_KEY)
    return tuple(found) if isinstance(found, list) else ()
