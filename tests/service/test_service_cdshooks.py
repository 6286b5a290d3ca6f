"""CDS Hooks 2.0 over real HTTP. Tests named `test_req_<id>_…` check the service-side requirement
of that id in cds-hooks-2.0-requirements.csv (docs/cds-hooks-conformance.md maps them all)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from service_harness import FHIR_TOKEN, LiveServer, StaticServer

from bonemet.kb import default_kb
from bonemet.service.cards import PAMA_RATING_EXTENSION, PAMA_RATING_SYSTEM, RATING_SYSTEM
from bonemet.service.cds_models import CdsResponse
from bonemet.service.cdshooks import ORDER_SERVICE, PATIENT_SERVICE, PREFETCH
from golden import normalised

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"
ORDER_URL = f"/cds-services/{ORDER_SERVICE}"
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
PATIENT_URL = f"/cds-services/{PATIENT_SERVICE}"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def call(server: LiveServer, url: str, body: Any, **headers: str) -> Any:
    with server.client() as http:
        return http.post(url, json=body, headers=headers)


def _walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    out = [(path, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _walk(v, f"{path}[{i}]")
    return out


def _staging_response(server: LiveServer, lang: str = "en") -> dict[str, Any]:
    r = call(server, ORDER_URL, fixture("order-select-staging.json"), **{"Accept-Language": lang})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


# discovery -------------------------------------------------------------------------------------


def test_req_4_5_13_discovery_at_base_url_with_get_returns_200(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        r = http.get("/cds-services")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")


def test_req_6_7_9_10_each_service_has_hook_description_and_id(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        services = http.get("/cds-services").json()["services"]
    assert isinstance(services, list) and services
    for s in services:
        assert isinstance(s["hook"], str) and s["hook"]
        assert isinstance(s["description"], str) and s["description"]
        assert isinstance(s["id"], str) and s["id"]
    assert {s["hook"] for s in services} == {"order-select", "order-sign", "patient-view"}


def test_req_16_service_endpoint_is_base_url_plus_id(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        services = http.get("/cds-services").json()["services"]
        for s in services:
            r = http.post(f"/cds-services/{s['id']}", json={"hook": s["hook"]})
            assert r.status_code == 422  # the route exists and validates the call


def test_req_29_36_prefetch_templates_are_in_discovery_with_keys(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        services = http.get("/cds-services").json()["services"]
    for s in services:
        assert s["prefetch"] == PREFETCH
        assert all(isinstance(k, str) and k for k in s["prefetch"])


def test_req_55_56_57_59_prefetch_tokens_are_root_context_fields(dev_server: LiveServer) -> None:
    allowed = {"context.patientId", "context.userId", "context.encounterId", "userPractitionerId",
               "userPractitionerRoleId", "userPatientId", "userRelatedPersonId"}
    with dev_server.client() as http:
        services = http.get("/cds-services").json()["services"]
    for s in services:
        for template in s["prefetch"].values():
            tokens = re.findall(r"\{\{(.*?)\}\}", template)
            assert tokens, template
            assert set(tokens) <= allowed
            assert template.count("{{") == template.count("}}") == len(tokens)


def test_req_211_same_id_for_order_select_and_order_sign(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        services = http.get("/cds-services").json()["services"]
    hooks_by_id: dict[str, set[str]] = {}
    for s in services:
        hooks_by_id.setdefault(s["id"], set()).add(s["hook"])
    assert hooks_by_id[ORDER_SERVICE] == {"order-select", "order-sign"}


def test_golden_discovery(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        body = http.get("/cds-services", headers={"Accept-Language": "en"}).json()
    assert normalised(body) == normalised(json.loads((GOLDEN / "cds-discovery.json").read_text()))


# order-select / order-sign -----------------------------------------------------------------------


def test_order_select_rates_the_draft_bone_scan_as_a_system_action(dev_server: LiveServer) -> None:
    body = _staging_response(dev_server)
    (action,) = body["systemActions"]
    assert action["type"] == "update"
    order = action["resource"]
    original = fixture("order-select-staging.json")["context"]["draftOrders"]["entry"][0]["resource"]
    assert {k: v for k, v in order.items() if k != "extension"} == original  # meaning unchanged
    rating = next(e for e in order["extension"] if e["url"] == PAMA_RATING_EXTENSION)
    codings = {c["system"]: c["code"] for c in rating["valueCodeableConcept"]["coding"]}
    assert codings == {PAMA_RATING_SYSTEM: "appropriate", RATING_SYSTEM: "may_be_appropriate"}


def test_order_select_suggests_replacing_the_bone_scan_with_fdg_pet(dev_server: LiveServer) -> None:
    (card,) = _staging_response(dev_server)["cards"]
    assert "NM-02" in card["summary"]
    (suggestion,) = card["suggestions"]
    assert card["selectionBehavior"] == "at-most-one"
    assert suggestion["isRecommended"] is True
    delete, create = suggestion["actions"]
    assert delete == {"type": "delete", "resourceId": "ServiceRequest/sr-bone-scan",
                      "description": delete["description"]}
    assert create["type"] == "create"
    codes = {c["code"] for c in create["resource"]["code"]["coding"]}
    assert "fdg_pet_ct" in codes
    assert "78815" not in codes  # a code fixing a mid-thigh sweep would contradict NM-03
    assert create["resource"]["subject"] == {"reference": "Patient/pat-1001"}


def test_golden_order_select(dev_server: LiveServer) -> None:
    body = _staging_response(dev_server)
    golden = json.loads((GOLDEN / "cds-order-select-staging.json").read_text())
    assert normalised(body) == normalised(golden)  # the knowledge-base version aside


def test_order_select_ignores_orders_not_selected_and_not_bone_imaging(dev_server: LiveServer) -> None:
    req = fixture("order-select-staging.json")
    req["context"]["selections"] = ["MedicationRequest/mr-1"]
    body = call(dev_server, ORDER_URL, req).json()
    assert body == {"cards": []}


def test_chest_ct_order_is_not_rated(dev_server: LiveServer) -> None:
    req = fixture("order-select-staging.json")
    req["context"]["draftOrders"]["entry"][0]["resource"]["code"] = {"text": "CT chest with contrast"}
    assert call(dev_server, ORDER_URL, req).json() == {"cards": []}


def test_bone_scan_after_staging_pet_is_not_appropriate_with_override_reasons(
        dev_server: LiveServer) -> None:
    req = fixture("order-select-staging.json")
    # A staging PET ten days before today (the hook's decision date): within the staging window
    # (rules.yaml ADV-01), so the bone scan is not indicated (NM-01). A PET older than the window
    # would no longer count (issue 21, class 3): see the next test.
    pet_day = (dt.date.today() - dt.timedelta(days=10)).isoformat()
    req["prefetch"]["procedures"] = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "Procedure", "id": "pet-1", "status": "completed",
                      "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt",
                                           "code": "78816"}]},
                      "subject": {"reference": "Patient/pat-1001"},
                      "performedDateTime": pet_day}}]}
    req["prefetch"]["diagnosticReports"] = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "DiagnosticReport", "id": "rep-1", "status": "final",
                      "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt",
                                           "code": "78816"}]},
                      "subject": {"reference": "Patient/pat-1001"},
                      "effectiveDateTime": pet_day,
                      "conclusionCode": [{"coding": [{"system": V3, "code": "NEG"}]}]}}]}
    body = call(dev_server, ORDER_URL, req).json()
    (card,) = body["cards"]
    assert card["indicator"] == "warning"
    assert "NM-01" in card["summary"]
    assert all(r["display"] for r in card["overrideReasons"])
    rating = body["systemActions"][0]["resource"]["extension"][0]["valueCodeableConcept"]
    assert rating["coding"][0]["code"] == "not-appropriate"


def test_bone_scan_after_a_staging_pet_older_than_its_window_is_the_pet_fallback(
        dev_server: LiveServer) -> None:
    """Issue 21, class 3: a staging PET done 200 days before today no longer answers staging, so
    the card is not NM-01's "not appropriate" but NM-02's fallback naming the PET."""
    req = fixture("order-select-staging.json")
    pet_day = (dt.date.today() - dt.timedelta(days=200)).isoformat()
    req["prefetch"]["procedures"] = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "Procedure", "id": "pet-1", "status": "completed",
                      "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt",
                                           "code": "78816"}]},
                      "subject": {"reference": "Patient/pat-1001"},
                      "performedDateTime": pet_day}}]}
    (card,) = call(dev_server, ORDER_URL, req).json()["cards"]
    assert "NM-01" not in card["summary"] and "NM-02" in card["summary"]


def test_missing_data_means_no_rating_and_says_what_is_missing(dev_server: LiveServer) -> None:
    req = fixture("order-select-staging.json")
    # Under treatment without a dated line: the 6-month rule cannot be applied (NM-05).
    req["prefetch"]["medicationRequests"] = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "MedicationRequest", "id": "osi", "status": "active",
                      "intent": "order", "subject": {"reference": "Patient/pat-1001"},
                      "medicationCodeableConcept": {"text": "osimertinib 80 mg"}}}]}
    body = call(dev_server, ORDER_URL, req).json()
    assert "systemActions" not in body
    (card,) = body["cards"]
    assert "not rated" in card["summary"]
    assert "start date" in card["summary"]
    assert "treatments[0].start" in card["detail"]  # the undated line, by its index


def test_order_sign_rates_every_draft_bone_order(dev_server: LiveServer) -> None:
    req = fixture("order-select-staging.json")
    req["hook"] = "order-sign"
    del req["context"]["selections"]
    body = call(dev_server, ORDER_URL, req).json()
    assert len(body["systemActions"]) == 1 and len(body["cards"]) == 1


def test_french_by_accept_language(dev_server: LiveServer) -> None:
    (card,) = _staging_response(dev_server, "fr-FR,fr;q=0.9,en;q=0.5")["cards"]
    assert card["summary"].startswith("Scintigraphie osseuse")
    assert "référentiel" in card["source"]["label"]


def test_card_source_names_guideline_and_kb_version(dev_server: LiveServer) -> None:
    (card,) = _staging_response(dev_server)["cards"]
    assert default_kb().version in card["source"]["label"]
    assert "AURA" in card["source"]["label"]
    assert card["source"]["topic"]["code"] == "NM-02"


# response conformance (every card the service produced above, re-validated) ----------------------


def _all_responses(server: LiveServer) -> list[dict[str, Any]]:
    out = [_staging_response(server), _staging_response(server, "fr")]
    req = fixture("order-select-staging.json")
    req["hook"] = "order-sign"
    out.append(call(server, ORDER_URL, req).json())
    return out


def test_req_74_75_200_with_cards_array_and_optional_system_actions(dev_server: LiveServer) -> None:
    for body in _all_responses(dev_server):
        assert isinstance(body["cards"], list)
        assert isinstance(body.get("systemActions", []), list)
        CdsResponse.model_validate(body)


def test_req_3_no_null_or_empty_elements(dev_server: LiveServer) -> None:
    for body in _all_responses(dev_server):
        for path, value in _walk(body):
            if path == ".cards":
                continue  # an empty cards array is allowed
            assert value is not None, path
            assert value not in ("", [], {}), path


def test_req_80_83_85_87_88_card_fields(dev_server: LiveServer) -> None:
    for body in _all_responses(dev_server):
        for card in body["cards"]:
            assert isinstance(card["uuid"], str)
            assert isinstance(card["summary"], str) and len(card["summary"]) < 140
            assert isinstance(card["detail"], str)  # GitHub-flavoured Markdown text
            assert card["indicator"] in ("info", "warning", "critical")


def test_req_90_105_107_111_115_source(dev_server: LiveServer) -> None:
    for body in _all_responses(dev_server):
        for card in body["cards"]:
            source = card["source"]
            assert isinstance(source["label"], str) and source["label"]
            assert source["url"].startswith("http")
            assert "icon" not in source or source["icon"].startswith("http")
            topic = source["topic"]
            assert isinstance(topic["system"], str) and isinstance(topic["code"], str)


def test_req_92_93_95_96_117_119_121_124_125_suggestions(dev_server: LiveServer) -> None:
    seen = 0
    for body in _all_responses(dev_server):
        for card in body["cards"]:
            for s in card.get("suggestions", []):
                seen += 1
                assert card["selectionBehavior"] in ("at-most-one", "any")
                assert isinstance(s["label"], str) and isinstance(s["uuid"], str)
                assert isinstance(s["isRecommended"], bool)
                assert isinstance(s["actions"], list) and len(s["actions"]) == 2  # delete AND create
    assert seen


def test_req_127_128_130_131_132_133_134_135_actions(dev_server: LiveServer) -> None:
    for body in _all_responses(dev_server):
        actions = list(body.get("systemActions", []))
        for card in body["cards"]:
            for s in card.get("suggestions", []):
                actions += s["actions"]
        assert actions
        for a in actions:
            assert a["type"] in ("create", "update", "delete")
            assert isinstance(a["description"], str) and a["description"]
            if a["type"] == "delete":
                assert "resource" not in a
                assert isinstance(a["resourceId"], str) and "/" in a["resourceId"]
            else:
                assert isinstance(a["resource"]["resourceType"], str)
            if a["type"] == "update":
                assert a["resource"]["id"]  # the whole resource, with its id


def test_req_98_100_136_219_override_reasons_have_display(dev_server: LiveServer) -> None:
    from bonemet.service.cards import CardContext, _override_reasons
    from bonemet.service.texts import default_texts

    for lang in ("en", "fr"):
        cc = CardContext(default_kb(), default_texts(), lang, "http://x", "h")  # type: ignore[arg-type]
        for coding in _override_reasons(cc):
            assert coding.display and coding.system and coding.code


def test_req_103_138_139_141_142_144_147_links(dev_server: LiveServer) -> None:
    for body in _all_responses(dev_server):
        for card in body["cards"]:
            for link in card["links"]:
                assert isinstance(link["label"], str) and link["url"].startswith("http")
                assert link["type"] in ("absolute", "smart")
                if link["type"] == "absolute":
                    assert "appContext" not in link


def test_req_214_extensions_are_objects(dev_server: LiveServer) -> None:
    for body in _all_responses(dev_server):
        for path, value in _walk(body):
            if path.endswith(".extension") and path.count(".") <= 2:
                assert isinstance(value, dict), path  # CDS Hooks extension (not FHIR's list)


def test_req_216_217_218_220_codings(dev_server: LiveServer) -> None:
    for body in _all_responses(dev_server):
        for card in body["cards"]:
            for coding in [card["source"]["topic"], *card.get("overrideReasons", [])]:
                assert isinstance(coding["code"], str) and isinstance(coding["system"], str)


def test_req_1_requests_and_answers_are_json(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        r = http.post(ORDER_URL, content=b"hook=order-select",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/fhir+json")
    assert r.json()["resourceType"] == "OperationOutcome"


# data access: prefetch, FHIR server, 412 ---------------------------------------------------------


def test_req_54_412_without_prefetch_or_fhir_server(dev_server: LiveServer) -> None:
    req = fixture("order-select-staging.json")
    del req["prefetch"]["conditions"]
    r = call(dev_server, ORDER_URL, req)
    assert r.status_code == 412
    outcome = r.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "prefetch.conditions" in json.dumps(outcome)


def test_req_61_missing_keys_are_fetched_with_the_bearer_token(dev_server: LiveServer,
                                                               fhir_server: StaticServer) -> None:
    req = fixture("order-select-staging.json")
    conditions = req["prefetch"].pop("conditions")
    fhir_server.set("/Condition?patient=pat-1001", conditions)
    req["fhirServer"] = fhir_server.url
    req["fhirAuthorization"] = {"access_token": FHIR_TOKEN, "token_type": "Bearer",
                                "expires_in": 300, "scope": "patient/*.read", "subject": "bonemet"}
    before = len(fhir_server.handler.seen)
    r = call(dev_server, ORDER_URL, req)
    assert r.status_code == 200, r.text
    assert r.json() == _staging_response(dev_server) | {"cards": r.json()["cards"]}
    calls = fhir_server.handler.seen[before:]
    assert [c["path"] for c in calls] == ["/Condition?patient=pat-1001"]
    assert calls[0]["authorization"] == f"Bearer {FHIR_TOKEN}"


def test_fhir_server_refusing_the_token_is_412(dev_server: LiveServer, fhir_server: StaticServer) -> None:
    req = fixture("order-select-staging.json")
    del req["prefetch"]["observations"]
    req["fhirServer"] = fhir_server.url
    req["fhirAuthorization"] = {"access_token": "wrong", "token_type": "Bearer", "expires_in": 300,
                                "scope": "patient/*.read", "subject": "bonemet"}
    r = call(dev_server, ORDER_URL, req)
    assert r.status_code == 412
    assert "HTTP 401" in r.text


def test_unreachable_fhir_server_is_412(dev_server: LiveServer) -> None:
    from service_harness import free_port

    req = fixture("order-select-staging.json")
    del req["prefetch"]["observations"]
    req["fhirServer"] = f"http://127.0.0.1:{free_port()}"
    req["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer", "expires_in": 300,
                                "scope": "patient/*.read", "subject": "bonemet"}
    r = call(dev_server, ORDER_URL, req)
    assert r.status_code == 412
    assert "unreachable" in r.text


def test_paged_search_results_are_followed(dev_server: LiveServer, fhir_server: StaticServer) -> None:
    req = fixture("order-select-staging.json")
    conditions = req["prefetch"].pop("conditions")
    fhir_server.set("/Condition?patient=pat-1001", {
        "resourceType": "Bundle", "type": "searchset", "entry": [],
        "link": [{"relation": "next", "url": f"{fhir_server.url}/page2"}]})
    fhir_server.set("/page2", conditions)
    req["fhirServer"] = fhir_server.url
    req["fhirAuthorization"] = {"access_token": FHIR_TOKEN, "token_type": "Bearer",
                                "expires_in": 300, "scope": "patient/*.read", "subject": "bonemet"}
    body = call(dev_server, ORDER_URL, req).json()
    assert "NM-02" in body["cards"][0]["summary"]


@pytest.mark.parametrize(("mutate", "status", "where"), [
    (lambda r: r.pop("hookInstance"), 422, "hookInstance"),
    (lambda r: r["context"].pop("patientId"), 422, "context.patientId"),
    # issue 22: `$` matched before a final newline, so "pat-1\n" passed as a FHIR id
    (lambda r: r["context"].update(patientId="pat-1\n"), 422, "context.patientId"),
    (lambda r: r["context"].pop("draftOrders"), 422, "context.draftOrders"),
    (lambda r: r["context"].pop("selections"), 422, "context.selections"),
    (lambda r: r.update(hook="patient-view"), 422, "hook"),
    (lambda r: r.update(fhirAuthorization={"access_token": "x", "token_type": "Bearer",
                                           "expires_in": 1, "scope": "s", "subject": "s"}),
     422, "fhirServer"),
    (lambda r: r["prefetch"].update(conditions=[1, 2]), 422, "prefetch.conditions"),
])
def test_bad_hook_requests_get_operation_outcomes(dev_server: LiveServer, mutate: Any, status: int,
                                                  where: str) -> None:
    req = copy.deepcopy(fixture("order-select-staging.json"))
    mutate(req)
    r = call(dev_server, ORDER_URL, req)
    assert r.status_code == status, r.text
    assert r.json()["resourceType"] == "OperationOutcome"
    assert where in r.text


def test_unknown_service_is_404(dev_server: LiveServer) -> None:
    r = call(dev_server, "/cds-services/nope", fixture("order-select-staging.json"))
    assert r.status_code == 404


# patient-view ----------------------------------------------------------------------------------


def _patient_view(prefetch_extra: dict[str, Any]) -> dict[str, Any]:
    req = fixture("order-select-staging.json")
    req["hook"] = "patient-view"
    req["context"] = {"userId": "Practitioner/dr-martin", "patientId": "pat-1001"}
    req["prefetch"].update(prefetch_extra)
    return req


def test_req_77_patient_view_without_findings_has_no_card(dev_server: LiveServer) -> None:
    r = call(dev_server, PATIENT_URL, _patient_view({}))
    assert r.status_code == 200
    assert r.json() == {"cards": []}


# feedback ----------------------------------------------------------------------------------------


def test_feedback_is_stored_once_however_often_it_is_sent(dev_server: LiveServer) -> None:
    card = _staging_response(dev_server)["cards"][0]
    item = {"card": card["uuid"], "outcome": "accepted",
            "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
            "outcomeTimestamp": "2025-01-20T10:00:00Z"}
    first = call(dev_server, f"{ORDER_URL}/feedback", {"feedback": [item]}).json()
    again = call(dev_server, f"{ORDER_URL}/feedback", {"feedback": [item, item]}).json()
    assert first == {"received": 1, "stored": 1, "duplicates": 0}
    assert again == {"received": 2, "stored": 0, "duplicates": 2}
    assert dev_server.app.state.bonemet.store.feedback_for(card["uuid"]) == [item]


def test_card_uuids_are_stable_for_the_same_hook_instance(dev_server: LiveServer) -> None:
    assert _staging_response(dev_server)["cards"][0]["uuid"] == \
        _staging_response(dev_server)["cards"][0]["uuid"]


@pytest.mark.parametrize(("item", "where"), [
    ({"card": "c", "outcome": "accepted", "outcomeTimestamp": "2025-01-20T10:00:00Z"},
     "acceptedSuggestions"),
    ({"card": "c", "outcome": "ignored", "outcomeTimestamp": "2025-01-20T10:00:00Z"}, "outcome"),
    ({"card": "c", "outcome": "overridden", "outcomeTimestamp": "yesterday"}, "outcomeTimestamp"),
])
def test_invalid_feedback_is_422(dev_server: LiveServer, item: dict[str, Any], where: str) -> None:
    r = call(dev_server, f"{ORDER_URL}/feedback", {"feedback": [item]})
    assert r.status_code == 422
    assert where in r.text


def test_audit_records_hook_card_count_and_the_patient_id_only(dev_server: LiveServer) -> None:
    _staging_response(dev_server)
    rows = dev_server.app.state.bonemet.store.audit_rows(limit=500)
    row = next(r for r in rows if r["hook"] == "order-select" and r["status"] == 200)
    assert row["route"] == "/cds-services/{service_id}" and row["cards"] == 1
    assert row["case_id"] == "Patient/pat-1001"  # issue 22: who viewed patient X
    assert "pat-1001" not in json.dumps([{k: v for k, v in r.items() if k != "case_id"} for r in rows])


# every demo case through the FHIR writer, as an EHR would prefetch it -----------------------------

DEMOS = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))
EXPECTED_PATIENT_CARDS = {
    "03-staging-pet-mid-thigh.yaml": ["NM-03"],
    "04-staging-pet-coverage-unknown.yaml": ["NM-03"],
    "14-isolated-lesion-pet.yaml": ["NM-09"],
    "15-isolated-lesion-mri-done.yaml": [],
    "19-non-lung-primary.yaml": [],
    "20-flare-late-increase.yaml": ["NM-07"],  # the anniversary day is early (issue 11)
    "21-flare-early-flare-likely.yaml": ["NM-07"],
    "22-flare-early-progression-likely.yaml": ["NM-07"],
    "26-flare-no-progression.yaml": [],
    "01-staging-no-pet.yaml": [],
}


@pytest.mark.parametrize(("name", "rules"), sorted(EXPECTED_PATIENT_CARDS.items()))
def test_patient_view_one_card_per_actionable_finding(dev_server: LiveServer, name: str,
                                                      rules: list[str]) -> None:
    from hooks import case_doc, hook_request

    # The staging demos are moved to today: the hook decides on today's date (case_doc).
    r = call(dev_server, PATIENT_URL, hook_request("patient-view",
                                                   case_doc(name, today=name.startswith("0"))))
    assert r.status_code == 200, r.text
    assert [c["source"]["topic"]["code"] for c in r.json()["cards"]] == rules


def test_flare_card_says_not_to_switch_and_lists_the_evidence(dev_server: LiveServer) -> None:
    from hooks import card_text, case_doc, hook_request

    req = hook_request("patient-view", case_doc("21-flare-early-flare-likely.yaml"))
    (card,) = call(dev_server, PATIENT_URL, req).json()["cards"]
    assert card["indicator"] == "warning"
    assert "flare" in card["summary"] and "2025-06-10" in card["summary"]
    assert "flare likely" in card_text(card["detail"])
    assert "NM-08" in card_text(card["detail"])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_req_83_every_summary_of_every_demo_is_under_140_characters(dev_server: LiveServer,
                                                                    lang: str) -> None:
    from hooks import case_doc, hook_request

    from bonemet.service.cds_models import SUMMARY_MAX

    seen = 0
    for name in DEMOS:
        for hook, orders in (("patient-view", ()),
                             ("order-select", ("bone_scan", "fdg_pet_ct", "spect_ct",
                                               "mri_thoracic_spine"))):
            r = call(dev_server, PATIENT_URL if hook == "patient-view" else ORDER_URL,
                     hook_request(hook, case_doc(name), orders), **{"Accept-Language": lang})
            assert r.status_code == 200, (name, hook, r.text)
            for card in r.json()["cards"]:
                seen += 1
                assert len(card["summary"]) <= SUMMARY_MAX, card["summary"]
                assert not card["summary"].endswith("…"), card["summary"]  # fits without cutting
    assert seen > 40


def test_req_52_operation_outcome_in_prefetch_is_412(dev_server: LiveServer) -> None:
    req = fixture("order-select-staging.json")
    req["prefetch"]["observations"] = {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "timeout", "diagnostics": "search timed out"}]}
    r = call(dev_server, ORDER_URL, req)
    assert r.status_code == 412
    assert "prefetch.observations" in r.text


def test_conformance_table_names_only_existing_tests() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "cds-hooks-conformance.md").read_text()
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", doc))
    existing = {m for p in Path(__file__).parent.glob("test_*.py")
                for m in re.findall(r"^def (test_[a-z0-9_]+)", p.read_text(), re.M)}
    assert named and named <= existing, named - existing
    for rid in (3, 54, 83, 93, 201, 203):
        assert re.search(rf"^\| {rid} \|", doc, re.M), rid


# issue 14: EHR data as it really comes ---------------------------------------------------------
CORPUS = Path(__file__).resolve().parents[1] / "fhir" / "corpus"


def _corpus_expected() -> dict[str, Any]:
    import yaml

    data: dict[str, Any] = yaml.safe_load((CORPUS / "expected.yaml").read_text("utf-8"))
    return data


def _corpus_request(name: str, hook: str = "order-select") -> dict[str, Any]:
    """A corpus record as an EHR sends it: its resources in the prefetch keys, its draft orders in
    the context, every order selected."""
    from hooks import prefetch_of

    doc: dict[str, Any] = json.loads((CORPUS / f"{name}.json").read_text("utf-8"))
    if "hook" in doc:  # already a CDS Hooks request (the specification's shape)
        return doc
    resources = [e["resource"] for e in doc["entry"]]
    orders = [r for r in resources if r["resourceType"] == "ServiceRequest" and r.get("status") == "draft"]
    record = {"resourceType": "Bundle", "entry": [{"resource": r} for r in resources if r not in orders]}
    return {"hook": hook, "hookInstance": f"corpus-{name}",
            "context": {"userId": "Practitioner/dr", "patientId": "p",
                        "selections": [f"ServiceRequest/{o['id']}" for o in orders],
                        "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                        "entry": [{"resource": o} for o in orders]}},
            "prefetch": prefetch_of(record)}


@pytest.mark.parametrize("name", sorted(n for n, want in _corpus_expected().items() if "card" in want))
def test_issue14_corpus_nothing_out_of_scope_gets_a_card(dev_server: LiveServer, name: str) -> None:
    r = call(dev_server, ORDER_URL, _corpus_request(name))
    assert r.status_code == 200, r.text
    body = r.json()
    spoke = bool(body["cards"]) or bool(body.get("systemActions"))
    assert spoke is _corpus_expected()[name]["card"], body


@pytest.mark.parametrize("code", [
    {"text": "Chest X-ray PA and lateral"},
    {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "71046"}]},
    {"coding": [{"system": "http://snomed.info/sct", "code": "399208008"}], "text": "Chest X-ray"},
])
def test_issue14_chest_xray_order_gets_no_card_and_no_rating_written(dev_server: LiveServer,
                                                                     code: dict[str, Any]) -> None:
    req = fixture("order-select-staging.json")
    req["context"]["draftOrders"]["entry"][0]["resource"]["code"] = code
    assert call(dev_server, ORDER_URL, req).json() == {"cards": []}


def test_issue14_vq_spect_is_not_rated_as_bone_spect(dev_server: LiveServer) -> None:
    req = fixture("order-select-staging.json")
    req["context"]["draftOrders"]["entry"][0]["resource"]["code"] = {
        "coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "78803"}],
        "text": "Lung ventilation/perfusion SPECT for suspected pulmonary embolism"}
    assert call(dev_server, ORDER_URL, req).json() == {"cards": []}


def test_issue14_spect_without_its_tracer_says_the_reading_is_an_assumption(dev_server: LiveServer) -> None:
    req = fixture("order-select-staging.json")
    req["context"]["draftOrders"]["entry"][0]["resource"]["code"] = {
        "coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "78832"}]}
    from hooks import card_text

    (card,) = call(dev_server, ORDER_URL, req).json()["cards"]
    assert "tracer not given (CPT 78832" in card_text(card["detail"])


def test_issue14_order_sign_of_an_order_without_id_has_no_update_action(dev_server: LiveServer) -> None:
    req = fixture("order-select-staging.json")
    req["hook"] = "order-sign"
    del req["context"]["selections"]
    del req["context"]["draftOrders"]["entry"][0]["resource"]["id"]
    body = call(dev_server, ORDER_URL, req).json()
    assert body["cards"] and "systemActions" not in body
    with_id = fixture("order-select-staging.json")
    with_id["hook"] = "order-sign"
    assert call(dev_server, ORDER_URL, with_id).json()["systemActions"][0]["type"] == "update"


def test_issue14_observation_prefetch_is_restricted_to_the_codes_the_rules_use(
        dev_server: LiveServer) -> None:
    from bonemet.model.case import LAB_CATALOGUE

    with dev_server.client() as http:
        services = http.get("/cds-services").json()["services"]
    template = services[0]["prefetch"]["observations"]
    assert template.startswith("Observation?patient={{context.patientId}}&code=")
    codes = template.split("&code=", 1)[1].split(",")
    for loinc, _conf, _units in LAB_CATALOGUE.values():
        if loinc:
            assert f"http://loinc.org|{loinc}" in codes
    assert "http://loinc.org|6768-6" not in codes  # total ALP is read only to say why it is not used
    assert all("|" in c and "{{" not in c for c in codes)


def test_issue14_412_names_every_key_that_could_not_be_fetched(dev_server: LiveServer,
                                                               fhir_server: StaticServer) -> None:
    req = fixture("order-select-staging.json")
    del req["prefetch"]["observations"]
    del req["prefetch"]["procedures"]
    req["fhirServer"] = fhir_server.url
    req["fhirAuthorization"] = {"access_token": "wrong", "token_type": "Bearer", "expires_in": 300,
                                "scope": "patient/*.read", "subject": "bonemet"}
    r = call(dev_server, ORDER_URL, req)
    assert r.status_code == 412
    assert "prefetch.observations" in r.text and "prefetch.procedures" in r.text


def test_issue14_412_names_every_prefetch_key_the_client_could_not_fetch(dev_server: LiveServer) -> None:
    req = fixture("order-select-staging.json")
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "forbidden"}]}
    req["prefetch"]["observations"] = outcome
    req["prefetch"]["procedures"] = outcome
    del req["prefetch"]["imagingStudies"]
    r = call(dev_server, ORDER_URL, req)
    assert r.status_code == 412
    assert all(f"prefetch.{k}" in r.text for k in ("observations", "procedures", "imagingStudies"))


def test_issue14_patient_view_of_another_cancer_has_no_card(dev_server: LiveServer) -> None:
    """Demo 03 gets an NM-03 card; the same record whose cancer is written as "Adenocarcinoma of
    prostate" (free text, as another EHR writes it) gets none."""
    from hooks import case_doc, hook_request

    req = hook_request("patient-view", case_doc("03-staging-pet-mid-thigh.yaml", today=True))
    assert call(dev_server, PATIENT_URL, req).json()["cards"]
    for entry in req["prefetch"]["conditions"]["entry"]:
        if "primary-cancer" in entry["resource"]["id"]:
            entry["resource"]["code"] = {"text": "Adenocarcinoma of prostate"}
    r = call(dev_server, PATIENT_URL, req)
    assert r.status_code == 200 and r.json() == {"cards": []}
