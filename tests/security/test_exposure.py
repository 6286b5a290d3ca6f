"""What an outsider or another account of the host can learn (issue 22, items 9 and 10).

* Item 9: the store holds patient data. Under the usual umask 022 its file and its `-wal`/`-shm`
  were created 0644, readable by every account of the host; now 0600, a wider file found at start
  is narrowed (and said in the log), and a backup is 0600 too.
* Item 10: `Server: uvicorn` and `/version` told an outsider the exact software and knowledge-base
  versions. No `Server` header now, `/version` needs a signed-in user, `/health` names no version.
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from security_harness import Keys, Live, as_proxy, free_port, production, start

from bonemet._version import __version__
from bonemet.access.config import ProxySettings
from bonemet.kb import default_kb


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@contextmanager
def _server(db: Path, keys: Keys) -> Iterator[Live]:
    port = free_port()
    live, stop = start(production(db, port, keys, auth_mode="proxy",
                                  proxy=ProxySettings(trusted=("127.0.0.1",)),
                                  role_map={"bonemet-editors": "editor"}), port)
    try:
        yield live
    finally:
        stop()


def test_store_files_are_private_under_umask_022(tmp_path: Path, keys: Keys) -> None:
    db = tmp_path / "store.sqlite3"
    with _umask(0o022), _server(db, keys) as live, live.client() as http:
        r = http.put("/api/cases/mode-1", headers=as_proxy("dr.editor"),
                     json={"schema_version": "1.0", "case_id": "mode-1",
                           "context": {"phase": "staging"}})
        assert r.status_code == 200, r.text
        files = {p.name: _mode(p) for p in tmp_path.iterdir()}
    assert {"store.sqlite3", "store.sqlite3-wal", "store.sqlite3-shm"} <= set(files)
    assert all(mode == 0o600 for mode in files.values()), {k: oct(v) for k, v in files.items()}


def test_a_world_readable_store_is_narrowed_at_start_and_said(tmp_path: Path, keys: Keys,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "store.sqlite3"
    with _server(db, keys):
        pass
    for path in tmp_path.iterdir():
        path.chmod(0o644)
    with caplog.at_level(logging.WARNING, "bonemet.service"), _server(db, keys):
        assert _mode(db) == 0o600
    assert any("readable by other accounts" in r.getMessage() and "narrowed" in r.getMessage()
               for r in caplog.records)


def test_a_backup_is_private(tmp_path: Path, keys: Keys) -> None:
    db = tmp_path / "store.sqlite3"
    with _umask(0o022), _server(db, keys):
        done = subprocess.run([sys.executable, "-m", "bonemet", "backup", str(db),
                               str(tmp_path / "copy.sqlite3")], capture_output=True, text=True,
                              timeout=60, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    assert _mode(tmp_path / "copy.sqlite3") == 0o600


def test_no_answer_names_the_server_software(proxy_server: Live, oidc_server: Live) -> None:
    for live in (proxy_server, oidc_server):
        with live.client() as http:
            answers = [http.get("/health"), http.get("/version"), http.get("/cases"),
                       http.get("/static/app.css"), http.get("/nowhere"),
                       http.get("/version", headers={"host": "evil.example"})]
        for r in answers:
            assert "server" not in r.headers, (r.request.url, r.headers.get("server"))


def test_versions_only_for_signed_in_users(proxy_server: Live, oidc_server: Live) -> None:
    kb = default_kb().info.version
    for live in (proxy_server, oidc_server):
        with live.client() as http:
            health = http.get("/health")
            outsider = http.get("/version")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        assert outsider.status_code == 401
        for r in (health, outsider):
            assert __version__ not in r.text and kb not in r.text
    with proxy_server.client() as http:
        signed_in = http.get("/version", headers=as_proxy("dr.reader", "reader"))
    assert signed_in.status_code == 200 and signed_in.json()["version"] == __version__


def test_the_real_command_sends_no_server_header(tmp_path: Path) -> None:
    """`bonemet serve` itself (not the test harness): its uvicorn is told not to name itself."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BONEMET_")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    process = subprocess.Popen([sys.executable, "-m", "bonemet", "serve", "--dev", "--port",
                                str(port), "--db", str(tmp_path / "s.sqlite3")], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.HTTPError:
                if process.poll() is not None:
                    raise AssertionError("bonemet serve stopped") from None
                time.sleep(0.1)
        else:
            raise AssertionError("bonemet serve did not start")
        assert r.status_code == 200 and "server" not in r.headers
    finally:
        process.terminate()
        process.wait(15)
