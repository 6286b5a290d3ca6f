"""fhirServer misuse (finding 6): SSRF, token leakage through `next` links, path injection through
the patient id, and port scanning through error texts. Real servers: bonemet in production mode,
a FHIR server that the client's issuer registered, and an attacker's server that records calls."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from security_harness import EHR, Keys, Live, free_port, production, start

FIXTURE = Path(__file__).resolve().parents[1] / "service" / "fixtures" / "order-select-staging.json"
TOKEN = "the-ehr-access-token"
ORDER = "/cds-services/bonemet-imaging-order"


class Recorder(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, Any]] = {}
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        # Routes are keyed by path and patient only: the prefetch query's code filter (issue 14) varies.
        empty = {"resourceType": "Bundle", "type": "searchset", "entry": []}
        body = json.dumps(self.routes.get(self.path.split("&", 1)[0], empty)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _serve(name: str) -> Iterator[tuple[str, type[Recorder]]]:
    handler = type(name, (Recorder,), {"routes": {}, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()


@pytest.fixture(scope="module")
def fhir() -> Iterator[tuple[str, type[Recorder]]]:
    yield from _serve("Fhir")


@pytest.fixture(scope="module")
def evil() -> Iterator[tuple[str, type[Recorder]]]:
    yield from _serve("Evil")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, keys: Keys,
           fhir: tuple[str, type[Recorder]]) -> Iterator[Live]:
    port = free_port()
    settings = production(tmp_path_factory.mktemp("ssrf") / "s.sqlite3", port, keys,
                          auth_mode="proxy", proxy=_proxy(),
                          fhir_servers={EHR: (fhir[0] + "/fhir",)})
    live, stop = start(settings, port)
    yield live
    stop()


def _proxy() -> Any:
    from bonemet.access.config import ProxySettings

    return ProxySettings(trusted=("10.9.9.9",))


def _request(fhir_server: str, patient: str = "pat-1001", drop: str = "observations") -> dict[str, Any]:
    req = copy.deepcopy(json.loads(FIXTURE.read_text()))
    del req["prefetch"][drop]
    req["context"]["patientId"] = patient
    req["fhirServer"] = fhir_server
    req["fhirAuthorization"] = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300,
                                "scope": "patient/*.read", "subject": "bonemet"}
    return req


def _call(server: Live, keys: Keys, req: dict[str, Any]) -> Any:
    with server.client() as http:
        jwt = keys.token(server.url + ORDER)
        return http.post(ORDER, json=req, headers={"authorization": f"Bearer {jwt}"})


def test_registered_fhir_server_is_used(server: Live, keys: Keys, fhir: Any) -> None:
    url, handler = fhir
    before = len(handler.seen)
    r = _call(server, keys, _request(url + "/fhir"))
    assert r.status_code == 200, r.text
    # The template narrows the query to the codes the rules read (issue 14); the patient is first.
    [(path, auth)] = handler.seen[before:]
    assert path.startswith("/fhir/Observation?patient=pat-1001&code=") and auth == f"Bearer {TOKEN}"


@pytest.mark.parametrize("target", ["evil", "internal-port", "prefix-trick"])
def test_unregistered_fhir_server_gets_no_call_and_no_token(server: Live, keys: Keys, fhir: Any,
                                                            evil: Any, target: str) -> None:
    url = {"evil": evil[0] + "/fhir", "internal-port": f"http://127.0.0.1:{free_port()}/admin",
           "prefix-trick": fhir[0] + "/fhir.evil"}[target]
    before = len(evil[1].seen)
    r = _call(server, keys, _request(url))
    assert r.status_code == 422 and "fhirServer" in r.text
    assert len(evil[1].seen) == before


def test_next_link_to_another_host_is_not_followed(server: Live, keys: Keys, fhir: Any,
                                                   evil: Any) -> None:
    url, handler = fhir
    handler.routes["/fhir/Observation?patient=pat-1001"] = {
        "resourceType": "Bundle", "type": "searchset", "entry": [],
        "link": [{"relation": "next", "url": evil[0] + "/steal"}]}
    before = len(evil[1].seen)
    try:
        r = _call(server, keys, _request(url + "/fhir"))
    finally:
        del handler.routes["/fhir/Observation?patient=pat-1001"]
    assert r.status_code == 412 and "leaves that server" in r.text
    assert len(evil[1].seen) == before  # the token never reached the other host


def test_next_link_on_the_same_server_is_followed(server: Live, keys: Keys, fhir: Any) -> None:
    url, handler = fhir
    handler.routes["/fhir/Observation?patient=pat-1001"] = {
        "resourceType": "Bundle", "type": "searchset", "entry": [],
        "link": [{"relation": "next", "url": url + "/fhir/Observation?page=2"}]}
    before = len(handler.seen)
    try:
        r = _call(server, keys, _request(url + "/fhir"))
    finally:
        del handler.routes["/fhir/Observation?patient=pat-1001"]
    assert r.status_code == 200
    assert [p for p, _ in handler.seen[before:]][-1] == "/fhir/Observation?page=2"


@pytest.mark.parametrize("patient", ["../../admin/purge", "1?_count=1000", "a b", "x" * 65])
def test_patient_id_cannot_reach_another_path(server: Live, keys: Keys, fhir: Any, patient: str) -> None:
    url, handler = fhir
    before = len(handler.seen)
    r = _call(server, keys, _request(url + "/fhir", patient=patient))
    assert r.status_code == 422 and "patientId" in r.text
    assert len(handler.seen) == before


def test_closed_and_open_ports_give_the_same_error_text(dev_server: Live, fhir: Any) -> None:
    # Development mode accepts any fhirServer; even there the texts must not tell a closed port
    # from an open one running another protocol (before: ConnectError vs RemoteProtocolError).
    import socket

    other = socket.socket()
    other.bind(("127.0.0.1", 0))
    other.listen()

    def banner() -> None:
        for _ in range(2):
            conn, _ = other.accept()
            conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
            conn.close()

    threading.Thread(target=banner, daemon=True).start()
    texts = []
    for url in (f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{other.getsockname()[1]}"):
        with dev_server.client() as http:
            r = http.post(ORDER, json=_request(url))
        assert r.status_code == 412
        texts.append([i["diagnostics"] for i in r.json()["issue"]])
    other.close()
    assert texts[0] == texts[1]
