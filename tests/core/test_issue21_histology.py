"""Issue 21, class 8: the chapter's "lung cancer" is a lung carcinoma (NSCLC, SCLC, LCNEC).

Cases written from the chapter and the issue before reading the code that answers them. A bronchial
carcinoid (a well-differentiated neuroendocrine tumour, often FDG-negative; somatostatin-receptor
imaging is the usual exam), a mesothelioma (pleural, not bronchial) or a metastasis to the lung of
another primary are not the chapter's population: no chapter rating, and a reason that says why.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.api import assess, parse_case
from bonemet.model import Action, RatedModality, Rating
from bonemet.model.case import Histology
from factories import assess_doc, case_doc, exam, pet

IN_SCOPE = ["adenocarcinoma", "squamous_cell_carcinoma", "large_cell_carcinoma", "nsclc_nos", "sclc",
            "large_cell_neuroendocrine"]
OUT_OF_SCOPE = {
    "carcinoid": ("somatostatin", "somatostatine"),
    "mesothelioma": ("mesothelioma", "mésothéliome"),
    "metastasis_from_other_primary": ("primary", "primitif"),
}


def _staging(histology: str, **cancer: Any) -> dict[str, Any]:
    doc = case_doc(availability={"fdg_pet": True})
    doc["cancer"] = {"primary_site": "lung", "histology": histology, **cancer}
    return doc


@pytest.mark.parametrize("histology", IN_SCOPE)
def test_lung_carcinomas_are_in_scope_and_staged_with_fdg_pet(histology: str) -> None:
    a = assess_doc(_staging(histology))
    assert a.scope.status == "in_scope"
    assert a.rating_of(RatedModality.fdg_pet_ct).rating is Rating.usually_appropriate


@pytest.mark.parametrize("histology", sorted(OUT_OF_SCOPE))
def test_tumours_outside_the_chapter_get_no_chapter_rating_and_a_reason(histology: str) -> None:
    a = assess_doc(_staging(histology))
    assert a.scope.status == "out_of_scope"
    assert all(r.rating is Rating.no_criteria_apply for r in a.ratings)
    assert not any(r.action is Action.prefer for r in a.recommendations)
    assert a.scope.reason is not None
    en, fr = OUT_OF_SCOPE[histology]
    assert en in a.scope.reason.en.lower() and fr in a.scope.reason.fr.lower()
    # The histology is named in words, never as its code (French has no word "carcinoid").
    assert histology not in a.scope.reason.fr and "_" not in a.scope.reason.en


def test_a_typical_bronchial_carcinoid_is_not_told_fdg_pet_is_preferred() -> None:
    # The reviewers' case: staging of a typical carcinoid, no imaging yet.
    a = assess_doc(_staging("carcinoid", diagnosis_date="2025-05-10"))
    pet_rating = a.rating_of(RatedModality.fdg_pet_ct)
    assert pet_rating.rating is Rating.no_criteria_apply
    assert "FDG" in a.scope.reason.en  # the caveat: often FDG-negative


def test_mesothelioma_without_a_site_is_out_of_scope_not_unknown() -> None:
    doc = case_doc()
    doc["cancer"] = {"histology": "mesothelioma"}
    assert assess_doc(doc).scope.status == "out_of_scope"


def test_a_lung_metastasis_of_another_primary_is_out_of_scope_whatever_the_site_typed() -> None:
    # A kidney cancer's lung metastasis typed as site "lung": the primary decides, not the organ.
    doc = _staging("metastasis_from_other_primary")
    a = assess_doc(doc)
    assert a.scope.status == "out_of_scope"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histology=st.sampled_from(sorted(OUT_OF_SCOPE)),
       phase=st.sampled_from(["staging", "on_treatment", "follow_up"]),
       pain=st.booleans(), exams=st.lists(st.sampled_from([
           pet("2025-05-20", pet_coverage="skull_base_to_mid_thigh"),
           exam("bone_scan", "2025-05-01", result="equivocal"),
           exam("bone_scan", "2025-04-01", result="positive", lesions=[{"site": "sacrum"}]),
       ]), max_size=2, unique_by=lambda e: e["id"]))
def test_out_of_scope_histology_never_gets_a_chapter_rating(histology: str, phase: str, pain: bool,
                                                            exams: list[dict[str, Any]]) -> None:
    doc = _staging(histology)
    doc["context"] = {**doc["context"], "phase": phase, "new_bone_pain": pain}
    doc["exams"] = exams
    a = assess(parse_case(doc))
    assert a.scope.status == "out_of_scope"
    assert {r.rating for r in a.ratings} == {Rating.no_criteria_apply}


def test_every_histology_has_a_decided_scope() -> None:
    # A new histology value must be placed in or out of the chapter by a decision (docs/scope.md).
    decided = set(IN_SCOPE) | set(OUT_OF_SCOPE) | {"other"}
    assert {h.value for h in Histology} == decided
