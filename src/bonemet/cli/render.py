"""Terminal rendering of assessments and knowledge-base items (Rich); shared by CLI commands."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from rich.console import Console, Group
from rich.panel import Panel
from rich.segment import Segment
from rich.table import Table
from rich.text import Text as RichText

from bonemet.base import format_day, format_number
from bonemet.kb import KnowledgeBase, Lang, Rule, Statement
from bonemet.kb.models import Reference
from bonemet.kb.plan import PlanKnowledge, PlanRule, PlanStatement
from bonemet.model import Assessment, Rating
from bonemet.model.case import Modality
from bonemet.model.followup import FollowUpSection
from bonemet.report.labels import field_label, labels, line_words, note_text, param_text

_RATING_STYLE = {
    Rating.usually_appropriate: "bold green",
    Rating.may_be_appropriate: "yellow",
    Rating.usually_not_appropriate: "bold red",
    Rating.no_criteria_apply: "dim",
}

# Words come from the interface catalogue (bonemet/locale), like the web app's: one translation.
_KEYS = {"question": "question", "as_of": "as_of", "kb": "kb_version", "modality": "exam",
         "rating": "rating", "rule": "rule", "why": "why_short", "alt": "prefer",
         "recs": "recommendations", "missing": "missing_data", "refs": "refs_short",
         "interp": "interpretation", "scope": "scope"}


def _words(lang: Lang) -> dict[str, str]:
    L = labels()
    return {name: L(key, lang) for name, key in _KEYS.items()}


def _colon(label: str, lang: Lang) -> str:
    """'Label:' in English, 'Label :' (non-breaking space) in French."""
    return f"{label}\u00a0:" if lang == "fr" else f"{label}:"


def assessment(a: Assessment, lang: Lang) -> Group:
    t = _words(lang)
    L = labels()
    head = RichText()
    head.append(f"{a.case_id}", style="bold")
    head.append(f"   {_colon(t['question'], lang)} {L.enum('question', a.question, lang)} "
                f"({L.enum('question_source', a.question_source, lang)})")
    head.append(f"   {_colon(t['as_of'], lang)} {format_day(a.as_of, lang) if a.as_of else '—'}")
    head.append(f"   {_colon(t['kb'], lang)} {a.knowledge_base.name} {a.knowledge_base.version}")
    parts: list[object] = [head]
    if not a.scope.in_scope and a.scope.reason:
        parts.append(RichText(f"{_colon(t['scope'], lang)} {a.scope.reason(lang)}", style="bold magenta"))
    table = Table(show_lines=False, expand=True)
    # The short columns are capped so that a long French exam or rating name wraps instead of
    # squeezing the reason to one letter a line (review of issue 21, M3); the reason takes the rest.
    widths = {"modality": 16, "rating": 16, "rule": 7, "alt": 14}
    for col in ("modality", "rating", "rule", "alt", "why"):
        table.add_column(t[col], overflow="fold", ratio=1 if col == "why" else None,
                         max_width=widths.get(col), no_wrap=col == "rule",
                         min_width=24 if col == "why" else None)
    unrated = [r.modality for r in a.ratings
               if r.rating is Rating.no_criteria_apply and r.rule_id is None]
    for r in a.ratings:
        if r.modality in unrated:
            continue
        table.add_row(
            L.enum("rated_modality", r.modality, lang),
            RichText(L.enum("rating", r.rating, lang), style=_RATING_STYLE[r.rating]),
            r.rule_id or "—",
            L.enum("rated_modality", r.preferred_alternative, lang) if r.preferred_alternative else "",
            r.reason(lang),
        )
    parts.append(table)
    if unrated:
        names = ", ".join(L.enum("rated_modality", m, lang) for m in unrated)
        parts.append(RichText(f"{_colon(L.enum('rating', Rating.no_criteria_apply, lang), lang)} {names}",
                              style="dim"))
    if a.recommendations:
        recs = Table(title=t["recs"], show_header=False, expand=True, title_justify="left")
        recs.add_column(style="bold cyan", no_wrap=True)
        recs.add_column(overflow="fold", ratio=1)
        for rec in a.recommendations:
            refs = ", ".join(map(str, rec.references)) or "—"
            tail = f"  [{t['refs']} {refs}\u00a0; {', '.join(rec.statement_ids)}]" if lang == "fr" else \
                f"  [{t['refs']} {refs}; {', '.join(rec.statement_ids)}]"
            flag = f" ({t['interp']})" if rec.interpretation else ""
            recs.add_row(rec.rule_id, RichText(rec.text(lang) + flag) + RichText(tail, style="dim"))
        parts.append(recs)
    if a.missing_data:
        parts.append(RichText(_colon(t["missing"], lang), style="bold"))
        for m in a.missing_data:
            parts.append(RichText(f"  - {field_label(m.field, lang)} ({m.rule_id})\u00a0: {m.reason(lang)}"
                                  if lang == "fr" else
                                  f"  - {field_label(m.field, lang)} ({m.rule_id}): {m.reason(lang)}"))
    if a.follow_up is not None:
        parts.append(follow_up(a.follow_up, lang))
    if a.scores is not None:
        from bonemet.cli.render_scores import case_scores  # tumour-board scores (docs/scores.md)

        parts.append(case_scores(a.scores, lang, field_name=lambda path: field_label(path, lang)))
    if a.probability is not None:
        from bonemet.report.probability_view import residual  # docs/probability.md

        parts.append(residual(a.probability, lang))
    if a.plan is not None and a.plan.proposals:
        parts.append(_plan_summary(a, lang))
    parts.append(RichText(a.disclaimer(lang), style="italic dim"))
    return Group(*parts)  # type: ignore[arg-type]


def _plan_summary(a: Assessment, lang: Lang) -> Table:
    """The bone plan's proposals by title (review 24 m9: `assess` said nothing of the plan); the
    texts, checks and sources are `bonemet plan`'s."""
    assert a.plan is not None
    table = Table(title=labels()("plan_cli_summary", lang), show_header=False, expand=True,
                  title_justify="left")
    table.add_column(no_wrap=True)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold", ratio=1)
    for p in a.plan.proposals:
        urgent = p.priority == "urgent"
        table.add_row(RichText("!" if urgent else "·", style="bold red" if urgent else "dim"),
                      p.rule_id, p.title(lang))
    return table


def rule(r: Rule, kb: KnowledgeBase, lang: Lang) -> Panel:
    L = labels()
    body = RichText()
    body.append(r.text(lang) + "\n\n")
    scenarios = ", ".join(L.enum("question", s, lang) for s in r.scenarios)
    body.append(f"{_colon(L('basis', lang), lang)} {L.enum('basis', r.basis, lang)}    "
                f"{_colon(L('scenarios', lang), lang)} {scenarios}\n")
    body.append(f"{_colon(L('statements', lang), lang)} {', '.join(r.statements)}\n")
    refs = ", ".join(map(str, kb.refs_for(r.id))) or L("none_cited", lang)
    body.append(f"{_colon(L('references', lang), lang)} {refs}\n")
    if r.params:
        body.append(_colon(L("parameters", lang), lang) + "\n")
        for key, value in r.params.items():
            body.append(f"  {L.enum('param', key, lang)} = {param_text(value, lang)}\n")
    return Panel(body, title=f"{r.id} — {r.title(lang)}", title_align="left")


def statement(s: Statement, lang: Lang) -> Panel:
    L = labels()
    body = RichText(s.text(lang) + "\n\n")
    body.append(f"{_colon(L('kind', lang), lang)} {L.enum('statement_kind', s.kind, lang)}   "
                f"{_colon(L('section', lang), lang)} § {s.section}   "
                f"{_colon(L('topic', lang), lang)} {L.enum('topic', s.topic, lang)}\n")
    if s.numbers:
        body.append(_colon(L("numbers", lang), lang) + "\n")
    for n in s.numbers:
        shown = (f"{format_number(n.range[0], lang)}–{format_number(n.range[1], lang)}" if n.range
                 else format_number(n.value or 0, lang))
        body.append(f"  {L.enum('number', n.name, lang)} = {'≈' if n.approx else ''}{shown} "
                    f"{L.enum('unit', n.unit, lang)}\n")
    body.append(f"{_colon(L('references', lang), lang)} {', '.join(map(str, s.refs)) or '—'}\n")
    for note in s.notes:
        body.append(f"{_colon(L('notes', lang), lang)} {note_text(note, lang)}\n", style="dim")
    return Panel(body, title=s.id, title_align="left")


def _plan_statement_lines(body: RichText, s: PlanStatement, plan: PlanKnowledge, lang: Lang) -> None:
    """A plan statement's text, its source (flagged outside the référentiel) and its caveats."""
    L = labels()
    source = plan.sources[s.source]
    outside = f" ({L('plan_outside', lang)})" if source.outside_referentiel else ""
    body.append(s.text(lang) + "\n")
    body.append(f"  {_colon(L('plan_kb_source', lang), lang)} {source.label}{outside}"
                f"{' — ' + source.url if source.url else ''}\n", style="dim")
    if s.refs:
        body.append(f"  {_colon(L('references', lang), lang)} {', '.join(map(str, s.refs))}\n",
                    style="dim")
    for caveat in s.caveats:
        body.append(f"  {_colon(L('plan_kb_caveat', lang), lang)} {caveat(lang)}\n", style="italic")


def plan_rule(r: PlanRule, plan: PlanKnowledge, lang: Lang) -> Panel:
    """A bone-plan rule (SX-/SP-/RT-/CC-): basis, statements with their sources, parameters."""
    L = labels()
    body = RichText()
    outside = f" — {L('plan_outside', lang)}" if plan.outside_referentiel(r.id) else ""
    body.append(f"{_colon(L('basis', lang), lang)} {L('plan_basis_' + r.basis, lang)}{outside}    "
                f"{_colon(L('plan_kb_rule_kind', lang), lang)} {r.kind}\n")
    refs = ", ".join(map(str, plan.refs_for(r.id))) or L("none_cited", lang)
    body.append(f"{_colon(L('references', lang), lang)} {refs}\n")
    if r.params:
        body.append(_colon(L("parameters", lang), lang) + "\n")
        for key, value in r.params.items():
            body.append(f"  {key} = {value}\n")
    body.append(_colon(L("statements", lang), lang) + "\n")
    for sid in r.statements:
        body.append(f"{sid} ", style="bold")
        _plan_statement_lines(body, plan.statements[sid], plan, lang)
    return Panel(body, title=f"{r.id} — {r.title(lang)}", title_align="left")


def plan_statement(s: PlanStatement, plan: PlanKnowledge, lang: Lang) -> Panel:
    """A bone-plan statement (PL-): text, source, caveats, and the rules that cite it."""
    L = labels()
    body = RichText()
    _plan_statement_lines(body, s, plan, lang)
    cited = [r.id for r in plan.rules.values() if s.id in r.statements]
    body.append(f"{_colon(L('kb_rules', lang), lang)} {', '.join(cited) or '—'}\n")
    return Panel(body, title=s.id, title_align="left")


def reference(r: Reference) -> Panel:
    body = RichText(r.citation + "\n\n")
    for key in ("authors", "title", "journal", "year", "volume", "issue", "pages", "doi", "pmid",
                "url", "kind"):
        value = getattr(r, key)
        if value:
            body.append(f"{key}: {', '.join(value) if isinstance(value, tuple) else value}\n")
    if r.duplicate_of:
        body.append(f"duplicate of: {r.duplicate_of}\n", style="yellow")
    for rel in r.related:
        body.append(f"related: {rel.number} ({rel.relation})\n")
    for note in r.notes:
        body.append(f"note: {note}\n", style="dim")
    return Panel(body, title=f"[{r.number}]", title_align="left")


class _FrenchConsole(Console):
    """A console that writes French: a non-breaking space, not a plain one, before « : ; ? » and !
    (same width, so tables keep their columns); the words come from the catalogue already."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return _SPACE_BEFORE_PUNCT.sub("\u00a0\\1", super()._render_buffer(buffer))


_SPACE_BEFORE_PUNCT = re.compile(r"(?<=\S) ([:;?!])(?=\s|$)", re.MULTILINE)


def console(lang: str = "en") -> Console:
    return _FrenchConsole(soft_wrap=False) if lang == "fr" else Console(soft_wrap=False)


# --- follow-up bone scans (flare vs progression) -------------------------------------------------

_CLASS_STYLE = {"progression": "bold red", "progression_likely": "red", "flare_likely": "green",
                "no_progression": "green", "indeterminate": "yellow"}
_ARG_MARK = {"favours_flare": ("+", "green"), "favours_progression": ("−", "red"),
             "neutral": ("=", "dim")}


def follow_up(section: FollowUpSection, lang: Lang) -> Group:
    """Per follow-up scan: comparator, line and its 6-month mark, change, reading, each argument."""
    from bonemet.kb import default_kb
    L = labels()
    flare_labels = default_kb().flare.labels  # type: ignore[union-attr]
    w = {"title": L("fu_title", lang), "vs": L("compared_with", lang), "from": L("fu_from", lang),
         "month6": L("fu_month6", lang), "missing": L("fu_missing", lang), "interp": L("interp_note", lang)}

    def day(value: object) -> str:
        return format_day(value, lang) if isinstance(value, dt.date) else str(value or "—")

    lines: list[RichText] = [RichText(w["title"], style="bold")]
    for s in section.scans:
        head = RichText(f"  {s.scan_id} {day(s.scan_date)}", style="bold")
        if s.modality in ("naf_pet_ct", "fdg_pet_ct"):  # read beside the bone scans (issue 21)
            head.append(f" ({flare_labels.modalities[Modality(s.modality)](lang)})", style="bold")
        if s.comparator_id:
            head.append(f"  {w['vs']} {s.comparator_id} {day(s.comparator_date)}")
        if s.line_label:
            head.append(f"  · {line_words(s.line_label, lang)} {w['from']} {day(s.line_start)}, "
                        f"{w['month6']} "
                        f"{day(s.anniversary)}")
        lines.append(head)
        if s.classification is None:
            reason = flare_labels.not_comparable[s.not_comparable](lang) if s.not_comparable else ""
            lines.append(RichText(f"    {reason}", style="yellow"))
            continue
        verdict = RichText("    ")
        if s.change is not None:
            verdict.append(f"{flare_labels.change[s.change](lang)} ({flare_labels.timing[s.timing](lang)}) → "
                           if s.timing else f"{flare_labels.change[s.change](lang)} → ")
        reading = flare_labels.classification[s.classification](lang)
        verdict.append(reading + (" *" if s.interpretation else ""),
                       style=_CLASS_STYLE[s.classification.value])
        verdict.append(f"  [{', '.join(s.rule_ids)}]", style="dim")
        lines.append(verdict)
        for arg in s.arguments:
            mark, style = _ARG_MARK[arg.direction.value]
            line = RichText(f"      {mark} ", style=style)
            line.append(arg.explanation(lang) + (" *" if arg.interpretation else ""))
            lines.append(line)
        if s.missing_arguments:
            names = ", ".join(dict.fromkeys(L.enum("argument", m.name, lang) for m in s.missing_arguments))
            lines.append(RichText(f"      {_colon(w['missing'], lang)} {names}", style="dim"))
        for warning in s.warnings:
            lines.append(RichText(f"      ! {warning(lang)}", style="yellow"))
    if any(s.interpretation or any(a.interpretation for a in s.arguments) for s in section.scans):
        lines.append(RichText(f"  {w['interp']}", style="dim"))
    return Group(*lines)
