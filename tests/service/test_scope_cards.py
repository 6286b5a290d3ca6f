"""Issue 17 (HZ-AD-01): no card and no PAMA rating without a confirmed lung primary."""

from __future__ import annotations

from typing import Any

import pytest

from bonemet.api import assess, parse_case
from bonemet.kb import default_kb
from bonemet.model import RatedModality
from bonemet.service.cards import CardContext, DraftOrder, order_guidance, patient_cards
from bonemet.service.texts import default_texts
from factories import case_doc, exam

ORDER = {"resourceType": "ServiceRequest", "id": "sr1", "status": "draft", "intent": "order"}


@pytest.mark.parametrize("cancer", [{}, {"diagnosis": "none"}, {"primary_site": "prostate"},
                                    {"primary_site": "lung", "diagnosis": "suspected"}],
                         ids=["no-primary", "no-cancer", "prostate", "suspected-lung"])
def test_no_card_and_no_pama_rating_outside_scope(cancer: dict[str, Any]) -> None:
    doc = case_doc(exams=[exam("bone_scan", "2025-05-20", result="negative")])
    doc["cancer"] = cancer
    case = parse_case(doc)
    a = assess(case)
    cc = CardContext(default_kb(), default_texts(), "en", "http://x", "h")
    assert patient_cards(a, case, cc) == []
    guidance = order_guidance(DraftOrder(dict(ORDER), RatedModality.bone_scan), a, cc, None)
    assert guidance.cards == [] and guidance.system_actions == []


def test_in_scope_the_same_order_is_rated() -> None:
    case = parse_case(case_doc(exams=[exam("fdg_pet_ct", "2025-05-20", purpose="staging",
                                           result="negative", pet_coverage="vertex_to_feet")]))
    cc = CardContext(default_kb(), default_texts(), "en", "http://x", "h")
    guidance = order_guidance(DraftOrder(dict(ORDER), RatedModality.bone_scan), assess(case), cc, None)
    assert guidance.cards or guidance.system_actions
