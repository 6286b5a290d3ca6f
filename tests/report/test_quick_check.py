"""The quick request check (issue 13): one requested exam judged by the core's own assessment.

From the chapter: at staging without PET, a bone scan is possible but FDG-PET is better (REC1,
NM-02); after a staging PET the bone scan is not indicated (F10, NM-01) and no exam already done is
offered; the only effective dose the chapter gives is the bone scan's, about 4 mSv (F02).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bonemet.api import assess, load_case, parse_case
from bonemet.demo import demo_cases
from bonemet.kb import default_kb
from bonemet.model import RatedModality, Rating
from bonemet.report.quick_check import check_request, doses, minimal_case

KB = default_kb()
DEMOS = {load_case(p).case_id: load_case(p) for p in demo_cases()}


def test_only_the_bone_scan_has_a_dose_and_it_is_the_chapters() -> None:
    table = doses(KB)
    assert set(table) == {RatedModality.bone_scan}
    dose = table[RatedModality.bone_scan]
    assert (dose.value, dose.approx, dose.statement_id) == (4, True, "F02")
    assert dose.references == KB.statements["F02"].refs


def test_staging_without_pet_bone_scan_request_gets_pet_as_better_alternative() -> None:
    a = assess(DEMOS["demo-01-staging-no-pet"])
    check = check_request(a, RatedModality.bone_scan, KB)
    assert check.rating is Rating.may_be_appropriate
    assert check.trace is not None and check.trace.rule_id == "NM-02" and check.trace.references
    assert check.alternative is not None and check.alternative.modality is RatedModality.fdg_pet_ct
    assert check.alternative.rating is Rating.usually_appropriate
    assert check.dose is not None and check.alternative_dose is None  # no FDG-PET dose in the chapter


def test_bone_scan_after_staging_pet_is_refused_and_pet_is_not_offered_again() -> None:
    doc = minimal_case(phase="staging", question=None, primary_site="lung", histology=None,
                       as_of="2026-11-27", exams=[{"modality": "fdg_pet_ct", "date": "2026-11-20",
                                                   "purpose": "staging", "result": "negative"}])
    check = check_request(assess(parse_case(doc)), RatedModality.bone_scan, KB)
    assert check.rating is Rating.usually_not_appropriate
    assert check.trace is not None and check.trace.rule_id == "NM-01"
    assert check.alternative is None or check.alternative.modality is not RatedModality.fdg_pet_ct


def test_no_primary_site_is_assumed_from_the_minimal_context() -> None:
    doc = minimal_case(phase="staging", question=None, primary_site=None, histology="adenocarcinoma",
                       as_of="2026-11-27", exams=[])
    check = check_request(assess(parse_case(doc)), RatedModality.fdg_pet_ct, KB)
    assert not check.in_scope and check.alternative is None
    assert check.rating is Rating.no_criteria_apply


@pytest.mark.parametrize("case_id", sorted(DEMOS))
@pytest.mark.parametrize("exam", list(RatedModality))
def test_check_repeats_the_assessment_and_never_offers_a_worse_alternative(case_id: str,
                                                                          exam: RatedModality) -> None:
    a = assess(DEMOS[case_id])
    check = check_request(a, exam, KB)
    assert check.reason == a.rating_of(exam)  # no logic of its own: the assessment's rating
    if check.alternative is not None:
        order = [Rating.usually_appropriate, Rating.may_be_appropriate]
        assert check.alternative.rating in order
        if check.rating in order and check.alternative.priority != "urgent":
            assert order.index(check.alternative.rating) < order.index(check.rating)


# ---- review 13 (clinical reviewer's cases, tests/report/cases/) ------------------------------

CASES = Path(__file__).parent / "cases"


def review_case(name: str) -> object:
    return load_case(next(CASES.glob(f"{name}-*.yaml")))


def test_r13_c09_bone_scan_alternative_is_the_whole_spine_mri_of_safe01() -> None:
    """M3: the alternative to a bone scan under SAFE-01 is named as SAFE-01 names it."""
    check = check_request(assess(review_case("c09")), RatedModality.bone_scan, KB)  # type: ignore[arg-type]
    assert check.alternative is not None and check.alternative.rule_id == "SAFE-01"
    assert check.alternative_label == KB.rules["SAFE-01"].messages["exam_label"]


def test_r13_c03_bone_scan_check_carries_nm03_targeted_imaging() -> None:
    """M1: the quick check of a bone scan after a PET stopping at mid-thigh names NM-03's advice."""
    check = check_request(assess(review_case("c03")), RatedModality.bone_scan, KB)  # type: ignore[arg-type]
    assert check.rating is Rating.usually_not_appropriate
    assert [n.trace.rule_id for n in check.notes] == ["NM-03"]
    assert "targeted MRI or CT" in check.notes[0].text.en


@pytest.mark.parametrize("requested", [RatedModality.naf_pet_ct, RatedModality.bone_scan])
def test_r13_c04_unavailable_pet_alternative_carries_the_caveat(requested: RatedModality) -> None:
    """M2: an FDG-PET the centre does not offer is never the bare "better alternative"."""
    check = check_request(assess(review_case("c04")), requested, KB)  # type: ignore[arg-type]
    if check.alternative is not None and check.alternative.modality is RatedModality.fdg_pet_ct:
        assert check.alternative_unavailable
        assert [n.trace.rule_id for n in check.alternative_advice] == ["NM-02"]
    assert check.alternative is not None  # c04: FDG-PET is still rated better (NM-02)
