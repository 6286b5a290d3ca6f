"""Command line: `bonemet …`, one command per function of the Python API.

Bad input exits with code 2 and one line per problem; nothing is printed as a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.text import Text

from bonemet import render
from bonemet.api import InputError, Problem, assess, load_case, to_json
from bonemet.audit.cli import audit_cmd, synth_cmd
from bonemet.cli_options import Format, FormatOption, LangOpt, LangOption, as_lang, error_console
from bonemet.fhir_cli import AsOfOption, PhaseOption, QuestionOption, load_any
from bonemet.fhir_cli import app as fhir_app
from bonemet.kb import KnowledgeBaseError, default_kb
from bonemet.probability_cli import probability_cmd
from bonemet.scores.cli import app as score_app

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Decision support for bone metastases of lung cancer (not a medical device).")
kb_app = typer.Typer(no_args_is_help=True, help="Browse the knowledge base.")
app.add_typer(kb_app, name="kb")
app.add_typer(score_app, name="score")  # bonemet score … (tumour-board scores, docs/scores.md)
app.command("probability")(probability_cmd)  # post-test probability (docs/probability.md)
app.add_typer(fhir_app, name="fhir")  # bonemet fhir export (docs/fhir.md)


def _plain_text() -> Any:
    """matplotlib without math text: a '$' in a treatment name is a clinician's text, not TeX."""
    import matplotlib

    return matplotlib.rc_context({"text.parse_math": False})


def _file_errors(command: Callable[..., None]) -> Callable[..., None]:
    """A file that cannot be written or read (permissions, a directory, a full disk) is bad input
    like any other: one line naming it, exit 2, no traceback."""

    @functools.wraps(command)
    def guarded(*args: object, **kwargs: object) -> None:
        try:
            command(*args, **kwargs)
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            _error(f"cannot use{where}: {exc.strerror or exc}")
            raise typer.Exit(2) from None

    return guarded


app.command("synth")(_file_errors(synth_cmd))  # synthetic FHIR bulk cohort (docs/audit.md)
app.command("audit")(audit_cmd)  # cohort audit, DuckDB or Spark (docs/audit.md)

_err = error_console()


def _error(head: str, lines: list[str] | tuple[str, ...] = ()) -> None:
    """`error: head` then one line per problem; user text is never read as Rich markup."""
    _err.print(Text.assemble(("error", "bold red"), f": {head}"))
    for line in lines:
        _err.print(Text(f"  - {line}"))


class SchemaName(StrEnum):
    case = "case"
    assessment = "assessment"




def fail(exc: InputError | KnowledgeBaseError | KeyError) -> None:
    """Print every problem and exit 2: the convention for bad input across bonemet."""
    if isinstance(exc, InputError):
        _error(f"invalid input {exc.source}".rstrip(), [str(p) for p in exc.problems])
    elif isinstance(exc, KnowledgeBaseError):
        _error("knowledge base refused", list(exc.problems))
    else:
        _error(str(exc.args[0]))
    raise typer.Exit(2)


def _write(data: bytes) -> None:
    sys.stdout.buffer.write(data + b"\n")
    sys.stdout.flush()


class AssessFormat(StrEnum):
    text = "text"
    json = "json"
    fhir = "fhir"


@app.command("assess")
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
        result = assess(loaded)
    except (InputError, KnowledgeBaseError) as exc:
        fail(exc)
        return
    if format is AssessFormat.json:
        _write(to_json(result))
    elif format is AssessFormat.fhir:
        from bonemet.fhir import assessment_to_guidance

        _write(orjson.dumps(assessment_to_guidance(result, loaded, lang=as_lang(lang)),
                            option=orjson.OPT_INDENT_2))
    else:
        render.console(as_lang(lang)).print(render.assessment(result, as_lang(lang)))


@app.command("demo")
def demo_cmd(lang: LangOption = LangOpt.en) -> None:
    """Assess every bundled demo case and print the results."""
    from bonemet.demo import demo_cases

    out = render.console(as_lang(lang))
    for path in demo_cases():
        out.rule(path.name)
        out.print(render.assessment(assess(load_case(path)), as_lang(lang)))


@app.command("timeline")
def timeline_cmd(
    case: Annotated[Path, typer.Argument(help="Case file (YAML or JSON)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Figure file: .svg or .png")],
    lang: LangOption = LangOpt.en,
) -> None:
    """Draw the patient timeline: lines, flare windows, bone scans and their readings, markers."""
    suffix = output.suffix.lower().lstrip(".")
    if suffix not in ("svg", "png"):
        fail(InputError([Problem("--output", f"unsupported figure format {output.suffix or '(none)'!r}; "
                                             "use .svg or .png")]))
        return
    try:
        loaded = load_case(case)
        result = assess(loaded)
    except (InputError, KnowledgeBaseError) as exc:
        fail(exc)
        return
    from bonemet.report.timeline import render_timeline

    try:
        figure_format = "svg" if suffix == "svg" else "png"
        with _plain_text():
            figure = render_timeline(loaded, result, as_lang(lang), figure_format)
        output.write_bytes(figure)
    except OSError as exc:
        fail(InputError([Problem("--output", f"cannot write file: {exc.strerror}")], str(output)))


@app.command("report")
def report_cmd(
    case: Annotated[Path, typer.Argument(help="Case file (YAML or JSON)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="summary.pdf or summary.html")],
    lang: LangOption = LangOpt.en,
) -> None:
    """Write the tumour-board (MDT) summary of one case: A4 PDF, or printable HTML."""
    import datetime as dt

    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        fail(InputError([Problem("--output", f"unsupported format {output.suffix or '(none)'!r}; "
                                             "use .pdf or .html")]))
        return
    try:
        loaded = load_case(case)
    except (InputError, KnowledgeBaseError) as exc:
        fail(exc)
        return
    from bonemet.report.summary import summary_html, summary_pdf

    today = dt.date.today()  # the adapter reads the clock; the summary prints it as its date
    with _plain_text():
        body = (summary_pdf(loaded, as_lang(lang), today) if suffix == ".pdf"
                else summary_html(loaded, as_lang(lang), today).encode("utf-8"))
    try:
        output.write_bytes(body)
    except OSError as exc:
        fail(InputError([Problem("--output", f"cannot write file: {exc.strerror}")], str(output)))
        return
    _err.print(Text(f"wrote {output}"))


@app.command("schema")
def schema_cmd(name: Annotated[SchemaName, typer.Argument(help="case or assessment")]) -> None:
    """Print the JSON Schema of the case (input) or assessment (output) model."""
    from bonemet.model.schema import json_schema

    _write(orjson.dumps(json_schema(name.value), option=orjson.OPT_INDENT_2))


@kb_app.command("list")
def kb_list(lang: LangOption = LangOpt.en) -> None:
    """List rules and statements with their titles."""
    kb = _kb()
    out = render.console(as_lang(lang))
    out.print(f"[bold]{kb.info.name} {kb.version}[/] — {kb.title(as_lang(lang))}")
    for r in kb.rules.values():
        out.print(f"  [cyan]{r.id}[/] ({r.basis}) {r.title(as_lang(lang))}", highlight=False)
    for s in kb.statements.values():
        text = s.text(as_lang(lang))
        out.print(f"  [green]{s.id}[/] {text[:90]}{'…' if len(text) > 90 else ''}",
                  highlight=False)
    from bonemet.report.labels import labels

    out.print("  " + labels()("kb_ref_count", as_lang(lang)).format(n=len(kb.references)))


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
        render.console(as_lang(lang)).print(render.rule(r, kb, as_lang(lang)))


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
        render.console(as_lang(lang)).print(render.statement(s, as_lang(lang)))


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


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0: any free port)", min=0, max=65535)] = 8000,
    dev: Annotated[bool, typer.Option("--dev", help="Local development: no authentication, "
                                      "loopback only")] = False,
    db: Annotated[Path | None, typer.Option(help="SQLite store (default: BONEMET_DB)")] = None,
    load_demo: Annotated[bool, typer.Option("--load-demo", help="Put the demo cases in the "
                                            "store first")] = False,
) -> None:
    """Serve the HTTP API and the CDS Hooks services (settings: BONEMET_* variables)."""
    from bonemet.service.serve import ServeError, serve

    try:
        serve(host, port, dev, db, load_demo)
    except ServeError as exc:
        _error(str(exc))
        raise typer.Exit(2) from None


def _kb():  # type: ignore[no-untyped-def]
    try:
        return default_kb()
    except KnowledgeBaseError as exc:
        fail(exc)


def main() -> None:
    app()
