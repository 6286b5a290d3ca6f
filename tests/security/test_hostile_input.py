"""Hostile input (findings 3, 4, 5): YAML bombs, deep nesting, huge bodies, huge cases."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from security_harness import Live, csrf_of

from bonemet.api import CASE_LIMITS, InputError, decode

HTML = {"accept": "text/html"}
# 312 bytes that PyYAML expands to ~10^9 list items (the finding: a 77 MB answer, 470 MB peak).
BOMB = b"""case_id: bomb
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
"""
DEEP_YAML = b"case_id: deep\nx: " + b"[" * 5000 + b"]" * 5000 + b"\n"
DEEP_BLOCK = b"case_id: deep\nx:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 5000))
DEEP_JSON = b'{"case_id": "deep", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"


@pytest.mark.parametrize("raw", [BOMB, DEEP_YAML, DEEP_BLOCK], ids=["alias-bomb", "deep-flow", "deep-block"])
def test_decode_refuses_bombs_and_depth_quickly(raw: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(InputError) as err:
        decode(raw, "yaml")
    assert time.perf_counter() - started < 5.0  # the bomb alone took minutes and 470 MB before
    assert "alias" in str(err.value) or "nested" in str(err.value)


def test_yaml_anchor_without_alias_is_still_fine() -> None:
    assert decode(b"case_id: &id x\n", "yaml") == {"case_id": "x"}


@pytest.mark.parametrize(("name", "raw"), [("bomb.yaml", BOMB), ("deep.yaml", DEEP_YAML),
                                           ("deep.json", DEEP_JSON)])
def test_import_of_a_bomb_is_a_small_422(dev_server: Live, name: str, raw: bytes) -> None:
    with dev_server.client() as http:
        token = csrf_of(http.get("/cases", headers=HTML).text)
        started = time.perf_counter()
        r = http.post("/import", files={"file": (name, raw, "text/plain")}, data={"_csrf": token},
                      headers=HTML)
    assert r.status_code == 422, r.text[:300]
    assert len(r.content) < 200_000 and time.perf_counter() - started < 5


@pytest.mark.parametrize(("name", "raw"), [("bomb.yaml", BOMB), ("deep.yaml", DEEP_YAML),
                                           ("deep.json", DEEP_JSON)])
def test_cli_refuses_a_bomb_with_exit_2_and_no_traceback(tmp_path: Path, name: str, raw: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(raw)
    result = subprocess.run([sys.executable, "-m", "bonemet", "assess", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr[-500:]
    assert "Traceback" not in result.stderr and ("alias" in result.stderr or "nest" in result.stderr
                                                or "depth" in result.stderr)


def test_deep_json_to_the_api_is_400_not_500(dev_server: Live) -> None:
    with dev_server.client() as http:
        r = http.post("/api/assess", content=DEEP_JSON, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "depth" in r.text


def test_huge_declared_body_is_refused_before_reading(dev_server: Live) -> None:
    with dev_server.client() as http:
        started = time.perf_counter()
        r = http.post("/api/assess", content=b"{" + b" " * (100 * 1024 * 1024) + b"}",
                      headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "too large" in r.text and time.perf_counter() - started < 20


def test_huge_streamed_body_is_refused_while_arriving(dev_server: Live) -> None:
    """Chunked body, no Content-Length: the server must answer 413 once the limit (1 MiB here) is
    passed, without waiting for the rest. Before the fix it read on (the answer never came while
    the client held back the end of the body)."""
    host, port = dev_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"POST /api/assess HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json"
                     f"\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b" " * (256 * 1024)
        for _ in range(8):  # 2 MiB sent, then the client waits (a real attacker would go on)
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]


def test_upload_limit_is_enforced_while_reading(dev_server: Live) -> None:
    with dev_server.client() as http:
        token = csrf_of(http.get("/cases", headers=HTML).text)
        r = http.post("/import", files={"file": ("big.yaml", b"#" * (2 * 1024 * 1024), "text/plain")},
                      data={"_csrf": token}, headers=HTML)
    assert r.status_code == 413


def _case(exams: int, lesions: int = 0) -> dict[str, object]:
    return {"schema_version": "1.0", "case_id": f"big-{exams}", "context": {"phase": "follow_up"},
            "treatments": [{"id": "t1", "type": "chemotherapy", "start": "2024-01-01",
                            "agents": ["a $x$ b"]}],
            "exams": [{"id": f"e{i}", "date": f"20{10 + i % 15}-0{1 + i % 9}-1{i % 9}",
                       "modality": "bone_scan", "result": "positive",
                       "lesions": [{"site": "femur_shaft", "side": "left"}] * lesions}
                      for i in range(exams)]}


def test_too_many_exams_is_422_naming_the_list(dev_server: Live) -> None:
    with dev_server.client() as http:
        r = http.post("/api/assess", json=_case(3000))
    assert r.status_code == 422
    assert any(p["field"] == "exams" and str(CASE_LIMITS["exams"]) in p["message"]
               for p in r.json()["problems"])


def test_rendering_does_not_stall_the_event_loop(dev_server: Live) -> None:
    # Before the fix, /health waited for the whole drawing (a 3,000-exam PDF: minutes). A 40-exam
    # case takes seconds to draw as a PDF: long enough to see the loop stay free.
    case = _case(40, lesions=3)
    with dev_server.client() as http:
        assert http.put(f"/api/cases/{case['case_id']}", json=case).status_code == 200
    worst = 0.0
    done = threading.Event()

    def render() -> None:
        with dev_server.client() as http:
            for path in ("summary.pdf", "timeline.svg"):
                http.get(f"/cases/{case['case_id']}/{path}", timeout=300)
        done.set()

    thread = threading.Thread(target=render)
    started = time.perf_counter()
    thread.start()
    with dev_server.client() as http:
        while not done.is_set():
            t0 = time.perf_counter()
            assert http.get("/health").status_code == 200
            worst = max(worst, time.perf_counter() - t0)
            time.sleep(0.05)
    thread.join()
    rendering = time.perf_counter() - started
    assert rendering > 0.3  # the probe overlapped real rendering work
    assert worst < 1.0, f"/health waited {worst:.2f} s while rendering ({rendering:.1f} s)"
