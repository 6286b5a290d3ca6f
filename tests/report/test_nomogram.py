"""Fagan nomogram: right geometry, same bytes every time, both languages, both formats."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bonemet.core.probability import calculate
from bonemet.kb import default_kb
from bonemet.model.probability import BinaryResult, Calculation
from bonemet.report import nomogram


def _calc() -> Calculation:
    perf = default_kb().performance
    assert perf is not None
    return calculate(perf, [("bone_scan", BinaryResult.negative), ("naf_pet_ct", BinaryResult.positive)],
                     prior_id="nsclc_staging")


@pytest.mark.parametrize(("pre", "lr"), [(0.3, 30.67), (0.105, 0.0577), (0.5, 1.0), (0.02, 200.0)])
def test_straight_line_through_pretest_and_lr_reads_the_posttest(pre: float, lr: float) -> None:
    # Points (0, -logit pre), (1, ln LR / 2), (2, logit post) must be collinear.
    odds = pre / (1 - pre) * lr
    post = odds / (1 + odds)
    y0, y1, y2 = -nomogram._logit(pre), nomogram._lr_y(lr), nomogram._logit(post)
    assert y1 - y0 == pytest.approx(y2 - y1)


def test_svg_is_deterministic_and_dated_nowhere() -> None:
    first = nomogram.render(_calc(), "en", "svg")
    assert first == nomogram.render(_calc(), "en", "svg")
    text = first.decode()
    assert text.lstrip().startswith("<?xml") and "<dc:date>" not in text
    assert "Fagan nomogram" in text and "liu2011_bs" in text


def test_french_labels() -> None:
    text = nomogram.render(_calc(), "fr", "svg").decode()
    assert "Nomogramme de Fagan" in text and "négatif" in text
    assert "Fagan nomogram" not in text


def test_png_is_deterministic() -> None:
    first = nomogram.render(_calc(), "en", "png")
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == nomogram.render(_calc(), "en", "png")


def test_range_entry_draws_bounds_without_a_point_line() -> None:
    perf = default_kb().performance
    assert perf is not None
    calc = calculate(perf, [("bone_scan", BinaryResult.negative)], pretest=0.3,
                     sources={"bone_scan": "chapter_f04"})
    fig = nomogram.figure(calc, "en")
    dashed = [line for line in fig.axes[0].lines if line.get_linestyle() == "--"]
    solid_steps = [line for line in fig.axes[0].lines if len(line.get_xdata()) == 3]
    assert len(dashed) == 2 and not solid_steps


@pytest.mark.parametrize(("name", "ok"), [("a.svg", True), ("a.PNG", True), ("a.pdf", False), ("a", False)])
def test_format_from_suffix(name: str, ok: bool) -> None:
    if ok:
        assert nomogram.format_for(Path(name)) in ("svg", "png")
    else:
        with pytest.raises(ValueError, match=r"use \.svg or \.png"):
            nomogram.format_for(Path(name))


def test_certain_pretest_is_drawn_at_the_axis_end() -> None:
    assert nomogram._logit(1.0) == pytest.approx(math.log(0.999 / 0.001))
