"""Issue 25, observed item 3: the printed fiche's page 1 carries the identity, the question, the
headline WITH its urgent alerts (SAFE-01 first, with the neurological signs) and the board's
decision; the details come after. Read back from the real PDF (WeasyPrint, pypdf), EN and FR.

Expectations from the issue: before, SAFE-01 first appeared on page 2 and page 1 did not mention
the neurological signs.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdf
import pytest

from bonemet.api import assess, load_case
from bonemet.demo import demo_cases
from bonemet.model.board import DecisionBox, SessionCase
from bonemet.report.summary import session_pdf, summary_html, summary_pdf

DAY = dt.date(2026, 11, 27)
WORDS = {"en": {"alert": "suspected spinal cord compression", "neuro": "Neurological",
                "title": "Tumour-board decision", "imaging": "Imaging"},
         "fr": {"alert": "compression médullaire suspectée", "neuro": "neurologiques",
                "title": "Décision de la RCP", "imaging": "Imagerie"}}
DECISION = "Whole-spine MRI tonight; radiotherapy T7 if confirmed: oui ? « urgent »"


def _case(prefix: str):  # type: ignore[no-untyped-def]
    case = load_case(next(p for p in demo_cases() if p.stem.startswith(prefix)))
    patient = case.patient.model_copy(update={"label": "M. D.", "birth_date": dt.date(1951, 3, 4),
                                              "hospital_id": "IPP-0042"})
    return case.model_copy(update={"patient": patient})


def _box(case_id: str, **changes: object) -> DecisionBox:
    item = SessionCase.model_validate({
        "case_id": case_id, "position": 1, "version": 2, "added_at": "2026-11-20T08:00:00+00:00",
        "added_by": "dr.martin", "updated_at": "2026-11-27T14:05:00+00:00",
        "updated_by": "sec.durand", "status": "discussed", "question": "Back pain, weak legs?",
        "decision": DECISION, "proposal": "- Urgent: … (SAFE-01)", "conforme": True,
        "proposal_source": "bonemet-kb 1.0", **changes})
    return DecisionBox(session_id=3, meeting_date=DAY, site="CHU Lyon-Sud",
                       attendees=["Dr Martin", "Dr Petit"], title=None, item=item)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_page_one_carries_identity_question_urgent_alert_and_decision(lang: str) -> None:
    case = _case("48-")
    assert "SAFE-01" in assess(case).rule_ids()
    pdf = session_pdf([(case, _box(case.case_id))], lang, DAY)
    pages = [_flat(p.extract_text() or "") for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    first = pages[0]
    w = WORDS[lang]
    for needle in ("M. D.", "04/03/1951" if lang == "fr" else "1951-03-04", "IPP-0042",
                   "Back pain, weak legs?", "SAFE-01", w["alert"], w["neuro"], w["title"],
                   _flat(DECISION)):
        assert needle.lower() in first.lower(), (lang, needle)
    # In this order: the urgent alert, then the board's decision, then the details.
    low = first.lower()
    assert low.index("safe-01") < low.index(w["title"].lower()) < low.index(_flat(DECISION).lower())
    rest = " ".join(pages)
    assert rest.index(_flat(DECISION)) < rest.index(w["imaging"])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_case_printed_alone_leads_with_its_alert_too(lang: str) -> None:
    case = _case("48-")
    pdf = summary_pdf(case, lang, DAY)
    first = _flat(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text() or "")
    assert "SAFE-01" in first and WORDS[lang]["alert"] in first.lower()


def test_a_birth_date_contradicting_the_year_is_shown_not_resolved() -> None:
    case = _case("48-")
    case = case.model_copy(update={"patient": case.patient.model_copy(update={"birth_year": 1950})})
    page = summary_html(case, "en", DAY, board=_box(case.case_id))
    assert 'id="birth-contradiction"' in page and "(1950)" in page and "1951-03-04" in page


def test_the_boards_words_print_exactly_as_typed_in_french() -> None:
    case = _case("48-")
    page = summary_html(case, "fr", DAY, board=_box(case.case_id))
    words = re.search(r'id="board-decision-words" data-field="decision" data-verbatim>(.*?)</p>', page, re.S)
    assert words is not None
    assert words.group(1) == DECISION.replace("«", "&laquo;").replace("»", "&raquo;") or \
        words.group(1) == DECISION  # autoescape leaves « » as they are
    assert 'id="board-started-from"' in page  # started from bonemet's proposal, said as such
