"""Schemathesis over the OpenAPI schema, in-process (ASGI): whatever the input, never a 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from bonemet.access.config import Settings
from bonemet.http.app import create_app

_TMP = tempfile.mkdtemp(prefix="bonemet-fuzz-")
app = create_app(Settings(db_path=Path(_TMP) / "fuzz.sqlite3", dev_mode=True, extra_hosts=("testserver",)))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_for_any_input(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
