"""The bone plan's patient-view card (issue 23): one card for an urgent or high-risk finding of the
plan, escaped Markdown, links only to the service's own knowledge-base pages.

Cases: suspected cord compression from the EHR's FHIR data (NICE NG234 pathway, CC-01, urgent)
over real HTTP; Mirels in the high band and a Harrington class II acetabulum (demo 31: SX-01,
SX-05, high fracture axis) in process; a plan with only routine proposals on lesions not at high
fracture risk (demo 11: RT-05, RT-07) gets no card.
"""

from __future__ import annotations

from typing import Any

import pytest
from hooks import card_text
from markdown_it import MarkdownIt
from service_harness import LiveServer
from test_cord_compression_cds import LOW_BACK_PAIN, PARAPARESIS, _cards, _condition, _observation, _request

from bonemet.api import assess, load_case
from bonemet.demo import demo_cases
from bonemet.kb import default_kb
from bonemet.service.cards import CardContext
from bonemet.service.plan_card import PLAN_RULE_SYSTEM, high_risk, plan_card, with_plan_card
from bonemet.service.texts import load_texts

BASE = "http://bonemet.test"
_INERT = {"text", "strong_open", "strong_close", "em_open", "em_close", "softbreak", "code_inline"}


def _cc(lang: str = "en") -> CardContext:
    return CardContext(kb=default_kb(), texts=load_texts(), lang=lang, base_url=BASE,  # type: ignore[arg-type]
                       hook_instance="a1b2c3d4-0000-4000-8000-000000000023")


def _assessment(stem: str):  # type: ignore[no-untyped-def]
    return assess(load_case(next(p for p in demo_cases() if p.stem.startswith(stem))))


def _plan_cards(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in cards if c["source"].get("topic", {}).get("system") == PLAN_RULE_SYSTEM]


def test_cord_compression_from_the_ehr_gets_one_urgent_plan_card(dev_server: LiveServer) -> None:
    cards = _cards(dev_server, _request([_condition("c-pain", LOW_BACK_PAIN, 6)],
                                        [_observation("o-para", PARAPARESIS, 1, True)]))
    (card,) = _plan_cards(cards)
    # SAFE-01 already raised the alarm: the plan's card says what comes next, as a warning (one
    # event, one alarm), right after it and before any routine card.
    assert card["indicator"] == "warning" and card["source"]["topic"]["code"] == "CC-01"
    assert [c["source"]["topic"]["code"] for c in cards if c["indicator"] == "critical"] == ["SAFE-01"]
    # SAFE-01 ("suspect it") first, then the plan's pathway, before any routine card.
    order = [c["source"].get("topic", {}).get("code") for c in cards]
    assert order.index("SAFE-01") < order.index("CC-01")
    assert all(c["indicator"] == "critical" for c in cards[: order.index("CC-01")])
    assert order.index("CC-01") == order.index("SAFE-01") + 1
    detail = card_text(card["detail"])
    assert "For the board to discuss" in detail and "outside the référentiel" in detail
    assert "dexamethasone" in detail.lower() and "24" in detail
    # Links: only this service's knowledge-base pages (under the base the other cards use), and
    # each one answers on the running server.
    safe = next(c for c in cards if c["source"].get("topic", {}).get("code") == "SAFE-01")
    base = safe["source"]["url"].split("/api/kb/")[0]
    urls = [link["url"] for link in card["links"]] + [card["source"]["url"]]
    assert all(u.startswith(base + "/kb/rules/") for u in urls), (urls, base)
    with dev_server.client() as http:
        for u in urls:
            assert http.get(u.removeprefix(base), headers={"accept": "text/html"}).status_code == 200


def test_high_fracture_risk_lesions_get_a_warning_card_naming_the_rules() -> None:
    a = _assessment("31")
    card = plan_card(a, _cc())
    assert card is not None and card.indicator == "warning"
    assert card.source.topic is not None and card.source.topic.code == "SX-01"
    detail = card_text(card.detail or "")
    # The femur (Mirels 11: high risk) is on the card; the acetabulum (Harrington II: intermediate
    # since the clinical review made only classes III-IV a high risk) waits for the board.
    assert "SX-01" in detail and "SX-05" not in detail
    assert "Orthopaedic opinion on consolidation" in card.summary
    assert {link.url for link in card.links or ()} >= {f"{BASE}/kb/rules/SX-01"}


def test_the_plan_card_in_french() -> None:
    card = plan_card(_assessment("31"), _cc("fr"))
    assert card is not None
    assert card.summary.startswith("Plan osseux, à discuter en RCP")
    assert "À discuter en RCP" in card_text(card.detail or "")


@pytest.mark.parametrize("stem", ["11", "02", "01"])
def test_no_plan_card_without_an_urgent_or_high_risk_finding(stem: str) -> None:
    a = _assessment(stem)
    assert plan_card(a, _cc()) is None
    assert with_plan_card([], a, _cc()) == []
    if a.plan is not None:
        assert not high_risk(a.plan)


@pytest.mark.parametrize("stem", ["31", "48", "50"])
def test_the_detail_is_inert_markdown(stem: str) -> None:
    card = plan_card(_assessment(stem), _cc())
    assert card is not None and card.detail
    for token in MarkdownIt("commonmark").parse(card.detail):
        assert token.type not in ("html_block", "fence", "code_block", "heading_open")
        for child in token.children or []:
            assert child.type in _INERT, child.type


def test_an_urgent_plan_finding_without_another_alarm_is_critical() -> None:
    a = _assessment("48")
    card = plan_card(a, _cc())
    assert card is not None and card.indicator == "critical"
    assert plan_card(a, _cc(), alarm_raised=True).indicator == "warning"  # type: ignore[union-attr]
    (only,) = with_plan_card([], a, _cc())
    assert only.indicator == "critical"
