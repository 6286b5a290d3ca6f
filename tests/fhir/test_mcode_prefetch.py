"""Issue 26: CDS Hooks prefetch asks for MedicationAdministration (mCODE records given chemotherapy
with it); an EHR configured before the key existed is not refused, and the cards say what was not read."""

from __future__ import annotations

from bonemet.service.cds_models import CdsRequest
from bonemet.service.cdshooks import OPTIONAL_PREFETCH, PREFETCH, _optional_unread


def _req(prefetch: dict[str, object], server: bool = False) -> CdsRequest:
    extra = (
        {
            "fhirServer": "https://ehr.example/fhir",
            "fhirAuthorization": {
                "access_token": "t",
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "patient/*.read",
                "subject": "bonemet",
            },
        }
        if server
        else {}
    )
    return CdsRequest.model_validate(
        {
            "hook": "patient-view",
            "hookInstance": "h",
            "context": {"patientId": "p"},
            "prefetch": prefetch,
            **extra,
        }
    )


def test_the_discovery_asks_for_medication_administrations() -> None:
    assert PREFETCH["medicationAdministrations"] == "MedicationAdministration?patient={{context.patientId}}"
    assert {"medicationAdministrations"} == OPTIONAL_PREFETCH


def test_a_request_without_the_key_and_without_a_server_is_said() -> None:
    note = _optional_unread(_req({k: None for k in PREFETCH if k != "medicationAdministrations"}))
    assert note is not None and "medicationAdministrations" in note


def test_nothing_is_said_when_the_key_is_sent_or_can_be_fetched() -> None:
    assert _optional_unread(_req({k: None for k in PREFETCH})) is None
    assert _optional_unread(_req({}, server=True)) is None
