"""Bayes on the odds scale: likelihood ratios, post-test probabilities and their bounds.

Pure functions. Probabilities are floats in [0, 1]; an infinite likelihood ratio (specificity 1) is
`math.inf`. Bounds use monotonicity: the post-test probability rises with the pre-test probability
and with every LR, and LR+ rises (LR- falls) with both sensitivity and specificity, so its extremes
over the box of confidence intervals sit at two known corners of that box.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bonemet.base.provenance import Interval, SourceUsed
from bonemet.base.text import Text
from bonemet.errors import CalculationError as CalculationError  # re-exported: the calculator's error
from bonemet.kb.performance import (
    EntryFigures,
    ModalityPerformance,
    PerformanceEntry,
    PerformanceTable,
    build_source_used,
    lr_pair,
)
from bonemet.model.probability import BinaryResult, Calculation, FurtherExam, LikelihoodRatio, Pretest, Step

Z95 = 1.959963984540054


def _probability(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:  # also refuses NaN, for which every comparison is false
        raise CalculationError(name, f"must be a probability between 0 and 1 (got {value!r})")
    return float(value)


def likelihood_ratios(sensitivity: float, specificity: float) -> tuple[float, float]:
    """(LR+, LR-) = (sens / (1 - spec), (1 - sens) / spec); LR+ is inf when spec = 1."""
    sens = _probability("sensitivity", sensitivity)
    spec = _probability("specificity", specificity)
    if sens == 0.0 and spec == 1.0:
        raise CalculationError("sensitivity", "a test with sensitivity 0 and specificity 1 is never "
                                              "positive: it has no likelihood ratio")
    if spec == 0.0:
        raise CalculationError("specificity", "specificity 0: every patient without disease is "
                                              "positive, LR- is undefined")
    return lr_pair(sens, spec)


def likelihood_ratio(sensitivity: float, specificity: float, result: BinaryResult) -> float:
    positive, negative = likelihood_ratios(sensitivity, specificity)
    return positive if result is BinaryResult.positive else negative


def post_test(pretest: float, lr: float) -> float:
    """Probability after one result with likelihood ratio `lr` (0 <= lr <= inf).

    A pre-test probability of 0 or 1 is a certainty and is returned unchanged (this also settles
    0 x inf, which has no value on the odds scale).
    """
    p = _probability("pretest", pretest)
    if math.isnan(lr) or lr < 0:
        raise CalculationError("likelihood_ratio", f"must be >= 0 (got {lr!r})")
    if p in (0.0, 1.0):
        return p
    if math.isinf(lr):
        return 1.0
    odds = p / (1.0 - p) * lr
    return odds / (1.0 + odds)


def post_test_sequence(pretest: float, lrs: Iterable[float]) -> float:
    """Apply results one after the other, assuming conditional independence given disease status."""
    p = pretest
    for lr in lrs:
        p = post_test(p, lr)
    return _probability("pretest", p)


def probability_of_positive(pretest: float, sensitivity: float, specificity: float) -> float:
    """Chance that the exam comes back positive: p·sens + (1 − p)·(1 − spec)."""
    p = _probability("pretest", pretest)
    return p * sensitivity + (1.0 - p) * (1.0 - specificity)


def wilson_interval(events: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (better than the Wald interval near 0 and 1)."""
    if n <= 0 or not 0 <= events <= n:
        raise CalculationError("prior", f"need 0 <= events <= n and n > 0 (got {events}/{n})")
    phat = events / n
    denom = 1.0 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class ResultBox:
    """One result with the box its sensitivity and specificity may lie in (points: lo == hi)."""

    sensitivity: tuple[float, float]
    specificity: tuple[float, float]
    result: BinaryResult

    def lr_range(self) -> tuple[float, float]:
        (s_lo, s_hi), (p_lo, p_hi) = self.sensitivity, self.specificity
        if self.result is BinaryResult.positive:
            return likelihood_ratios(s_lo, p_lo)[0], likelihood_ratios(s_hi, p_hi)[0]
        return likelihood_ratios(s_hi, p_hi)[1], likelihood_ratios(s_lo, p_lo)[1]


def post_test_bounds(pretest: tuple[float, float], boxes: Sequence[ResultBox]) -> tuple[float, float]:
    """Lowest and highest post-test probability over the whole box (exact, by monotonicity)."""
    ranges = [b.lr_range() for b in boxes]
    low = post_test_sequence(pretest[0], (r[0] for r in ranges))
    high = post_test_sequence(pretest[1], (r[1] for r in ranges))
    return low, high


# --- From the performance table to a documented calculation -------------------------------------

def _json_lr(value: float) -> LikelihoodRatio:
    return "infinity" if math.isinf(value) else value


def source_used(table: PerformanceTable, modality: ModalityPerformance,
                entry: PerformanceEntry) -> SourceUsed:
    """The provenance block of an entry (built once, when the table was loaded, if computable)."""
    fig = table.figures.get((modality.id, entry.id))
    return fig.used if fig is not None else build_source_used(table.source(entry.source), modality, entry)


def resolve(table: PerformanceTable, modality_id: str,
            sources: Mapping[str, str]) -> tuple[ModalityPerformance, PerformanceEntry]:
    """The entry to use for a modality: the one named in `sources` (modality -> entry), or the default."""
    try:
        modality = table.modality(modality_id)
    except KeyError as exc:
        raise CalculationError("test", str(exc.args[0])) from None
    entry_id = sources.get(modality_id, modality.default)
    entry = next((e for e in modality.entries if e.id == entry_id), None)
    if entry is None:
        raise CalculationError("source", f"entry {entry_id!r} is not a {modality_id} entry; known: "
                                         + ", ".join(e.id for e in modality.entries))
    if not entry.computable:
        missing = "numbers were not retrieved" if entry.evidence == "numbers_not_retrieved" else \
            "it has no specificity" if entry.specificity is None else "it has no sensitivity"
        raise CalculationError("source", f"entry {entry.id!r} cannot be used: {missing}")
    return modality, entry


def figures(table: PerformanceTable, modality_id: str, sources: Mapping[str, str]) -> EntryFigures:
    """The load-time figures of the entry `resolve` picks; its errors when the choice is not usable."""
    modality = table.modalities.get(modality_id)
    if modality is not None:
        found = table.figures.get((modality_id, sources.get(modality_id, modality.default)))
        if found is not None:
            return found
    modality, entry = resolve(table, modality_id, sources)  # raises: unknown or not computable
    return table.figures[(modality.id, entry.id)]  # pragma: no cover  (resolve raised)


def _lr_range(fig: EntryFigures, result: BinaryResult) -> tuple[float, float]:
    lrs = fig.positive_lr_range if result is BinaryResult.positive else fig.negative_lr_range
    if lrs is None:  # some corner of the box has no LR: let the checked path say why
        return ResultBox(fig.sensitivity_box, fig.specificity_box, result).lr_range()
    return lrs


def _some_bounded(steps: int, without_bounds: list[str]) -> bool:
    """Whether any of the pre-test and the first `steps` entries carries a CI or a range."""
    return len(without_bounds) < steps + 1


def calculate(
    table: PerformanceTable,
    tests: Sequence[tuple[str, BinaryResult]],
    *,
    pretest: float | None = None,
    prior_id: str | None = None,
    sources: Mapping[str, str] | None = None,
) -> Calculation:
    """Post-test probability after `tests` (modality id, result), in order, from a pre-test
    probability given by the user or from a documented prior of the table."""
    sources = dict(sources or {})
    if (pretest is None) == (prior_id is None):
        raise CalculationError("pretest", "give either a pre-test probability or a documented prior")
    if prior_id is not None:
        prior = table.priors.get(prior_id)
        if prior is None:
            raise CalculationError("prior", f"unknown prior {prior_id!r}; known: "
                                            + ", ".join(table.priors))
        bounds = wilson_interval(prior.events, prior.n) if prior.events is not None \
            and prior.n is not None else None
        pre = Pretest(value=prior.value, origin="prior", prior_id=prior.id,
                      bounds=Interval(low=bounds[0], high=bounds[1]) if bounds else None,
                      citation=table.source(prior.source).citation, population=prior.population)
    else:
        assert pretest is not None
        pre = Pretest(value=_probability("pretest", pretest), origin="user")
    tested = {m for m, _ in tests}
    for modality_id in sources:
        if modality_id not in tested:
            raise CalculationError("source", f"a source is given for {modality_id}, which is not "
                                             "among the tests")

    texts = table.text
    warnings: list[Text] = []
    # Inputs (pre-test, then each entry) with no CI or range: they enter the bounds as points.
    without_bounds: list[str] = [] if pre.bounds else ["pre-test"]
    steps: list[Step] = []
    point: float | None = pre.value
    # The bounds after each step chain the box's extreme LRs (same sequence as post_test_bounds).
    low, high = (pre.bounds.low, pre.bounds.high) if pre.bounds else (pre.value, pre.value)
    seen: set[str] = set()
    for index, (modality_id, result) in enumerate(tests, start=1):
        fig = figures(table, modality_id, sources)
        entry, used = fig.entry, fig.used
        if entry.evidence == "unconfirmed" and entry.id not in seen:
            warnings.append(texts("unconfirmed").format(entry=entry.id))
        if entry.population == "all_cancers" and entry.id not in seen:
            warnings.append(texts("all_cancers").format(entry=entry.id))
        seen.add(entry.id)
        if used.bounds_kind is None:
            without_bounds.append(entry.id)
        lr: float | None = None
        if entry.has_point:
            if fig.point_lrs is not None:
                lr = fig.point_lrs[0] if result is BinaryResult.positive else fig.point_lrs[1]
            else:  # no LR at the point: the checked path raises with the reason
                assert entry.sensitivity and entry.specificity
                assert entry.sensitivity.value is not None and entry.specificity.value is not None
                lr = likelihood_ratio(entry.sensitivity.value, entry.specificity.value, result)
        elif point is not None:
            warnings.append(texts("range_no_point").format(entry=entry.id))
        before = point
        point = post_test(point, lr) if point is not None and lr is not None else None
        lr_lo, lr_hi = _lr_range(fig, result)
        low, high = post_test(low, lr_lo), post_test(high, lr_hi)
        steps.append(Step(
            index=index, modality=fig.modality.id, result=result, source=used,
            likelihood_ratio=_json_lr(lr) if lr is not None else None,
            likelihood_ratio_bounds=(_json_lr(lr_lo), _json_lr(lr_hi)) if used.bounds_kind else None,
            pretest=before, posttest=point,
            posttest_bounds=Interval(low=low, high=high) if _some_bounded(index, without_bounds) else None,
        ))

    has_bounds = _some_bounded(len(tests), without_bounds)
    bounds = (low, high) if has_bounds else None
    assumptions = [texts("per_patient")]
    if len(tests) > 1:
        assumptions.append(texts("independence"))
    if has_bounds and without_bounds:
        assumptions.append(texts("bounds_partial").format(entries=", ".join(without_bounds)))
    if pre.value in (0.0, 1.0):
        warnings.append(texts("certainty"))
    assumptions.append(texts("not_a_device"))
    return Calculation(
        pretest=pre, steps=tuple(steps), posttest=point,
        posttest_bounds=Interval(low=bounds[0], high=bounds[1]) if bounds else None,
        bounds_method=texts("bounds_method") if has_bounds else texts("bounds_none"),
        assumptions=tuple(assumptions), warnings=tuple(warnings), table_version=table.version,
    )


def further_exams(
    table: PerformanceTable, modality_ids: Iterable[str], pretest: float | None,
    pretest_bounds: tuple[float, float] | None = None,
) -> tuple[FurtherExam, ...]:
    """For each modality (default entry): the probability after a positive and after a negative."""
    out: list[FurtherExam] = []
    box_pre = pretest_bounds or ((pretest, pretest) if pretest is not None else None)
    for modality_id in modality_ids:
        fig = figures(table, modality_id, {})
        sens, spec = fig.entry.sensitivity, fig.entry.specificity
        # Defaults are checked at load time: confirmed, per patient, with point values.
        assert sens is not None and spec is not None and fig.point_lrs is not None
        assert sens.value is not None and spec.value is not None
        lr_pos, lr_neg = fig.point_lrs
        bounded = box_pre is not None and (
            pretest_bounds is not None or sens.bounds is not None or spec.bounds is not None)
        if_positive_bounds = if_negative_bounds = None
        if bounded:
            assert box_pre is not None
            lo, hi = _lr_range(fig, BinaryResult.positive)
            if_positive_bounds = Interval(low=post_test(box_pre[0], lo), high=post_test(box_pre[1], hi))
            lo, hi = _lr_range(fig, BinaryResult.negative)
            if_negative_bounds = Interval(low=post_test(box_pre[0], lo), high=post_test(box_pre[1], hi))
        out.append(FurtherExam(
            modality=fig.modality.id, source=fig.used,
            likelihood_ratio_positive=_json_lr(lr_pos), likelihood_ratio_negative=lr_neg,
            probability_of_positive=probability_of_positive(pretest, sens.value, spec.value)
            if pretest is not None else None,
            if_positive=post_test(pretest, lr_pos) if pretest is not None else None,
            if_positive_bounds=if_positive_bounds,
            if_negative=post_test(pretest, lr_neg) if pretest is not None else None,
            if_negative_bounds=if_negative_bounds,
        ))
    return tuple(out)
