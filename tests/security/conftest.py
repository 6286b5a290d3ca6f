"""Fixtures of the security probes; the helpers live in security_harness.py (a unique module name)."""

from security_harness import (  # noqa: F401 - re-exported as pytest fixtures
    bonemet_port,
    dev_server,
    keys,
    oidc_provider,
    oidc_server,
    proxy_server,
    untrusted_proxy_server,
)
from smart_ehr import evil_fhir, smart_site  # noqa: F401 - SMART launch tests (issue 26)
