"""Clinical review of the merged code (notes/review.md): cases C10, C04, C01, C07, C03, ADV-01.

Each test reads a clinical property the review found broken, not a wording."""

from __future__ import annotations

from typing import Any

import pytest

from bonemet.api import parse_case
from bonemet.kb import default_kb
from bonemet.model import Action, RatedModality, Rating
from bonemet.service.cards import CardContext, patient_cards
from bonemet.service.texts import default_texts
from factories import assess_doc, case_doc, exam

TMRI = RatedModality.targeted_mri


def _cord(cancer: dict[str, Any] | None = None) -> dict[str, Any]:
    """Review case C10: on treatment, new lumbar pain with leg weakness, response scan asked."""
    return case_doc(
        "on_treatment", cancer=cancer or {"primary_site": "lung", "bone_metastases_known": True},
        context={"as_of": "2026-01-12", "question": "response_assessment", "new_bone_pain": True,
                 "pain_sites": ["lumbar_spine"], "neurological_deficit": True},
        treatments=[{"id": "l1", "type": "chemotherapy", "agents": ["carboplatin", "pemetrexed"],
                     "start": "2025-09-20", "line_number": 1}],
        exams=[exam("fdg_pet_ct", "2025-09-10", purpose="staging", result="positive",
                    pet_coverage="vertex_to_feet",
                    lesions=[{"site": "lumbar_spine", "level": "L2", "phenotype": "lytic"}])])


# --- C10: suspected cord compression comes first and nothing competes with the MRI ---------------

def test_cord_compression_alert_first_urgent_and_nothing_competes() -> None:
    a = assess_doc(_cord())
    first = a.recommendations[0]
    assert (first.rule_id, first.action, first.priority) == ("SAFE-01", Action.urgent_alert, "urgent")
    assert all(r.priority == "routine" for r in a.recommendations if r.rule_id != "SAFE-01")
    assert a.ratings[0].modality is TMRI and a.ratings[0].rule_id == "SAFE-01"
    for r in a.ratings:
        if r.modality is TMRI:
            assert r.rating is Rating.usually_appropriate
        else:  # bone scan, PET, targeted CT: not now, whole-spine MRI first
            assert r.rating in (Rating.usually_not_appropriate, Rating.no_criteria_apply), r
            if r.rating is Rating.usually_not_appropriate:
                assert r.rule_id == "SAFE-01"
    # NM-15 must not send the patient to an MRI of the painful site only
    nm15 = [r for r in a.recommendations if r.rule_id == "NM-15"]
    assert nm15 and all("whole spine" in r.text.en for r in nm15
                        if r.action is Action.targeted_imaging)
    dumped = a.model_dump(mode="json")
    assert dumped["recommendations"][0]["priority"] == "urgent"


def test_cord_compression_management_is_labelled_outside_the_chapter() -> None:
    a = assess_doc(_cord())
    managed = [r for r in a.recommendations if r.rule_id == "SAFE-01" and "dexamethasone" in r.text.en]
    assert managed and managed[0].outside_chapter and managed[0].priority == "urgent"
    assert any("NG234" in s for s in managed[0].sources)
    assert "dexaméthasone" in managed[0].text.fr


@pytest.mark.parametrize("cancer", [{"primary_site": "lung", "diagnosis": "suspected",
                                     "bone_metastases_known": True},
                                    {"primary_site": "lung", "bone_metastases_known": True}],
                         ids=["suspected-lung", "confirmed-lung"])
def test_cord_compression_reaches_the_ehr_as_a_critical_card(cancer: dict[str, Any]) -> None:
    case = parse_case(_cord(cancer))
    from bonemet.api import assess
    a = assess(case)
    cc = CardContext(default_kb(), default_texts(), "en", "http://x", "h")
    cards = patient_cards(a, case, cc)
    critical = [c for c in cards if c.indicator == "critical"]
    assert len(critical) == 1 and "SAFE-01" in critical[0].summary
    if not a.scope.in_scope:
        assert cards == critical  # nothing else outside the scope
        assert all(r.rating is Rating.no_criteria_apply for r in a.ratings)


# --- C04: an equivocal focus at follow-up is a clinical question -------------------------------

def test_nm04_reads_the_question_raised_by_an_equivocal_focus() -> None:
    a = assess_doc(case_doc("follow_up", context={"as_of": "2026-01-20", "new_bone_pain": False},
                            exams=[exam("bone_scan", "2026-01-15", purpose="follow_up",
                                        result="equivocal",
                                        lesions=[{"site": "lumbar_spine", "suspicious": True}])]))
    nm04 = [r for r in a.recommendations if r.rule_id == "NM-04"]
    assert all("no specific clinical question" not in r.text.en for r in nm04)
    assert a.rating_of(RatedModality.spect_ct).rating is Rating.usually_appropriate
    assert a.rating_of(RatedModality.fdg_pet_ct).rating is Rating.usually_appropriate
    assert a.rating_of(RatedModality.bone_scan).rule_id != "NM-04"


# --- C01: a rating and its reason agree ----------------------------------------------------------

def test_naf_pet_not_offered_is_not_rated_may_be_appropriate() -> None:
    a = assess_doc(case_doc(availability={"fdg_pet": True, "naf_pet": False}))
    naf = a.rating_of(RatedModality.naf_pet_ct)
    assert naf.rating is Rating.no_criteria_apply
    assert "not offered" in naf.reason.en


# --- C07: missing data matches the exams of the case ---------------------------------------------

def test_equivocal_finding_on_ct_does_not_ask_for_a_bone_scan() -> None:
    a = assess_doc(case_doc(context={"as_of": "2026-03-24", "question": "equivocal_finding"},
                            exams=[exam("fdg_pet_ct", "2026-03-20", purpose="staging",
                                        result="negative", pet_coverage="vertex_to_feet"),
                                   exam("ct", "2026-03-20", purpose="staging", result="equivocal",
                                        lesions=[{"site": "thoracic_spine", "phenotype": "blastic"}])]))
    assert not [m for m in a.missing_data if "bone scan" in m.reason.en]


# --- C03: nothing offered as if a pending report were known --------------------------------------

def test_further_exams_wait_for_a_pending_report() -> None:
    a = assess_doc(case_doc(context={"as_of": "2026-04-10", "question": "staging"},
                            exams=[exam("fdg_pet_ct", "2026-04-08", purpose="staging",
                                        pet_coverage="vertex_to_feet")]))
    assert a.probability is not None
    assert a.probability.further == ()
    assert any("pending" in t.en and "fdg_pet_ct-2026-04-08" in t.en for t in a.probability.assumptions)


# --- ADV-01 cites statements that fit the question -----------------------------------------------

@pytest.mark.parametrize(("phase", "modality", "purpose", "cited", "not_cited"), [
    ("staging", "fdg_pet_ct", "staging", "F10", None),
    ("follow_up", "bone_scan", "follow_up", "F23", "F10"),
])
def test_adv01_cites_statements_of_its_question(phase: str, modality: str, purpose: str,
                                                cited: str, not_cited: str | None) -> None:
    fields: dict[str, Any] = {"pet_coverage": "vertex_to_feet"} if modality == "fdg_pet_ct" else {}
    a = assess_doc(case_doc(phase, context={"as_of": "2025-06-01", "new_bone_pain": False},
                            exams=[exam(modality, "2025-05-25", purpose=purpose,
                                        result="negative", **fields)]))
    adv = [r for r in a.recommendations if r.rule_id == "ADV-01"]
    assert adv
    assert cited in adv[0].statement_ids
    if not_cited:
        assert not_cited not in adv[0].statement_ids
