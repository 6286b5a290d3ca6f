"""Review 25 F4, F13, F14 on the meeting page (real app, French): a deferred exam is never « À faire
maintenant » but said with its day in words; an orthopaedic plan decision leads its row; a targeted
exam names its site (a rib: CT); the NM-03 caveat and the out-of-scope reason stay on the row. The
cases are the reviewer's (tests/report/review25_cases)."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from test_issue25_words import text_of

from bonemet.access.config import Settings
from bonemet.http.app import create_app

CASES = Path(__file__).parents[1] / "report" / "review25_cases"
STEMS = ["rcp25-03", "rcp25-05", "rcp25-07", "rcp25-08", "rcp25-11"]


@pytest.fixture(scope="module")
def rows() -> dict[str, str]:
    db = Path(tempfile.mkdtemp()) / "agenda.sqlite3"
    app = create_app(Settings(db_path=db, dev_mode=True, extra_hosts=("testserver",)))
    with TestClient(app, follow_redirects=False) as c:
        c.cookies.set("bonemet_lang", "fr")
        ids = []
        for stem in STEMS:
            doc = yaml.safe_load(next(CASES.glob(f"{stem}-*.yaml")).read_text(encoding="utf-8"))
            made = c.post("/api/cases", content=json.dumps(doc, default=str),
                          headers={"content-type": "application/json"})
            assert made.status_code in (200, 201), made.text
            ids.append(doc["case_id"])
        sid = c.post("/api/sessions", json={"meeting_date": "2026-12-10", "site": "Salle 3"}).json()["id"]
        added = c.post(f"/api/sessions/{sid}/cases/batch", json={"cases": [{"case_id": i} for i in ids]})
        assert added.status_code in (200, 201), added.text
        page = c.get(f"/sessions/{sid}").text
    blocks = re.findall(r'<div class="agenda-headline".*?</div>', page, flags=re.S)
    assert len(blocks) == len(STEMS)
    return {stem: text_of(b) for stem, b in zip(STEMS, blocks, strict=True)}


def test_patient_3_no_imaging_now_bone_scan_from_its_day_in_words(rows: dict[str, str]) -> None:
    row = rows["rcp25-03"]
    assert "À faire maintenant" not in row
    assert "Pas d'imagerie maintenant" in row and "à partir du 17 mai 2027" in row


def test_patient_11_orthopaedic_opinion_leads_the_row(rows: dict[str, str]) -> None:
    row = rows["rcp25-11"]
    assert row.index("Avis orthopédique") < row.index("À faire maintenant")


def test_patient_8_rib_targeted_ct_named_with_its_site(rows: dict[str, str]) -> None:
    assert "À faire maintenant : TDM ciblée (côtes)" in rows["rcp25-08"].replace("\u00a0", " ")


def test_patient_5_keeps_the_nm03_caveat_and_7_its_reason(rows: dict[str, str]) -> None:
    assert "fémurs hors champ" in rows["rcp25-05"] and "NM-03" in rows["rcp25-05"]
    assert "carcinoïde" in rows["rcp25-07"]


def test_no_raw_code_or_iso_date_in_the_rows(rows: dict[str, str]) -> None:
    for row in rows.values():
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b[a-z]+_[a-z_]+\b", row), row
