"""Issue 21: a bone biopsy's result on the lesion it sampled settles an isolated lesion.

Cases written from the chapter (REC4: an isolated lesion needs targeted imaging, and a biopsy when
imaging cannot settle it) before reading the code that answers them. A metastasis result makes bone
metastases known; a benign result (Paget's disease, fracture, other) settles the lesion as benign; a
non-diagnostic biopsy settles nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.api import assess, parse_case
from bonemet.model import Action
from bonemet.model.case import BiopsyResult, Question
from bonemet.model.labels import BIOPSY_RESULT
from factories import assess_doc, case_doc, exam, pet

ISOLATED_PET_DATE = "2025-05-10"


def _isolated(biopsy: dict[str, Any] | None = None, site: str = "femur_proximal",
              **context: Any) -> dict[str, Any]:
    lesion: dict[str, Any] = {"site": site, "side": "right"}
    if biopsy is not None:
        lesion["biopsy"] = biopsy
    return case_doc(context=context, availability={"fdg_pet": True, "mri": True},
                    exams=[pet(ISOLATED_PET_DATE, pet_coverage="vertex_to_feet", lesions=[lesion])])


def _asks_targeted_imaging(a: Any) -> bool:
    return any(r.rule_id == "NM-09" and r.action is Action.targeted_imaging
               for r in a.recommendations)


def test_without_biopsy_an_isolated_lesion_asks_targeted_imaging() -> None:
    a = assess_doc(_isolated())
    assert Question.isolated_lesion in a.questions
    assert _asks_targeted_imaging(a)


@pytest.mark.parametrize("result", ["paget", "fracture", "other_benign"])
def test_a_benign_biopsy_settles_the_isolated_lesion_as_benign(result: str) -> None:
    a = assess_doc(_isolated({"date": "2025-05-20", "result": result}))
    assert Question.isolated_lesion not in a.questions
    assert not _asks_targeted_imaging(a)
    settled = [r for r in a.recommendations if r.rule_id == "NM-09"]
    assert settled, "the settled lesion is said, not silently dropped"
    assert any("benign" in r.text.en and "bénin" in r.text.fr for r in settled)
    assert any("exams[0].lesions[0].biopsy" in f.path for r in settled for f in r.facts)
    # The result is named in words in both languages, never as its code.
    words = BIOPSY_RESULT[BiopsyResult(result)]
    assert any(words.fr in r.text.fr and words.en in r.text.en for r in settled)
    assert all("other_benign" not in r.text.fr and "paget" not in r.text.fr for r in settled)


def test_a_metastasis_on_biopsy_makes_bone_metastases_known() -> None:
    proven = assess_doc(_isolated({"date": "2025-05-20", "result": "metastasis"}))
    declared = _isolated()
    declared["cancer"] = {**declared["cancer"], "bone_metastases_known": True}
    known = assess_doc(declared)
    assert Question.isolated_lesion not in proven.questions
    assert not _asks_targeted_imaging(proven)
    assert [(r.modality, r.rating) for r in proven.ratings] == [(r.modality, r.rating)
                                                               for r in known.ratings]


def test_a_biopsy_overrides_a_reassuring_bone_metastases_known_false() -> None:
    doc = _isolated({"date": "2025-05-20", "result": "metastasis"})
    doc["cancer"] = {**doc["cancer"], "bone_metastases_known": False}
    assert Question.isolated_lesion not in assess_doc(doc).questions


def test_a_non_diagnostic_biopsy_settles_nothing() -> None:
    a = assess_doc(_isolated({"date": "2025-05-20", "result": "non_diagnostic"}))
    assert Question.isolated_lesion in a.questions
    assert _asks_targeted_imaging(a)


def test_a_biopsy_of_another_site_does_not_settle_the_isolated_lesion() -> None:
    doc = _isolated()
    doc["exams"].insert(0, pet("2024-01-10", lesions=[{"site": "ribs", "biopsy": {
        "date": "2024-01-20", "result": "fracture"}}]))
    a = assess_doc(doc)
    assert Question.isolated_lesion in a.questions
    assert _asks_targeted_imaging(a)


def test_an_older_biopsy_of_the_site_does_not_settle_a_new_focus() -> None:
    # A fracture of the right proximal femur biopsied last year; a new single focus there now may be
    # a metastasis: only a biopsy of this lesion (recorded on it, or taken after this survey) settles it.
    doc = _isolated()
    doc["exams"].insert(0, pet("2024-03-01", lesions=[{"site": "femur_proximal", "side": "right",
                                                        "biopsy": {"date": "2024-03-15",
                                                                   "result": "fracture"}}]))
    assert Question.isolated_lesion in assess_doc(doc).questions


def test_a_biopsy_recorded_on_the_targeted_ct_settles_the_isolated_lesion() -> None:
    # The usual path: PET, targeted CT of the site, CT-guided biopsy recorded on the CT's lesion.
    doc = _isolated()
    doc["exams"].append(exam("ct", "2025-05-18", result="positive", target_site="femur_proximal",
                             lesions=[{"site": "femur_proximal", "side": "right", "biopsy": {
                                 "date": "2025-05-25", "result": "paget"}}]))
    doc["context"]["as_of"] = "2025-06-01"
    a = assess_doc(doc)
    assert Question.isolated_lesion not in a.questions
    assert not _asks_targeted_imaging(a)


def test_a_biopsy_of_the_other_side_does_not_settle() -> None:
    doc = _isolated()
    doc["exams"].append(exam("ct", "2025-05-18", result="positive", target_site="femur_proximal",
                             lesions=[{"site": "femur_proximal", "side": "left", "biopsy": {
                                 "date": "2025-05-25", "result": "paget"}}]))
    assert Question.isolated_lesion in assess_doc(doc).questions


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(result=st.sampled_from(["metastasis", "paget", "fracture", "other_benign"]),
       site=st.sampled_from(["femur_proximal", "thoracic_spine", "pelvis", "ribs", "humerus"]),
       phase=st.sampled_from(["staging", "follow_up"]), days=st.integers(0, 20))
def test_a_settling_biopsy_always_removes_the_isolated_lesion_question(
        result: str, site: str, phase: str, days: int) -> None:
    plain = _isolated(site=site, phase=phase)
    assert Question.isolated_lesion in assess(parse_case(plain)).questions
    date = f"2025-05-{10 + days:02d}"
    a = assess(parse_case(_isolated({"date": date, "result": result}, site=site, phase=phase)))
    assert Question.isolated_lesion not in a.questions
    assert not _asks_targeted_imaging(a)


def test_a_biopsied_bone_scan_focus_is_not_sent_to_spect_ct() -> None:
    # A single focus on the staging bone scan, biopsied (Paget's disease): SPECT-CT would be a second
    # targeted work-up of a settled lesion (NM-10).
    doc = case_doc(exams=[exam("bone_scan", "2025-05-10", purpose="staging", result="positive",
                               lesions=[{"site": "femur_proximal", "biopsy": {
                                   "date": "2025-05-20", "result": "paget"}}])])
    a = assess_doc(doc)
    assert not any(r.action is Action.refine_with_spect_ct for r in a.recommendations)
    doc["exams"][0]["lesions"][0]["biopsy"]["result"] = "non_diagnostic"
    assert any(r.action is Action.refine_with_spect_ct for r in assess_doc(doc).recommendations)


def test_a_metastasis_proven_elsewhere_means_a_new_single_focus_is_not_an_isolated_lesion() -> None:
    # A rib metastasis proven by biopsy last year: a single femoral focus now is a known metastatic
    # patient's new lesion, not the chapter's isolated lesion of unknown nature.
    doc = _isolated()
    doc["exams"].insert(0, pet("2024-03-01", lesions=[{"site": "ribs", "biopsy": {
        "date": "2024-03-15", "result": "metastasis"}}]))
    assert Question.isolated_lesion not in assess_doc(doc).questions
    doc["exams"][0]["lesions"][0]["biopsy"]["result"] = "fracture"
    assert Question.isolated_lesion in assess_doc(doc).questions
