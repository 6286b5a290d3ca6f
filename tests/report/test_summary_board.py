"""The decision box of the MDT summary (issue 13): the RCP form's fields on top of page 1, the
board's words labelled as such, and the batch PDF of a session (one case per new page, each with
its own decision box and correctly numbered references), in English and French."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

import pypdf
import pytest

from bonemet.api import assess, load_case
from bonemet.demo import demo_cases
from bonemet.model.board import DecisionBox, SessionCase
from bonemet.report.summary import session_pdf, summary_html

DAY = dt.date(2026, 11, 27)
CITED = re.compile(r"R[ée]f[ée]rences\s*:\s*([\d,\s]+)")
ENTRY = re.compile(r"^\s*(\d{1,3})\.\s+\S", re.MULTILINE)
TITLE = {"en": "Tumour-board decision", "fr": "Décision de la RCP"}


def _case(prefix: str):  # type: ignore[no-untyped-def]
    return load_case(next(p for p in demo_cases() if p.stem.startswith(prefix)))


def _box(case_id: str, decision: str, **changes: object) -> DecisionBox:
    fields: dict[str, object] = {
        "case_id": case_id, "position": 1, "version": 3, "added_at": "2026-11-20T08:00:00+00:00",
        "added_by": "dr.martin", "updated_at": "2026-11-27T14:05:00.000+00:00",
        "updated_by": "sec.durand", "status": "discussed",
        "question": "Which exam for the femurs?", "decision": decision,
        "proposal": "Targeted MRI", "imaging_requested": ["mri"], "treatment_change": False,
        "next_review": dt.date(2027, 1, 15), **changes}
    item = SessionCase.model_validate(fields)
    return DecisionBox(session_id=7, meeting_date=DAY, site="CHU Lyon-Sud",
                       attendees=["Dr Martin", "Dr Petit"], title="RCP thoracique", item=item)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_decision_box_sits_on_top_with_the_rcp_fields(lang: str) -> None:
    case = _case("03-")
    html = unescape(summary_html(case, lang, DAY, board=_box(case.case_id, "Bone MRI <b>now</b>")))
    box = html[html.index('id="board-decision"'):html.index("</section>", html.index('id="board-decision"'))]
    assert html.index('id="board-decision"') < html.index(
        "Identité" if lang == "fr" else "Identity")  # above everything else of the case
    date = "27/11/2026" if lang == "fr" else "2026-11-27"
    review = "15/01/2027" if lang == "fr" else "2027-01-15"
    stamp = "27/11/2026 14:05 UTC" if lang == "fr" else "2026-11-27 14:05 UTC"
    # the attendees one per line, as on the cover (review 25 F11)
    for needle in (TITLE[lang], date, stamp, "CHU Lyon-Sud", "<li>Dr Martin</li><li>Dr Petit</li>",
                   # the board's words exactly as typed, in French too: no typography added (issue 25)
                   "Which exam for the femurs?",
                   "Targeted MRI", review, "sec.durand",
                   "IRM" if lang == "fr" else "MRI", "RCP thoracique"):
        assert needle in box, needle
    assert ("les mots de la RCP, pas ceux de bonemet" if lang == "fr"
            else "the board's words, not bonemet's") in box
    raw = summary_html(case, lang, DAY, board=_box(case.case_id, "Bone MRI <b>now</b>"))
    assert "<b>now</b>" not in raw  # the board's words are text, never markup


def test_no_decision_box_outside_a_session() -> None:
    assert 'id="board-decision"' not in summary_html(_case("03-"), "en", DAY)


def test_imaging_none_and_unstated_fields_read_as_such() -> None:
    case = _case("03-")
    html = summary_html(case, "fr", DAY, board=_box(case.case_id, "x", imaging_requested=["none"]))
    assert "Imagerie demandée</dt><dd>Aucune</dd>" in html
    html = summary_html(case, "en", DAY, board=_box(case.case_id, "x", imaging_requested=[]))
    assert "Imaging requested</dt><dd>not stated</dd>" in html


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_session_pdf_one_case_per_page_run_with_its_box_and_numbers(lang: str) -> None:
    cases = [_case("03-"), _case("21-")]  # the browser test prints three (English)
    items = [(c, _box(c.case_id, f"Decision for case {i}")) for i, c in enumerate(cases, 1)]
    reader = pypdf.PdfReader(io.BytesIO(session_pdf(items, lang, DAY)))
    texts = [p.extract_text() or "" for p in reader.pages]
    starts = [i for i, t in enumerate(texts) if TITLE[lang] in t]
    assert len(starts) == len(cases) and starts[0] == 0
    chunks = ["\n".join(texts[a:b]) for a, b in zip(starts, [*starts[1:], len(texts)], strict=True)]
    heading = "Références" if lang == "fr" else "References"
    for i, (case, text) in enumerate(zip(cases, chunks, strict=True), 1):
        a = assess(case)
        assert case.case_id in text and f"Decision for case {i}" in text
        assert all(rule_id in text for rule_id in a.rule_ids())
        cited = {int(n) for g in CITED.findall(text) for n in re.findall(r"\d+", g)}
        plan_refs = {n for p in a.plan.proposals for n in p.references} if a.plan else set()
        assert cited == {n for r in a.recommendations for n in r.references} | plan_refs
        listed = {int(n) for n in ENTRY.findall(text[text.rfind(heading):])}
        assert cited <= listed, (case.case_id, sorted(cited - listed))
