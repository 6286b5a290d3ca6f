"""The tumour-board (MDT / RCP) summary: one page per patient, as printable HTML and as an A4 PDF.

Identity as entered, cancer, imaging table, treatments, timeline, skeleton map, scores,
follow-up reading, recommendations with their references in full, knowledge-base version and date.
The same HTML feeds the browser (print stylesheet) and WeasyPrint. The PDF is built with a URL
fetcher that refuses every URL: everything the page shows is inline, and a summary must never
reach out to the network.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from functools import lru_cache
from types import ModuleType
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bonemet._version import __version__
from bonemet.base import format_day
from bonemet.core import assess
from bonemet.kb import KnowledgeBase, default_kb
from bonemet.model import Assessment, Case
from bonemet.model.board import DecisionBox, Session
from bonemet.model.plan import headline as plan_headline
from bonemet.report.fiche_facts import neurological_record
from bonemet.report.headline import build_headline
from bonemet.report.labels import install_filters, labels, render_in
from bonemet.report.probability_view import lr_text, pct
from bonemet.report.saved_checks import SavedCheck
from bonemet.report.skeleton import describe, skeleton_map


def _optional(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def assess_case(case: Case, kb: KnowledgeBase | None = None) -> Assessment:
    return assess(case, kb or default_kb())


def has_timeline(case: Case) -> bool:
    """Whether the case has a course worth drawing (treatments, several exams or lab values) and the
    timeline capability is installed."""
    # find_spec, not import: the page that asks must not pay for importing matplotlib.
    return (importlib.util.find_spec("bonemet.report.timeline") is not None
            and bool(case.treatments or len(case.exams) > 1 or case.labs))


def timeline_svg(case: Case, a: Assessment, lang: str) -> str | None:
    """The timeline figure as SVG text (None when there is nothing to draw)."""
    if not has_timeline(case):
        return None
    from bonemet.report.timeline import render_timeline

    svg = render_timeline(case, a, lang, "svg").decode("utf-8")  # type: ignore[arg-type]
    # Inline in HTML: drop the XML prolog and DOCTYPE (which names a remote DTD).
    return svg[svg.find("<svg"):]


def extras(case: Case, a: Assessment, lang: str, *, inline_timeline: bool = True) -> dict[str, Any]:
    """Sections that other capabilities add to an assessment; each is None when absent. The web page
    asks for the timeline apart (`inline_timeline=False`): it loads as an image after the page."""
    return {
        "follow_up": getattr(a, "follow_up", None),
        "scores": getattr(a, "scores", None),
        "probability": getattr(a, "probability", None),
        "timeline_svg": timeline_svg(case, a, lang) if inline_timeline else None,
        "has_timeline": has_timeline(case),
    }


def references_of(a: Assessment, kb: KnowledgeBase) -> dict[int, Any]:
    numbers = {n for r in a.recommendations for n in r.references}
    numbers |= {n for r in a.ratings if r.rule_id for n in r.references}
    if a.plan is not None:  # the bone plan's proposals cite the seed's numbers too (issue 23)
        numbers |= {n for p in a.plan.proposals for n in p.references}
    return {n: kb.references[n] for n in sorted(numbers) if n in kb.references}


def css_string(text: str) -> Markup:
    """Text for a CSS string inside <style> (the PDF footer): HTML escaping does not apply there,
    so `n'est` printed as `n&#39;est`; CSS escapes keep quotes, backslashes and `</style` inert."""
    out = []
    for ch in str(text):
        if ch in "\\\"'<>&" or ord(ch) < 32:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return Markup("".join(out))


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = install_filters(Environment(loader=PackageLoader("bonemet.report", "templates"),
                                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                                      lstrip_blocks=True))
    env.filters["css_string"] = css_string
    return env


def fmt_date(value: dt.date, lang: str) -> str:
    return format_day(value, lang)


def fmt_stamp(value: str, lang: str) -> str:
    """A stored UTC time stamp (ISO text) as the reader writes it, to the minute."""
    try:
        stamp = dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    except ValueError:
        return value
    return f"{fmt_date(stamp.date(), lang)} {stamp:%H:%M} UTC"


def summary_html(case: Case, lang: str, generated_on: dt.date, *, web: bool = False,
                 kb: KnowledgeBase | None = None, board: DecisionBox | None = None,
                 checks: tuple[SavedCheck, ...] = ()) -> str:
    """The summary page. `web` adds the print / PDF / back links that a paper copy must not carry;
    `board` (a case printed from a tumour-board session) adds the decision box on top of page 1;
    `checks`, the quick checks kept in the patient's file, follow it (review 25 F15)."""
    kb = kb or default_kb()
    a = assess_case(case, kb)
    L = labels()
    skm = skeleton_map(case, lang)
    return render_in(lang, lambda: _env().get_template("summary.html").render(
        case=case, a=a, kb=kb, lang=lang, generated_on=generated_on, web=web,
        engine_version=__version__, skm=skm, refs=references_of(a, kb),
        t=lambda key: L(key, lang), e=lambda kind, value: L.enum(kind, value, lang),
        lesion_text=lambda lesion: describe(lesion, lang), disclaimer=kb.disclaimer(lang),  # type: ignore[arg-type]
        pct=lambda value, digits=1: pct(value, digits, lang), lr=lambda value: lr_text(value, lang),
        board=board, fmt_date=lambda d: fmt_date(d, lang), plan_line=plan_headline(a.plan),
        hl=build_headline(a, kb),  # page 1: urgent alerts first (issue 25)
        neuro=neurological_record(case, kb),  # page 1: the deficit and where (review 25 F9)
        checks=checks,
        fmt_stamp=lambda v: fmt_stamp(v, lang),
        **extras(case, a, lang),
    ))


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"the MDT summary fetches no resource ({url[:40]})")


def summary_pdf(case: Case, lang: str, generated_on: dt.date, kb: KnowledgeBase | None = None) -> bytes:
    """The summary as an A4 PDF (WeasyPrint), with the same content as the HTML."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    html = summary_html(case, lang, generated_on, kb=kb)
    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    if pdf is None:  # pragma: no cover - write_pdf returns bytes when no target is given
        raise RuntimeError("WeasyPrint produced no PDF")
    return bytes(pdf)


def _numbered(html: str, first_page: int, total: int | None, lang: str) -> str:
    """The document with its pages numbered from `first_page` to the meeting's `total` ("page k /
    N" through the whole PDF, issue 25): a style added at the end of the head overrides the
    fiche's own page footer; the fiche template itself is not changed. The footer sits in the
    page margin, so its text never moves the content: both passes paginate alike."""
    word = css_string(labels()("pdf_page", lang))
    # total 0: a document alone, its own page count; None: the first pass, a placeholder.
    total_text = {None: '"000"', 0: "counter(pages)"}.get(total, f'"{total}"')
    style = (f'<style>@page {{ @bottom-right {{ content: "{word} " counter(page) " / " {total_text}; '
             f'font-size: 7pt; color: #4b5563; }} }} '
             f'@page :first {{ counter-reset: page {first_page}; }}</style>')
    at = html.find("</head>")
    return html[:at] + style + html[at:] if at >= 0 else style + html


def session_pdf(items: list[tuple[Case, DecisionBox]], lang: str, generated_on: dt.date,
                kb: KnowledgeBase | None = None, *, session: Session | None = None,
                checks: dict[str, tuple[SavedCheck, ...]] | None = None) -> bytes:
    """One PDF for a tumour-board session, in the session's order. With `session` (the whole
    meeting), a cover and an agenda come first (report/session_cover.py) and the PDF's title is
    the meeting; each patient starts on a new page with its own decision box, rules and
    reference list; the pages are numbered through the whole document (issue 25).

    Two passes: the first counts each part's pages (for the agenda's page column and the total),
    the second draws the numbers. Each part is its own HTML document, so a patient's reference
    links never land in another patient's list."""
    from weasyprint import HTML

    from bonemet.report.session_cover import cover_html, meeting_title

    if not items:
        raise ValueError("a session PDF needs at least one case")
    fiches = [summary_html(case, lang, generated_on, kb=kb, board=box,
                           checks=(checks or {}).get(case.case_id, ())) for case, box in items]
    base = kb or default_kb()
    headlines = ([build_headline(assess_case(case, base), base) for case, _ in items]
                 if session else [])

    def parts(starts: list[int] | None) -> list[str]:
        head = [cover_html(session, items, headlines, lang, generated_on, starts, _env(), base)
                ] if session else []
        return head + fiches

    def draw(htmls: list[str], total: int | None, counts: list[int] | None) -> list[Any]:
        documents, first = [], 1
        for n, html in enumerate(htmls):
            document = HTML(string=_numbered(html, first, total, lang), url_fetcher=_no_fetch).render()
            documents.append(document)
            first += counts[n] if counts is not None else len(document.pages)
        return documents

    if session is None and len(items) == 1:  # one fiche alone: one pass, its own page count
        documents = draw(parts(None), 0, None)
        pdf = documents[0].write_pdf()
        if pdf is None:  # pragma: no cover - write_pdf returns bytes when no target is given
            raise RuntimeError("WeasyPrint produced no PDF")
        return bytes(pdf)
    counted = draw(parts(None), None, None)
    counts = [len(d.pages) for d in counted]
    total = sum(counts)
    cover_pages = counts[0] if session else 0
    starts = [1 + cover_pages + sum(counts[1 if session else 0:i]) for i in
              range(1 if session else 0, len(counts))]
    documents = draw(parts(starts), total, counts)
    if [len(d.pages) for d in documents] != counts:  # pragma: no cover - the margin moves nothing
        raise RuntimeError("the session PDF paginated differently in its second pass")
    pages = [page for document in documents for page in document.pages]
    combined = documents[0].copy(pages)
    if session is not None:
        combined.metadata.title = meeting_title(session, lang)
    pdf = combined.write_pdf()
    if pdf is None:  # pragma: no cover - write_pdf returns bytes when no target is given
        raise RuntimeError("WeasyPrint produced no PDF")
    return bytes(pdf)
