"""The score registry is the one list of scores (issue 23): every table has a function and every
function a table, and the CLI, the HTTP path enum and the web calculators are derived from it."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from bonemet.cli import score as score_cli
from bonemet.kb import default_kb, load_kb
from bonemet.scores import frankel, tomita
from bonemet.scores.registry import SCORE_IDS, SCORES, ScoreEntry, problems

DATA = Path(str(resources.files("bonemet.kb") / "data"))


def test_registry_and_tables_agree() -> None:
    assert problems(default_kb()) == []
    assert set(SCORE_IDS) == set(default_kb().scores)
    for sid, entry in SCORES.items():
        assert entry.id == sid and (DATA / entry.data_file).is_file()
        assert entry.title(default_kb()).en


def test_a_table_without_function_is_named(tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(DATA, root)
    text = (root / "scores" / "tomita.yaml").read_text().replace("id: tomita", "id: tomita_copy", 1)
    (root / "scores" / "tomita_copy.yaml").write_text(text)
    kb = load_kb(root)
    assert problems(kb) == [
        "score table tomita_copy.yaml has no function in bonemet.scores.registry.SCORES"]


def test_a_function_without_table_is_named(tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(DATA, root)
    (root / "scores" / "bilsky.yaml").unlink()
    assert problems(load_kb(root)) == [
        "score bilsky: registered without a table kb/data/scores/bilsky.yaml"]


def test_a_function_missing_an_input_of_its_table_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def narrow(*, primary_growth: str | None = None, kb: object = None) -> object:
        raise AssertionError("not called")

    monkeypatch.setitem(SCORES, "tomita", ScoreEntry("tomita", narrow))  # type: ignore[arg-type]
    found = problems(default_kb())
    assert "score tomita: the function takes no input 'visceral_metastases' of its table" in found


def test_cli_commands_are_the_registry() -> None:
    assert [c.name for c in score_cli.app.registered_commands] == list(SCORE_IDS)


def test_api_path_enum_is_the_registry() -> None:
    from bonemet.access.config import Settings
    from bonemet.http.app import create_app

    app = create_app(Settings(db_path=Path("/nonexistent/unused.sqlite3"), dev_mode=True))
    spec = app.openapi()
    (param,) = spec["paths"]["/api/scores/{name}"]["post"]["parameters"]
    assert param["schema"]["enum"] == list(SCORE_IDS)


def test_web_calculators_are_the_registry() -> None:
    from bonemet.web import calculators

    assert [c.slug for c in calculators.available()] == list(SCORE_IDS)


def test_a_registered_score_without_command_gets_one() -> None:
    """Adding a score is its table and its function: the command line follows."""
    import typer

    app = typer.Typer()

    @app.command("noop")
    def _noop() -> None:  # a group of one command would be run without its name
        """Keep the group."""

    score_cli.register_scores(app, {"tomita": ScoreEntry("tomita", tomita.score),
                                    "frankel": ScoreEntry("frankel", frankel.score)})
    runner = CliRunner()
    out = runner.invoke(app, ["tomita", "--primary-growth", "slow", "--visceral-metastases", "none",
                              "--bone-metastases", "solitary", "--format", "json"])
    assert out.exit_code == 0, out.output
    expected = tomita.score(primary_growth="slow", visceral_metastases="none", bone_metastases="solitary")
    assert orjson.loads(out.stdout)["total"] == expected.total
    bad = runner.invoke(app, ["frankel", "--grade", "Z"])
    assert bad.exit_code == 2 and "allowed" in bad.output
