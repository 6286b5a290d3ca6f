"""Fagan nomogram of a calculation: pre-test probability → likelihood ratio → post-test probability.

Geometry: three parallel axes at x = 0, 1, 2. The pre-test axis is graduated at y = −logit(p), the
LR axis at y = ln(LR) / 2 and the post-test axis at y = logit(p), so the straight line through a
pre-test value and an LR meets the right axis at logit(pre) + ln(LR): Bayes on the odds scale.
Each step of a sequence is one line, starting where the previous one ended on the probability scale.

Deterministic output: no pyplot state, fixed SVG hash salt, no date in the metadata.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Literal

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bonemet.base.text import Lang
from bonemet.model.probability import Calculation, LikelihoodRatio

ImageFormat = Literal["svg", "png"]

_P_MIN, _P_MAX = 0.001, 0.999
_LR_MIN, _LR_MAX = 0.001, 1000.0
_P_TICKS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 98, 99, 99.5, 99.8, 99.9)
_LR_TICKS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500,
             1000)
_COLOURS = ("#1f5fa8", "#c0392b", "#1e8449", "#8e44ad", "#b9770e", "#117a65")

_WORDS = {
    "en": {"title": "Fagan nomogram — probability of bone metastases",
           "pre": "Pre-test\nprobability (%)", "lr": "Likelihood\nratio",
           "post": "Post-test\nprobability (%)",
           "dashed": "dashed: bounds over the 95% CIs / ranges",
           "independence": "Several results: combined as if independent (approximation).",
           "device": "bonemet — decision support, not a medical device.", "table": "table"},
    "fr": {"title": "Nomogramme de Fagan — probabilité de métastases osseuses",
           "pre": "Probabilité\npré-test (%)", "lr": "Rapport de\nvraisemblance",
           "post": "Probabilité\npost-test (%)", "dashed": "tirets : bornes sur les IC à 95 % / fourchettes",
           "independence": "Plusieurs résultats : combinés comme s'ils étaient indépendants (approximation).",
           "device": "bonemet — aide à la décision, pas un dispositif médical.", "table": "tableau"},
}
_RESULT_WORDS = {"en": {"positive": "positive", "negative": "negative"},
                 "fr": {"positive": "positif", "negative": "négatif"}}


def _logit(p: float) -> float:
    p = min(max(p, _P_MIN), _P_MAX)  # the axes stop at 0.1% and 99.9%: certainty is drawn at the end
    return math.log(p / (1.0 - p))


def _lr_y(lr: float) -> float:
    return math.log(min(max(lr, _LR_MIN), _LR_MAX)) / 2.0


def _lr_float(value: LikelihoodRatio | None) -> float | None:
    if value is None:
        return None
    return math.inf if value == "infinity" else float(value)


def _fmt(value: float) -> str:
    return f"{value:g}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def figure(calc: Calculation, lang: Lang) -> Figure:
    w = _WORDS[lang]
    fig = Figure(figsize=(6.4, 8.0), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.12, 0.2, 0.76, 0.7))
    ax.set_xlim(-0.45, 2.45)
    top = _logit(_P_MAX)
    ax.set_ylim(-top - 0.3, top + 0.3)
    ax.axis("off")
    for x in (0, 1, 2):
        ax.plot([x, x], [-top, top], color="black", linewidth=1.0)
    for p in _P_TICKS:
        y = _logit(p / 100)
        ax.plot([-0.04, 0], [-y, -y], color="black", linewidth=0.8)
        ax.text(-0.06, -y, _fmt(p), ha="right", va="center", fontsize=7)
        ax.plot([2, 2.04], [y, y], color="black", linewidth=0.8)
        ax.text(2.06, y, _fmt(p), ha="left", va="center", fontsize=7)
    for lr in _LR_TICKS:
        y = _lr_y(lr)
        ax.plot([0.97, 1.03], [y, y], color="black", linewidth=0.8)
        ax.text(1.05, y, _fmt(lr), ha="left", va="center", fontsize=7)
    for x, label in ((0, w["pre"]), (1, w["lr"]), (2, w["post"])):
        ax.text(x, top + 0.45, label, ha="center", va="bottom", fontsize=8, fontweight="bold")

    legend: list[str] = []
    pre_point: float | None = calc.pretest.value
    pre_bounds = (calc.pretest.bounds.low, calc.pretest.bounds.high) if calc.pretest.bounds else None
    words = _RESULT_WORDS[lang]
    for step in calc.steps:
        colour = _COLOURS[(step.index - 1) % len(_COLOURS)]
        lr = _lr_float(step.likelihood_ratio)
        if pre_point is not None and step.posttest is not None and lr is not None:
            ax.plot([0, 1, 2], [-_logit(pre_point), _lr_y(lr), _logit(step.posttest)],
                    color=colour, linewidth=1.8)
        if step.posttest_bounds is not None:
            start = pre_bounds or ((pre_point, pre_point) if pre_point is not None else None)
            if start is not None:
                for a, b in zip(start, (step.posttest_bounds.low, step.posttest_bounds.high),
                                strict=True):
                    ax.plot([0, 2], [-_logit(a), _logit(b)], color=colour, linewidth=0.9,
                            linestyle="--")
            pre_bounds = (step.posttest_bounds.low, step.posttest_bounds.high)
        lr_label = "—" if lr is None else ("∞" if math.isinf(lr) else f"{lr:.3g}")
        legend.append(f"{step.index}. {step.modality} {words[step.result.value]} "
                      f"(LR {lr_label}; {step.source.entry_id}): "
                      f"{_pct(step.pretest)} → {_pct(step.posttest)}")
        pre_point = step.posttest

    fig.text(0.5, 0.965, w["title"], ha="center", va="top", fontsize=11, fontweight="bold")
    footer = [*legend]
    if any(s.posttest_bounds for s in calc.steps):
        footer.append(w["dashed"])
    if len(calc.steps) > 1:
        footer.append(w["independence"])
    footer.append(f"{w['device']}  {w['table']} {calc.table_version}")
    for i, line in enumerate(footer):
        colour = _COLOURS[i % len(_COLOURS)] if i < len(legend) else "#444444"
        fig.text(0.04, 0.15 - i * 0.022, line, ha="left", va="top", fontsize=7, color=colour)
    return fig


def render(calc: Calculation, lang: Lang, fmt: ImageFormat) -> bytes:
    """The nomogram as SVG or PNG bytes; identical bytes for identical input."""
    fig = figure(calc, lang)
    buffer = io.BytesIO()
    with rc_context({"svg.hashsalt": "bonemet-nomogram", "svg.fonttype": "path"}):
        if fmt == "svg":
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        else:
            fig.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    return buffer.getvalue()


def format_for(path: Path) -> ImageFormat:
    suffix = path.suffix.lower()
    if suffix == ".svg":
        return "svg"
    if suffix == ".png":
        return "png"
    raise ValueError(f"unsupported file type {suffix or '(none)'!r}: use .svg or .png")


def save(calc: Calculation, path: Path, lang: Lang) -> None:
    path.write_bytes(render(calc, lang, format_for(path)))
