"""`bonemet plan`: a thin mirror of bonemet.api.bone_plan, text and JSON, English and French."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bonemet.api import bone_plan, load_case
from bonemet.cli import app

ROOT = Path(__file__).resolve().parents[2]
SPINE = str(ROOT / "examples/30-scores-spine-tumour-board.yaml")


def test_json_is_the_api_plan() -> None:
    result = CliRunner().invoke(app, ["plan", SPINE, "--format", "json"])
    assert result.exit_code == 0, result.output
    plan = bone_plan(load_case(SPINE))
    assert plan is not None
    assert json.loads(result.stdout) == plan.model_dump(mode="json")


def test_text_table_in_both_languages() -> None:
    en = CliRunner().invoke(app, ["plan", SPINE])
    fr = CliRunner().invoke(app, ["plan", SPINE, "--lang", "fr"])
    assert en.exit_code == 0 and "CC-01" in en.stdout and "Cord compression" in en.stdout
    assert fr.exit_code == 0 and "compression médullaire" in fr.stdout and "élevé" in fr.stdout


def test_case_without_plan_says_so_and_bad_file_exits_2() -> None:
    none = CliRunner().invoke(app, ["plan", str(ROOT / "examples/01-staging-no-pet.yaml")])
    assert none.exit_code == 0 and "No bone plan" in none.stdout
    bad = CliRunner().invoke(app, ["plan", "/nonexistent.yaml"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_assess_json_carries_the_plan_section() -> None:
    result = CliRunner().invoke(app, ["assess", SPINE, "--format", "json"])
    data = json.loads(result.stdout)
    assert data["schema_version"] == "1.2" and data["plan"]["proposals"][0]["rule_id"] == "CC-01"


def test_api_assess_returns_the_plan_and_refuses_a_bad_band(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from bonemet.access.config import Settings
    from bonemet.api import read_document
    from bonemet.http.app import create_app

    app = create_app(Settings(db_path=tmp_path / "s.sqlite3", dev_mode=True))
    doc = read_document(Path(SPINE))
    with TestClient(app, base_url="http://localhost") as http:
        r = http.post("/api/assess", json=doc)
        assert r.status_code == 200, r.text
        assert r.json()["plan"]["proposals"][0]["rule_id"] == "CC-01"
        bad = http.post("/api/assess", json={**doc, "plan_inputs": {"life_expectancy": "soon"}})
        assert bad.status_code == 422
        assert any(p["field"] == "plan_inputs.life_expectancy" for p in bad.json()["problems"])


REVIEW = Path(__file__).parent / "review_cases"


def _flat(text: str) -> str:
    """The table wraps words over lines and borders: compare on the words alone."""
    return " ".join("".join(c for c in text if c not in "│┃─┼┤├╇╈┏┓┗┛┡┩└┘┌┐╭╮╰╯━").split())


def test_text_shows_caveats_and_mixed_bases_review23_f7() -> None:
    """F7: each proposal's caveat and "partly outside the référentiel" are visible in the text."""
    case = str(REVIEW / "C07-T7-SINS8.yaml")
    en = CliRunner().invoke(app, ["plan", case], env={"COLUMNS": "300"})
    fr = CliRunner().invoke(app, ["plan", case, "--lang", "fr"], env={"COLUMNS": "300"})
    assert en.exit_code == 0 and fr.exit_code == 0
    assert "Caveat: Read from a flattened PDF table" in _flat(en.stdout)
    assert "Réserve : Lu dans un tableau PDF aplati" in _flat(fr.stdout)
    c01 = CliRunner().invoke(app, ["plan", str(REVIEW / "C01-femur-mirels10-lysis.yaml")],
                             env={"COLUMNS": "300"})
    assert "référentiel, partly outside it" in _flat(c01.stdout)


def test_text_footer_names_the_lesion_not_the_raw_path_review23_f17() -> None:
    out = CliRunner().invoke(app, ["plan", str(REVIEW / "C22-rib-no-complications-recorded.yaml"),
                                   "--lang", "fr"], env={"COLUMNS": "300"})
    assert "exams[0]" not in out.stdout and "côtes gauches :" in _flat(out.stdout)
    assert "non urgent" in _flat(out.stdout) and "habituel" not in out.stdout
