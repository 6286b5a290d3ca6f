"""The bone plan's knowledge file (kb/data/plan.yaml): sourced, bilingual, refused when wrong."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from bonemet.errors import KnowledgeBaseError
from bonemet.kb import default_kb, strict_yaml
from bonemet.kb.plan import parse_plan

PLAN = Path(__file__).resolve().parents[2] / "src/bonemet/kb/data/plan.yaml"
AURA = "https://referentiels-aristot.com/241-metastases-osseuses/"


def _raw() -> dict:
    return copy.deepcopy(strict_yaml.load_path(PLAN))


def _problems(raw: dict) -> list[str]:
    problems: list[str] = []
    parse_plan(raw, default_kb().references.keys(), problems)
    return problems


def test_shipped_plan_loads_with_the_base() -> None:
    plan = default_kb().plan
    assert plan is not None
    # issue 24 adds the systemic bone treatment rules to the same catalogue
    assert {r[:2] for r in plan.rules} == {"SX", "SP", "RT", "CC", "BT", "DN", "VD"}


def test_every_referentiel_statement_names_an_aura_chapter_page() -> None:
    plan = default_kb().plan
    assert plan is not None
    for s in plan.statements.values():
        src = plan.sources[s.source]
        if s.basis == "referentiel" and s.source != "jbs-2019":
            assert src.url is not None and src.url.startswith(("https://referentiels-aristot.com",
                                                               "https://pdfslide.fr")), s.id
        assert src.outside_referentiel is (s.basis != "referentiel")


@pytest.mark.parametrize(("statement", "refs"), [
    ("PL-03", {77}),  # Mirels = web 85 = seed 77
    ("PL-19", {148}),  # Tokuhashi revised = web 166 = seed 148
    ("PL-17", {144}),  # Harrington-based THA, Wegrzyn 2018
    ("PL-02", {69, 70, 71, 72, 73}),  # RT for pain = web 77-81
])
def test_seed_reference_numbers(statement: str, refs: set[int]) -> None:
    plan = default_kb().plan
    assert plan is not None
    assert refs <= set(plan.statements[statement].refs)


@pytest.mark.parametrize("statement", ["PL-16", "PL-19", "PL-07", "PL-14", "PL-24", "PL-22"])
def test_statements_the_notes_mark_uncertain_carry_a_caveat(statement: str) -> None:
    plan = default_kb().plan
    assert plan is not None
    assert plan.statements[statement].caveat is not None


def test_a_message_typing_a_param_number_is_refused() -> None:
    raw = _raw()
    rule = next(r for r in raw["rules"] if r["id"] == "SX-02")
    rule["messages"]["borderline"]["en"] = "Mirels {total} is 8: judgement."
    assert any("SX-02" in p and "types 8" in p for p in _problems(raw))


def test_unknown_statement_source_and_reference_are_refused() -> None:
    raw = _raw()
    raw["rules"][0]["statements"] = ["PL-99"]
    raw["statements"][0]["source"] = "nowhere"
    raw["statements"][1]["refs"] = [999]
    problems = _problems(raw)
    assert any("unknown statement 'PL-99'" in p for p in problems)
    assert any("unknown source 'nowhere'" in p for p in problems)
    assert any("unknown reference 999" in p for p in problems)


def test_basis_must_match_the_source_kind() -> None:
    raw = _raw()
    st = next(s for s in raw["statements"] if s["id"] == "PL-24")  # NICE
    st["basis"] = "referentiel"
    assert any("PL-24" in p and "basis" in p for p in _problems(raw))


def test_rule_id_outside_the_prefixes_is_refused() -> None:
    raw = _raw()
    raw["rules"][0]["id"] = "XX-01"
    assert any("id" in p for p in _problems(raw))


def test_load_kb_refuses_a_broken_plan(tmp_path: Path) -> None:
    import shutil

    from bonemet.kb import load_kb
    data = PLAN.parent
    shutil.copytree(data, tmp_path / "data")
    text = (tmp_path / "data/plan.yaml").read_text().replace("id: PL-02\n", "id: PL-01\n", 1)
    (tmp_path / "data/plan.yaml").write_text(text)
    with pytest.raises(KnowledgeBaseError, match="duplicate statement"):
        load_kb(tmp_path / "data")


def test_the_pathway_rule_cites_only_what_its_text_says() -> None:
    """F18 (first clinical review): CC-01's text is NICE's pathway (dexamethasone, 24-hour
    timings); it cited refs 79-80 (the Rades MSCC scores) through PL-06, which belongs to the
    surgery-or-radiotherapy choice (CC-02)."""
    from bonemet.kb import default_kb

    plan = default_kb().plan
    assert plan is not None
    assert "PL-06" not in plan.rule("CC-01").statements
    assert not {79, 80} & set(plan.refs_for("CC-01"))
    assert "PL-06" in plan.rule("CC-02").statements
