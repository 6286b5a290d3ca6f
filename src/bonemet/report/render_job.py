"""One drawing of the web app (MDT summary as HTML or PDF, session PDF, timeline), run in a process
of its own so that it can be stopped: a client that hangs up, or a drawing over its time, has its
process killed (bonemet.web.render_pool). WeasyPrint and matplotlib cannot be interrupted in a
thread; a 200-exam summary draws for 13 s, and abandoned drawings used to run to their end while
colleagues waited (issue 22).

The processes are forked from a server process that imported this module and drew a demo case
once (`warm_up`), so that a drawing starts warm: fonts, templates and the knowledge base loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from bonemet.report import summary


def _timeline(case: Any, lang: str) -> bytes:
    svg = summary.timeline_svg(case, summary.assess_case(case), lang)
    return (svg or "").encode("utf-8")


def _html_pdf(html: str) -> bytes:
    """A page of the web app as PDF (the quick check's print view, issue 25)."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    return bytes(HTML(string=html).write_pdf())


JOBS: dict[str, Callable[..., Any]] = {
    "html_pdf": _html_pdf,
    "summary_html": summary.summary_html,
    "summary_pdf": summary.summary_pdf,
    "session_pdf": summary.session_pdf,
    "timeline_svg": _timeline,
}


def run(conn: Connection, kind: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Draw and send ("ok", result) or ("error", exception type) back; the process then ends."""
    import matplotlib

    try:
        # Math text off: a '$' in a treatment name is text typed by a clinician, not TeX to parse.
        with matplotlib.rc_context({"text.parse_math": False}):
            result = JOBS[kind](*args, **kwargs)
        conn.send(("ok", result))
    except Exception as exc:  # the type only: a message may quote patient data
        conn.send(("error", type(exc).__name__))
    finally:
        conn.close()


def warm_up() -> None:
    """Load what every drawing needs, once, in the process the drawings are forked from."""
    import datetime as dt

    import matplotlib

    matplotlib.use("Agg")
    import weasyprint  # type: ignore[import-untyped]  # noqa: F401

    from bonemet.model import Case

    case = Case.model_validate({
        "case_id": "warm-up", "context": {"phase": "follow_up", "as_of": "2025-06-01"},
        "cancer": {"primary_site": "lung", "histology": "adenocarcinoma", "diagnosis": "confirmed"},
        "exams": [{"id": "e1", "date": "2025-01-10", "modality": "bone_scan", "result": "negative"},
                  {"id": "e2", "date": "2025-05-20", "modality": "bone_scan", "result": "negative"}],
        "treatments": [{"id": "t1", "type": "chemotherapy", "start": "2025-01-20", "line_number": 1}],
    })
    summary.summary_pdf(case, "en", dt.date.today())  # fonts, templates and the PDF engine
    _timeline(case, "en")


__all__ = ["JOBS", "run", "warm_up"]
