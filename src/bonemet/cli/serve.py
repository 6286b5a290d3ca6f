"""`bonemet serve`: the HTTP API, the CDS Hooks services and the web pages in one process.

In Python: `bonemet.http.serve.serve` (and `bonemet.http.app.create_app` for an ASGI app).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bonemet.cli.options import fail
from bonemet.errors import ConfigurationError


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
        serve(host, port, dev, db, load_demo)
    except ConfigurationError as exc:
        fail(exc)
