"""Terminal rendering (Rich) of calculations, of the assessment's probability section and of the table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text as RichText

from bonemet.base import format_number
from bonemet.base.provenance import Interval, SourceUsed
from bonemet.base.text import Lang, Text
from bonemet.kb.performance import Measure, PerformanceTable
from bonemet.model.probability import Calculation, LikelihoodRatio, ResidualProbability
from bonemet.report.labels import labels

_LABELS = {
    "en": {"pretest": "Pre-test probability", "user": "given by the user", "step": "Step",
           "exam": "Exam", "result": "Result", "lr": "LR", "after": "After", "bounds": "Bounds",
           "source": "Source", "posttest": "Post-test probability", "residual": "Residual probability",
           "next": "One more exam", "if_pos": "If positive", "if_neg": "If negative",
           "p_pos": "P(positive)", "combined": "Combined LR of the exams counted",
           "not_counted": "Not counted", "sens": "Sens.", "spec": "Spec.", "pop": "Population",
           "type": "Study", "evidence": "Evidence", "default": "default", "why": "Why default",
           "table": "Performance of bone imaging (per patient)", "version": "table",
           "title": "Probability of bone metastases"},
    "fr": {"pretest": "Probabilité pré-test", "user": "donnée par l'utilisateur", "step": "Étape",
           "exam": "Examen", "result": "Résultat", "lr": "RV", "after": "Après", "bounds": "Bornes",
           "source": "Source", "posttest": "Probabilité post-test",
           "residual": "Probabilité résiduelle", "next": "Un examen de plus",
           "if_pos": "Si positif", "if_neg": "Si négatif", "p_pos": "P(positif)",
           "combined": "RV combiné des examens comptés", "not_counted": "Non comptés",
           "sens": "Sens.", "spec": "Spéc.", "pop": "Population", "type": "Étude",
           "evidence": "Niveau", "default": "défaut", "why": "Pourquoi par défaut",
           "table": "Performances de l'imagerie osseuse (par patient)", "version": "tableau",
           "title": "Probabilité de métastases osseuses"},
}


# The language of the rendering in course: the Rich views below set it, so that their many small
# helpers write 30,5 % in French without a language argument each (web pages pass `lang` instead).
_LANG: ContextVar[str] = ContextVar("probability_view_lang", default="en")


def pct(value: float | None, digits: int = 1, lang: str | None = None) -> str:
    if value is None:
        return "—"
    if (lang or _LANG.get()) == "fr":
        return format_number(value * 100, "fr", "0." + "0" * digits if digits else "0") + "\u00a0%"
    return f"{value * 100:.{digits}f}%"


def _bounds(interval: Interval | None) -> str:
    return f"{pct(interval.low)}–{pct(interval.high)}" if interval else "—"


def lr_text(value: LikelihoodRatio | None, lang: str | None = None) -> str:
    if value is None:
        return "—"
    if value == "infinity":
        return "∞"
    assert isinstance(value, float)
    text = f"{value:.3g}"
    return text.replace(".", ",") if (lang or _LANG.get()) == "fr" and "e" not in text else text


def _exam(modality: str) -> str:
    return labels().enum("modality", modality, _LANG.get())


def _result(value: object) -> str:
    return labels().enum("result", value, _LANG.get()).lower()


@contextmanager
def _language(lang: str) -> Iterator[None]:
    token = _LANG.set(lang)
    try:
        yield
    finally:
        _LANG.reset(token)


def _source(s: SourceUsed) -> str:
    refs = f" [ref. {', '.join(map(str, s.guideline_refs))}]" if s.guideline_refs else ""
    L, lang = labels(), _LANG.get()
    flags = [] if s.population in ("nsclc", "lung_cancer") else [L.enum("population", s.population, lang)]
    if s.evidence != "confirmed":
        flags.append(L.enum("evidence", s.evidence, lang).upper())
    extra = f" ({', '.join(flags)})" if flags else ""
    colon = "\u00a0:" if _LANG.get() == "fr" else ":"
    return f"{s.entry_id}{colon} {s.citation}{refs}{extra}"


def _notes(lines: list[RenderableType], texts: tuple[Text, ...], lang: Lang,
           style: str = "dim") -> None:
    for t in texts:
        lines.append(RichText(f"• {t(lang)}", style=style))


def calculation(calc: Calculation, lang: Lang) -> Group:
    with _language(lang):
        return _calculation(calc, lang)


def _calculation(calc: Calculation, lang: Lang) -> Group:
    t = {**_LABELS[lang], "_": "\u00a0" if lang == "fr" else ""}
    pre = calc.pretest
    origin = t["user"] if pre.origin == "user" else \
        f"{pre.prior_id}: {pre.population(lang) if pre.population else ''}"
    lines: list[RenderableType] = [
        RichText(f"{t['pretest']}{t['_']}: {pct(pre.value)}"
                 + (f" ({_bounds(pre.bounds)})" if pre.bounds else "") + f" — {origin}")
    ]
    table = Table(expand=True)
    for col, ratio in (("step", 1), ("exam", 2), ("result", 2), ("lr", 2), ("after", 2), ("bounds", 2),
                       ("source", 6)):
        table.add_column(t[col], overflow="fold", ratio=ratio)
    for s in calc.steps:
        lr = lr_text(s.likelihood_ratio)
        if s.likelihood_ratio_bounds:
            lr += f" ({lr_text(s.likelihood_ratio_bounds[0])}–{lr_text(s.likelihood_ratio_bounds[1])})"
        table.add_row(str(s.index), _exam(s.modality), _result(s.result), lr, pct(s.posttest),
                      _bounds(s.posttest_bounds), _source(s.source))
    lines.append(table)
    lines.append(RichText(f"{t['posttest']}{t['_']}: {pct(calc.posttest)}"
                          + (f"  ({t['bounds']} {_bounds(calc.posttest_bounds)})"
                             if calc.posttest_bounds else ""), style="bold"))
    _notes(lines, calc.warnings, lang, style="yellow")
    _notes(lines, (calc.bounds_method, *calc.assumptions), lang)
    lines.append(RichText(f"{t['version']} {calc.table_version}", style="dim"))
    return Group(*lines)


def residual(section: ResidualProbability, lang: Lang) -> Group:
    with _language(lang):
        return _residual(section, lang)


def _residual(section: ResidualProbability, lang: Lang) -> Group:
    t = {**_LABELS[lang], "_": "\u00a0" if lang == "fr" else ""}
    rules = f" [{', '.join(section.rule_ids)}]" if section.rule_ids else ""
    lines: list[RenderableType] = [RichText(f"{t['title']}{rules}", style="bold"),
                                   RichText(section.note(lang))]
    if section.status == "not_applicable":
        return Group(*lines)
    calc = section.calculation
    if calc is not None:
        pre = calc.pretest
        lines.append(RichText(f"{t['pretest']}{t['_']}: {pct(pre.value)} ({_bounds(pre.bounds)}) — "
                              f"{pre.citation or ''}"))
        for s in calc.steps:
            lines.append(RichText(f"  {_exam(s.modality)} {_result(s.result)}{t['_']}: "
                                  f"{t['lr']} {lr_text(s.likelihood_ratio)}"
                                  f" → {pct(s.posttest)}  ({s.source.entry_id})"))
        lines.append(RichText(f"{t['residual']}{t['_']}: {pct(section.residual)}  "
                              f"({t['bounds']} {_bounds(section.residual_bounds)})", style="bold"))
    elif section.combined_likelihood_ratio is not None:
        lines.append(RichText(f"{t['combined']}{t['_']}: {lr_text(section.combined_likelihood_ratio)}"))
    for e in section.exams:
        if e.counted and e.reason:
            lines.append(RichText(f"  ! {e.exam_id} ({_exam(e.modality)}){t['_']}: {e.reason(lang)}",
                                  style="yellow"))
        elif not e.counted:
            lines.append(RichText(f"  {t['not_counted']}{t['_']}: {e.exam_id} ({_exam(e.modality)}) — "
                                  f"{e.reason(lang) if e.reason else ''}", style="dim"))
    if section.further:
        table = Table(title=t["next"], title_justify="left", expand=True)
        for col, ratio in (("exam", 2), ("lr", 2), ("p_pos", 2), ("if_pos", 2), ("if_neg", 2),
                           ("source", 4)):
            table.add_column(t[col], overflow="fold", ratio=ratio)
        for f in section.further:
            table.add_row(
                _exam(f.modality),
                f"{lr_text(f.likelihood_ratio_positive)} / {lr_text(f.likelihood_ratio_negative)}",
                pct(f.probability_of_positive), pct(f.if_positive), pct(f.if_negative, 2),
                f.source.entry_id + ("" if f.source.population in ("nsclc", "lung_cancer")
                                     else f" ({labels().enum('population', f.source.population, lang)})"),
            )
        lines.append(table)
    _notes(lines, section.assumptions, lang)
    return Group(*lines)


def _measure(m: Measure | None) -> str:
    if m is None:
        return "—"
    if m.range is not None:
        return f"{pct(m.range[0], 0)}–{pct(m.range[1], 0)} ({labels()('p_range', _LANG.get())})"
    text = pct(m.value)
    if m.ci95:
        text += f" ({pct(m.ci95[0])}–{pct(m.ci95[1])})"
    return text


def performance_table(perf: PerformanceTable, lang: Lang) -> Group:
    with _language(lang):
        return _performance_table(perf, lang)


def _performance_table(perf: PerformanceTable, lang: Lang) -> Group:
    t = {**_LABELS[lang], "_": "\u00a0" if lang == "fr" else ""}
    parts: list[RenderableType] = [RichText(f"{t['table']} — {t['version']} {perf.version}",
                                            style="bold")]
    for m in perf.modalities.values():
        table = Table(title=f"{m.id} — {m.name(lang)}", title_justify="left", expand=True)
        for col, ratio in (("source", 5), ("sens", 2), ("spec", 2), ("pop", 3), ("type", 2),
                           ("evidence", 2)):
            table.add_column(t[col], overflow="fold", ratio=ratio)
        for e in m.entries:
            src = perf.source(e.source)
            refs = f" [ref. {', '.join(map(str, src.guideline_refs))}]" if src.guideline_refs else ""
            mark = f" ★ {t['default']}" if e.id == m.default else ""
            table.add_row(f"{e.id}{mark}\n{src.citation}{refs}", _measure(e.sensitivity),
                          _measure(e.specificity), e.population_detail(lang),
                          labels().enum("study_type", e.study_type, lang),
                          labels().enum("evidence", e.evidence, lang))
        parts.append(table)
        parts.append(RichText(f"{t['why']}{t['_']}: {m.default_reason(lang)}", style="dim"))
        for note in m.notes:
            parts.append(RichText(f"• {note(lang)}", style="dim"))
    for p in perf.priors.values():
        parts.append(RichText(f"prior {p.id}: {pct(p.value)} — {p.population(lang)} — "
                              f"{perf.source(p.source).citation}"))
    return Group(*parts)


# ---- names in words (issue 25): an entry or a prior is never shown by its table id ----------------

_AUTHOR_YEAR = re.compile(r"^([A-Z][A-Za-z'-]+)\b[^.]*?(?:et al\.|[A-Z]{1,3}[,.]).*?\b((?:19|20)\d\d)\b")


def entry_words(table: PerformanceTable, entry_id: str, lang: Lang) -> str:
    """A performance-table entry as a reader names it: its population and, when the citation gives
    them, its first author and year ("Cancer bronchique, données groupées (Liu 2011)")."""
    entry = next((e for m in table.modalities.values() for e in m.entries if e.id == entry_id), None)
    if entry is None:
        return entry_id
    words = str(entry.population_detail(lang))
    found = _AUTHOR_YEAR.search(table.source(entry.source).citation)
    return f"{words} ({found.group(1)} {found.group(2)})" if found else words
