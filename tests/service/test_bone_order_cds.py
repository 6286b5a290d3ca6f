"""Issue 24: order-select / order-sign on a zoledronic acid or denosumab draft MedicationRequest,
over real HTTP (uvicorn). The patient's data is written by bonemet's own FHIR writer (labs with
bonemet's local analyte codes, a Patient with birthDate and gender, the weight in the case-data
extension) and split into the discovery document's prefetch keys, as an EHR would fill them.

The table is the label's bands as read in Aapro 2008 (plan.yaml PL-53; clinical-reference.md
§10.1), with the clearance computed by Cockcroft-Gault from the creatinine: a man of 70, 72 kg,
so that CrCl = 70 / creatinine (mg/dL)."""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

import pytest
from hooks import card_text, hook_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_harness import LiveServer

from bonemet.core.plan_renal import cockcroft_gault, zoledronic_acid_dose
from bonemet.fhir import default_valuesets
from bonemet.kb import default_kb
from bonemet.service.cds_models import CdsResponse
from bonemet.service.cdshooks import ORDER_SERVICE, PREFETCH

URL = f"/cds-services/{ORDER_SERVICE}"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
BANDS = default_kb().plan.rule("BT-03").params  # type: ignore[union-attr]
TODAY = dt.date.today()
AGE = 70


def case(creatinine_mg_dl: float | None = 1.0, *, labs: list[dict[str, Any]] | None = None,
         weight: float = 72, **plan_inputs: Any) -> dict[str, Any]:
    day = (TODAY - dt.timedelta(days=3)).isoformat()
    found = [{"date": day, "analyte": "calcium", "value": 2.35, "unit": "mmol/L"},
             {"date": day, "analyte": "vitamin_d_25oh", "value": 35, "unit": "ng/mL"}]
    if creatinine_mg_dl is not None:
        found.append({"date": day, "analyte": "creatinine", "value": creatinine_mg_dl,
                      "unit": "mg/dL"})
    return {
        "schema_version": "1.0", "case_id": "bt-cds",
        "patient": {"sex": "male", "birth_year": TODAY.year - AGE},
        "cancer": {"primary_site": "lung", "histology": "adenocarcinoma",
                   "bone_metastases_known": True},
        "context": {"phase": "on_treatment", "as_of": TODAY.isoformat()},
        "labs": found if labs is None else labs,
        "plan_inputs": {"weight_kg": weight, "dental_status": "cleared",
                        "dental_date": (TODAY - dt.timedelta(days=20)).isoformat(), **plan_inputs},
    }


def medication_request(agent: str = "zoledronic_acid", dose: Any = 4.0, unit: str = "mg",
                       rid: str | None = "mr-1", **extra: Any) -> dict[str, Any]:
    names = {"zoledronic_acid": ("1114085", "zoledronic acid 4 MG in 100 ML Injection"),
             "denosumab": (None, "denosumab 120 mg (Xgeva)"),
             "carboplatin": (None, "carboplatin")}
    code, name = names[agent]
    cc: dict[str, Any] = {"text": name}
    if code:
        cc["coding"] = [{"system": RXNORM, "code": code}]
    mr: dict[str, Any] = {"resourceType": "MedicationRequest", "status": "draft", "intent": "order",
                          "medicationCodeableConcept": cc,
                          "subject": {"reference": "Patient/x"},
                          "requester": {"reference": "Practitioner/dr-1"}}
    if rid:
        mr["id"] = rid
    if dose is not None:
        mr["dosageInstruction"] = [{"timing": {"repeat": {"frequency": 1, "period": 4,
                                                          "periodUnit": "wk"}},
                                    "doseAndRate": [{"doseQuantity": {
                                        "value": dose, "unit": unit, "system": UCUM,
                                        "code": unit}}]}]
    mr.update(extra)
    return mr


def order_call(doc: dict[str, Any], *orders: dict[str, Any], hook: str = "order-sign",
               selections: list[str] | None = None) -> dict[str, Any]:
    body = hook_request(hook, doc, ())
    pid = body["context"]["patientId"]
    drafts = []
    for o in orders:
        o = copy.deepcopy(o)
        o["subject"] = {"reference": f"Patient/{pid}"}
        drafts.append({"resource": o})
    body["context"]["draftOrders"] = {"resourceType": "Bundle", "type": "collection",
                                      "entry": drafts}
    if hook == "order-select":
        body["context"]["selections"] = selections if selections is not None else [
            f"{o['resourceType']}/{o.get('id')}" for o in orders]
    return body


def post(server: LiveServer, body: dict[str, Any], lang: str = "en") -> Any:
    with server.client() as http:
        return http.post(URL, json=body, headers={"Accept-Language": lang})


def cards_of(server: LiveServer, body: dict[str, Any], lang: str = "en") -> list[dict[str, Any]]:
    r = post(server, body, lang)
    assert r.status_code == 200, r.text
    data = r.json()
    CdsResponse.model_validate(data)  # the wire model is the conformance check
    cards: list[dict[str, Any]] = data["cards"]
    return cards


def dose_of(resource: dict[str, Any]) -> Any:
    return resource["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]


# --- The label's bands × ordered 4.0 mg ---------------------------------------------------------

@pytest.mark.parametrize(("clearance", "indicator", "suggested"), [
    (65, "info", None),        # the band is 4.0 mg: the order is right, nothing to change
    (55, "warning", 3.5),
    (45, "warning", 3.3),
    (35, "warning", 3.0),
    (25, "critical", None),    # under 30: zoledronic acid not given, never a dose
])
@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_bands_table(dev_server: LiveServer, clearance: int, indicator: str,
                     suggested: float | None, hook: str) -> None:
    creatinine = round(AGE * 72 / 72 / clearance, 4)
    assert cockcroft_gault(age_years=AGE, weight_kg=72, creatinine_mg_dl=creatinine,
                           female=False) == clearance
    order = medication_request(dose=4.0)
    (card,) = cards_of(dev_server, order_call(case(creatinine), order, hook=hook))
    assert card["indicator"] == indicator
    assert not card["summary"].endswith("…") and len(card["summary"]) < 140
    shown = card_text(card["detail"])
    assert f"{clearance}.0 mL/min" in shown or f"{clearance} mL/min" in shown
    assert "BT-06" in shown and "PL-53" in shown  # rule and statements in the card
    assert card["source"]["topic"]["code"] in ("BT-06", "BT-02")
    if suggested is None:
        assert "suggestions" not in card
    else:
        (suggestion,) = card["suggestions"]
        assert card["selectionBehavior"] == "at-most-one" and suggestion["isRecommended"] is True
        (action,) = suggestion["actions"]
        assert action["type"] == "update"
        updated = action["resource"]
        assert dose_of(updated) == {"value": suggested, "unit": "mg", "system": UCUM, "code": "mg"}
        # The whole draft order, only its dose changed (CDS Hooks 2.0 §Action, update).
        original = copy.deepcopy(order)
        original["subject"] = updated["subject"]
        dose_of(original).update(dose_of(updated))
        assert updated == original
        assert f"{suggested:.1f} mg" in card["summary"]
    if clearance == 25:
        assert "Denosumab is to be discussed" in shown and "one click" in shown


def test_french_card(dev_server: LiveServer) -> None:
    (card,) = cards_of(dev_server, order_call(case(round(70 / 45, 4)), medication_request()), "fr")
    assert "3,3 mg" in card["summary"] and "45 mL/min" in card["summary"]
    assert "Passer la dose à 3,3 mg" in card["suggestions"][0]["label"]
    shown = card_text(card["detail"])
    assert "alerte" in shown and "zoledronic_acid" not in shown
    # Review 24b F11: French typography in the card's labels too (never "Sources:" in French).
    assert "**\u00a0:" in card["detail"] and not re.search(r"\*\*: ", card["detail"])


# --- Missing data, bad orders, other orders -------------------------------------------------------

def test_missing_creatinine_names_it_and_gives_no_dose(dev_server: LiveServer) -> None:
    (card,) = cards_of(dev_server, order_call(case(None), medication_request()))
    assert card["indicator"] == "warning" and "suggestions" not in card
    assert "creatinine" in card["summary"]
    assert "labs.creatinine" in card["detail"]


def test_dose_in_ml_is_named_never_a_traceback(dev_server: LiveServer) -> None:
    (card,) = cards_of(dev_server, order_call(case(1.0), medication_request(dose=100, unit="mL")))
    assert card["indicator"] == "warning" and "suggestions" not in card
    assert "context.draftOrders.entry[0].resource.dosageInstruction[0].doseAndRate[0]" \
           ".doseQuantity" in card["detail"]
    assert "'mL'" in card_text(card["detail"])


def test_order_without_medication_is_refused_naming_the_field(dev_server: LiveServer) -> None:
    order = medication_request()
    del order["medicationCodeableConcept"]
    r = post(dev_server, order_call(case(1.0), order))
    assert r.status_code == 422
    assert "context.draftOrders.entry[0].resource.medication[x]" in r.text
    assert "Traceback" not in r.text


def test_other_medication_gives_no_card(dev_server: LiveServer) -> None:
    assert cards_of(dev_server, order_call(case(1.0), medication_request("carboplatin"))) == []


def test_order_select_only_the_selected_order(dev_server: LiveServer) -> None:
    body = order_call(case(1.0), medication_request(), hook="order-select",
                      selections=["MedicationRequest/other"])
    assert cards_of(dev_server, body) == []


def test_order_without_id_gets_the_card_but_no_update(dev_server: LiveServer) -> None:
    (card,) = cards_of(dev_server, order_call(case(round(70 / 45, 4)),
                                              medication_request(rid=None)))
    assert card["indicator"] == "warning" and "suggestions" not in card


def test_contained_medication_by_rxnorm(dev_server: LiveServer) -> None:
    order = medication_request()
    del order["medicationCodeableConcept"]
    order["contained"] = [{"resourceType": "Medication", "id": "med", "code": {"coding": [
        {"system": RXNORM, "code": "1114085"}]}}]
    order["medicationReference"] = {"reference": "#med"}
    (card,) = cards_of(dev_server, order_call(case(round(70 / 45, 4)), order))
    assert card["suggestions"][0]["actions"][0]["resource"]["contained"] == order["contained"]


def test_denosumab_no_dose_suggestion_hypocalcaemia_said(dev_server: LiveServer) -> None:
    order = medication_request("denosumab", dose=120)
    (card,) = cards_of(dev_server, order_call(case(2.8), order))  # 25 mL/min
    assert card["indicator"] == "warning" and "suggestions" not in card
    shown = card_text(card["detail"])
    assert "BT-04" in shown and "hypocalcaemia" in shown
    # Review 24b F12: the summary itself names the risk under the boxed-warning clearance.
    assert "severe hypocalcaemia risk" in card["summary"] and "25" in card["summary"]


def test_double_antiresorptive(dev_server: LiveServer) -> None:
    doc = case(1.0)
    doc["treatments"] = [{"id": "dmab", "type": "denosumab",
                          "start": (TODAY - dt.timedelta(days=90)).isoformat()}]
    (card,) = cards_of(dev_server, order_call(doc, medication_request(dose=4.0)))
    assert "another antiresorptive" in card["summary"] or "running since" in card_text(
        card["detail"])


def test_imaging_and_medication_orders_in_one_call(dev_server: LiveServer) -> None:
    from hooks import draft_order

    body = order_call(case(round(70 / 45, 4)), medication_request())
    pid = body["context"]["patientId"]
    body["context"]["draftOrders"]["entry"].append({"resource": draft_order("sr-1", pid,
                                                                            "bone_scan")})
    cards = cards_of(dev_server, body)
    assert len(cards) == 2 and cards[0]["summary"].startswith("Zoledronic acid 4.0 mg")


# --- Discovery: the prefetch reads the labs the check needs ----------------------------------------

def test_discovery_prefetch_asks_for_the_labs(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        services = http.get("/cds-services").json()["services"]
    (order,) = {s["prefetch"]["observations"] for s in services if s["id"] == ORDER_SERVICE}
    vs = default_valuesets()
    for analyte in ("creatinine", "calcium", "vitamin_d_25oh"):
        assert f"{vs.local_system('analyte')}|{analyte}" in order
        for row in vs.concept("analyte", analyte).codes:
            if row.match == "exact":
                assert f"{vs.uri(row.system)}|{row.code}" in order
    assert "medicationRequests" in PREFETCH


# --- Property: a dose above the band is never silent; under 30 never a dose ----------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.floats(min_value=0.6, max_value=6.0, allow_nan=False).map(lambda x: round(x, 2)),
       st.floats(min_value=0.01, max_value=2.0, allow_nan=False).map(lambda x: round(x, 2)))
def test_property_never_silent(dev_server: LiveServer, creatinine: float, over: float) -> None:
    clearance = cockcroft_gault(age_years=AGE, weight_kg=72, creatinine_mg_dl=creatinine,
                                female=False)
    band = zoledronic_acid_dose(clearance, BANDS)
    ordered = round((band or 3.0) + over, 2)
    (card,) = cards_of(dev_server, order_call(case(creatinine), medication_request(dose=ordered)))
    if band is None:
        assert card["indicator"] == "critical" and "suggestions" not in card
    else:
        assert card["indicator"] in ("warning", "critical")
        (action,) = card["suggestions"][0]["actions"]
        assert dose_of(action["resource"])["value"] == band


# --- End to end with the EHR's own Observations (LOINC, helper fhirbt's reader) -------------------

LOINC = "http://loinc.org"


def loinc_obs(oid: str, code: str, value: float, unit: str, day: dt.date, pid: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": day.isoformat(),
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}


def test_discovery_asks_the_loinc_codes_of_the_check(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        services = http.get("/cds-services").json()["services"]
    query = next(s["prefetch"]["observations"] for s in services if s["id"] == ORDER_SERVICE)
    # creatinine (mass, moles), calcium (mass, moles), 25-OH vitamin D, body weight, measured clearance
    for code in ("2160-0", "14682-9", "17861-6", "2000-8", "62292-8", "29463-7", "2164-2"):
        assert f"{LOINC}|{code}" in query, code


@pytest.mark.parametrize(("creatinine", "unit", "code", "clearance", "suggested"), [
    (137.6, "umol/L", "14682-9", 45, 3.3),     # 137.6 µmol/L = 1.5566 mg/dL: 70 x 72 / (72 x 1.5566) = 45.0
    (1.0, "mg/dL", "2160-0", 70, None),        # 70 mL/min: 4.0 mg is the band
])
def test_loinc_observations_in_the_prefetch(dev_server: LiveServer, creatinine: float, unit: str,
                                            code: str, clearance: float,
                                            suggested: float | None) -> None:
    doc = case(None, labs=[])
    del doc["plan_inputs"]["weight_kg"]  # the weight comes from its Observation only
    body = order_call(doc, medication_request(dose=4.0))
    pid = body["context"]["patientId"]
    day = TODAY - dt.timedelta(days=2)
    observations = [loinc_obs("cr", code, creatinine, unit, day, pid),
                    loinc_obs("ca", "17861-6", 9.4, "mg/dL", day, pid),
                    loinc_obs("vd", "62292-8", 18, "ng/mL", day, pid),
                    loinc_obs("wt", "29463-7", 72, "kg", day, pid)]
    body["prefetch"]["observations"] = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": o, "search": {"mode": "match"}} for o in observations]}
    patient = body["prefetch"]["patient"]
    assert patient["gender"] == "male" and patient["birthDate"].startswith(str(TODAY.year - AGE))
    (card,) = cards_of(dev_server, body)
    shown = card_text(card["detail"])
    assert f"{clearance:g} mL/min" in shown and "72 kg" in shown
    assert "VD-01" in shown and "× 8" in shown   # 25-OH-D 18 ng/mL: deficiency, loading × 8
    assert "No calcium" not in shown              # the calcium was read (9.4 mg/dL, not low)
    if suggested is None:
        assert "suggestions" not in card and "4.0 mg" in shown
    else:
        (action,) = card["suggestions"][0]["actions"]
        assert dose_of(action["resource"])["value"] == suggested
