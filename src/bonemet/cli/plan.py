"""`bonemet plan`: the bone plan of one case, for the tumour board (issue 23; docs/plan.md).

In Python: `bonemet.api.load_case` / `bonemet.api.bone_plan` (the assessment's `plan` section),
`bonemet.model.plan.headline` for its first line.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text as RichText

from bonemet.api import bone_plan, check_dates_not_future
from bonemet.base.text import Lang
from bonemet.cli import render
from bonemet.cli.fhir import load_any
from bonemet.cli.options import LangOpt, LangOption, as_lang, fail, write
from bonemet.errors import InputError, KnowledgeBaseError
from bonemet.model.plan import BonePlan, headline

_NONE = {"en": "No bone plan: the case records no bone lesion, plan input or cord-compression "
               "picture.",
         "fr": "Pas de plan osseux : le cas ne note ni lésion osseuse, ni donnée du plan, ni "
               "tableau de compression médullaire."}
_HEAD = {"en": ("Priority", "Rule", "Lesions", "Proposal (for the board to discuss)", "Source"),
         "fr": ("Priorité", "Règle", "Lésions", "Proposition (à discuter en RCP)", "Source")}
_AXES = {"en": ("Lesion", "Pain", "Neurological risk", "Fracture / instability"),
         "fr": ("Lésion", "Douleur", "Risque neurologique", "Fracture / instabilité")}
_OUTSIDE = {"en": "outside the référentiel", "fr": "hors référentiel"}
_PARTLY = {"en": "référentiel, partly outside it", "fr": "référentiel, en partie hors référentiel"}
_CAVEAT = {"en": "Caveat", "fr": "Réserve"}
_NOT_PROPOSED = {"en": ("Considered, not proposed", "Rule", "Lesions", "Why"),
                 "fr": ("Envisagé, non proposé", "Règle", "Lésions", "Pourquoi")}
_REFERENTIEL = {"en": "référentiel", "fr": "référentiel"}
_WORDS = {"en": {"high": "high", "intermediate": "intermediate", "low": "low", "unknown": "unknown",
                 "urgent": "urgent", "routine": "routine"},
          "fr": {"high": "élevé", "intermediate": "intermédiaire", "low": "faible",
                 "unknown": "inconnu", "urgent": "urgent", "routine": "non urgent"}}


class PlanFormat(StrEnum):
    text = "text"
    json = "json"


def _where(plan: BonePlan, field: str, lang: Lang) -> str:
    """The lesion a missing field belongs to, in words (the raw path stays in the JSON)."""
    sep = " : " if lang == "fr" else ": "
    for x in plan.lesions:
        if any(field == p or field.startswith(f"{p}.") for p in x.paths):
            return f"{x.label(lang)}{sep}"
    return ""


def plan_table(plan: BonePlan, lang: Lang) -> Group:
    """The plan as two tables: the three axes per lesion, then the proposals with their checks."""
    axes = Table(*_AXES[lang], show_lines=False)
    for x in plan.lesions:
        sep = " : " if lang == "fr" else ": "
        axes.add_row(x.label(lang), *(f"{_WORDS[lang][a.level]}{sep}{a.summary(lang)}"
                                      for a in (x.pain, x.neurological, x.fracture)))
    table = Table(*_HEAD[lang], show_lines=True)
    labels = {x.id: x.label(lang) for x in plan.lesions}
    for p in plan.proposals:
        body = RichText(p.title(lang), style="bold")
        for c in p.checks:
            body.append(f"\n→ {c.text(lang)}", style="yellow")
        body.append(f"\n{p.text(lang)}")
        sep = " : " if lang == "fr" else ": "
        for caveat in p.caveats:  # what the sources leave uncertain, shown to the board (F7)
            body.append(f"\n{_CAVEAT[lang]}{sep}{caveat(lang)}", style="italic")
        refs = f" [{', '.join(str(n) for n in p.references)}]" if p.references else ""
        mixed = not p.outside_referentiel and any(s.outside_referentiel for s in p.sources)
        source = (_OUTSIDE if p.outside_referentiel else _PARTLY if mixed else _REFERENTIEL)[lang] + refs
        table.add_row(_WORDS[lang][p.priority], p.rule_id, ", ".join(labels.get(i, i) for i in p.lesions),
                      body, source)
    first = headline(plan)
    parts: list[object] = [RichText(first(lang), style="bold")] if first else []
    parts += [axes, table]
    if plan.not_proposed:  # why a rule said nothing (review 23b, N5)
        title, *head = _NOT_PROPOSED[lang]
        declined = Table(*head, title=title, show_lines=True)
        for d in plan.not_proposed:
            declined.add_row(d.rule_id, ", ".join(labels.get(i, i) for i in d.lesions),
                             f"{d.title(lang)}\n{d.reason(lang)}")
        parts.append(declined)
    if plan.patient.contradictions:
        parts += [RichText("\n".join(t(lang) for t in plan.patient.contradictions), style="red")]
    if plan.patient.notes:
        parts += [RichText("\n".join(t(lang) for t in plan.patient.notes), style="yellow")]
    if plan.missing_data:
        parts += [RichText("\n".join(f"- {_where(plan, m.field, lang)}{m.reason(lang)}"
                                     for m in plan.missing_data))]
    return Group(*parts)  # type: ignore[arg-type]


def plan_cmd(
    case: Annotated[Path, typer.Argument(help="Case file (YAML or JSON) or FHIR R4 Bundle (JSON)")],
    format: Annotated[PlanFormat, typer.Option("--format", "-f", help="text or json")] = PlanFormat.text,
    lang: LangOption = LangOpt.en,
) -> None:
    """The bone plan: per lesion the three axes, and proposals for the board with their sources."""
    try:
        loaded = load_any(case, None, None, None)
        check_dates_not_future(loaded, dt.date.today(), str(case))
        result = bone_plan(loaded)
    except (InputError, KnowledgeBaseError) as exc:
        fail(exc)
    language = as_lang(lang)
    if format is PlanFormat.json:
        write(orjson.dumps(result.model_dump(mode="json") if result else None,
                           option=orjson.OPT_INDENT_2))
    elif result is None:
        render.console(language).print(_NONE[language])
    else:
        render.console(language).print(plan_table(result, language))
