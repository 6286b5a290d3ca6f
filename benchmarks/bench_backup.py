"""`bonemet backup` under ~800 requests/s to a real server, against the sqlite3 shell's `.backup`.

    .venv/bin/python benchmarks/bench_backup.py [--rate 800] [--store-mb 50] [--smallest]
                                                [--out benchmarks/results/backup.json]

Fills a store to `--store-mb` of case history, starts `bonemet serve --dev` (one uvicorn worker;
every API call writes an audit row, as in production) and drives it from a separate load process
(asyncio, keep-alive connections, paced at `--rate` requests/s: 90% `GET /api/kb/rules/NM-01`,
10% `PUT /api/cases/<new id>`). Under that load it runs, one after the other:

1. the backup docs/deploy.md used to give, `sqlite3 DB ".backup DEST"` (when the `sqlite3` tool is
   installed), stopped after `--old-timeout` seconds if it has not finished;
2. `bonemet backup DB DEST`, timed from the start of the command to its end;

then stops the load, checks that every save acknowledged before `bonemet backup` started is in the
copy, restores the copy with `bonemet restore` into a fresh file, starts a fresh server on it and
reads every one of those cases back through HTTP. Prints the figures and writes them as JSON.
`--smallest` is a quick run (2 MB store, 200 requests/s, short phases) for the test that runs
every benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
READ_PATH = "/api/kb/rules/NM-01"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _case(case_id: str, note: str = "") -> dict[str, Any]:
    context: dict[str, Any] = {"phase": "staging"}
    if note:
        context["question_text"] = note
    return {"schema_version": "1.0", "case_id": case_id, "context": context}


def _fill(db: Path, megabytes: float) -> int:
    """Case history of about `megabytes` (the size of a store after months of use)."""
    sys.path.insert(0, str(ROOT / "src"))
    from bonemet.stores.store import Store

    store = Store(db)
    note = "history " * 2500  # 20 KB per case
    count = max(1, int(megabytes * 1e6 / 20_000))
    for n in range(count):
        store.put_case(f"filler-{n}", _case(f"filler-{n}", note))
    store.close()
    return count


# ---- the load process ------------------------------------------------------------------------


async def _connection(port: int, slots: asyncio.Queue[int], acked: list[tuple[float, str]],
                      done: list[float], errors: list[str], tag: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    host = f"127.0.0.1:{port}"
    while True:
        slot = await slots.get()
        if slot < 0:
            break
        if slot % 10 == 9:
            case_id = f"load-{tag}-{slot}"
            body = json.dumps(_case(case_id)).encode()
            head = (f"PUT /api/cases/{case_id} HTTP/1.1\r\nHost: {host}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
            writer.write(head.encode() + body)
        else:
            case_id = ""
            writer.write(f"GET {READ_PATH} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        await writer.drain()
        header = await reader.readuntil(b"\r\n\r\n")
        status = int(header.split(b" ", 2)[1])
        length = 0
        for line in header.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        now = time.monotonic()
        done.append(now)
        if status != 200:
            errors.append(f"{status} {case_id or READ_PATH}")
        elif case_id:
            acked.append((now, case_id))
    writer.close()


async def _load(port: int, rate: float, stop_file: Path, out: Path, connections: int) -> None:
    slots: asyncio.Queue[int] = asyncio.Queue(maxsize=connections * 4)
    acked: list[tuple[float, str]] = []
    done: list[float] = []
    errors: list[str] = []
    workers = [asyncio.create_task(_connection(port, slots, acked, done, errors, n))
               for n in range(connections)]
    start = time.monotonic()
    slot = 0
    while not stop_file.exists():
        due = start + slot / rate
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        elif wait < -0.1:  # fallen behind: go on at the rate, no burst to catch up
            start = time.monotonic() - slot / rate
        await slots.put(slot)  # blocks when the server falls behind: the rate achieved is lower
        slot += 1
    for _ in workers:
        await slots.put(-1)
    await asyncio.gather(*workers)
    out.write_text(json.dumps({"acked": acked, "done": done, "errors": errors}))


# ---- the run ---------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    """This checkout's bonemet for every child process, and no BONEMET_* setting of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BONEMET_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *sys.path])
    return env


def _serve(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = _env()
    server = subprocess.Popen([sys.executable, "-m", "bonemet", "serve", "--dev", "--port",
                               str(port), "--db", str(db)], env=env, stdout=subprocess.DEVNULL,
                              stderr=log.open("w"))
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            sys.exit(f"server did not start: {log.read_text()}")
        time.sleep(0.1)


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()


def _old_backup(db: Path, dest: Path, timeout: float) -> dict[str, Any]:
    """The command docs/deploy.md gave before: the sqlite3 shell, 100 pages per step."""
    tool = shutil.which("sqlite3")
    if tool is None:
        return {"ran": False, "why": "the sqlite3 tool is not installed"}
    started = time.monotonic()
    try:
        subprocess.run([tool, str(db), f".backup '{dest}'"], capture_output=True, timeout=timeout,
                       check=False)
    except subprocess.TimeoutExpired:
        return {"ran": True, "finished": False, "stopped_after_s": round(timeout, 1)}
    return {"ran": True, "finished": True, "seconds": round(time.monotonic() - started, 3)}


def _rate(done: list[float], start: float, end: float) -> float:
    inside = sum(1 for t in done if start <= t <= end)
    return round(inside / max(end - start, 1e-9), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=800, help="requests/s the load aims at")
    parser.add_argument("--store-mb", type=float, default=50, help="size of the store to back up")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before the backups")
    parser.add_argument("--old-timeout", type=float, default=30,
                        help="seconds the sqlite3 shell's .backup is given")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--smallest", action="store_true", help="a quick run (2 MB, 200 req/s)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "backup.json")
    parser.add_argument("--load-child", nargs=4, metavar=("PORT", "RATE", "STOP", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_child:
        port, rate, stop_file, out = args.load_child
        asyncio.run(_load(int(port), float(rate), Path(stop_file), Path(out), args.connections))
        return
    if args.smallest:
        args.rate, args.store_mb, args.warmup, args.old_timeout = 200, 2, 1, 5
    with tempfile.TemporaryDirectory() as tmp:
        result = _run(args, Path(tmp))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    old = result["sqlite3_shell_backup"]
    old_text = ("not run (no sqlite3 tool)" if not old["ran"] else
                f"finished in {old['seconds']} s" if old["finished"] else
                f"NOT finished after {old['stopped_after_s']} s")
    print(f"store {result['store_mb']} MB; load aimed at {args.rate:.0f} req/s, achieved "
          f"{result['rps_during_bonemet_backup']} req/s during `bonemet backup` "
          f"({result['rps_whole_run']} over the run), {result['load_errors']} errors")
    print(f"sqlite3 shell .backup: {old_text} (at {result['rps_during_old_backup']} req/s)")
    print(f"bonemet backup: {result['bonemet_backup_s']} s from command start to end (copy and "
          f"check: {result['backup_report']['seconds']} s); copy checked: "
          f"{result['backup_report']['integrity']}")
    print(f"saves acknowledged before it began: {result['acked_before']}, in the copy: "
          f"{result['acked_before_in_copy']}; read back after restore: "
          f"{result['read_back_after_restore']} ({result['bonemet_restore_s']} s restore)"
          f"   → {args.out}")
    if not result["all_acked_present"]:
        sys.exit("FAILED: acknowledged saves missing from the backup")


def _run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    db = tmp / "live" / "store.sqlite3"
    db.parent.mkdir()
    fillers = _fill(db, args.store_mb)
    port = _free_port()
    server = _serve(db, port, tmp / "server.log")
    stop_file = tmp / "stop"
    load_out = tmp / "load.json"
    env = _env()
    load = subprocess.Popen([sys.executable, __file__, "--connections", str(args.connections),
                             "--load-child", str(port), str(args.rate), str(stop_file),
                             str(load_out)], env=env)
    try:
        load_start = time.monotonic()
        time.sleep(args.warmup)
        old_start = time.monotonic()
        old = _old_backup(db, tmp / "old.sqlite3", args.old_timeout)
        old_end = time.monotonic()
        copy = tmp / "backup.sqlite3"
        began = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "bonemet", "backup", str(db), str(copy),
                               "--format", "json"], capture_output=True, text=True, env=env,
                              timeout=600)
        ended = time.monotonic()
        if done.returncode != 0:
            sys.exit(f"bonemet backup failed: {done.stderr}")
        time.sleep(min(args.warmup, 2))
    finally:
        stop_file.touch()
        load.wait(60)
        _stop(server)
    measured = json.loads(load_out.read_text())
    before = {case_id for at, case_id in measured["acked"] if at < began}
    with __import__("sqlite3").connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True) as conn:
        in_copy = {row[0] for row in conn.execute("SELECT case_id FROM cases")}
    fresh = tmp / "restored" / "store.sqlite3"
    fresh.parent.mkdir()
    restore_start = time.monotonic()
    restored = subprocess.run([sys.executable, "-m", "bonemet", "restore", str(copy), str(fresh)],
                              capture_output=True, text=True, env=env, timeout=600)
    restore_s = time.monotonic() - restore_start
    if restored.returncode != 0:
        sys.exit(f"bonemet restore failed: {restored.stderr}")
    port = _free_port()
    again = _serve(fresh, port, tmp / "server2.log")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            read_back = sum(1 for case_id in sorted(before)
                            if http.get(f"/api/cases/{case_id}").status_code == 200)
    finally:
        _stop(again)
    done_times = measured["done"]
    return {
        "benchmark": "bonemet backup under load, and the sqlite3 shell's .backup it replaces",
        "command": "python benchmarks/bench_backup.py" + (
            " --smallest" if args.smallest else f" --rate {args.rate:g} --store-mb {args.store_mb:g}"),
        "python": sys.version.split()[0], "machine": platform.machine(), "cpus": os.cpu_count(),
        "server": "bonemet serve --dev (1 uvicorn worker; every API call writes an audit row)",
        "load": f"{args.connections} keep-alive connections paced at {args.rate:g} req/s, "
                f"90% GET {READ_PATH}, 10% PUT /api/cases/<new id>",
        "store_mb": round(db.stat().st_size / 1e6, 1), "filler_cases": fillers,
        "rate_aimed": args.rate,
        "rps_whole_run": _rate(done_times, load_start, ended),
        "rps_during_old_backup": _rate(done_times, old_start, old_end),
        "rps_during_bonemet_backup": _rate(done_times, began, ended),
        "load_errors": len(measured["errors"]), "load_error_sample": measured["errors"][:5],
        "sqlite3_shell_backup": old,
        "bonemet_backup_s": round(ended - began, 3),
        "backup_report": json.loads(done.stdout),
        "acked_before": len(before), "acked_before_in_copy": len(before & in_copy),
        "all_acked_present": before <= in_copy,
        "bonemet_restore_s": round(restore_s, 3), "read_back_after_restore": read_back,
    }


if __name__ == "__main__":
    main()
