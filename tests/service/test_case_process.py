"""A large CDS call is answered in a process of its own, with the answer the thread path gives.

Issue 22 item 11: a 3.6 MB prefetch decodes into ~300,000 objects; in the server process every full
garbage collection walked them holding the interpreter lock (~100 ms). From
`workload.IN_PROCESS_FROM_BYTES` a call is decoded, mapped and assessed in a forked process and only
the cards come back. These tests pin the contract: another process answers, and its answer (cards,
or the error answer) is byte for byte the answer of the in-thread path for the same request.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hooks import case_doc, hook_request
from service_harness import LiveServer

from bonemet.service import api, case_process, cdshooks
from bonemet.service.cdshooks import ORDER_SERVICE, PATIENT_SERVICE
from bonemet.workload import IN_PROCESS_FROM_BYTES

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _padded(name: str, copies: int = 1500) -> dict[str, Any]:
    """A call (a fixture, or patient-view of an example case) whose observations prefetch carries
    `copies` more lab results (an EHR's laboratory history): over the in-process threshold, with
    cards to compare."""
    if name.endswith(".json"):
        body: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    else:
        body = hook_request("patient-view", case_doc(name))
    observations = body["prefetch"].get("observations") or {}
    entries = observations.get("entry") or []
    model = next((e for e in entries if e["resource"].get("effectiveDateTime")), None)
    if model is None:  # no lab result to copy: a key the services do not ask for, decoded only
        entries = body["prefetch"].setdefault("laboratoryHistory", {
            "resourceType": "Bundle", "type": "searchset", "entry": []})["entry"]
        model = {"resource": {"resourceType": "Observation", "status": "final",
                              "code": {"text": "CEA"}, "valueQuantity": {"value": 4.2}}}
    for i in range(copies):
        resource = {**copy.deepcopy(model["resource"]), "id": f"lab-{i}",
                    "effectiveDateTime": f"20{10 + i % 10}-0{1 + i % 9}-1{i % 10}"}
        entries.append({**model, "fullUrl": f"Observation/lab-{i}", "resource": resource})
    return body


def _answers(server: LiveServer, url: str, raw: bytes, monkeypatch: pytest.MonkeyPatch,
             module: Any = cdshooks) -> tuple[httpx.Response, list[int], httpx.Response]:
    """The answer in a process (with the answering pids), then the same call in threads."""
    pids: list[int] = []
    monkeypatch.setattr(case_process, "_worked_in", pids.append)
    headers = {"Content-Type": "application/json", "Accept-Language": "fr"}
    # The first large call may start the fork server (its warm-up draws a PDF): a long timeout.
    with httpx.Client(base_url=server.url, timeout=120) as http:
        in_process = http.post(url, content=raw, headers=headers)
        monkeypatch.setattr(module, "IN_PROCESS_FROM_BYTES", len(raw) + 1)
        in_thread = http.post(url, content=raw, headers=headers)
    return in_process, pids, in_thread


@pytest.mark.parametrize("name, service", [("order-select-staging.json", ORDER_SERVICE),
                                           ("48-spinal-pain-neurological-deficit.yaml", PATIENT_SERVICE)])
def test_a_large_call_is_answered_in_another_process_as_in_a_thread(
        dev_server: LiveServer, monkeypatch: pytest.MonkeyPatch, name: str, service: str) -> None:
    raw = orjson.dumps(_padded(name))
    assert len(raw) >= IN_PROCESS_FROM_BYTES
    in_process, pids, in_thread = _answers(dev_server, f"/cds-services/{service}", raw, monkeypatch)
    assert len(pids) == 1 and pids[0] != os.getpid()  # answered by another process, once
    assert in_process.status_code == in_thread.status_code == 200, in_process.text
    assert in_process.json()["cards"], "the comparison needs cards"
    assert in_process.content == in_thread.content  # golden equality: the same bytes


def test_the_server_process_does_not_hold_a_large_prefetch(
        dev_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = orjson.dumps(_padded("48-spinal-pain-neurological-deficit.yaml", copies=6000))
    objects = sum(1 for _ in _containers(orjson.loads(raw)))  # dicts and lists: tracked by the GC
    pids: list[int] = []
    monkeypatch.setattr(case_process, "_worked_in", pids.append)
    with httpx.Client(base_url=dev_server.url, timeout=120) as http:
        http.post(f"/cds-services/{PATIENT_SERVICE}", content=raw,  # warm: fork server, caches
                  headers={"Content-Type": "application/json"})
        gc.collect()
        before = len(gc.get_objects())
        seen = [before]
        done = threading.Event()

        def sample() -> None:  # the objects the server process holds, while it answers
            while not done.wait(0.005):
                seen.append(len(gc.get_objects()))

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            answer = http.post(f"/cds-services/{PATIENT_SERVICE}", content=raw,
                               headers={"Content-Type": "application/json"})
        finally:
            done.set()
            sampler.join()
    assert answer.status_code == 200, answer.text
    assert objects > 20_000 and len(seen) > 5 and len(pids) == 2
    # The server process never held the prefetch's tens of thousands of dicts and lists (in a
    # thread, it holds all of them while it maps).
    assert max(seen) - before < objects // 4, (before, max(seen), objects)


def _containers(value: Any) -> Any:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _containers(item)
    elif isinstance(value, list):
        yield value
        for item in value:
            yield from _containers(item)


@pytest.mark.parametrize("spoil, status", [
    (lambda body: body["context"].update(patientId="not/an id"), 422),
    (lambda body: body["prefetch"].update(conditions=5), 422),
    (lambda body: body["prefetch"].update(conditions={"resourceType": "OperationOutcome"}), 412),
    (lambda body: body.update(hook="patient-view"), 422),
])
def test_a_large_call_refused_gets_the_error_answer_of_the_thread_path(
        dev_server: LiveServer, monkeypatch: pytest.MonkeyPatch, spoil: Any, status: int) -> None:
    body = _padded("order-select-staging.json")
    spoil(body)
    raw = orjson.dumps(body)
    in_process, pids, in_thread = _answers(dev_server, f"/cds-services/{ORDER_SERVICE}", raw,
                                           monkeypatch)
    assert pids and pids[0] != os.getpid()
    assert in_process.status_code == in_thread.status_code == status, in_process.text
    assert in_process.content == in_thread.content


def test_a_large_malformed_body_gets_the_error_answer_of_the_thread_path(
        dev_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = orjson.dumps(_padded("order-select-staging.json"))[:-2]  # cut: not JSON any more
    in_process, pids, in_thread = _answers(dev_server, f"/cds-services/{ORDER_SERVICE}", raw,
                                           monkeypatch)
    assert pids and pids[0] != os.getpid()
    assert in_process.status_code == in_thread.status_code == 400
    assert in_process.content == in_thread.content


def _lab_history(labs: int) -> dict[str, Any]:
    """A staging case with `labs` CEA results (the bound is 1,000), as a FHIR Bundle."""
    from bonemet.api import parse_case
    from bonemet.fhir import case_to_bundle

    doc = case_doc("01-staging-no-pet.yaml")
    as_of = dt.date.fromisoformat(doc["context"]["as_of"])
    doc["labs"] = [{"date": (as_of - dt.timedelta(days=i + 1)).isoformat(), "analyte": "cea",
                    "value": 4.0 + (i % 100) / 100, "unit": "ng/mL"} for i in range(labs)]
    bundle: dict[str, Any] = orjson.loads(orjson.dumps(case_to_bundle(parse_case(doc)),
                                                       default=str))
    return bundle


@pytest.mark.parametrize("url", ["/api/assess", "/api/assess?format=fhir", "/api/fhir/case"])
def test_a_large_bundle_is_assessed_in_another_process_as_in_a_thread(
        dev_server: LiveServer, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    raw = orjson.dumps(_lab_history(1000))
    assert len(raw) >= IN_PROCESS_FROM_BYTES
    in_process, pids, in_thread = _answers(dev_server, url, raw, monkeypatch, module=api)
    assert len(pids) == 1 and pids[0] != os.getpid()
    assert in_process.status_code == in_thread.status_code == 200, in_process.text
    assert in_process.headers.get("x-bonemet-unmapped") == in_thread.headers.get(
        "x-bonemet-unmapped")
    assert in_process.headers["content-type"] == in_thread.headers["content-type"]
    assert in_process.content == in_thread.content


@pytest.mark.parametrize("body", [
    {"case_id": "too-many", "exams": [{}] * 100_000},  # over its bound: refused naming the field
    {"case_id": "flood", "context": {"phase": "staging"},  # within the bounds, full of errors
     "exams": [{"id": f"e{i}", "date": "2024-01-01", "modality": "bone_scan",
                "lesions": [{"site": "x", "side": "x", "phenotype": "x", "suspicious": "x",
                             "change_vs_previous": "x", "irradiated": "x", "level": 1,
                             "mirels": 1, "sins": 1}] * 20}
               for i in range(200)]},
])
def test_a_large_case_refused_gets_the_error_answer_of_the_thread_path(
        dev_server: LiveServer, monkeypatch: pytest.MonkeyPatch, body: dict[str, Any]) -> None:
    raw = orjson.dumps(body)
    assert len(raw) >= IN_PROCESS_FROM_BYTES
    in_process, pids, in_thread = _answers(dev_server, "/api/assess", raw, monkeypatch, module=api)
    assert pids and pids[0] != os.getpid()
    assert in_process.status_code == in_thread.status_code == 422, in_process.text
    assert in_process.content == in_thread.content


def _audited(server: LiveServer, route: str) -> list[tuple[Any, Any, Any]]:
    """(case, hook, status) of the latest audit rows of POST `route` (written after the answer)."""
    deadline = time.monotonic() + 5
    while True:
        rows = [r for r in server.app.state.bonemet.store.audit_rows(1000)
                if r["route"] == route and r["method"] == "POST"]
        if rows or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return [(r["case_id"], r["hook"], r["status"]) for r in rows if r["at"] == rows[0]["at"]]


def test_a_call_answered_in_a_process_still_names_the_patient_and_the_case(
        dev_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    pids: list[int] = []
    monkeypatch.setattr(case_process, "_worked_in", pids.append)
    body = _padded("48-spinal-pain-neurological-deficit.yaml")
    patient = body["context"]["patientId"]
    refused = copy.deepcopy(body)
    refused["prefetch"]["conditions"] = {"resourceType": "OperationOutcome"}
    flood = {"case_id": "named-in-process", "exams": [{}] * 100_000}
    with httpx.Client(base_url=dev_server.url, timeout=120) as http:
        for doc, status in ((body, 200), (refused, 412)):
            r = http.post(f"/cds-services/{PATIENT_SERVICE}", content=orjson.dumps(doc),
                          headers={"Content-Type": "application/json"})
            assert r.status_code == status, r.text
            assert _audited(dev_server, "/cds-services/{service_id}") == [
                (f"Patient/{patient}", "patient-view", status)]
        r = http.post("/api/assess", content=orjson.dumps(flood),
                      headers={"Content-Type": "application/json"})
        assert r.status_code == 422
        assert _audited(dev_server, "/api/assess") == [("named-in-process", None, 422)]
    assert len(pids) == 3


def test_a_large_call_over_its_time_is_stopped_and_answered_503(
        dev_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from bonemet import workload

    monkeypatch.setattr(workload, "PROCESS_TIMEOUT_S", 0.01)
    jobs: list[Any] = []
    start = workload.processes().Process

    def recorded(*args: Any, **kwargs: Any) -> Any:
        jobs.append(start(*args, **kwargs))
        return jobs[-1]

    monkeypatch.setattr(workload.processes(), "Process", recorded)
    raw = orjson.dumps(_padded("48-spinal-pain-neurological-deficit.yaml", copies=6000))
    with httpx.Client(base_url=dev_server.url, timeout=120) as http:
        r = http.post(f"/cds-services/{PATIENT_SERVICE}", content=raw,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 503 and r.headers["retry-after"] == "60", r.text
    assert r.json()["resourceType"] == "OperationOutcome"
    assert [job.exitcode for job in jobs] == [-9]  # killed, not left to run
