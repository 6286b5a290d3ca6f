"""Issue 25: a fiche printed alone from a meeting keeps "page k / N" of its own pages and its own
title; the meeting's date words of the cover (both languages)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdf

from bonemet.api import load_case
from bonemet.demo import demo_cases
from bonemet.model.board import DecisionBox, Session, SessionCase
from bonemet.report.session_cover import day_words, meeting_day, stamp_words
from bonemet.report.summary import session_pdf


def test_a_fiche_alone_is_numbered_k_of_its_own_pages() -> None:
    case = next(c for c in (load_case(p) for p in demo_cases()) if c.case_id.startswith("demo-21-"))
    item = SessionCase(case_id=case.case_id, position=1, version=1, added_at="t", added_by=None,
                       updated_at="t", updated_by=None)
    meeting = Session(id=1, meeting_date=dt.date(2026, 11, 27), site="CHU", attendees=[],
                      created_at="t", created_by=None, cases=[item])
    box = DecisionBox.of(meeting, case.case_id)
    assert box is not None
    reader = pypdf.PdfReader(io.BytesIO(session_pdf([(case, box)], "fr", dt.date(2026, 11, 27))))
    n = len(reader.pages)
    found = [re.findall(r"page (\d+) / (\d+)", p.extract_text() or "") for p in reader.pages]
    assert found == [[(str(k), str(n))] for k in range(1, n + 1)]
    assert reader.metadata is not None and case.case_id in (reader.metadata.title or "")


def test_meeting_dates_are_written_in_words() -> None:
    day = dt.date(2026, 11, 27)
    assert meeting_day(day, "fr") == "vendredi 27 novembre 2026"
    assert meeting_day(day, "en") == "Friday, 27 November 2026"
    assert day_words(day, "fr") == "27 novembre 2026"
    assert stamp_words("2026-12-07T22:22:57.426+00:00", "fr") == "7 décembre 2026, 22:22 UTC"
    assert stamp_words("not a time", "en") == "not a time"
