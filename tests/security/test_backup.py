"""`bonemet backup` and `bonemet restore` against a real server under writes (issue 22, item 13).

Before: docs/deploy.md said `sqlite3 FILE ".backup …"`, which copies 100 pages per step and starts
over whenever another connection writes; every API call writes an audit row, so under load it
never finished. Now `bonemet backup` copies in one step of SQLite's online backup, checks the copy
and makes it 0600; the probe backs up while writer threads save cases through the server, checks
that every save acknowledged before the backup began is in the copy, restores it into a fresh store
and reads them back through a fresh server.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from security_harness import ROLE_MAP, Keys, Live, as_proxy, free_port, production, start

from bonemet.access.config import ProxySettings

EDITOR = as_proxy("dr.editor", "editor")
READER = as_proxy("dr.reader", "reader")


def bonemet(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, in its own process (as cron or an operator runs it)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "bonemet", *args], capture_output=True,
                          text=True, timeout=120, env=env)


@contextmanager
def server(db: Path, keys: Keys) -> Iterator[Live]:
    port = free_port()
    live, stop = start(production(db, port, keys, auth_mode="proxy",
                                  proxy=ProxySettings(trusted=("127.0.0.1",)), role_map=ROLE_MAP),
                       port)
    try:
        yield live
    finally:
        stop()


def _case(case_id: str) -> dict[str, object]:
    return {"schema_version": "1.0", "case_id": case_id, "context": {"phase": "staging"}}


class Load:
    """Writer threads saving new cases, reader threads calling the API (each call an audit row);
    `acked` holds (time the answer arrived, case id) of every save answered 200."""

    def __init__(self, url: str, writers: int = 4, readers: int = 2) -> None:
        self.url = url
        self.stop = threading.Event()
        self.acked: list[tuple[float, str]] = []
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._write, args=(n,), daemon=True)
                        for n in range(writers)]
        self.threads += [threading.Thread(target=self._read, daemon=True) for _ in range(readers)]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def _write(self, writer: int) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            n = 0
            while not self.stop.is_set():
                case_id = f"w{writer}-{n}"
                r = http.put(f"/api/cases/{case_id}", json=_case(case_id), headers=EDITOR)
                if r.status_code == 200:
                    self.acked.append((time.monotonic(), case_id))
                else:
                    self.errors.append(f"{case_id}: {r.status_code}")
                n += 1

    def _read(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stop.is_set():
                r = http.get("/api/kb/rules/NM-01", headers=READER)
                if r.status_code != 200:
                    self.errors.append(f"read: {r.status_code}")


def _fill_with_history(db: Path, cases: int = 1500) -> None:
    """A store of some size (about 30 MB): a copy taking tens of milliseconds is what a writer
    every few milliseconds restarted, again and again, in the sqlite3 shell's 100-page steps."""
    from bonemet.stores.store import Store

    store = Store(db)
    note = "history " * 2500
    for n in range(cases):
        doc = _case(f"filler-{n}")
        doc["context"] = {"phase": "staging", "question_text": note}
        store.put_case(f"filler-{n}", doc)
    store.close()


def _case_ids(db: Path) -> set[str]:
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as conn:
        return {row[0] for row in conn.execute("SELECT case_id FROM cases")}


def test_backup_under_writes_holds_every_acknowledged_save_and_restores(tmp_path: Path,
                                                                         keys: Keys) -> None:
    db = tmp_path / "live" / "store.sqlite3"
    db.parent.mkdir()
    _fill_with_history(db)
    copy = tmp_path / "backup.sqlite3"
    with server(db, keys) as live, Load(live.url) as load:
        time.sleep(1.5)  # the load is running
        began = time.monotonic()
        done = bonemet("backup", str(db), str(copy), "--format", "json")
        ended = time.monotonic()
        time.sleep(0.5)  # writes go on after the backup
    assert done.returncode == 0, done.stderr
    assert not load.errors, load.errors[:5]
    before = {case_id for at, case_id in load.acked if at < began}
    after = {case_id for at, case_id in load.acked if at > ended}
    assert len(before) > 20 and after, (len(before), len(after))
    in_copy = _case_ids(copy)
    assert before <= in_copy, sorted(before - in_copy)[:5]
    assert not after & in_copy  # a snapshot, not a mixture: later saves are not in it
    assert len([c for c in in_copy if c.startswith("filler-")]) == 1500
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    assert not Path(f"{copy}-wal").exists()  # one self-contained file

    fresh = tmp_path / "restored" / "store.sqlite3"
    fresh.parent.mkdir()
    restored = bonemet("restore", str(copy), str(fresh))
    assert restored.returncode == 0, restored.stderr
    assert "integrity ok" in restored.stdout
    with server(fresh, keys) as again, again.client() as http:
        for case_id in sorted(before):
            r = http.get(f"/api/cases/{case_id}", headers=READER)
            assert r.status_code == 200 and r.json()["case_id"] == case_id
        assert http.put("/api/cases/after-restore", json=_case("after-restore"),
                        headers=EDITOR).status_code == 200


def test_restore_refuses_the_store_of_a_running_server(tmp_path: Path, keys: Keys) -> None:
    db = tmp_path / "store.sqlite3"
    copy = tmp_path / "copy.sqlite3"
    with server(db, keys) as live, live.client() as http:
        assert http.put("/api/cases/kept", json=_case("kept"), headers=EDITOR).status_code == 200
        assert bonemet("backup", str(db), str(copy)).returncode == 0
        assert http.put("/api/cases/later", json=_case("later"), headers=EDITOR).status_code == 200
        refused = bonemet("restore", str(copy), str(db))
        assert refused.returncode == 2
        assert "stop the server" in refused.stderr and "Traceback" not in refused.stderr
        assert http.get("/api/cases/later", headers=READER).status_code == 200  # untouched
    # Stopped: the restore goes through and keeps the store it replaced, with its last writes.
    restored = bonemet("restore", str(copy), str(db))
    assert restored.returncode == 0, restored.stderr
    kept = list(tmp_path.glob("store.sqlite3.before-restore-*"))
    assert len(kept) == 1 and oct(kept[0].stat().st_mode & 0o777) == "0o600"
    assert _case_ids(kept[0]) == {"kept", "later"}
    assert _case_ids(db) == {"kept"}
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0


@pytest.mark.parametrize(("args", "said"), [
    (["backup", "{tmp}/nothing.sqlite3", "{tmp}/out.sqlite3"], "DB {tmp}/nothing.sqlite3: no such file"),
    (["backup", "{tmp}/store.sqlite3", "{tmp}/no/such/folder/out.sqlite3"], "does not exist"),
    (["backup", "{tmp}/store.sqlite3", "{tmp}/store.sqlite3"], "exists"),
    (["backup", "{tmp}/notes.txt", "{tmp}/out.sqlite3"], "not an SQLite file"),
    (["backup", "{tmp}", "{tmp}/out.sqlite3"], "not a file"),
    (["restore", "{tmp}/broken.sqlite3", "{tmp}/new.sqlite3"], "BACKUP {tmp}/broken.sqlite3"),
    (["restore", "{tmp}/other.sqlite3", "{tmp}/new.sqlite3"], "not a bonemet store"),
    (["restore", "{tmp}/store.sqlite3", "{tmp}/no/such/new.sqlite3"], "does not exist"),
])
def test_bad_paths_are_exit_2_with_one_line(tmp_path: Path, args: list[str], said: str) -> None:
    from bonemet.stores.store import Store

    store = Store(tmp_path / "store.sqlite3")
    store.put_case("c1", _case("c1"))
    store.close()
    (tmp_path / "notes.txt").write_text("not a database\n" * 10)
    data = (tmp_path / "store.sqlite3").read_bytes()
    (tmp_path / "broken.sqlite3").write_bytes(data[:4096] + b"\0" * 4096 + data[8192:])
    with sqlite3.connect(tmp_path / "other.sqlite3") as other:
        other.execute("CREATE TABLE t (x)")
    done = bonemet(*(a.format(tmp=tmp_path) for a in args))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert said.format(tmp=tmp_path) in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "new.sqlite3").exists()
    assert not list(tmp_path.glob(".*tmp-*"))  # no temporary file left behind
