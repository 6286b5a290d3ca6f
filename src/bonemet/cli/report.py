"""`bonemet timeline` and `bonemet report`: figures and the tumour-board summary of one case.

In Python: `bonemet.report.timeline.render_timeline`, `bonemet.report.summary.summary_pdf` and
`summary_html`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.text import Text

from bonemet.api import assess, load_case
from bonemet.cli.options import LangOpt, LangOption, as_lang, error_console, fail
from bonemet.errors import InputError, KnowledgeBaseError, Problem


def _plain_text() -> Any:
    """matplotlib without math text: a '$' in a treatment name is a clinician's text, not TeX."""
    import matplotlib

    return matplotlib.rc_context({"text.parse_math": False})


def _cannot_write(output: Path, exc: OSError) -> InputError:
    return InputError([Problem("--output", f"cannot write file: {exc.strerror}")], str(output))


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
    try:
        loaded = load_case(case)
        result = assess(loaded)
    except (InputError, KnowledgeBaseError) as exc:
        fail(exc)
    from bonemet.report.timeline import render_timeline

    try:
        figure_format: Literal["svg", "png"] = "svg" if suffix == "svg" else "png"
        with _plain_text():
            figure = render_timeline(loaded, result, as_lang(lang), figure_format)
        output.write_bytes(figure)
    except OSError as exc:
        fail(_cannot_write(output, exc))


def report_cmd(
    case: Annotated[Path, typer.Argument(help="Case file (YAML or JSON)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="summary.pdf or summary.html")],
    lang: LangOption = LangOpt.en,
) -> None:
    """Write the tumour-board (MDT) summary of one case: A4 PDF, or printable HTML."""
    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        fail(InputError([Problem("--output", f"unsupported format {output.suffix or '(none)'!r}; "
                                             "use .pdf or .html")]))
    try:
        loaded = load_case(case)
    except (InputError, KnowledgeBaseError) as exc:
        fail(exc)
    from bonemet.report.summary import summary_html, summary_pdf

    today = dt.date.today()  # the adapter reads the clock; the summary prints it as its date
    with _plain_text():
        body = (summary_pdf(loaded, as_lang(lang), today) if suffix == ".pdf"
                else summary_html(loaded, as_lang(lang), today).encode("utf-8"))
    try:
        output.write_bytes(body)
    except OSError as exc:
        fail(_cannot_write(output, exc))
    error_console().print(Text(f"wrote {output}"))
