"""The advisor's combination of rule opinions (core/advisor.py): the most cautious rating wins.

Checked on every pair of ratings, so that a mutant which reverses the order or swaps two ratings in
it is caught (issue 17, targeted mutant run; docs/clinical-safety.md HZ-AD-10).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from test_properties import cases

from bonemet.api import assess, parse_case
from bonemet.base.text import Text
from bonemet.core.advisor import _decide
from bonemet.core.findings import Proposal
from bonemet.kb import default_kb
from bonemet.model import RatedModality, Rating
from factories import assess_doc, case_doc, pet

CAUTIOUS_FIRST = [Rating.usually_not_appropriate, Rating.may_be_appropriate,
                  Rating.usually_appropriate]
REASON = Text(en="r", fr="r")


@pytest.mark.parametrize(("a", "b"), list(itertools.permutations(CAUTIOUS_FIRST, 2)),
                         ids=lambda r: r.value)
def test_the_more_cautious_of_two_ratings_wins(a: Rating, b: Rating) -> None:
    proposals = [Proposal(RatedModality.bone_scan, a, "NM-02", REASON),
                 Proposal(RatedModality.bone_scan, b, "NM-04", REASON)]
    decided = _decide(RatedModality.bone_scan, proposals, default_kb())
    expected = min(a, b, key=CAUTIOUS_FIRST.index)
    assert decided.rating is expected
    assert decided.rule_id == ("NM-02" if expected is a else "NM-04")


def test_a_rule_that_gives_no_criterion_never_beats_a_rating() -> None:
    proposals = [Proposal(RatedModality.bone_scan, Rating.no_criteria_apply, "NM-04", REASON),
                 Proposal(RatedModality.bone_scan, Rating.usually_appropriate, "NM-05", REASON)]
    assert _decide(RatedModality.bone_scan, proposals, default_kb()).rating is \
        Rating.usually_appropriate


# --- Issue 21, class 9 (review 13, m8): a preferred alternative is never an exam rated "no" ----





@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_a_preferred_alternative_is_never_rated_usually_not_appropriate(doc: dict[str, Any]) -> None:
    a = assess(parse_case(doc))
    for r in a.ratings:
        if r.preferred_alternative is not None:
            assert a.rating_of(r.preferred_alternative).rating is not Rating.usually_not_appropriate


def test_spect_ct_at_staging_names_no_pet_once_the_pet_is_done() -> None:
    """NM-10: SPECT-CT is no survey, prefer FDG-PET; but once the staging PET is done (ADV-01) that
    PET is no alternative to offer (the CLI "Prefer" column, the CDS card and the quick check
    read this field)."""
    before = assess_doc(case_doc())
    assert before.rating_of(RatedModality.spect_ct).preferred_alternative is RatedModality.fdg_pet_ct
    after = assess_doc(case_doc(exams=[pet()]))
    assert after.rating_of(RatedModality.fdg_pet_ct).rule_id == "ADV-01"
    assert after.rating_of(RatedModality.spect_ct).preferred_alternative is None


def test_cli_prefer_column_never_names_an_exam_already_done() -> None:
    from rich.console import Console

    from bonemet.cli.render import assessment as render

    console = Console(width=200, record=True)
    console.print(render(assess_doc(case_doc(exams=[pet()])), "en"))
    row = next(line for line in console.export_text().splitlines() if line.startswith("│ SPECT"))
    assert "FDG" not in row.split("│")[4]  # modality, rating, rule, Prefer, why


def test_a_new_line_reopens_staging_but_not_the_follow_up_question() -> None:
    """The scan that led to a change of line is the new line's baseline: a follow-up (or response)
    scan done before the line started still counts as done for that question (ADV-01); only
    staging and occult disease are reopened by a treatment (rules.yaml reopened_by_treatment)."""
    line = [{"id": "l2", "type": "chemotherapy", "start": "2025-05-25", "line_number": 2}]
    scan = {"id": "bs", "date": "2025-05-20", "modality": "bone_scan", "purpose": "follow_up",
            "result": "positive", "hot_spot_count": 3}
    follow_up = assess_doc(case_doc("follow_up", context={"new_bone_pain": True,
                                                          "pain_sites": ["femur_shaft"]},
                                    exams=[scan], treatments=line))
    assert follow_up.rating_of(RatedModality.bone_scan).rule_id == "ADV-01"
    staging = assess_doc(case_doc(exams=[pet(date="2025-05-20")], treatments=line))
    assert staging.rating_of(RatedModality.fdg_pet_ct).rule_id == "NM-02"
