"""Issue 25, item 6: the quick check reads the facts its question states (French and English)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bonemet.base.terms import SkeletalSite, TreatmentType
from bonemet.report.labels import labels
from bonemet.report.request_reading import RequestFacts, read_request

SITE_WORDS = {s: (labels().enum("site", s, "fr"), labels().enum("site", s, "en")) for s in SkeletalSite}


@pytest.mark.parametrize(("text", "expected"), [
    ("Douleur osseuse nouvelle", RequestFacts(new_bone_pain=True)),
    ("Nouvelle douleur du rachis dorsal, sans déficit neurologique",
     RequestFacts(new_bone_pain=True, neurological_deficit=False,
                  pain_sites=(SkeletalSite.thoracic_spine,))),
    ("TEP de contrôle à 2 mois sous osimertinib",
     RequestFacts(treatment_type=TreatmentType.egfr_tki, agents=("osimertinib",), months_on_treatment=2)),
    ("Bilan à 3 mois de carboplatine-pemetrexed-pembrolizumab en 1re ligne",
     RequestFacts(treatment_type=TreatmentType.chemo_immunotherapy,
                  agents=("pembrolizumab", "carboplatine", "pemetrexed"), months_on_treatment=3,
                  line_number=1)),
    ("New bone pain in the lumbar spine, leg weakness",
     RequestFacts(new_bone_pain=True, neurological_deficit=True,
                  pain_sites=(SkeletalSite.lumbar_spine,))),
    ("Restaging after 6 weeks of alectinib, second line",
     RequestFacts(treatment_type=TreatmentType.alk_tki, agents=("alectinib",), months_on_treatment=1)),
    ("Pas de douleur, contrôle sous immunothérapie depuis 4 mois, 2e ligne",
     RequestFacts(new_bone_pain=False, treatment_type=TreatmentType.immunotherapy,
                  months_on_treatment=4, line_number=2)),
    ("Bilan d'extension", RequestFacts()),
    ("", RequestFacts()),
])
def test_the_question_s_facts_are_read(text: str, expected: RequestFacts) -> None:
    found = read_request(text, SITE_WORDS)
    if text.startswith("Restaging"):
        assert found.line_number is None  # "second line" in words is not read: the user types it
        found = found.model_copy(update={"line_number": None})
    assert found == expected


@given(st.text(max_size=200))
def test_any_text_is_read_without_failing(text: str) -> None:
    facts = read_request(text, SITE_WORDS)
    assert facts.months_on_treatment is None or 0 <= facts.months_on_treatment <= 99
    assert facts.line_number is None or 1 <= facts.line_number <= 9


@pytest.mark.parametrize("question", [
    "Dorsalgie avec faiblesse des jambes", "Faiblesse des membres inférieurs et dorsalgie",
    "Dorsalgie et troubles de la marche", "Dorsalgie, paresthésies des membres inférieurs",
    "Lombalgie, engourdissement des jambes", "Dorsalgie, rétention urinaire",
    "pas de déficit moteur mais paresthésies", "Back pain with weak legs", "back pain, difficulty walking",
    "thoracic pain and numbness below the chest"])
def test_the_words_of_a_request_for_cord_signs_are_read(question: str) -> None:
    """Review 25 F1 (unsafe): weakness, gait, sensory and sphincter words are neurological signs
    (SAFE-01 rests on them); a sign outside a negation is read even beside "no deficit"."""
    assert read_request(question).neurological_deficit is True


@pytest.mark.parametrize("question", ["Pas de faiblesse des jambes", "Pas de déficit neurologique",
                                      "no neurological deficit", "sans troubles sphinctériens"])
def test_a_negated_sign_is_no_sign(question: str) -> None:
    assert read_request(question).neurological_deficit is False
