"""The core's in-sentence names agree with the display labels (report/labels.yaml), and no raw
code reaches a sentence (review, item 7)."""

from __future__ import annotations

import pytest

from bonemet.model import labels
from bonemet.model.case import Modality, SkeletalSite, TreatmentType
from bonemet.report.labels import labels as display
from factories import assess_doc, case_doc, exam

# Display labels the in-sentence form deliberately differs from (French "scanner (TDM)" for CT).
_DIFFERENT = {(Modality.ct, "fr")}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_in_sentence_names_are_the_display_labels(lang: str) -> None:
    for site in SkeletalSite:
        assert labels.SITE[site](lang) == display().enum("site", site, lang).lower()
    for modality in Modality:
        if (modality, lang) in _DIFFERENT:
            continue
        shown = display().enum("modality", modality, lang)
        assert labels.EXAM[modality](lang).lower() == shown.lower()
    for treatment in TreatmentType:  # "EGFR TKI" keeps its capitals inside a sentence
        assert labels.TREATMENT[treatment](lang).lower() == \
            display().enum("treatment_type", treatment, lang).lower()


def _texts(doc: dict[str, object]) -> list[str]:
    a = assess_doc(doc)
    return [t for r in a.recommendations for t in (r.text.en, r.text.fr)] + \
        [t for r in a.ratings for t in (r.reason.en, r.reason.fr)]


@pytest.mark.parametrize("doc", [
    case_doc("follow_up", context={"new_bone_pain": True, "pain_sites": ["femur_shaft"],
                                   "neurological_deficit": False}),
    case_doc(context={"question": "equivocal_finding"},
             exams=[exam("fdg_pet_ct", "2025-05-20", purpose="staging", result="negative",
                         pet_coverage="vertex_to_feet"),
                    exam("ct", "2025-05-20", purpose="staging", result="equivocal",
                         lesions=[{"site": "thoracic_spine", "phenotype": "blastic"}])]),
    case_doc(exams=[exam("fdg_pet_ct", "2025-05-20", purpose="staging", result="positive",
                         pet_coverage="vertex_to_feet", isolated_lesion=True,
                         lesions=[{"site": "femur_shaft"}])]),
], ids=["nm15-femur", "nm14-ct", "nm09-isolated"])
def test_no_raw_code_in_a_sentence(doc: dict[str, object]) -> None:
    texts = _texts(doc)
    assert texts
    for t in texts:
        for code in ("femur_shaft", "thoracic_spine", "the ct ", "examen ct",
                     "est negative", "bone scan du"):
            assert code not in t, (code, t)


def test_flare_reader_names_are_the_advisor_names() -> None:
    # The flare reader keeps its in-sentence names in flare.yaml and the advisor in model/labels.py:
    # one wording per site and exam whichever part of the core writes the sentence.
    from bonemet.kb.flare import load_flare_params

    flare = load_flare_params()
    assert {s: (t.en, t.fr) for s, t in flare.labels.sites.items()} == \
        {s: (t.en, t.fr) for s, t in labels.SITE.items()}
    assert {m: (t.en, t.fr) for m, t in flare.labels.modalities.items()} == \
        {m: (t.en, t.fr) for m, t in labels.EXAM.items()}
