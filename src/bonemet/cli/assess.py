"""`bonemet assess`, `bonemet demo`, `bonemet schema`: one case in, its assessment out.

In Python: `bonemet.api.load_case` / `bonemet.api.check_dates_not_future` / `bonemet.api.assess`
(`bonemet.cli.fhir.load_any` for a FHIR Bundle), `bonemet.fhir.assessment_to_guidance`,
`bonemet.model.schema.json_schema`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer

from bonemet.api import assess, check_dates_not_future, load_case, to_json
from bonemet.cli import render
from bonemet.cli.fhir import AsOfOption, PhaseOption, QuestionOption, load_any
from bonemet.cli.options import LangOpt, LangOption, as_lang, fail, write
from bonemet.errors import InputError, KnowledgeBaseError


class AssessFormat(StrEnum):
    text = "text"
    json = "json"
    fhir = "fhir"


class SchemaName(StrEnum):
    case = "case"
    assessment = "assessment"


def assess_cmd(
    case: Annotated[Path, typer.Argument(help="Case file (YAML or JSON) or FHIR R4 Bundle (JSON)")],
    format: Annotated[AssessFormat, typer.Option("--format", "-f", help="text, json or fhir "
                                                 "(GuidanceResponse)")] = AssessFormat.text,
    lang: LangOption = LangOpt.en,
    phase: PhaseOption = None,
    as_of: AsOfOption = None,
    question: QuestionOption = None,
) -> None:
    """Assess one case: imaging recommendations and ratings with their rules and references."""
    try:
        loaded = load_any(case, phase and phase.value, as_of, question and question.value)
        # The adapter reads the clock (the core has none): no fact after today (issue 21).
        check_dates_not_future(loaded, dt.date.today(), str(case))
        result = assess(loaded)
    except (InputError, KnowledgeBaseError) as exc:
        fail(exc)
    if format is AssessFormat.json:
        write(to_json(result))
    elif format is AssessFormat.fhir:
        from bonemet.fhir import assessment_to_guidance

        write(orjson.dumps(assessment_to_guidance(result, loaded, lang=as_lang(lang)),
                           option=orjson.OPT_INDENT_2))
    else:
        render.console(as_lang(lang)).print(render.assessment(result, as_lang(lang)))


def demo_cmd(lang: LangOption = LangOpt.en) -> None:
    """Assess every bundled demo case and print the results."""
    from bonemet.demo import demo_cases

    out = render.console(as_lang(lang))
    for path in demo_cases():
        out.rule(path.name)
        out.print(render.assessment(assess(load_case(path)), as_lang(lang)))


def schema_cmd(name: Annotated[SchemaName, typer.Argument(help="case or assessment")]) -> None:
    """Print the JSON Schema of the case (input) or assessment (output) model."""
    from bonemet.model.schema import json_schema

    write(orjson.dumps(json_schema(name.value), option=orjson.OPT_INDENT_2))
