"""Fixtures of the service tests; the helpers live in service_harness.py (a unique module name, so
that test files can import them without clashing with the other folders' conftest modules)."""

from service_harness import (  # noqa: F401 - re-exported as pytest fixtures
    auth_server,
    dev_server,
    fhir_server,
    jwks_server,
    keys,
    token,
)
