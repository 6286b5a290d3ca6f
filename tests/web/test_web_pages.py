"""Pages through the real application (ASGI in process): import, export, language, not found."""

from __future__ import annotations

import orjson
import pytest
import yaml
from fastapi.testclient import TestClient

from bonemet.api import load_case
from bonemet.demo import demo_cases
from bonemet.fhir import case_to_bundle
from bonemet.service.app import create_app
from bonemet.service.config import Settings

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("pages") / "store.sqlite3"
    return TestClient(create_app(Settings(db_path=db, dev_mode=True)))


def _demo(stem: str):  # type: ignore[no-untyped-def]
    return next(p for p in demo_cases() if p.stem.startswith(stem))


def test_browser_home_goes_to_cases_and_api_index_stays(client):  # type: ignore[no-untyped-def]
    assert client.get("/", headers=HTML, follow_redirects=False).headers["location"] == "/cases"
    assert client.get("/", headers={"accept": "application/json"}).json()["name"] == "bonemet"


@pytest.mark.parametrize("path", demo_cases(), ids=lambda p: p.stem)
def test_every_demo_case_page_renders_its_rules(client, path):  # type: ignore[no-untyped-def]
    from bonemet.api import assess

    case = load_case(path)
    body = client.get(f"/cases/{case.case_id}", headers=HTML).text
    for rule_id in assess(case).rule_ids():
        assert f'data-rule="{rule_id}"' in body
    assert "not a medical device" in body


def test_import_yaml_opens_the_editor_filled(client):  # type: ignore[no-untyped-def]
    raw = _demo("11").read_bytes()
    r = client.post("/import", files={"file": ("case.yaml", raw, "application/yaml")}, headers=HTML)
    assert r.status_code == 200
    assert 'value="demo-11-response-early"' in r.text and 'value="osimertinib"' in r.text


def test_import_fhir_bundle_is_mapped(client):  # type: ignore[no-untyped-def]
    case = load_case(_demo("03"))
    bundle = orjson.dumps(case_to_bundle(case))
    r = client.post("/import", files={"file": ("bundle.json", bundle, "application/json")}, headers=HTML)
    assert r.status_code in (200, 422)
    assert "fdg_pet_ct" in r.text and "skull_base_to_mid_thigh" in r.text


@pytest.mark.parametrize(("content", "needle"), [
    (b"case_id: [unclosed", "malformed yaml"),
    (b"- just\n- a list\n", "a case must be a mapping"),
    (b'{"case_id": "x", "context": {"phase": "nope"}}', "context.phase"),
])
def test_bad_import_names_the_problem(client, content, needle):  # type: ignore[no-untyped-def]
    r = client.post("/import", files={"file": ("c.yaml", content, "text/plain")}, headers=HTML)
    assert r.status_code == 422
    assert needle in r.text


def test_export_round_trips(client):  # type: ignore[no-untyped-def]
    case = load_case(_demo("11"))
    as_yaml = client.get(f"/cases/{case.case_id}/export?format=yaml")
    assert "attachment" in as_yaml.headers["content-disposition"]
    from bonemet.api import parse_case

    assert parse_case(yaml.safe_load(as_yaml.text)) == case
    assert parse_case(client.get(f"/cases/{case.case_id}/export?format=json").json()) == case


def test_treatment_end_before_start_is_shown_on_its_row(client):  # type: ignore[no-untyped-def]
    form = {"case_id": "row-err", "context.phase": "on_treatment", "treatments[0].id": "l1",
            "treatments[0].type": "chemotherapy", "treatments[0].start": "2025-03-01",
            "treatments[0].end": "2025-01-01"}
    r = client.post("/save", data=form, headers=HTML)
    assert r.status_code == 422
    row = r.text.split('id="f-treatments-0"', 1)[1].split("</fieldset>", 1)[0]
    assert "is before start" in row


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil", None])
def test_language_switch_never_redirects_off_site(client, target):  # type: ignore[no-untyped-def]
    params = {"next": target} if target else {}
    r = client.get("/lang/fr", params=params, follow_redirects=False)
    assert r.headers["location"] == "/cases"
    assert "bonemet_lang=fr" in r.headers["set-cookie"]


def test_unknown_things_are_404_pages(client):  # type: ignore[no-untyped-def]
    for url in ("/cases/nope", "/kb/rules/NM-99", "/kb/statements/ZZ", "/calculators/nope",
                "/cases/nope/summary.pdf", "/cases/demo-03-pet-mid-thigh/timeline.svg"):
        assert client.get(url, headers=HTML).status_code == 404, url
