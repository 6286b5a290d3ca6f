"""`bonemet serve` tells a new user at start how to stop it, where the data is, how to move the port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx


def test_startup_message_says_how_to_stop_where_the_data_lives_and_how_to_change_the_port(
        tmp_path: Path) -> None:
    db = tmp_path / "sub" / ".." / "store.sqlite3"  # a relative-looking path is printed resolved
    cmd = [sys.executable, "-m", "bonemet", "serve", "--dev", "--port", "0", "--db", str(db)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 60
        while not any("another port" in line for line in lines):
            line = proc.stderr.readline()
            assert line or proc.poll() is None, f"server exited: {lines}"
            lines.append(line)
            assert time.monotonic() < deadline, lines
        text = "".join(lines)
        url = next(w for line in lines for w in line.split() if w.startswith("http://127.0.0.1:"))
        # The server the message announces answers at the URL it printed.
        assert httpx.get(url, timeout=10).status_code == 200
        assert "Ctrl+C" in text
        assert f"SQLite store {(tmp_path / 'store.sqlite3').resolve()}\n" in text
        assert "make run PORT=8001" in text and "--port 8001" in text
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl+C sends
        try:
            _, rest = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    # Ctrl+C stops it cleanly: uvicorn shuts down, then exits as interrupted (130, or the signal).
    assert proc.returncode in (0, 130, -signal.SIGINT), rest
    assert "Traceback" not in rest
