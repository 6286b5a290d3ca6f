"""The rule registry (issue 23): each rule is one entry of rules.yaml plus one @rule function (or
one of the advisor's own controls); the check names a rule of one side missing from the other."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bonemet.core.advisor import ADVISOR_CONTROLS
from bonemet.core.findings import RULES, RuleOutput, registry_problems
from bonemet.kb import default_kb


def test_every_rule_of_the_data_has_its_function_and_back() -> None:
    kb = default_kb()
    assert registry_problems(kb, ADVISOR_CONTROLS) == []
    assert set(kb.rules) == set(RULES) | set(ADVISOR_CONTROLS)


def test_a_function_without_entry_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def nm99(v: object, out: RuleOutput) -> None:
        raise AssertionError("not run")

    monkeypatch.setitem(RULES, "NM-99", nm99)  # type: ignore[arg-type]
    assert registry_problems(default_kb(), ADVISOR_CONTROLS) == [
        "rule NM-99: a function is registered (@rule) but rules.yaml has no entry"]


def test_an_entry_without_function_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(RULES, "NM-13")
    assert registry_problems(default_kb(), ADVISOR_CONTROLS) == [
        "rule NM-13: in rules.yaml but no function is registered (@rule) and it is no advisor control"]


def test_an_undeclared_control_is_named() -> None:
    found = registry_problems(default_kb(), ())
    assert found == [f"rule {r}: in rules.yaml but no function is registered (@rule) and it is no "
                     "advisor control" for r in ADVISOR_CONTROLS]


def test_the_api_serves_every_rule_of_the_data(tmp_path: Path) -> None:
    """The path pattern of /api/kb/rules/{rule_id} accepts every id the data holds (it once
    refused ADV-01 and SAFE-01 with a 422)."""
    from bonemet.access.config import Settings
    from bonemet.http.app import create_app

    app = create_app(Settings(db_path=tmp_path / "s.sqlite3", dev_mode=True,
                              extra_hosts=("testserver",)))
    with TestClient(app) as http:
        kb = default_kb()
        assert kb.plan is not None
        for rid in [*kb.rules, *kb.plan.rules]:
            for asked in (rid, rid.lower()):
                r = http.get(f"/api/kb/rules/{asked}")
                assert r.status_code == 200, (asked, r.text)
                assert r.json()["id"] == rid
        # A plan rule comes with its statements, sources and the seed's reference numbers.
        sx = http.get("/api/kb/rules/SX-01").json()
        assert sx["catalogue"] == "plan" and sx["statement_texts"][0]["id"] == sx["statements"][0]
        assert sx["references"] == list(kb.plan.refs_for("SX-01")) and sx["sources"]
        for sid in kb.plan.statements:
            st = http.get(f"/api/kb/statements/{sid.lower()}").json()
            assert st["id"] == sid and st["source_detail"]["id"] == kb.plan.statements[sid].source
        listed = http.get("/api/kb/rules").json()["rules"]
        assert {r["id"] for r in listed} == {*kb.rules, *kb.plan.rules}
