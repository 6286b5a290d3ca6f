"""Issue 21, classes 3, 6 and 9 (minors): the cases of `cases_issue21_done.yaml`, written from the
chapter and clinical reasoning before the code that answers them was read, each checked against
the assessment and its headline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bonemet.kb import default_kb
from bonemet.model import RatedModality, Rating
from bonemet.report.headline import build_headline
from factories import assess_doc, case_doc

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).with_name("cases_issue21_done.yaml")).read_text(encoding="utf-8"))
KB = default_kb()


def _doc(case: dict[str, Any]) -> dict[str, Any]:
    doc = dict(case["doc"])
    phase = doc.get("context", {}).get("phase", "staging")
    return case_doc(phase, **doc)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    a = assess_doc(_doc(case))
    expect = case["expect"]
    for modality, rating in expect.get("ratings", {}).items():
        got = a.rating_of(RatedModality(modality))
        assert got.rating is Rating(rating), (modality, got.rule_id, got.reason.en)
    for modality, rule_id in expect.get("by", {}).items():
        assert a.rating_of(RatedModality(modality)).rule_id == rule_id, modality
    for modality, rule_ids in expect.get("not_by", {}).items():
        assert a.rating_of(RatedModality(modality)).rule_id not in rule_ids, modality
    for modality, ratings in expect.get("not_ratings", {}).items():
        assert a.rating_of(RatedModality(modality)).rating.value not in ratings, modality
    texts = {(r.rule_id, r.text.en) for r in a.recommendations}
    for m in expect.get("message", []):
        template = KB.rule(m["rule"]).messages[m["key"]].en
        head = template.split("{")[0]
        assert any(rid == m["rule"] and t.startswith(head) for rid, t in texts), (m, texts)
    for m in expect.get("no_message", []):
        head = KB.rule(m["rule"]).messages[m["key"]].en.split("{")[0]
        assert not any(rid == m["rule"] and t.startswith(head) for rid, t in texts), m
    for rule_id in expect.get("no_rule", []):
        assert rule_id not in a.rule_ids()
    if "do_now" in expect:
        h = build_headline(a, KB)
        wanted = {RatedModality(m) for m in expect["do_now"]}
        if wanted:
            assert h.do_now is not None and h.do_now.modality in wanted, h.do_now
        else:
            assert h.do_now is None, h.do_now
