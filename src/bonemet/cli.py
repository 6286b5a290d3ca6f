"""Command line: `bonemet …`, one command per function of the Python API.

Bad input exits with code 2 and one line per problem; nothing is printed as a traceback.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console

from bonemet import render
from bonemet.api import InputError, assess, load_case, to_json
from bonemet.kb import KnowledgeBaseError, default_kb
from bonemet.kb.models import Lang

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Decision support for bone metastases of lung cancer (not a medical device).")
kb_app = typer.Typer(no_args_is_help=True, help="Browse the knowledge base.")
app.add_typer(kb_app, name="kb")

_err = Console(stderr=True)


class Format(StrEnum):
    text = "text"
    json = "json"


class LangOpt(StrEnum):
    en = "en"
    fr = "fr"


class SchemaName(StrEnum):
    case = "case"
    assessment = "assessment"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="text or json")]
LangOption = Annotated[LangOpt, typer.Option("--lang", "-l", help="en or fr")]


def fail(exc: InputError | KnowledgeBaseError | KeyError) -> None:
    """Print every problem and exit 2: the convention for bad input across bonemet."""
    if isinstance(exc, InputError):
        _err.print(f"[bold red]error[/]: invalid input {exc.source}".rstrip(), highlight=False)
        for p in exc.problems:
            _err.print(f"  - {p}", highlight=False, markup=False)
    elif isinstance(exc, KnowledgeBaseError):
        _err.print("[bold red]error[/]: knowledge base refused", highlight=False)
        for line in exc.problems:
            _err.print(f"  - {line}", highlight=False, markup=False)
    else:
        _err.print(f"[bold red]error[/]: {exc.args[0]}", highlight=False, markup=False)
    raise typer.Exit(2)


def _write(data: bytes) -> None:
    sys.stdout.buffer.write(data + b"\n")
    sys.stdout.flush()


@app.command("assess")
def assess_cmd(
    case: Annotated[Path, typer.Argument(help="Case file (YAML or JSON)")],
    format: FormatOption = Format.text,
    lang: LangOption = LangOpt.en,
) -> None:
    """Assess one case: imaging recommendations and ratings with their rules and references."""
    try:
        result = assess(load_case(case))
    except (InputError, KnowledgeBaseError) as exc:
        fail(exc)
        return
    if format is Format.json:
        _write(to_json(result))
    else:
        render.console().print(render.assessment(result, Lang_(lang)))


def Lang_(lang: LangOpt) -> Lang:
    return "fr" if lang is LangOpt.fr else "en"


@app.command("demo")
def demo_cmd(lang: LangOption = LangOpt.en) -> None:
    """Assess every bundled demo case and print the results."""
    from bonemet.demo import demo_cases

    out = render.console()
    for path in demo_cases():
        out.rule(path.name)
        out.print(render.assessment(assess(load_case(path)), Lang_(lang)))


@app.command("schema")
def schema_cmd(name: Annotated[SchemaName, typer.Argument(help="case or assessment")]) -> None:
    """Print the JSON Schema of the case (input) or assessment (output) model."""
    from bonemet.model.schema import json_schema

    _write(orjson.dumps(json_schema(name.value), option=orjson.OPT_INDENT_2))


@kb_app.command("list")
def kb_list(lang: LangOption = LangOpt.en) -> None:
    """List rules and statements with their titles."""
    kb = _kb()
    out = render.console()
    out.print(f"[bold]{kb.info.name} {kb.version}[/] — {kb.title(Lang_(lang))}")
    for r in kb.rules.values():
        out.print(f"  [cyan]{r.id}[/] ({r.basis}) {r.title(Lang_(lang))}", highlight=False)
    for s in kb.statements.values():
        text = s.text(Lang_(lang))
        out.print(f"  [green]{s.id}[/] {text[:90]}{'…' if len(text) > 90 else ''}",
                  highlight=False)
    out.print(f"  {len(kb.references)} references: bonemet kb ref N")


@kb_app.command("rule")
def kb_rule(rule_id: str, lang: LangOption = LangOpt.en,
            format: FormatOption = Format.text) -> None:
    """Show one rule (e.g. NM-07)."""
    kb = _kb()
    try:
        r = kb.rule(rule_id.upper())
    except KeyError as exc:
        fail(exc)
        return
    if format is Format.json:
        _write(orjson.dumps({**r.model_dump(mode="json"), "references": kb.refs_for(r.id),
                             "kb_version": kb.version}, option=orjson.OPT_INDENT_2))
    else:
        render.console().print(render.rule(r, kb, Lang_(lang)))


@kb_app.command("statement")
def kb_statement(statement_id: str, lang: LangOption = LangOpt.en,
                 format: FormatOption = Format.text) -> None:
    """Show one statement of the chapter (e.g. F20, REC3, FIG2)."""
    kb = _kb()
    try:
        s = kb.statement(statement_id.upper())
    except KeyError as exc:
        fail(exc)
        return
    if format is Format.json:
        _write(orjson.dumps({**s.model_dump(mode="json"), "kb_version": kb.version},
                            option=orjson.OPT_INDENT_2))
    else:
        render.console().print(render.statement(s, Lang_(lang)))


@kb_app.command("ref")
def kb_ref(number: int, format: FormatOption = Format.text) -> None:
    """Show one reference of the chapter's list (1..150)."""
    kb = _kb()
    try:
        r = kb.reference(number)
    except KeyError as exc:
        fail(exc)
        return
    if format is Format.json:
        _write(orjson.dumps({**r.model_dump(mode="json"), "kb_version": kb.version},
                            option=orjson.OPT_INDENT_2))
    else:
        render.console().print(render.reference(r))


def _kb():  # type: ignore[no-untyped-def]
    try:
        return default_kb()
    except KnowledgeBaseError as exc:
        fail(exc)


def main() -> None:
    app()
