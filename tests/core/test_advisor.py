"""The advisor's combination of rule opinions (core/advisor.py): the most cautious rating wins.

Checked on every pair of ratings, so that a mutant which reverses the order or swaps two ratings in
it is caught (issue 17, targeted mutant run; docs/clinical-safety.md HZ-AD-10).
"""

from __future__ import annotations

import itertools

import pytest

from bonemet.base.text import Text
from bonemet.core.advisor import _decide
from bonemet.core.findings import Proposal
from bonemet.kb import default_kb
from bonemet.model import RatedModality, Rating

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
