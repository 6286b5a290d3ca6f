"""Scores inside `assess`: what a case asks for, what is derived from it, what is reported missing."""

from __future__ import annotations

from typing import Any

import pytest

from bonemet.api import InputError, parse_case
from factories import assess_doc, case_doc, exam


def mri(*lesions: dict[str, Any]) -> dict[str, Any]:
    return exam("mri", "2025-05-20", purpose="characterisation", result="positive", lesions=list(lesions))


def test_case_without_score_inputs_has_no_scores_section() -> None:
    a = assess_doc(case_doc(exams=[mri({"site": "thoracic_spine", "level": "T8", "phenotype": "lytic"})]))
    assert a.scores is None
    assert a.schema_version == "1.2"


def test_spinal_lesion_gets_sins_and_bilsky_with_derived_location_and_lesion() -> None:
    lesion = {"site": "thoracic_spine", "level": "T11", "phenotype": "lytic",
              "sins": {"pain": "mechanical", "alignment": "normal", "collapse": "lt-50",
                       "posterolateral": "bilateral"}, "bilsky": "1c"}
    a = assess_doc(case_doc(exams=[mri(lesion)]))
    assert a.scores is not None and not a.scores.incomplete
    by_id = {r.score: r for r in a.scores.computed}
    assert by_id["sins"].total == 13 and by_id["sins"].band.id == "unstable"
    derived = {i.item: i.derived_from for i in by_id["sins"].items if i.derived_from}
    assert derived == {"location": "exams[0].lesions[0].level", "lesion": "exams[0].lesions[0].phenotype"}
    assert by_id["bilsky"].grade is not None and by_id["bilsky"].band.id == "low-grade"
    assert by_id["sins"].subject == "exams[0].lesions[0]"


def test_missing_inputs_are_listed_by_case_path_never_summed() -> None:
    lesion = {"site": "lumbar_spine", "level": "L3", "sins": {"pain": "occasional"}}
    a = assess_doc(case_doc(exams=[mri(lesion)]))
    assert a.scores is not None and not a.scores.computed
    missing = {s.score: [m.field for m in s.missing] for s in a.scores.incomplete}
    assert missing["sins"] == [f"exams[0].lesions[0].sins.{k}"
                               for k in ("lesion", "alignment", "collapse", "posterolateral")]
    assert missing["bilsky"] == ["exams[0].lesions[0].bilsky"]


def test_patient_block_derives_lung_primary_karnofsky_and_frankel() -> None:
    doc = case_doc(score_inputs={
        "tokuhashi": {"karnofsky": 90, "extraspinal_bone_metastases": "0", "vertebral_body_metastases": 1,
                      "internal_organ_metastases": "none"},
        "tomita": {"visceral_metastases": "none", "bone_metastases": "solitary"}, "frankel": "E"})
    a = assess_doc(doc)
    assert a.scores is not None
    by_id = {r.score: r for r in a.scores.computed}
    assert by_id["tokuhashi"].total == 10  # lung maximum
    assert {t.id: t.status for t in by_id["tokuhashi"].thresholds}["surgery-recommended"] == "met"
    assert by_id["tomita"].total == 5  # lung minimum
    assert by_id["frankel"].links[0].value == "none"
    sources = {i.item: i.derived_from for i in by_id["tokuhashi"].items}
    assert sources["primary_site"] == "cancer.primary_site"
    assert sources["palsy"] == "score_inputs.frankel"
    assert sources["general_condition"] == "score_inputs.tokuhashi.karnofsky"


def test_non_lung_other_primary_is_not_guessed() -> None:
    doc = case_doc(cancer={"primary_site": "other"}, score_inputs={"tomita": {}})
    a = assess_doc(doc)
    assert a.scores is not None
    tomita = next(s for s in a.scores.incomplete if s.score == "tomita")
    assert "score_inputs.tomita.primary_growth" in [m.field for m in tomita.missing]


def test_mirels_guideline_rule_and_harrington_from_a_case() -> None:
    femur = {"site": "femur_shaft", "phenotype": "lytic",
             "mirels": {"pain": "functional", "size": "gt-2/3", "axial_lysis_percent": 35,
                        "circumferential_lysis_percent": 55}}
    hip = {"site": "acetabulum", "harrington": {"resectable_for_cure": False, "medial_wall": "deficient",
                                                "lateral_wall_or_roof": "deficient"}}
    a = assess_doc(case_doc(exams=[mri(femur, hip)]))
    assert a.scores is not None
    by_id = {r.score: r for r in a.scores.computed}
    assert by_id["mirels"].total == 11  # lower limb 2 (from femur_shaft) + 3 + 3 + 3
    assert by_id["mirels"].thresholds[0].status == "met"
    assert by_id["harrington"].grade is not None and by_id["harrington"].grade.id == "III"


@pytest.mark.parametrize(("lesion", "message"), [
    ({"site": "ribs", "mirels": {"pain": "mild"}}, "mirels does not apply to site 'ribs'"),
    ({"site": "femur_shaft", "sins": {}}, "sins does not apply to site 'femur_shaft'"),
    ({"site": "humerus", "bilsky": "2"}, "bilsky does not apply"),
    ({"site": "thoracic_spine", "bilsky": "4"}, "bilsky: Input should be"),
    ({"site": "humerus", "mirels": {"size": "half"}}, "mirels.size: Input should be"),
    ({"site": "humerus", "mirels": {"axial_lysis_percent": 130}}, "less than or equal to 100"),
    ({"site": "acetabulum", "harrington": {"classification": "II", "medial_wall": "intact"}},
     "either the Harrington classification or its findings"),
])
def test_bad_score_inputs_name_the_field(lesion: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_case(case_doc(exams=[mri(lesion)]))
    assert any(message in str(p) for p in info.value.problems), info.value.problems


@pytest.mark.parametrize(("block", "message"), [
    ({"tokuhashi": {"karnofsky": 45}}, "multiple of 10"),
    ({"tokuhashi": {"karnofsky": 80, "general_condition": "good"}}, "not both"),
    ({"frankel": "F"}, "score_inputs.frankel: Input should be"),
])
def test_bad_patient_block_names_the_field(block: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_case(case_doc(score_inputs=block))
    assert any(message in str(p) for p in info.value.problems), info.value.problems
