"""CDS cards offer a CDS Hooks `smart` link to open bonemet for the same patient (issue 26), only
when the SMART launch is configured; a `smart` link anywhere else is still dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bonemet.access.config import Settings, SmartSettings
from bonemet.http.app import create_app

FIXTURE = Path(__file__).resolve().parents[1] / "service" / "fixtures" / "order-select-staging.json"
SERVICE = "/cds-services/bonemet-imaging-order"
BASE = "http://localhost"


def _cards(tmp_path: Path, smart: SmartSettings | None, lang: str = "en") -> list[dict[str, Any]]:
    app = create_app(Settings(db_path=tmp_path / "s.sqlite3", dev_mode=True, smart=smart,
                              public_base_url=BASE))
    with TestClient(app, base_url=BASE) as http:
        r = http.post(SERVICE, json=json.loads(FIXTURE.read_text()),
                      headers={"accept-language": lang})
    assert r.status_code == 200, r.text[:300]
    cards: list[dict[str, Any]] = r.json()["cards"]
    assert cards
    return cards


SMART = SmartSettings(issuers=("https://ehr.example.org/fhir",), client_id="bonemet")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_card_offers_the_smart_launch_link_when_smart_is_configured(tmp_path: Path,
                                                                          lang: str) -> None:
    for card in _cards(tmp_path, SMART, lang):
        smart = [link for link in card.get("links") or () if link["type"] == "smart"]
        assert len(smart) == 1, card
        assert smart[0]["url"] == BASE + "/smart/launch"
        assert "bonemet" in smart[0]["label"] and "appContext" not in smart[0]
        # The other links stay the service's own pages.
        assert all(link["url"].startswith(BASE + "/") for link in card["links"])


def test_no_smart_link_without_the_smart_launch(tmp_path: Path) -> None:
    for card in _cards(tmp_path, None):
        assert not any(link["type"] == "smart" for link in card.get("links") or ())
