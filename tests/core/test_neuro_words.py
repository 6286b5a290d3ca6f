"""Neurological symptoms or signs written in free text (review 25 re-review U1, U2).

The wordings are the re-reviewer's (a French thoracic oncologist's requests), written before the
reader was extended; each must raise SAFE-01 wherever it is written: the quick check's question and
the question stored with a case.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bonemet.core.neuro_words import named_sign
from bonemet.report.request_reading import read_request
from factories import assess_doc, case_doc

SIGNS = [
    "Dorsalgie et jambes qui se dérobent",
    "Dorsalgie, perte de force du bras gauche",
    "Lombalgie, jambes lourdes depuis 2 jours",
    "Dorsalgie et chutes répétées",
    "Lombalgies, ne tient plus debout",
    "Syndrome de la queue de cheval ?",
    "Dorsalgie T10, Frankel C",
    "Cervicalgie, ASIA D",
    "Dorsalgies T8 et paraparésie depuis 3 jours : radiothérapie antalgique ?",
    "Dorsalgie avec faiblesse des jambes",
    "Back pain, legs giving way",
    "Back pain and unable to walk since yesterday",
    "Pas de déficit moteur mais paresthésies des membres inférieurs",
]
NO_SIGN = [
    "Pas de déficit neurologique",
    "Dorsalgie sans déficit neurologique",
    "Scintigraphie de contrôle annuelle",
    "Douleur costale droite",
    "Back pain, no neurological deficit",
]


@pytest.mark.parametrize("text", SIGNS)
def test_a_sign_in_the_question_is_read(text: str) -> None:
    assert named_sign(text) is not None
    assert read_request(text).neurological_deficit is True


@pytest.mark.parametrize("text", NO_SIGN)
def test_no_sign_is_invented(text: str) -> None:
    assert named_sign(text) is None


def _spinal_pain_case(question: str) -> dict[str, object]:
    return case_doc("on_treatment", context={"as_of": "2026-12-08", "question_text": question,
                                             "new_bone_pain": True, "pain_sites": ["thoracic_spine"]},
                    cancer={"primary_site": "lung", "histology": "adenocarcinoma",
                            "bone_metastases_known": True})


@pytest.mark.parametrize("text", SIGNS)
def test_a_sign_only_in_the_stored_question_raises_safe01(text: str) -> None:
    a = assess_doc(_spinal_pain_case(text))
    urgent = [r for r in a.ratings if r.rule_id == "SAFE-01" and r.priority == "urgent"]
    assert urgent, [(r.modality, r.rule_id, r.priority) for r in a.ratings]


def test_the_stored_question_is_named_as_the_source_with_the_words_typed() -> None:
    a = assess_doc(_spinal_pain_case("Dorsalgies T8 et paraparésie depuis 3 jours"))
    safe = [f for r in a.recommendations if r.rule_id == "SAFE-01" for f in r.facts
            if f.path == "context.question_text"]
    assert safe and safe[0].value == "paraparésie"
    assert a.plan is not None
    assert "paraparésie\u00a0» dans la question posée" in a.plan.proposals[0].text.fr


def test_a_negated_sign_in_the_question_changes_nothing() -> None:
    a = assess_doc(_spinal_pain_case("Dorsalgie T8 sans déficit neurologique"))
    assert not [r for r in a.ratings if r.rule_id == "SAFE-01" and r.priority == "urgent"]


@given(st.sampled_from(SIGNS), st.sampled_from(NO_SIGN))
def test_a_sign_anywhere_wins_over_a_negation_elsewhere(sign: str, other: str) -> None:
    assert named_sign(f"{other}. {sign}") is not None
    assert named_sign(f"{sign}. {other}") is not None
