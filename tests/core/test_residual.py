"""The assessment's probability section: when it appears, what it counts, what it proposes."""

from __future__ import annotations

import pytest

from bonemet.model.probability import ResidualProbability
from factories import assess_doc, case_doc, exam, pet


def _section(doc: dict[str, object]) -> ResidualProbability:
    section = assess_doc(doc).probability
    assert section is not None
    return section


def test_staging_without_exams_starts_from_the_documented_prior() -> None:
    s = _section(case_doc("staging"))
    assert s.status == "computed" and s.residual == pytest.approx(0.105)
    assert s.calculation is not None and s.calculation.pretest.prior_id == "nsclc_staging"
    further = {f.modality: f for f in s.further}
    assert next(iter(further)) == "fdg_pet_ct"
    assert further["fdg_pet_ct"].if_negative == pytest.approx(0.00972, abs=1e-5)  # Liu 2011
    assert further["fdg_pet_ct"].if_positive == pytest.approx(0.771, abs=1e-3)
    assert "NM-02" in s.rule_ids


def test_negative_bone_scan_at_staging_leaves_a_residual_and_pet_would_lower_it() -> None:
    doc = case_doc("staging", exams=[exam("bone_scan", "2025-05-20", result="negative")])
    s = _section(doc)
    # 10.5% x LR- 0.119 (Liu 2011) → 1.38%; a negative PET on top (LR- 0.084) → 0.12%.
    assert s.residual == pytest.approx(0.0138, abs=1e-4)
    assert "NM-11" in s.rule_ids
    pet_row = next(f for f in s.further if f.modality == "fdg_pet_ct")
    assert pet_row.if_negative == pytest.approx(0.00117, abs=1e-5)
    assert "bone_scan" not in {f.modality for f in s.further}


def test_only_the_latest_result_per_modality_and_spect_ct_replaces_the_planar_scan() -> None:
    doc = case_doc("staging", exams=[
        exam("bone_scan", "2025-05-01", result="negative"),
        exam("bone_scan", "2025-05-10", result="equivocal"),
        exam("spect_ct", "2025-05-12", result="negative"),
        exam("mri", "2025-05-13", result="negative"),
    ])
    s = _section(doc)
    counted = [e.exam_id for e in s.exams if e.counted]
    assert counted == ["spect_ct-2025-05-12"]
    reasons = {e.exam_id: e.reason.en for e in s.exams if e.reason}
    assert "SPECT-CT" in reasons["bone_scan-2025-05-01"]
    assert "Equivocal" in reasons["bone_scan-2025-05-10"]
    assert "not a survey" in reasons["mri-2025-05-13"]


def test_pet_not_covering_the_femurs_is_counted_with_a_caveat() -> None:
    doc = case_doc("staging", exams=[pet(result="negative", pet_coverage="skull_base_to_mid_thigh")])
    s = _section(doc)
    use = s.exams[0]
    assert use.counted and use.reason is not None and "NM-03" in use.reason.en


def test_sclc_has_no_documented_prior() -> None:
    doc = case_doc("staging", cancer={"primary_site": "lung", "histology": "sclc"})
    s = _section(doc)
    assert s.status == "likelihood_ratios_only" and s.residual is None
    assert all(f.if_negative is None and f.likelihood_ratio_negative > 0 for f in s.further)


def test_negative_scan_in_follow_up_gives_likelihood_ratios_only() -> None:
    doc = case_doc("follow_up", context={"new_bone_pain": False, "question_text": "rib lesion?"}, exams=[
        pet("2024-01-10", result="negative"),
        exam("bone_scan", "2025-05-20", purpose="follow_up", result="negative"),
    ])
    s = _section(doc)
    assert s.trigger == "negative_bone_scan" and s.status == "likelihood_ratios_only"
    assert s.combined_likelihood_ratio == pytest.approx(0.082 / 0.688)  # Liu 2011 planar LR-
    assert [e.counted for e in s.exams] == [False, True]


@pytest.mark.parametrize(("cancer", "words"), [
    ({"primary_site": "lung", "histology": "adenocarcinoma", "bone_metastases_known": True},
     "already established"),
    ({"primary_site": "kidney"}, "built for lung cancer"),
])
def test_not_applicable(cancer: dict[str, object], words: str) -> None:
    doc = case_doc("staging", cancer=cancer,
                   exams=[exam("bone_scan", "2025-05-20", result="negative")])
    s = _section(doc)
    assert s.status == "not_applicable" and words in s.note.en


def test_absent_outside_staging_without_nm11() -> None:
    assert assess_doc(case_doc("follow_up", context={"new_bone_pain": False})).probability is None


# --- Issue 21, class 3: a staging result that no longer answers staging is not counted ---------

@pytest.mark.parametrize(("pet_day", "treatments", "counted"), [
    ("2025-05-20", [], True),                                                   # 12 days old
    ("2025-03-01", [], False),                                                  # past its window
    ("2025-05-20", [{"id": "t", "type": "chemotherapy", "start": "2025-05-25"}], False),
    ("2025-05-20", [{"id": "t", "type": "denosumab", "start": "2025-05-25"}], True),
], ids=["recent", "old", "before-chemotherapy", "before-denosumab"])
def test_residual_probability_counts_only_a_pet_that_still_answers_staging(
        pet_day: str, treatments: list[dict[str, object]], counted: bool) -> None:
    a = assess_doc(case_doc(exams=[pet(date=pet_day, result="negative",
                                       pet_coverage="vertex_to_feet")], treatments=treatments))
    assert a.probability is not None and a.probability.exams
    (use,) = a.probability.exams
    assert use.counted is counted
    if not counted:
        assert use.reason is not None and "No longer answers staging" in use.reason.en
        assert a.probability.calculation is not None
        assert a.probability.residual == a.probability.calculation.pretest.value
