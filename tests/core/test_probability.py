"""The calculator: hand-computed cases, boundaries, bad input, bounds and Bayesian properties."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bonemet.core.probability import (
    CalculationError,
    ResultBox,
    calculate,
    further_exams,
    likelihood_ratio,
    likelihood_ratios,
    post_test,
    post_test_bounds,
    post_test_sequence,
    probability_of_positive,
    wilson_interval,
)
from bonemet.kb import default_kb
from bonemet.kb.performance import PerformanceTable
from bonemet.model.probability import BinaryResult

POS, NEG = BinaryResult.positive, BinaryResult.negative


@pytest.fixture(scope="module")
def table() -> PerformanceTable:
    perf = default_kb().performance
    assert perf is not None
    return perf


# --- hand-computed ------------------------------------------------------------------------------

@pytest.mark.parametrize(("pre", "sens", "spec", "result", "expected"), [
    # The worked example: LR+ = 0.92/0.03 = 30.67, LR- = 0.08/0.97 = 0.0825.
    (0.30, 0.92, 0.97, POS, 0.929),
    (0.30, 0.92, 0.97, NEG, 0.034),
    # Chapter's SPECT-CT (F07): LR+ = 0.98/0.19 = 5.16, LR- = 0.02/0.81 = 0.0247.
    (0.50, 0.98, 0.81, POS, 0.838),
    (0.50, 0.98, 0.81, NEG, 0.024),
    # Song 2009 FDG-PET/CT from the NSCLC prior 10.5%: odds 0.1173 x 0.0577 = 0.00677.
    (0.105, 0.943, 0.988, NEG, 0.0067),
    (0.105, 0.943, 0.988, POS, 0.902),
])
def test_hand_computed(pre: float, sens: float, spec: float, result: BinaryResult,
                       expected: float) -> None:
    got = post_test(pre, likelihood_ratio(sens, spec, result))
    assert round(got, len(str(expected).split(".")[1])) == expected


def test_likelihood_ratios_by_hand() -> None:
    lr_pos, lr_neg = likelihood_ratios(0.92, 0.97)
    assert lr_pos == pytest.approx(30.6667, abs=1e-4)
    assert lr_neg == pytest.approx(0.082474, abs=1e-6)


def test_probability_of_positive() -> None:
    # 0.3 x 0.92 + 0.7 x 0.03 = 0.297
    assert probability_of_positive(0.3, 0.92, 0.97) == pytest.approx(0.297)


def test_wilson_interval_of_the_nsclc_prior() -> None:
    low, high = wilson_interval(105, 1000)
    assert (round(low, 4), round(high, 4)) == (0.0875, 0.1255)


# --- boundaries -------------------------------------------------------------------------------

@pytest.mark.parametrize("pre", [0.0, 1.0])
@pytest.mark.parametrize("lr", [0.0, 0.1, 1.0, 30.0, math.inf])
def test_certainty_is_not_updated(pre: float, lr: float) -> None:
    assert post_test(pre, lr) == pre


def test_specificity_one_makes_a_positive_certain() -> None:
    lr_pos, _ = likelihood_ratios(0.6, 1.0)
    assert math.isinf(lr_pos)
    assert post_test(0.01, lr_pos) == 1.0


def test_sensitivity_one_makes_a_negative_exclude() -> None:
    _, lr_neg = likelihood_ratios(1.0, 0.7)
    assert lr_neg == 0.0
    assert post_test(0.99, lr_neg) == 0.0


def test_lr_of_one_changes_nothing() -> None:
    assert post_test(0.37, 1.0) == pytest.approx(0.37)


# --- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("pre", [-0.01, 1.01, math.nan])
def test_pretest_outside_unit_interval(pre: float) -> None:
    with pytest.raises(CalculationError) as err:
        post_test(pre, 2.0)
    assert err.value.field == "pretest"
    assert "between 0 and 1" in err.value.reason


@pytest.mark.parametrize(("sens", "spec", "field"), [
    (1.2, 0.9, "sensitivity"), (0.9, -0.1, "specificity"), (0.9, 0.0, "specificity"),
    (0.0, 1.0, "sensitivity"),
])
def test_bad_sensitivity_or_specificity(sens: float, spec: float, field: str) -> None:
    with pytest.raises(CalculationError) as err:
        likelihood_ratios(sens, spec)
    assert err.value.field == field


def test_negative_likelihood_ratio_refused() -> None:
    with pytest.raises(CalculationError, match="likelihood_ratio"):
        post_test(0.5, -1.0)


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"tests": [("pet", POS)], "pretest": 0.3}, "test", "unknown modality 'pet'"),
    ({"tests": [("bone_scan", NEG)], "pretest": 0.3, "sources": {"bone_scan": "song2009_pet"}},
     "source", "not a bone_scan entry"),
    ({"tests": [("naf_pet_ct", NEG)], "pretest": 0.3, "sources": {"naf_pet_ct": "kruger2009_naf"}},
     "source", "numbers were not retrieved"),
    ({"tests": [("bone_scan", NEG)], "pretest": 0.3, "sources": {"bone_scan": "chapter_f09"}},
     "source", "no specificity"),
    ({"tests": [("bone_scan", NEG)], "pretest": 0.3, "sources": {"wb_mri": "wbmri2013_wbmri"}},
     "source", "not among the tests"),
    ({"tests": [("bone_scan", NEG)]}, "pretest", "either"),
    ({"tests": [("bone_scan", NEG)], "pretest": 0.3, "prior_id": "nsclc_staging"}, "pretest", "either"),
    ({"tests": [("bone_scan", NEG)], "prior_id": "sclc"}, "prior", "unknown prior"),
    ({"tests": [("bone_scan", NEG)], "pretest": 2.0}, "pretest", "between 0 and 1"),
])
def test_calculate_refuses_bad_input(table: PerformanceTable, kwargs: dict[str, object], field: str,
                                     words: str) -> None:
    tests = kwargs.pop("tests")
    with pytest.raises(CalculationError) as err:
        calculate(table, tests, **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
    assert words in err.value.reason


# --- documented calculations ------------------------------------------------------------------

def test_sequence_with_defaults(table: PerformanceTable) -> None:
    calc = calculate(table, [("bone_scan", NEG), ("fdg_pet_ct", POS)], pretest=0.3)
    # Defaults since KB 2026.12 (issue 17): Liu 2011 for both arms.
    # LR- bone scan = 0.082/0.688; LR+ PET = 0.919/0.032.
    expected = post_test_sequence(0.3, [0.082 / 0.688, 0.919 / 0.032])
    assert calc.posttest == pytest.approx(expected)
    assert [s.source.entry_id for s in calc.steps] == ["liu2011_bs", "liu2011_pet"]
    assert calc.steps[1].pretest == pytest.approx(calc.steps[0].posttest)
    assert any("conditionally independent" in a.en for a in calc.assumptions)
    assert calc.posttest_bounds is None  # no CI anywhere: no bounds, and the output says why
    assert "No bounds" in calc.bounds_method.en


def test_single_result_states_no_independence_assumption(table: PerformanceTable) -> None:
    calc = calculate(table, [("bone_scan", NEG)], pretest=0.3)
    assert not any("independent" in a.en for a in calc.assumptions)


def test_prior_carries_source_and_wilson_bounds(table: PerformanceTable) -> None:
    calc = calculate(table, [("fdg_pet_ct", NEG)], prior_id="nsclc_staging")
    assert calc.pretest.value == 0.105
    assert calc.pretest.citation is not None and "Song" in calc.pretest.citation
    assert calc.posttest_bounds is not None
    assert calc.posttest_bounds.low < calc.posttest < calc.posttest_bounds.high  # type: ignore[operator]
    assert any("liu2011_pet" in a.en for a in calc.assumptions)  # bounds are partial: said so


def test_confidence_intervals_propagate(table: PerformanceTable) -> None:
    calc = calculate(table, [("naf_pet_ct", NEG)], pretest=0.3)  # Shen 2015 with CIs
    bounds = calc.posttest_bounds
    assert bounds is not None and calc.posttest is not None
    # Corners by hand: lowest with sens 0.95 / spec 0.95, highest with sens 0.89 / spec 0.91.
    assert bounds.low == pytest.approx(post_test(0.3, 0.05 / 0.95))
    assert bounds.high == pytest.approx(post_test(0.3, 0.11 / 0.91))
    assert "monotone" in calc.bounds_method.en


def test_chapter_range_gives_bounds_and_no_point(table: PerformanceTable) -> None:
    calc = calculate(table, [("bone_scan", POS)], pretest=0.3, sources={"bone_scan": "chapter_f04"})
    assert calc.posttest is None
    assert calc.steps[0].likelihood_ratio is None
    assert calc.posttest_bounds is not None
    assert calc.posttest_bounds.high == 1.0  # specificity up to 100%: LR+ up to infinity
    assert calc.steps[0].likelihood_ratio_bounds is not None
    assert calc.steps[0].likelihood_ratio_bounds[1] == "infinity"
    assert any("range across studies" in w.en for w in calc.warnings)


def test_unconfirmed_and_all_cancer_entries_warn(table: PerformanceTable) -> None:
    calc = calculate(table, [("bone_scan", NEG), ("naf_pet_ct", NEG)], pretest=0.2,
                     sources={"bone_scan": "qu2012_bs"})
    text = " ".join(w.en for w in calc.warnings)
    assert "qu2012_bs" in text and "not confirmed" in text
    assert "shen2015_naf" in text and "mixed population" in text


def test_further_exams_from_the_prior(table: PerformanceTable) -> None:
    rows = {f.modality: f for f in further_exams(table, ["fdg_pet_ct", "bone_scan"], 0.105)}
    # Liu 2011 defaults: PET LR- 0.081/0.968 → 0.97%; bone scan LR- 0.082/0.688 → 1.38%.
    assert rows["fdg_pet_ct"].if_negative == pytest.approx(0.00972, abs=1e-5)
    assert rows["bone_scan"].if_negative == pytest.approx(0.0138, abs=1e-4)
    # A negative PET leaves less residual probability than a negative bone scan (REC1 in numbers).
    assert rows["fdg_pet_ct"].if_negative < rows["bone_scan"].if_negative  # type: ignore[operator]


# --- properties -------------------------------------------------------------------------------

probability = st.floats(min_value=0.0, max_value=1.0)
open_probability = st.floats(min_value=1e-6, max_value=1 - 1e-6)
informative = st.tuples(st.floats(0.01, 0.99), st.floats(0.01, 0.99)).filter(
    lambda t: t[0] + t[1] > 1.0 + 1e-9)


@settings(max_examples=200, deadline=None)
@given(pre=probability, test=informative)
def test_positive_never_lowers_negative_never_raises(pre: float, test: tuple[float, float]) -> None:
    sens, spec = test
    lr_pos, lr_neg = likelihood_ratios(sens, spec)
    assert lr_pos > 1 > lr_neg
    assert post_test(pre, lr_pos) >= pre - 1e-12
    assert post_test(pre, lr_neg) <= pre + 1e-12


@settings(max_examples=150, deadline=None)
@given(pre=open_probability,
       tests=st.lists(st.tuples(informative, st.sampled_from([POS, NEG])), min_size=2, max_size=4))
def test_order_does_not_matter(pre: float, tests: list[tuple[tuple[float, float], BinaryResult]]) -> None:
    lrs = [likelihood_ratio(s, p, r) for (s, p), r in tests]
    results = {round(post_test_sequence(pre, perm), 9) for perm in itertools.permutations(lrs)}
    assert max(results) - min(results) < 1e-8


@settings(max_examples=30, deadline=None)
@given(perm=st.permutations([("bone_scan", NEG), ("fdg_pet_ct", POS), ("naf_pet_ct", NEG)]))
def test_order_does_not_matter_in_calculate(perm: list[tuple[str, BinaryResult]]) -> None:
    perf = default_kb().performance
    assert perf is not None
    calc = calculate(perf, perm, prior_id="nsclc_staging")
    ref = calculate(perf, [("bone_scan", NEG), ("fdg_pet_ct", POS), ("naf_pet_ct", NEG)],
                    prior_id="nsclc_staging")
    assert calc.posttest == pytest.approx(ref.posttest)
    assert calc.posttest_bounds is not None and ref.posttest_bounds is not None
    assert calc.posttest_bounds.low == pytest.approx(ref.posttest_bounds.low)
    assert calc.posttest_bounds.high == pytest.approx(ref.posttest_bounds.high)


def _box(draw: st.DrawFn) -> tuple[float, float]:
    a, b = draw(st.floats(0.5, 0.99)), draw(st.floats(0.5, 0.99))
    return (min(a, b), max(a, b))


@st.composite
def boxes(draw: st.DrawFn) -> ResultBox:
    return ResultBox(_box(draw), _box(draw), draw(st.sampled_from([POS, NEG])))


@settings(max_examples=120, deadline=None)
@given(pre=st.tuples(open_probability, open_probability).map(lambda t: (min(t), max(t))),
       bs=st.lists(boxes(), min_size=1, max_size=3), data=st.data())
def test_bounds_are_the_extremes_over_every_corner(pre: tuple[float, float], bs: list[ResultBox],
                                                   data: st.DataObject) -> None:
    low, high = post_test_bounds(pre, bs)
    axes = [pre] + [axis for b in bs for axis in (b.sensitivity, b.specificity)]
    values = []
    for corner in itertools.product(*axes):
        lrs = [likelihood_ratio(corner[1 + 2 * i], corner[2 + 2 * i], b.result) for i, b in enumerate(bs)]
        values.append(post_test_sequence(corner[0], lrs))
    assert low == pytest.approx(min(values)) and high == pytest.approx(max(values))
    # Any point inside the box lands inside the bounds.
    inside = [data.draw(st.floats(lo, hi)) for lo, hi in axes]
    lrs = [likelihood_ratio(inside[1 + 2 * i], inside[2 + 2 * i], b.result) for i, b in enumerate(bs)]
    assert low - 1e-12 <= post_test_sequence(inside[0], lrs) <= high + 1e-12
