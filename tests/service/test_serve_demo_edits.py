"""Issue 13, defect 8: `make run` (`bonemet serve --dev --load-demo`) restarted on the same store
keeps the user's edit of a demo case instead of loading the original over it.

Two real `bonemet serve` processes, one after the other, on a free port each, on one SQLite file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CASE = "demo-03-pet-mid-thigh"


@contextmanager
def serving(db: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bonemet", "serve", "--dev", "--load-demo", "--db", str(db),
         "--port", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 60
        url = ""
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            if "serving on " in line:
                url = line.split("serving on ", 1)[1].split()[0].rstrip("/")
                break
        assert url, "bonemet serve did not start"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_restart_with_load_demo_keeps_the_edit_of_a_demo_case(tmp_path: Path) -> None:
    db = tmp_path / "dev.sqlite3"
    with serving(db) as url:
        got = httpx.get(f"{url}/api/cases/{CASE}")
        assert got.status_code == 200
        doc = got.json()
        doc["patient"] = {**(doc.get("patient") or {}), "label": "Edited by the user"}
        put = httpx.put(f"{url}/api/cases/{CASE}", json=doc,
                        headers={"If-Match": got.headers["etag"]})
        assert put.status_code == 200, put.text
    with serving(db) as url:
        again = httpx.get(f"{url}/api/cases/{CASE}")
        assert again.status_code == 200
        assert again.json()["patient"]["label"] == "Edited by the user"
        assert again.headers["etag"] == '"2"'  # not a third version written by the demo loader
