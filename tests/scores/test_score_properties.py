"""Properties of every points score, over inputs drawn from the tables themselves."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bonemet.kb import default_kb
from bonemet.kb.score_tables import ScoreTable
from bonemet.model.scores import MissingInputsError
from bonemet.scores import harrington, tokuhashi, tomita
from bonemet.scores.engine import compute

KB = default_kb()
SUM_SCORES = sorted(t.id for t in KB.scores.values() if t.kind == "sum")
PUBLISHED_RANGE = {"mirels": (4, 12), "sins": (0, 18), "tokuhashi": (0, 15), "tomita": (2, 10)}


def full_inputs(table: ScoreTable) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({i.id: st.sampled_from(i.allowed) for i in table.items})


def test_published_ranges_are_the_ones_declared() -> None:
    assert {s: KB.scores[s].range for s in SUM_SCORES} == PUBLISHED_RANGE


@pytest.mark.parametrize("score_id", SUM_SCORES)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_total_within_published_range_and_band_holds_it(score_id: str, data: st.DataObject) -> None:
    table = KB.scores[score_id]
    r = compute(table, data.draw(full_inputs(table)), kb_version=KB.version)
    low, high = PUBLISHED_RANGE[score_id]
    assert r.total is not None and low <= r.total <= high
    assert r.total == sum(i.points or 0 for i in r.items) and len(r.items) == len(table.items)
    band = next(b for b in table.bands if b.id == r.band.id)
    assert band.min is not None and band.max is not None and band.min <= r.total <= band.max


@pytest.mark.parametrize("score_id", SUM_SCORES)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_one_category_change_moves_total_by_that_rows_difference(score_id: str, data: st.DataObject) -> None:
    table = KB.scores[score_id]
    inputs = data.draw(full_inputs(table))
    item = data.draw(st.sampled_from(table.items))
    index = item.allowed.index(inputs[item.id])
    neighbours = [j for j in (index - 1, index + 1) if 0 <= j < len(item.options)]
    j = data.draw(st.sampled_from(neighbours))
    before = compute(table, inputs, kb_version=KB.version).total
    after = compute(table, {**inputs, item.id: item.allowed[j]}, kb_version=KB.version).total
    assert before is not None and after is not None
    assert after - before == (item.options[j].points or 0) - (item.options[index].points or 0)


@pytest.mark.parametrize("score_id", SUM_SCORES)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_missing_input_is_an_error_never_a_partial_sum(score_id: str, data: st.DataObject) -> None:
    table = KB.scores[score_id]
    inputs = data.draw(full_inputs(table))
    dropped = data.draw(st.sets(st.sampled_from([i.id for i in table.items]), min_size=1))
    partial = {k: (None if k in dropped else v) for k, v in inputs.items()}
    if data.draw(st.booleans()):
        partial = {k: v for k, v in partial.items() if v is not None}  # absent rather than None
    with pytest.raises(MissingInputsError) as info:
        compute(table, partial, kb_version=KB.version)
    assert {m.item for m in info.value.missing} == dropped
    assert all(m.allowed for m in info.value.missing)


TOKUHASHI = KB.scores["tokuhashi"]


@settings(max_examples=200, deadline=None)
@given(inputs=full_inputs(TOKUHASHI))
def test_lung_primary_never_scores_tokuhashi_above_10(inputs: dict[str, str]) -> None:
    r = tokuhashi.score(**{**inputs, "primary_site": "lung"})
    assert r.total is not None and r.total <= 10
    assert r.band.id != "ge-1-year"


@settings(max_examples=100, deadline=None)
@given(visceral=st.sampled_from(["none", "treatable", "untreatable"]),
       bone=st.sampled_from(["solitary", "multiple"]))
def test_lung_primary_never_scores_tomita_below_5(visceral: str, bone: str) -> None:
    r = tomita.score(primary_site="lung", visceral_metastases=visceral, bone_metastases=bone)
    assert r.total is not None and r.total >= 5
    assert r.band.id != "long-term-control"


@settings(max_examples=100, deadline=None)
@given(resectable=st.sampled_from(["yes", "no"]), medial=st.sampled_from(["intact", "deficient"]),
       lateral=st.sampled_from(["intact", "deficient"]))
def test_harrington_every_combination_of_findings_has_one_class(resectable: str, medial: str,
                                                                 lateral: str) -> None:
    r = harrington.score(resectable_for_cure=resectable, medial_wall=medial, lateral_wall_or_roof=lateral)
    assert r.grade is not None and r.grade.id in {"I", "II", "III", "IV"}
    assert (r.grade.id == "IV") == (resectable == "yes")
