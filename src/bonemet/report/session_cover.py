"""The first pages of a meeting's PDF (issue 25): a cover (the meeting, its date in words, site,
attendees as a list, number of patients) and the agenda (order, patient, question, urgent flag,
status, the page where each patient's fiche starts).

The urgent flag is the headline's (report/headline.py: the SAFE alerts and contradictions of the
assessment), never decided here. Dates are written in words in both languages.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from babel.dates import format_date
from jinja2 import Environment

from bonemet._version import __version__
from bonemet.kb import KnowledgeBase, default_kb
from bonemet.model import Case
from bonemet.model.board import DecisionBox, Session, SessionStatus
from bonemet.report.headline import Headline
from bonemet.report.labels import case_title, labels, render_in

_LOCALE = {"fr": "fr", "en": "en_GB"}


def meeting_day(value: dt.date, lang: str) -> str:
    """vendredi 27 novembre 2026 / Friday, 27 November 2026."""
    return str(format_date(value, "full", locale=_LOCALE.get(lang, "en_GB")))


def day_words(value: dt.date, lang: str) -> str:
    """27 novembre 2026 / 27 November 2026."""
    return str(format_date(value, "long", locale=_LOCALE.get(lang, "en_GB")))


_ISO_DAY_IN_TEXT = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def prose_days(text: str, lang: str) -> str:
    """A rule's sentence as the meeting pages write it: each ISO day in it in words (the core's
    English texts carry ISO days; an agenda row reads "17 January 2025", never "2025-01-17")."""
    def one(m: re.Match[str]) -> str:
        try:
            return day_words(dt.date.fromisoformat(m.group(1)), lang)
        except ValueError:
            return m.group(1)
    return _ISO_DAY_IN_TEXT.sub(one, text)


def stamp_words(value: str, lang: str) -> str:
    """A stored UTC time stamp as words, to the minute: 7 décembre 2026, 22:22 UTC."""
    try:
        stamp = dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    except ValueError:
        return value
    return f"{day_words(stamp.date(), lang)}, {stamp:%H:%M} UTC"


def agenda_state(status: SessionStatus) -> str:
    """decided / pending / postponed, the agenda's word for a session status."""
    return {SessionStatus.discussed: "decided", SessionStatus.postponed: "postponed"}.get(
        status, "pending")


def meeting_title(session: Session, lang: str) -> str:
    """The PDF's title: the meeting, not its first patient."""
    L = labels()
    name = session.title or L("pdf_meeting_default", lang)
    when = L("pdf_meeting_of", lang).format(date=meeting_day(session.meeting_date, lang))
    return f"{name} — {when} — {session.site}"


def cover_html(session: Session, items: list[tuple[Case, DecisionBox]], headlines: list[Headline],
               lang: str, generated_on: dt.date, starts: list[int] | None, env: Environment,
               kb: KnowledgeBase | None = None) -> str:
    """Cover and agenda as one HTML document (`env`: the summary's templates); `headlines` those of
    the items; `starts` the first page of each patient's fiche (None in the first pass, when the
    pages are being counted: a placeholder of the same width)."""
    kb = kb or default_kb()
    L = labels()
    rows: list[dict[str, Any]] = []
    for n, ((case, box), hl) in enumerate(zip(items, headlines, strict=True)):
        # a patient without a label gets the case's readable title, never a bare id (issue 25, item 8)
        label = case.patient.label if case.patient and case.patient.label else case_title(case, lang)
        rows.append({"position": box.item.position, "label": label, "case_id": case.case_id,
                     "question": box.item.question, "alerts": hl.alerts,
                     "state": agenda_state(box.item.status),
                     "page": str(starts[n]) if starts is not None else "000"})
    return render_in(lang, lambda: env.get_template("session_cover.html").render(
        s=session, rows=rows, lang=lang, title=meeting_title(session, lang),
        day=meeting_day(session.meeting_date, lang),
        printed=L("pdf_printed_on", lang).format(date=day_words(generated_on, lang),
                                                 version=__version__,
                                                 kb=kb.version),
        t=lambda key: L(key, lang), disclaimer=kb.disclaimer(lang)))  # type: ignore[arg-type]
