"""The shipped base loads; an inconsistent base is refused with a message naming the problem."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bonemet.kb import KnowledgeBaseError, default_kb, load_kb

DATA = Path(__file__).resolve().parents[2] / "src" / "bonemet" / "kb" / "data"
PRODUCT_RULES = [f"NM-{i:02d}" for i in range(1, 14)]
# Issue 17: rules derived by the project, advisor controls, and a safety net from outside the chapter.
PROJECT_RULES = ["NM-14", "NM-15", "ADV-01", "ADV-02", "SAFE-01"]


def test_shipped_base_is_complete() -> None:
    kb = default_kb()
    assert list(kb.rules) == PRODUCT_RULES + PROJECT_RULES
    derived = {r.id for r in kb.rules.values() if r.basis == "derived"}
    assert set(PROJECT_RULES) <= derived  # all flagged as interpretation
    assert [r.id for r in kb.rules.values() if r.outside_chapter] == ["SAFE-01"]
    assert all(s.read_in.endswith("§7.4") for s in kb.rule("SAFE-01").sources)
    ids = set(kb.statements)
    assert {f"F{i:02d}" for i in range(1, 32)} | {"FIG2", "FIG3"} | {
        f"REC{i}" for i in range(1, 6)} == ids
    assert sorted(kb.references) == list(range(1, 151))
    assert kb.version


def test_every_statement_is_used_by_a_rule_or_is_context() -> None:
    kb = default_kb()
    used = {s for r in kb.rules.values() for s in r.statements}
    # Statements that describe the tracer or history and support no decision.
    context_only = {"F01", "F02", "F03", "F04", "F06", "F11", "F16", "F24"}
    assert set(kb.statements) - used == context_only


def test_rule_references_come_from_its_statements() -> None:
    kb = default_kb()
    assert kb.refs_for("NM-05") == (28,)
    assert kb.refs_for("NM-01") == (28, 29, 30, 31, 32, 33)
    assert 34 in kb.refs_for("NM-07")


def test_rule_params_carry_the_chapter_numbers() -> None:
    kb = default_kb()
    assert kb.rule("NM-05").params["months"] == 6
    assert kb.rule("NM-10").params == {"sensitivity_pct": 98, "specificity_pct": 81}
    assert kb.rule("NM-08").params["flare_frequency_pct"] == [15, 30]


def _broken(tmp_path: Path, file: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(DATA, target)
    doc = yaml.safe_load((target / file).read_text(encoding="utf-8"))
    edit(doc)
    (target / file).write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return target


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


@pytest.mark.parametrize(
    ("file", "edit", "message"),
    [
        ("rules.yaml", _set(["rules", 0, "statements"], ["F99"]),
         "rule NM-01: unknown statement 'F99'"),
        ("statements.yaml", _set(["statements", 0, "refs"], [999]),
         "statement F01: unknown reference 999"),
        ("rules.yaml", _set(["rules", 1, "id"], "NM-01"), "duplicate rule id 'NM-01'"),
        ("statements.yaml", _set(["statements", 2, "text"], {"en": "only English"}),
         "statement F03: text.fr: Field required"),
        ("rules.yaml", _set(["rules", 3, "title", "fr"], ""), "rule NM-04: title.fr"),
        ("references.yaml", _set(["references", 82, "duplicate_of"], 400),
         "reference 83: links to unknown reference 400"),
        ("statements.yaml", _set(["statements", 3, "numbers", 0, "range"], [100, 62]),
         "reversed"),
    ],
    ids=["unknown-statement", "unknown-ref", "duplicate-id", "missing-language", "empty-language",
         "bad-duplicate-link", "reversed-range"],
)
def test_inconsistent_base_is_refused(
    tmp_path: Path, file: str, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(_broken(tmp_path, file, edit))
    assert any(message in p for p in err.value.problems), err.value.problems


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    def two(doc: dict[str, Any]) -> None:
        doc["rules"][0]["statements"] = ["X1"]
        doc["rules"][1]["statements"] = ["X2"]
    with pytest.raises(KnowledgeBaseError) as err:
        load_kb(_broken(tmp_path, "rules.yaml", two))
    assert len(err.value.problems) == 2
