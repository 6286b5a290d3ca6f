"""Terminal rendering of assessments and knowledge-base items (Rich); shared by CLI commands."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text as RichText

from bonemet.kb import KnowledgeBase, Lang, Rule, Statement
from bonemet.kb.models import Reference
from bonemet.model import Assessment, Rating
from bonemet.model.followup import FollowUpSection

_RATING_STYLE = {
    Rating.usually_appropriate: "bold green",
    Rating.may_be_appropriate: "yellow",
    Rating.usually_not_appropriate: "bold red",
    Rating.no_criteria_apply: "dim",
}

_LABELS = {
    "en": {"question": "Question", "as_of": "As of", "kb": "Knowledge base",
           "modality": "Exam", "rating": "Rating", "rule": "Rule", "why": "Why",
           "alt": "Prefer", "recs": "Recommendations", "missing": "Missing data",
           "refs": "refs", "interp": "interpretation", "scope": "Scope"},
    "fr": {"question": "Question", "as_of": "Date", "kb": "Base de connaissances",
           "modality": "Examen", "rating": "Cotation", "rule": "Règle", "why": "Pourquoi",
           "alt": "Préférer", "recs": "Recommandations", "missing": "Données manquantes",
           "refs": "réf.", "interp": "interprétation", "scope": "Périmètre"},
}


def assessment(a: Assessment, lang: Lang) -> Group:
    t = _LABELS[lang]
    head = RichText()
    head.append(f"{a.case_id}", style="bold")
    head.append(f"   {t['question']}: {a.question.value} ({a.question_source})")
    head.append(f"   {t['as_of']}: {a.as_of}")
    head.append(f"   {t['kb']}: {a.knowledge_base.name} {a.knowledge_base.version}")
    parts: list[object] = [head]
    if not a.scope.in_scope and a.scope.reason:
        parts.append(RichText(f"{t['scope']}: {a.scope.reason(lang)}", style="bold magenta"))
    table = Table(show_lines=False, expand=True)
    for col in ("modality", "rating", "rule", "alt", "why"):
        table.add_column(t[col], overflow="fold", ratio=4 if col == "why" else None)
    unrated = [r.modality.value for r in a.ratings
               if r.rating is Rating.no_criteria_apply and r.rule_id is None]
    for r in a.ratings:
        if r.modality.value in unrated:
            continue
        table.add_row(
            r.modality.value, RichText(r.rating.value, style=_RATING_STYLE[r.rating]),
            r.rule_id or "—", r.preferred_alternative.value if r.preferred_alternative else "",
            r.reason(lang),
        )
    parts.append(table)
    if unrated:
        parts.append(RichText(f"{Rating.no_criteria_apply.value}: {', '.join(unrated)}",
                              style="dim"))
    if a.recommendations:
        recs = Table(title=t["recs"], show_header=False, expand=True, title_justify="left")
        recs.add_column(style="bold cyan", no_wrap=True)
        recs.add_column(overflow="fold", ratio=1)
        for rec in a.recommendations:
            refs = ", ".join(map(str, rec.references)) or "—"
            tail = f"  [{t['refs']} {refs}; {', '.join(rec.statement_ids)}]"
            flag = f" ({t['interp']})" if rec.interpretation else ""
            recs.add_row(rec.rule_id, RichText(rec.text(lang) + flag) + RichText(tail, style="dim"))
        parts.append(recs)
    if a.missing_data:
        parts.append(RichText(t["missing"] + ":", style="bold"))
        for m in a.missing_data:
            parts.append(RichText(f"  - {m.field} ({m.rule_id}): {m.reason(lang)}"))
    if a.follow_up is not None:
        parts.append(follow_up(a.follow_up, lang))
    if a.scores is not None:
        from bonemet.cli.render_scores import case_scores  # tumour-board scores (docs/scores.md)

        parts.append(case_scores(a.scores, lang))
    if a.probability is not None:
        from bonemet.report.probability_view import residual  # docs/probability.md

        parts.append(residual(a.probability, lang))
    parts.append(RichText(a.disclaimer(lang), style="italic dim"))
    return Group(*parts)  # type: ignore[arg-type]


def rule(r: Rule, kb: KnowledgeBase, lang: Lang) -> Panel:
    body = RichText()
    body.append(r.text(lang) + "\n\n")
    body.append(f"basis: {r.basis}    scenarios: {', '.join(r.scenarios)}\n")
    body.append(f"statements: {', '.join(r.statements)}\n")
    refs = ", ".join(map(str, kb.refs_for(r.id))) or "— (none cited by the chapter for this point)"
    body.append(f"references: {refs}\n")
    if r.params:
        body.append(f"params: {r.params}\n")
    return Panel(body, title=f"{r.id} — {r.title(lang)}", title_align="left")


def statement(s: Statement, lang: Lang) -> Panel:
    body = RichText(s.text(lang) + "\n\n")
    body.append(f"kind: {s.kind}   section: {s.section}   topic: {s.topic}\n")
    for n in s.numbers:
        shown = f"{n.range[0]:g}–{n.range[1]:g}" if n.range else f"{n.value:g}"
        body.append(f"  {n.name} = {'≈' if n.approx else ''}{shown} {n.unit}\n")
    body.append(f"references: {', '.join(map(str, s.refs)) or '—'}\n")
    for note in s.notes:
        body.append(f"note: {note}\n", style="dim")
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


def console() -> Console:
    return Console(soft_wrap=False)


# --- follow-up bone scans (flare vs progression) -------------------------------------------------

_FOLLOW_UP_WORDS = {
    "en": {"title": "Follow-up bone scans", "vs": "vs", "from": "from", "month6": "month 6 on",
           "missing": "missing", "interp": "* interpretation (not stated by the chapter)"},
    "fr": {"title": "Scintigraphies de suivi", "vs": "vs", "from": "depuis le", "month6": "6e mois le",
           "missing": "manquant", "interp": "* interprétation (non énoncée par le chapitre)"},
}
_CLASS_STYLE = {"progression": "bold red", "progression_likely": "red", "flare_likely": "green",
                "no_progression": "green", "indeterminate": "yellow"}
_ARG_MARK = {"favours_flare": ("+", "green"), "favours_progression": ("−", "red"),
             "neutral": ("=", "dim")}


def follow_up(section: FollowUpSection, lang: Lang) -> Group:
    """Per follow-up scan: comparator, line and its 6-month mark, change, reading, each argument."""
    from bonemet.kb import default_kb

    labels = default_kb().flare.labels  # type: ignore[union-attr]
    w = _FOLLOW_UP_WORDS[lang]
    lines: list[RichText] = [RichText(w["title"], style="bold")]
    for s in section.scans:
        head = RichText(f"  {s.scan_id} {s.scan_date}", style="bold")
        if s.comparator_id:
            head.append(f"  {w['vs']} {s.comparator_id} {s.comparator_date}")
        if s.line_label:
            head.append(f"  · {s.line_label} {w['from']} {s.line_start}, {w['month6']} {s.anniversary}")
        lines.append(head)
        if s.classification is None:
            reason = labels.not_comparable[s.not_comparable](lang) if s.not_comparable else ""
            lines.append(RichText(f"    {reason}", style="yellow"))
            continue
        verdict = RichText("    ")
        if s.change is not None:
            verdict.append(f"{labels.change[s.change](lang)} ({labels.timing[s.timing](lang)}) → "
                           if s.timing else f"{labels.change[s.change](lang)} → ")
        verdict.append(labels.classification[s.classification](lang) + (" *" if s.interpretation else ""),
                       style=_CLASS_STYLE[s.classification.value])
        verdict.append(f"  [{', '.join(s.rule_ids)}]", style="dim")
        lines.append(verdict)
        for arg in s.arguments:
            mark, style = _ARG_MARK[arg.direction.value]
            line = RichText(f"      {mark} ", style=style)
            line.append(arg.explanation(lang) + (" *" if arg.interpretation else ""))
            lines.append(line)
        if s.missing_arguments:
            names = ", ".join(dict.fromkeys(m.name.value for m in s.missing_arguments))
            lines.append(RichText(f"      {w['missing']}: {names}", style="dim"))
        for warning in s.warnings:
            lines.append(RichText(f"      ! {warning(lang)}", style="yellow"))
    if any(s.interpretation or any(a.interpretation for a in s.arguments) for s in section.scans):
        lines.append(RichText(f"  {w['interp']}", style="dim"))
    return Group(*lines)
