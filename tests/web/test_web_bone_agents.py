"""Issue 24 (foundation): the systemic bone treatment proposals reach the existing adapters — the
web case page's plan section, the MDT summary, the CLI and the assessment JSON — with no adapter
code of their own (same Proposal type). One case written from the sources (a woman of about 70,
62 kg, creatinine 106 µmol/L: Cockcroft-Gault 42.7 mL/min, zoledronic acid 3.3 mg; 25-OH-D 14
ng/mL: loading × 8)."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bonemet.access.config import Settings
from bonemet.api import parse_case
from bonemet.cli import app as cli_app
from bonemet.http.app import create_app
from bonemet.report.summary import summary_html

CASE: dict[str, Any] = {
    "schema_version": "1.0", "case_id": "bt-demo",
    "patient": {"sex": "female", "birth_year": 1956},
    "cancer": {"primary_site": "lung", "histology": "adenocarcinoma", "bone_metastases_known": True},
    "context": {"phase": "on_treatment", "as_of": "2026-12-01"},
    "exams": [{"id": "ct1", "date": "2026-11-20", "modality": "ct", "purpose": "characterisation",
               "result": "positive", "lesions": [{"site": "pelvis", "phenotype": "lytic"}]}],
    "labs": [{"date": "2026-11-25", "analyte": "creatinine", "value": 106, "unit": "µmol/L"},
             {"date": "2026-11-25", "analyte": "calcium", "value": 2.35, "unit": "mmol/L"},
             {"date": "2026-11-25", "analyte": "vitamin_d_25oh", "value": 14, "unit": "ng/mL"}],
    "plan_inputs": {"life_expectancy": "3_to_12_months", "ecog": 1, "weight_kg": 62,
                    "dental_status": "not_assessed"},
}
RULES = ("BT-01", "BT-03", "BT-04", "VD-01", "DN-01")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("bt") / "store.sqlite3"
    return TestClient(create_app(Settings(db_path=db, dev_mode=True, extra_hosts=("testserver",))))


def test_web_case_page_plan_section(client: TestClient) -> None:
    r = client.put("/api/cases/bt-demo", json=CASE)
    assert r.status_code in (200, 201), r.text
    client.cookies.set("bonemet_lang", "en")
    html = client.get("/cases/bt-demo", headers={"accept": "text/html"}).text
    section = re.search(r'<section class="plan" id="plan".*?</section>', html, re.S)
    assert section
    text = unescape(section.group(0))
    for rule in RULES:
        assert f'data-rule="{rule}"' in text and f'href="/kb/rules/{rule}"' in text, rule
    assert "3.3 mg" in text and "42.7 mL/min" in text and "× 8" in text
    client.cookies.set("bonemet_lang", "fr")
    fr = unescape(client.get("/cases/bt-demo", headers={"accept": "text/html"}).text)
    assert "3,3 mg" in fr and "panoramique dentaire" in fr
    assert client.get("/kb/rules/BT-03", headers={"accept": "text/html"}).status_code == 200


def test_mdt_summary_carries_the_proposals() -> None:
    html = unescape(summary_html(parse_case(CASE), "en", dt.date(2026, 12, 1)))
    assert "Zoledronic acid, if chosen: 3.3 mg" in html and "panoramic radiograph" in html


def test_cli_plan_and_assess_json(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(CASE, allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(cli_app, ["plan", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    plan = json.loads(out.output)
    plan = plan.get("plan", plan)
    assert [p["rule_id"] for p in plan["proposals"]] == list(RULES)
    out = runner.invoke(cli_app, ["assess", str(path), "--format", "json"])
    assert out.exit_code == 0
    assert "BT-03" in [p["rule_id"] for p in json.loads(out.output)["plan"]["proposals"]]


def test_cli_refuses_an_impossible_creatinine_naming_the_field(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(CASE))
    bad["labs"][0] = {"date": "2026-11-25", "analyte": "creatinine", "value": 90, "unit": "mg/dL"}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    out = CliRunner().invoke(cli_app, ["plan", str(path)])
    assert out.exit_code == 2
    assert "labs[0]" in out.output or "labs.0" in out.output
