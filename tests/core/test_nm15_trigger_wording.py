"""NM-15's whole-spine sentence names what actually made the case urgent (re-review 25, M1).

Written from the review before the code: a Bilsky 2 at T9 with neurology recorded normal (Frankel
E) printed « avec signes neurologiques », a finding the patient did not have, and the board's
take-over copied it into the decision. The sentence must say neurological signs only when a deficit
is recorded, the high-grade compression on imaging when that is the trigger, and the contradiction
(never the reassuring side) when the record disagrees with itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from bonemet.model.assessment import Action
from factories import assess_doc, case_doc, exam

SPINE_PAIN = {"new_bone_pain": True, "pain_sites": ["thoracic_spine"]}
T9_BILSKY_2 = [exam("mri", "2025-05-30", result="positive", target_site="thoracic_spine",
                    lesions=[{"site": "thoracic_spine", "level": "T9", "bilsky": "2"}])]


def _nm15(**overrides: Any) -> tuple[str, str]:
    doc = case_doc("on_treatment", **overrides)
    a = assess_doc(doc)
    rec = next(r for r in a.recommendations
               if r.rule_id == "NM-15" and r.action is Action.targeted_imaging)
    return rec.text.en, rec.text.fr


# (id, case overrides, words that must be there, words that must not be there)
CASES: list[tuple[str, dict[str, Any], tuple[str, ...], tuple[str, ...]]] = [
    ("neuro_true",
     {"context": {**SPINE_PAIN, "neurological_deficit": True}},
     ("with neurological signs", "avec signes neurologiques", "whole spine"),
     ("Bilsky", "contradict", "CONTRAD")),
    ("radiological_only",
     {"context": {**SPINE_PAIN, "neurological_deficit": False}, "score_inputs": {"frankel": "E"},
      "exams": T9_BILSKY_2},
     ("with high-grade epidural compression on imaging (Bilsky 2, T9)",
      "avec compression épidurale de haut grade à l'imagerie (Bilsky 2, T9)", "whole spine",
      "rachis entier"),
     ("neurological signs", "signes neurologiques", "deficit", "déficit")),
    ("radiological_neuro_not_recorded",
     {"context": SPINE_PAIN, "exams": T9_BILSKY_2},
     ("(Bilsky 2, T9)",),
     ("neurological signs", "signes neurologiques")),
    ("contradicted",
     {"context": {**SPINE_PAIN, "neurological_deficit": False}, "score_inputs": {"frankel": "C"}},
     ("contradictory neurological status", "état neurologique contradictoire", "whole spine"),
     ("with neurological signs", "avec signes neurologiques", "no neurological", "pas de déficit")),
    ("contradicted_with_compression",
     {"context": {**SPINE_PAIN, "neurological_deficit": False}, "score_inputs": {"frankel": "C"},
      "exams": T9_BILSKY_2},
     ("(Bilsky 2, T9)", "contradictory neurological status",
      "état neurologique contradictoire"),
     ("with neurological signs", "avec signes neurologiques", "no neurological")),
    ("both",
     {"context": {**SPINE_PAIN, "neurological_deficit": True}, "exams": T9_BILSKY_2},
     ("with neurological signs and high-grade epidural compression on imaging (Bilsky 2, T9)",
      "avec signes neurologiques et compression épidurale de haut grade à l'imagerie "
      "(Bilsky 2, T9)"),
     ("contradict",)),
    ("no_trigger",
     {"context": {**SPINE_PAIN, "neurological_deficit": False}},
     ("targeted MRI (or CT) of the painful site",),
     ("neurological", "Bilsky", "whole spine")),
]


@pytest.mark.parametrize(("overrides", "present", "absent"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_nm15_names_the_trigger_it_has(overrides: dict[str, Any], present: tuple[str, ...],
                                       absent: tuple[str, ...]) -> None:
    en, fr = _nm15(**overrides)
    both = en + "\n" + fr
    for words in present:
        assert words in both, (words, both)
    for words in absent:
        assert words not in both, (words, both)


@pytest.mark.parametrize("overrides", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_nm15_french_spacing_and_no_raw_codes(overrides: dict[str, Any]) -> None:
    _, fr = _nm15(**overrides)
    for mark in ":;?!":
        assert f" {mark}" not in fr and all(
            fr[i - 1] == "\u00a0" for i, ch in enumerate(fr) if ch == mark and i), fr
    assert "thoracic_spine" not in fr and "_" not in fr
