"""BONEMET_SMART_* settings (issue 26): read, and refused with the variable named."""

from __future__ import annotations

import pytest

from bonemet.access.config import Settings
from bonemet.errors import SettingsError

DEV = {"BONEMET_DEV": "1"}


def test_smart_settings_are_read(tmp_path: object) -> None:
    s = Settings.from_env({**DEV, "BONEMET_SMART_ISSUERS": "https://ehr.example.org/fhir/r4/, https://b.example/fhir",
                           "BONEMET_SMART_CLIENT_ID": "bonemet", "BONEMET_SMART_CLIENT_SECRET": "s3cret",
                           "BONEMET_SMART_ROLE": "reader"})
    assert s.smart is not None
    assert s.smart.issuers == ("https://ehr.example.org/fhir/r4", "https://b.example/fhir")
    assert s.smart.client_secret == "s3cret" and s.smart.role == "reader"
    assert "s3cret" not in repr(s)
    assert Settings.from_env(DEV).smart is None


@pytest.mark.parametrize(("env", "named"), [
    ({"BONEMET_SMART_ISSUERS": "ehr.example.org/fhir", "BONEMET_SMART_CLIENT_ID": "b"},
     "BONEMET_SMART_ISSUERS"),
    ({"BONEMET_SMART_ISSUERS": " , ", "BONEMET_SMART_CLIENT_ID": "b"}, "BONEMET_SMART_ISSUERS"),
    ({"BONEMET_SMART_ISSUERS": "https://ehr.example.org/fhir"}, "BONEMET_SMART_CLIENT_ID"),
    ({"BONEMET_SMART_ISSUERS": "https://ehr.example.org/fhir", "BONEMET_SMART_CLIENT_ID": "b",
      "BONEMET_SMART_ROLE": "superuser"}, "BONEMET_SMART_ROLE"),
    ({"BONEMET_SMART_ISSUERS": "https://ehr.example.org/fhir", "BONEMET_SMART_CLIENT_ID": "b",
      "BONEMET_SMART_CLIENT_SECRET_FILE": "/nonexistent/secret"}, "BONEMET_SMART_CLIENT_SECRET_FILE"),
])
def test_bad_smart_settings_are_refused_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({**DEV, **env})
    assert named in str(raised.value)
