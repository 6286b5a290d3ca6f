"""No request can stall the server: /health latency while an attacker pushes the worst inputs.

    .venv/bin/python benchmarks/bench_stall.py [--duration 20] [--exams 200] [--prefetch-mb 3.8]
                                               [--smallest] [--out benchmarks/results/stall.json]

Starts `bonemet serve` (one uvicorn worker, loopback) in a subprocess and, phase after phase, probes
`GET /health` every 20 ms from a thread of its own while attacker threads push (issue 22):

* `idle`: nothing (the baseline);
* `worst_body`: 4 attackers posting, in turn, 100,000 empty exams (293 KiB, item 3) and a body within
  every bound but full of errors (200 exams x 20 lesions x 9 wrong fields) to `POST /api/assess`;
* `big_prefetch`: 2 attackers calling CDS `patient-view` with a prefetch of `--prefetch-mb` MB of
  lab results (item 11);
* `abandoned_renders` (server behind a trusted proxy, users from its headers): 3 attackers asking
  for the summary PDF of a `--exams`-exam case and hanging up after 0.3 s, over and over (item 4),
  while a colleague asks for the summary PDF of a 2-exam case: its answer times are reported too.

Prints, per phase, /health p50 / p99 / max and the attack answers (status codes, sizes, times);
writes them as JSON. Target (docs/performance.md): /health max < 100 ms in every phase.
`--smallest` runs every phase for 1 s with small inputs (the suite's check that the script runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "service"))

from hooks import case_doc, hook_request  # noqa: E402  (test helper shared with the benchmark)

TARGET_MS = 100.0
PHASES = ("idle", "worst_body", "big_prefetch", "abandoned_renders")
PROBE_EVERY_S = 0.02
PROXY = {"x-remote-user": "bench-editor", "x-remote-roles": "bench-editors"}
READER = "bench-readers"  # the proxy's groups, mapped to bonemet roles by BONEMET_ROLE_MAP


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _public_jwk() -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm

    key = ec.generate_private_key(ec.SECP384R1()).public_key()
    return {**json.loads(ECAlgorithm.to_jwk(key)), "kid": "bench", "alg": "ES384"}


@contextmanager
def server(tmpdir: Path, *, proxy: bool) -> Iterator[str]:
    """`bonemet serve` in a subprocess: development mode, or behind a trusted proxy (users known)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    db = tmpdir / f"bench-{'proxy' if proxy else 'dev'}.sqlite3"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "bonemet", "serve", "--port", str(port), "--db", str(db)]
    if proxy:
        jwks = tmpdir / "jwks.json"  # CDS clients' keys, required outside development mode
        jwks.write_text(json.dumps({"keys": [_public_jwk()]}))
        env.update(BONEMET_AUTH="proxy", BONEMET_TRUSTED_PROXIES="127.0.0.1", BONEMET_BASE_URL=base,
                   BONEMET_ISS_ALLOWLIST="https://ehr.example.org", BONEMET_JWKS_FILE=str(jwks),
                   BONEMET_ROLE_MAP="bench-editors=editor,bench-readers=reader")
    else:
        command.append("--dev")
    log_path = tmpdir / f"server-{port}.log"
    with log_path.open("w") as log:  # a file, not a pipe: a full pipe would block the server
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=env)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    sys.exit(f"server did not start: {log_path.read_text()}")
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def _summary(values_ms: list[float]) -> dict[str, float]:
    if not values_ms:
        return {"count": 0}
    ordered = sorted(values_ms)
    return {"count": len(ordered), "p50_ms": round(statistics.median(ordered), 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
            "max_ms": round(ordered[-1], 1)}


def phase(base: str, seconds: float, attackers: list[Callable[[threading.Event], None]]) -> dict[str, Any]:
    """Probe /health for `seconds` while the attackers run; their own results are their business."""
    stop = threading.Event()
    threads = [threading.Thread(target=attack, args=(stop,), daemon=True) for attack in attackers]
    for thread in threads:
        thread.start()
    time.sleep(min(1.0, seconds / 4))  # the attack under way before the first probe
    latencies: list[float] = []
    failures = 0
    with httpx.Client(base_url=base, timeout=30) as http:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            try:
                ok = http.get("/health").status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append((time.perf_counter() - started) * 1000)
            failures += not ok
            time.sleep(PROBE_EVERY_S)
    stop.set()
    for thread in threads:
        thread.join(120)
    return {"health": _summary(latencies), "health_failures": failures}


class Record:
    """What the attackers saw: status codes (0: no answer), answer sizes, answer times."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.sizes: list[int] = []
        self.times_ms: list[float] = []

    def add(self, status: int, size: int, ms: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.sizes.append(size)
            self.times_ms.append(ms)

    def as_json(self) -> dict[str, Any]:
        return {"statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "largest_answer_bytes": max(self.sizes, default=0),
                "answer_time": _summary(self.times_ms)}


def poster(base: str, path: str, bodies: list[bytes], record: Record,
           headers: dict[str, str] | None = None) -> Callable[[threading.Event], None]:
    def attack(stop: threading.Event) -> None:
        with httpx.Client(base_url=base, timeout=120) as http:
            turn = 0
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    answer = http.post(path, content=bodies[turn % len(bodies)],
                                       headers={"content-type": "application/json",
                                                **(headers or {})})
                    status, size = answer.status_code, len(answer.content)
                except httpx.HTTPError:  # counted as status 0: no answer
                    status, size = 0, 0
                record.add(status, size, (time.perf_counter() - started) * 1000)
                turn += 1
    return attack


def abandoner(base: str, path: str, user: str, record: Record) -> Callable[[threading.Event], None]:
    """GET `path` on a raw connection and hang up after 0.3 s, over and over."""
    host, port = base.removeprefix("http://").split(":")

    def attack(stop: threading.Event) -> None:
        while not stop.is_set():
            with socket.create_connection((host, int(port))) as conn:
                conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nx-remote-user: {user}"
                             f"\r\nx-remote-roles: {READER}\r\n\r\n".encode())
                time.sleep(0.3)
            record.add(0, 0, 300.0)
    return attack


def colleague(base: str, path: str, record: Record) -> Callable[[threading.Event], None]:
    def attack(stop: threading.Event) -> None:
        with httpx.Client(base_url=base, timeout=300) as http:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    answer = http.get(path, headers={"x-remote-user": "colleague",
                                                     "x-remote-roles": READER})
                    status, size = answer.status_code, len(answer.content)
                except httpx.HTTPError:  # counted as status 0: no answer in 300 s
                    status, size = 0, 0
                record.add(status, size, (time.perf_counter() - started) * 1000)
                stop.wait(1.0)
    return attack


def empty_exams(count: int) -> bytes:
    return orjson.dumps({"case_id": "stall", "context": {"phase": "staging"}, "exams": [{}] * count})


def error_flood(exams: int) -> bytes:
    bad = {"site": "x", "side": "x", "phenotype": "x", "change_vs_previous": "x", "suspicious": "x",
           "irradiated": "x", "level": 1, "mirels": 1, "sins": 1}
    return orjson.dumps({"case_id": "flood", "context": {"phase": "staging"},
                         "exams": [{"id": f"e{i}", "date": "2024-01-01", "modality": "bone_scan",
                                    "lesions": [bad] * 20} for i in range(exams)]})


def big_prefetch(megabytes: float) -> bytes:
    """patient-view of a staging case whose prefetch carries lab results up to `megabytes` (the
    case itself holds at most 1,000 lab results: the prefetch's Observations are copies with their
    own ids and dates, as an EHR's years of laboratory history)."""
    doc = case_doc("01-staging-no-pet.yaml")
    as_of = dt.date.fromisoformat(doc["context"]["as_of"])
    doc["labs"] = [{"date": (as_of - dt.timedelta(days=i + 1)).isoformat(), "analyte": "cea",
                    "value": 4.0 + (i % 100) / 100, "unit": "ng/mL"} for i in range(10)]
    request = hook_request("patient-view", doc)
    observations = request["prefetch"]["observations"]
    model = next(e for e in observations["entry"]
                 if e["resource"].get("effectiveDateTime", "").startswith(doc["labs"][0]["date"]))
    one = len(orjson.dumps(model))
    count = max(0, int((megabytes * 1e6 - len(orjson.dumps(request))) / one))
    for i in range(count):
        day = (as_of - dt.timedelta(days=20 + i % 5000)).isoformat()
        resource = {**model["resource"], "id": f"lab-{i}", "effectiveDateTime": day}
        observations["entry"].append({**model, "fullUrl": f"Observation/lab-{i}",
                                      "resource": resource})
    return orjson.dumps(request)


def render_case(case_id: str, exams: int) -> dict[str, Any]:
    start = dt.date(2015, 1, 1)
    rows = [{"id": f"e{i}", "date": (start + dt.timedelta(days=10 * i)).isoformat(),
             "modality": "bone_scan", "result": "positive",
             "lesions": [{"site": "ribs", "side": "left"}, {"site": "thoracic_spine", "level": "T8"}]}
            for i in range(exams)]
    treatments = [{"id": f"t{i}", "type": "chemotherapy", "agents": ["carboplatin"],
                   "start": (start + dt.timedelta(days=30 * i)).isoformat(), "line_number": i + 1}
                  for i in range(min(exams // 4, 100))]
    return {"schema_version": "1.0", "case_id": case_id,
            "cancer": {"primary_site": "lung", "histology": "adenocarcinoma",
                       "diagnosis": "confirmed"},
            "context": {"phase": "follow_up"}, "exams": rows, "treatments": treatments}


def abandoned_renders(tmpdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Behind a trusted proxy (users from its headers): three abandoned big PDFs at a time by two
    readers, and a colleague's small PDF now and then."""
    with server(tmpdir, proxy=True) as base:
        with httpx.Client(base_url=base, timeout=300, headers=PROXY) as http:
            for case_id, exams in (("bench-big", args.exams), ("bench-small", 2)):
                stored = http.put(f"/api/cases/{case_id}", json=render_case(case_id, exams))
                stored.raise_for_status()
            warm = http.get("/cases/bench-small/summary.pdf")  # the fork server warm
            warm.raise_for_status()
        abandoned, colleague_answers = Record(), Record()
        attackers = [abandoner(base, "/cases/bench-big/summary.pdf", user, abandoned)
                     for user in ("mallory", "mallory", "trudy")]
        attackers.append(colleague(base, "/cases/bench-small/summary.pdf", colleague_answers))
        # 3 s at least, so that the colleague's small PDF is answered more than once; a smallest run
        # only shows that every step runs (issue 27: the suite's slowest benchmark run).
        figures = phase(base, args.duration if args.smallest else max(args.duration, 3.0), attackers)
    figures["abandoned_requests"] = sum(abandoned.statuses.values())
    figures["colleague_small_pdf"] = colleague_answers.as_json()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=20, help="seconds per phase")
    parser.add_argument("--exams", type=int, default=200, help="exams of the case drawn (item 4)")
    parser.add_argument("--body-exams", type=int, default=100_000,
                        help="empty exams of the worst body (item 3)")
    parser.add_argument("--prefetch-mb", type=float, default=3.8, help="CDS prefetch size (item 11)")
    parser.add_argument("--phases", default=",".join(PHASES), help="a comma-separated subset")
    parser.add_argument("--smallest", action="store_true",
                        help="every phase for 1 s with small inputs (checks that the script runs)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "stall.json")
    args = parser.parse_args()
    if args.smallest:
        args.duration, args.exams, args.body_exams, args.prefetch_mb = 1.0, 5, 1000, 0.1
    worst = [empty_exams(args.body_exams), error_flood(min(200, args.exams))]
    prefetch = [big_prefetch(args.prefetch_mb)]
    chosen = set(args.phases.split(","))
    phases: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        with server(Path(tmp), proxy=False) as base:
            check = httpx.post(f"{base}/cds-services/bonemet-imaging-review", content=prefetch[0],
                               headers={"content-type": "application/json"}, timeout=120)
            check.raise_for_status()
            if "idle" in chosen:
                phases["idle"] = phase(base, args.duration, [])
            if "worst_body" in chosen:
                bodies = Record()
                phases["worst_body"] = phase(base, args.duration,
                                             [poster(base, "/api/assess", worst, bodies)] * 4)
                phases["worst_body"]["attack"] = bodies.as_json()
            if "big_prefetch" in chosen:
                calls = Record()
                phases["big_prefetch"] = phase(
                    base, args.duration,
                    [poster(base, "/cds-services/bonemet-imaging-review", prefetch, calls)] * 2)
                phases["big_prefetch"]["attack"] = calls.as_json()
        if "abandoned_renders" in chosen:
            phases["abandoned_renders"] = abandoned_renders(Path(tmp), args)

    result = {
        "benchmark": "/health latency while an attacker pushes the worst body, prefetch and render",
        "command": "python benchmarks/bench_stall.py" + (" --smallest" if args.smallest else ""),
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "duration_s_per_phase": args.duration,
        "inputs": {"worst_body_bytes": [len(b) for b in worst], "body_exams": args.body_exams,
                   "prefetch_bytes": len(prefetch[0]), "render_case_exams": args.exams},
        "target_health_max_ms": TARGET_MS, "phases": phases,
        "health_max_under_target": all(p["health"].get("max_ms", 0) < TARGET_MS
                                       for p in phases.values()),
    }
    for name, figures in phases.items():
        health = figures["health"]
        print(f"{name:18} /health p50 {health.get('p50_ms')} ms  p99 {health.get('p99_ms')} ms  "
              f"max {health.get('max_ms')} ms  ({health.get('count')} probes, "
              f"{figures['health_failures']} failed)")
        if "attack" in figures:
            print(f"{'':18} attack answers {figures['attack']}")
        if "colleague_small_pdf" in figures:
            print(f"{'':18} {figures['abandoned_requests']} abandoned PDFs; colleague's small PDF: "
                  f"{figures['colleague_small_pdf']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
