"""SAFE-01 (suspected cord compression) from an EHR's FHIR data over real HTTP (HZ-EHR-11).

The prefetch is filled the way an EHR fills the discovery templates: Conditions all, Observations
only those whose code the `observations` template asks for. Spinal pain and a neurological deficit
recorded with standard SNOMED CT codes must reach the mapping and raise the urgent card.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hooks import card_text
from service_harness import LiveServer

from bonemet.service.cdshooks import PATIENT_SERVICE, PREFETCH

SCT = "http://snomed.info/sct"
PID = "ehr-cord-1"
LOW_BACK_PAIN, PARAPARESIS, WEAK_LIMB = "279039007", "1845001", "309774006"
TODAY = dt.date.today()  # the service dates the case today (fhir_bridge): records lie before it


def _condition(rid: str, code: str, days_ago: int, verification: str = "confirmed") -> dict[str, Any]:
    return {"resourceType": "Condition", "id": rid, "subject": {"reference": f"Patient/{PID}"},
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "verificationStatus": {"coding": [{"code": verification}]},
            "code": {"coding": [{"system": SCT, "code": code}]},
            "onsetDateTime": (TODAY - dt.timedelta(days=days_ago)).isoformat()}


def _observation(rid: str, code: str, days_ago: int, value: bool) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": rid, "status": "final",
            "subject": {"reference": f"Patient/{PID}"}, "code": {"coding": [{"system": SCT, "code": code}]},
            "effectiveDateTime": (TODAY - dt.timedelta(days=days_ago)).isoformat(), "valueBoolean": value}


def _searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources]}


def _request(conditions: list[dict[str, Any]], observations: list[dict[str, Any]]) -> dict[str, Any]:
    asked = set(PREFETCH["observations"].split("&code=", 1)[1].split(","))
    fetched = [o for o in observations  # what the EHR's search returns for the template
               if any(f"{c['system']}|{c['code']}" in asked for c in o["code"]["coding"])]
    prefetch: dict[str, Any] = {key: _searchset([]) for key in PREFETCH}
    prefetch["patient"] = {"resourceType": "Patient", "id": PID, "gender": "male", "birthDate": "1951-03-02"}
    prefetch["conditions"] = _searchset([_condition("c-lung", "254626006", 200), *conditions])
    prefetch["observations"] = _searchset(fetched)
    return {"hook": "patient-view", "hookInstance": "a1b2c3d4-0000-4000-8000-000000000021",
            "context": {"userId": "Practitioner/dr-1", "patientId": PID}, "prefetch": prefetch}


def _cards(server: LiveServer, body: dict[str, Any]) -> list[dict[str, Any]]:
    with server.client() as http:
        r = http.post(f"/cds-services/{PATIENT_SERVICE}", json=body)
    assert r.status_code == 200, r.text
    cards: list[dict[str, Any]] = r.json()["cards"]
    return cards


def test_low_back_pain_and_paraparesis_from_the_ehr_raise_the_urgent_card(dev_server: LiveServer) -> None:
    cards = _cards(dev_server, _request([_condition("c-pain", LOW_BACK_PAIN, 6)],
                                        [_observation("o-para", PARAPARESIS, 1, True)]))
    critical = [c for c in cards if c["indicator"] == "critical"]
    assert [c["source"]["topic"]["code"] for c in critical] == ["SAFE-01"]


def test_a_no_deficit_observation_does_not_silence_it_and_the_card_says_so(dev_server: LiveServer) -> None:
    cards = _cards(dev_server, _request(
        [_condition("c-pain", LOW_BACK_PAIN, 6), _condition("c-weak", WEAK_LIMB, 2)],
        [_observation("o-para", PARAPARESIS, 1, False)]))
    (card,) = [c for c in cards if c["indicator"] == "critical"]
    detail = card_text(card["detail"])
    assert "contradiction" in detail
    assert "Condition/c-weak" in detail and "Observation/o-para" in detail


def test_a_refuted_deficit_raises_no_urgent_card(dev_server: LiveServer) -> None:
    cards = _cards(dev_server, _request(
        [_condition("c-pain", LOW_BACK_PAIN, 6), _condition("c-para", PARAPARESIS, 2, "refuted")], []))
    assert not [c for c in cards if c["indicator"] == "critical"]


def test_a_case_exported_by_bonemet_keeps_its_cord_compression_alert_through_the_prefetch(
        dev_server: LiveServer) -> None:
    """The writer used to keep the deficit only in the context Parameters, which no prefetch key
    carries: the same patient seen through CDS Hooks lost SAFE-01. It is now an Observation."""
    from hooks import case_doc, hook_request

    request = hook_request("patient-view", case_doc("48-spinal-pain-neurological-deficit.yaml"))
    cards = _cards(dev_server, request)
    assert [c["source"]["topic"]["code"] for c in cards if c["indicator"] == "critical"] == ["SAFE-01"]
