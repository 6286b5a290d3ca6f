"""Terminal rendering of score results (Rich), shared by `bonemet score` and `bonemet assess`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text as RichText

from bonemet.base.text import Lang
from bonemet.model.scores import CaseScores, IncompleteScore, ScoreResult
from bonemet.report.labels import field_label, score_of, score_option_label

_L = {
    "en": {"item": "Item", "value": "Value", "points": "Points", "total": "Total", "grade": "Grade",
           "thresholds": "Thresholds", "notes": "Notes", "citation": "Citation",
           "sources": "Point table checked in",
           "gref": "guideline ref.", "refs": "refs", "missing": "cannot be computed, missing",
           "scores": "Scores", "derived": "from", "links": "Read as", "range": "range",
           "met": "met", "not_met": "not met", "not_evaluable": "not evaluable, missing",
           "guideline": "guideline", "score_source": "score authors", "interpretation": "interpretation"},
    "fr": {"item": "Item", "value": "Valeur", "points": "Points", "total": "Total", "grade": "Grade",
           "thresholds": "Seuils", "notes": "Notes", "citation": "Référence",
           "sources": "Grille vérifiée dans",
           "gref": "réf. du référentiel", "refs": "réf.", "missing": "non calculable, il manque",
           "scores": "Scores", "derived": "d'après", "links": "Équivaut à", "range": "étendue",
           "met": "atteint", "not_met": "non atteint", "not_evaluable": "non évaluable, il manque",
           "guideline": "référentiel", "score_source": "auteurs du score",
           "interpretation": "interprétation"},
}
# The kind of a score's note, as the web page's badge words it (the catalogue lives above this layer).
_NOTE_KIND = {"en": {"conflict": "conflict", "caveat": "caveat", "convention": "convention",
                     "interpretation": "interpretation"},
              "fr": {"conflict": "divergence", "caveat": "mise en garde", "convention": "convention",
                     "interpretation": "interprétation"}}
_STATUS_STYLE = {"met": "bold yellow", "not_met": "dim", "not_evaluable": "magenta"}


def result(r: ScoreResult, lang: Lang, detail: bool = True,
           field_name: Callable[[str], str] | None = None) -> Group:
    t = {**_L[lang], "_": "\u00a0" if lang == "fr" else ""}
    head = RichText()
    head.append(r.name(lang), style="bold")
    if r.subject:
        head.append(f"  [{r.subject}]", style="dim")
    head.append("  ")
    if r.total is not None and r.range is not None:
        head.append(f"{t['total']} {r.total} ({t['range']} {r.range[0]}-{r.range[1]})", style="bold cyan")
    elif r.grade is not None:
        head.append(f"{t['grade']} {r.grade.label(lang)}", style="bold cyan")
    if r.grade is None or r.band.label(lang) != r.grade.label(lang):
        head.append(f" → {r.band.label(lang)}", style="bold")
    parts: list[RenderableType] = [head]
    if r.items:
        table = Table(show_header=True, box=None, padding=(0, 1))
        for col in ("item", "value", "points"):
            table.add_column(t[col])
        for i in r.items:
            name = field_name or (lambda p: _input_label(p, lang))
            source = name(i.derived_from) if i.derived_from else ""
            shown = i.value_label(lang) + (f"  ({t['derived']} {source})" if source else "")
            table.add_row(i.label(lang), shown, "" if i.points is None else str(i.points))
        parts.append(table)
    if r.grade is not None:
        parts.append(RichText(r.grade.definition(lang)))
    parts.append(RichText(r.band.interpretation(lang)))
    for link in r.links:
        pts = f" ({link.points})" if link.points is not None else ""
        input_name = _input_label(f"score_inputs.{link.score}.{link.item}", lang)
        value = _option_words(link.score, link.item, link.value, lang)
        parts.append(RichText(f"{t['links']}{t['_']}: {input_name} = {value}{pts}"))
    for th in r.thresholds:
        status = t[th.status] + (f" {', '.join(_measure_label(r.score, m, lang) for m in th.missing)}"
                                 if th.missing else "")
        refs = f" [{t['refs']} {', '.join(map(str, th.references))}]" if th.references else ""
        line = RichText(f"  [{t[th.source]}{t['_']}: ")
        line.append(status, style=_STATUS_STYLE[th.status])
        line.append(f"] {th.text(lang)}{refs}")
        parts.append(line)
    if detail:
        for n in r.notes:
            kind = _NOTE_KIND[lang].get(n.kind, n.kind)
            parts.append(RichText(f"  ({kind}) {n.text(lang)}", style="italic"))
        ref = f" [{t['gref']} {r.citation.guideline_ref}]" if r.citation.guideline_ref else ""
        parts.append(RichText(f"{t['citation']}{t['_']}: {r.citation.text}{ref}", style="dim"))
        parts.append(RichText(f"{t['sources']}{t['_']}: " + "; ".join(r.sources) + f"  (kb {r.kb_version})",
                              style="dim"))
    return Group(*parts)


def _measure_label(score: str, measure: str, lang: Lang) -> str:
    """A threshold's measure as its score table words it ("lyse corticale circonférentielle (%)")."""
    from bonemet.kb import default_kb

    table = default_kb().scores.get(score)
    found = [m for th in (table.thresholds if table else ()) for m in th.measures if m.id == measure]
    return str(found[0].label(lang)) if found else measure


def _allowed(path: str, allowed: Sequence[str], lang: Lang) -> str:
    """The values an input takes, by the score table's words for them where it has words."""
    from bonemet.kb import default_kb

    parts = path.split(".")
    if parts[0] != "score_inputs":  # a lesion's input: exams[0].lesions[0].sins.pain
        found = score_of(path)
        parts = ["score_inputs", *found] if found else parts
    table = default_kb().scores.get(parts[1]) if len(parts) > 1 and parts[0] == "score_inputs" else None
    item = next((i for i in table.items if i.id == parts[2]), None) if table and len(parts) > 2 else None
    words = []
    for code in allowed:
        option = item.option(code) if item is not None else None
        words.append(str(option.label(lang)) if option is not None else code)
    return " | ".join(words)


def _input_label(path: str, lang: Lang) -> str:
    """'score_inputs.tokuhashi.palsy' as the score table words it; the path when it has no words."""
    from bonemet.kb import default_kb

    parts = path.split(".")
    if parts[0] != "score_inputs":  # a lesion's input, named with its exam and lesion
        return field_label(path, lang)
    table = default_kb().scores.get(parts[1]) if len(parts) > 1 else None
    if table is None:
        return path
    if len(parts) == 2:
        return str(table.name(lang))
    item = next((i for i in table.items if i.id == parts[2]), None)
    return f"{table.name(lang)} · {item.label(lang)}" if item is not None else _measure_label(
        table.id, parts[2], lang)


def _option_words(score: str, item: str, value: object, lang: Lang) -> str:
    """A score option in its table's words ("incomplete" -> "Incomplet (Frankel C ou D)")."""
    return score_option_label(score, item, value, lang) or str(value)


def incomplete(s: IncompleteScore, lang: Lang) -> RichText:
    t = {**_L[lang], "_": "\u00a0" if lang == "fr" else ""}
    line = RichText()
    line.append(s.name(lang), style="bold")
    line.append(f"  [{s.subject}]  ", style="dim")
    line.append(f"{t['missing']}{t['_']}: ", style="magenta")
    line.append(", ".join(f"{_input_label(m.field, lang)} ({_allowed(m.field, m.allowed, lang)})"
                          for m in s.missing))
    return line


def case_scores(scores: CaseScores, lang: Lang, field_name: Callable[[str], str] | None = None) -> Group:
    parts: list[RenderableType] = [RichText(_L[lang]["scores"] + ("\u00a0:" if lang == "fr" else ":"),
                                            style="bold underline")]
    parts += [result(r, lang, detail=False, field_name=field_name) for r in scores.computed]
    parts += [incomplete(s, lang) for s in scores.incomplete]
    return Group(*parts)
