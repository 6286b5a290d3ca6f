"""`bonemet serve`: the HTTP API, the CDS Hooks services and the web pages in one process.

In Python: `bonemet.http.serve.serve` (and `bonemet.http.app.create_app` for an ASGI app).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from bonemet.cli.options import fail
from bonemet.errors import ConfigurationError


def _stop(signum: int, frame: FrameType | None) -> None:
    # Read as Ctrl+C by every layer (asyncio cancels its task, uvicorn shuts down, threads end):
    # a signal arriving before the server listens stops it as cleanly as one arriving after.
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextmanager
def stopped_quietly() -> Iterator[None]:
    """SIGINT and SIGTERM end the command with status 0 and one line, never a traceback.

    uvicorn shuts down gracefully on either, then raises the signal again for the handler that was
    there before it started: without one of ours, SIGTERM then killed the process, and `make run`
    printed "make: *** [run] Terminated" (issue 25). With ours, the command just returns.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except KeyboardInterrupt:
        print("bonemet stopped", file=sys.stderr, flush=True)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def serve_cmd(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0: any free port)", min=0, max=65535)] = 8000,
    dev: Annotated[bool, typer.Option("--dev", help="Local development: no authentication, "
                                      "loopback only")] = False,
    db: Annotated[Path | None, typer.Option(help="SQLite store (default: BONEMET_DB)")] = None,
    load_demo: Annotated[bool, typer.Option("--load-demo", help="Put the demo cases in the "
                                            "store first")] = False,
) -> None:
    """Serve the HTTP API and the CDS Hooks services (settings: BONEMET_* variables)."""
    from bonemet.http.serve import serve

    try:
        with stopped_quietly():
            serve(host, port, dev, db, load_demo)
    except ConfigurationError as exc:
        fail(exc)
