"""Re-review 25, M1: patient 2 (Bilsky 2 at T9, neurology recorded normal, Frankel E).

Expectation written from the review before the fix: the board's take-over (decision and proposal
fields) names the radiological trigger and never records neurological signs the patient does not
have; SAFE-01's Bilsky 2 and CC-01's « not systematic » dexamethasone stay as they were.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bonemet.api import board_proposal, parse_case

CASE = Path(__file__).parent / "review25_cases" / "rr25-02-bilsky-2-sans-deficit.yaml"


def test_patient_2_take_over_names_the_compression_not_neurological_signs() -> None:
    case = parse_case(yaml.safe_load(CASE.read_text(encoding="utf-8")))
    proposal = board_proposal(case)
    for lang, signs, trigger, bilsky in (
        ("fr", "signes neurologiques :", "compression épidurale de haut grade à l'imagerie "
         "(Bilsky 2, T9)", "grade de Bilsky 2"),
        ("en", "with neurological signs", "high-grade epidural compression on imaging "
         "(Bilsky 2, T9)", "Bilsky grade 2"),
    ):
        for text in (proposal.decision_text(lang), proposal.paraphrase(lang)):
            assert "avec signes neurologiques" not in text and signs not in text, text
        every = "\n".join(x.text(lang) for x in proposal.recommendations)
        assert "avec signes neurologiques" not in every and "with neurological signs" not in every
        assert trigger in every, every
        assert bilsky in every, every
