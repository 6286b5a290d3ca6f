"""CLI adapter for FHIR: read a case file OR a FHIR Bundle, and `bonemet fhir export`.

In Python: `bonemet.fhir.case_from_fhir` and `bonemet.fhir.case_to_bundle` (docs/fhir.md).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from bonemet.api import load_case, parse_case, read_document
from bonemet.cli.options import fail
from bonemet.errors import InputError, Problem
from bonemet.model import Case
from bonemet.model.case import Question

app = typer.Typer(no_args_is_help=True, help="FHIR R4: export a case as a Bundle (docs/fhir.md).")
_err = Console(stderr=True, soft_wrap=True, highlight=False)  # one line per message, whatever the width


class PhaseOpt(StrEnum):
    staging = "staging"
    on_treatment = "on_treatment"
    follow_up = "follow_up"


QuestionOpt = StrEnum("QuestionOpt", {q.value: q.value for q in Question})  # type: ignore[misc]

PhaseOption = Annotated[PhaseOpt | None, typer.Option("--phase", help="FHIR input: clinical phase")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="FHIR input: decision date YYYY-MM-DD")]
QuestionOption = Annotated[QuestionOpt | None, typer.Option("--question", help="FHIR input: the question")]


def load_any(path: Path, phase: str | None = None, as_of: str | None = None,
             question: str | None = None) -> Case:
    """A case from a YAML/JSON case file or from a FHIR Bundle (resourceType == "Bundle").

    For a Bundle, --phase/--as-of/--question win over the Bundle's own context; what the mapping
    could not use is listed on stderr (never silently dropped)."""
    from bonemet.fhir import case_from_fhir, is_bundle

    document = read_document(path)
    if not is_bundle(document):
        if phase or as_of or question:
            raise InputError([Problem("--phase/--as-of/--question", "apply to FHIR Bundles only; "
                                      "a case file carries its own context")], str(path))
        return parse_case(document, str(path))
    context: dict[str, Any] = {}
    if phase:
        context["phase"] = phase
    if as_of:
        try:
            context["as_of"] = dt.date.fromisoformat(as_of)
        except ValueError:
            raise InputError([Problem("--as-of", f"not a date YYYY-MM-DD: {as_of!r}")]) from None
    if question:
        context["question"] = question
    try:
        result = case_from_fhir(document, context=context)
    except InputError as exc:
        raise InputError(exc.problems, str(path)) from None
    for note in result.unmapped:
        _err.print(f"note: not mapped: {note}", highlight=False, markup=False)
    for note in result.assumptions:
        _err.print(f"note: assumed: {note}", highlight=False, markup=False)
    return result.case


@app.command("export")
def export_cmd(
    case: Annotated[Path, typer.Argument(help="Case file (YAML or JSON)")],
    output: Annotated[Path | None,
                      typer.Option("--output", "-o", help="Bundle file (default: stdout)")] = None,
) -> None:
    """Write a case as a FHIR R4 collection Bundle (bonemet value sets; deterministic ids)."""
    from bonemet.fhir import case_to_bundle

    try:
        data = orjson.dumps(case_to_bundle(load_case(case)), option=orjson.OPT_INDENT_2)
    except InputError as exc:
        fail(exc)
    if output is None:
        typer.echo(data.decode())
        return
    try:
        output.write_bytes(data + b"\n")
    except OSError as exc:
        fail(InputError([Problem("--output", f"cannot write file: {exc.strerror}")], str(output)))


@app.command("report")
def report_cmd(
    bundle: Annotated[Path, typer.Argument(help="FHIR R4 Bundle (JSON), e.g. an mCODE record")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per resource")] = False,
) -> None:
    """What became of every resource of a Bundle: read (into which case fields) or skipped (why)."""
    from bonemet.fhir import case_from_fhir, is_bundle

    try:
        document = read_document(bundle)
        if not is_bundle(document):
            raise InputError([Problem("resourceType", "not a FHIR Bundle")], str(bundle))
        result = case_from_fhir(document)
    except InputError as exc:
        fail(exc)
    if as_json:
        rows = [{"resourceType": r.resource_type, "id": r.resource_id, "outcome": r.outcome,
                 "detail": r.detail} for r in result.report]
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    for r in result.report:
        typer.echo(str(r))
    counts = {k: sum(r.outcome == k for r in result.report) for k in ("read", "skipped", "not accounted")}
    typer.echo(f"{len(result.report)} resources: {counts['read']} read, {counts['skipped']} skipped, "
               f"{counts['not accounted']} not accounted for")
