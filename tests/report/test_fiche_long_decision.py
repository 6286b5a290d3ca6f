"""A long board decision prints whole, across pages, at a cost linear in its length (review 25 F8).

The review: a 2,500-character decision took 55 s to print, about 4,000 characters over 120 s and
then a 503, for the patient's fiche and for the whole meeting's PDF. The cause was the layout of
the decision box: its free-text fields sat in a CSS grid (`auto 1fr` columns) with
`overflow-wrap: anywhere`; the grid sizes its columns from each item's min-content width, and
WeasyPrint finds that width of an "anywhere" text by breaking it after every character, one Pango
layout of the remaining text per character (quadratic in the length). A grid item is also never
split between pages. The board's words now print as paragraphs in the normal flow of the page.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from html.parser import HTMLParser

import pypdf
import pytest

from bonemet.api import load_case
from bonemet.demo import demo_cases
from bonemet.model.board import LONG, DecisionBox, SessionCase
from bonemet.report.summary import session_pdf, summary_html

DAY = dt.date(2026, 11, 27)
SENTENCE = "TEMP-TDM centrée sur L4 ; si doute persistant, IRM lombaire puis avis du radiothérapeute. "
WORDS_FIELDS = ("question", "decision", "proposal", "conforme_reason")


def _case():  # type: ignore[no-untyped-def]
    return load_case(next(p for p in demo_cases() if p.stem.startswith("03-")))


def long_words(n: int, end: str) -> str:
    """`n` characters of a board's prose, a line break every four sentences, ending with `end`."""
    lines, text = [], ""
    while len(text) < n:
        lines.append(SENTENCE * 4)
        text = "\n".join(lines)
    return text[:n - len(end) - 1].rstrip() + " " + end


def _box(case_id: str, **words: str) -> DecisionBox:
    item = SessionCase.model_validate({
        "case_id": case_id, "position": 1, "version": 2, "added_at": "2026-11-20T08:00:00+00:00",
        "added_by": "dr.martin", "updated_at": "2026-11-27T14:05:00+00:00", "updated_by": "sec",
        "status": "discussed", "conforme": False, "conforme_reason": "x", **words})
    return DecisionBox(session_id=7, meeting_date=DAY, site="CHU", attendees=["Dr Martin", "Dr Petit"],
                       title="RCP", item=item)


class _Ancestry(HTMLParser):
    """For each element carrying `data-field`, the classes of the elements around it."""

    VOID = frozenset({"br", "meta", "link", "img", "input", "hr", "col", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.found: dict[str, list[tuple[str, str]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("data-field"):
            self.found[str(a["data-field"])] = list(self.stack)
        if tag not in self.VOID:
            self.stack.append((tag, a.get("class") or ""))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_boards_free_text_sits_in_the_page_flow_not_in_a_grid(lang: str) -> None:
    case = _case()
    html = summary_html(case, lang, DAY, board=_box(case.case_id, question="q", decision="d",
                                                       proposal="p", conforme_reason="r"))
    parser = _Ancestry()
    parser.feed(html)
    assert set(WORDS_FIELDS) <= set(parser.found), parser.found.keys()
    for field in WORDS_FIELDS:
        around = parser.found[field]
        # no grid (dl.kv), table or flex row around the board's words: they break across pages
        assert not any(tag in ("dl", "table", "td") or "kv" in cls.split() for tag, cls in around), \
            (field, around)


def _render_s(case, box) -> tuple[float, bytes]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    pdf = session_pdf([(case, box)], "fr", DAY)
    return time.perf_counter() - start, pdf


def test_a_decision_at_the_limit_prints_whole_across_pages_in_bounded_time() -> None:
    """Every free-text field at the model's limit (4,000 characters each): the fiche prints, the
    last words of each field are in the PDF, and the decision runs on past page 1. Before the fix
    2,500 characters alone took about a minute (review), 4,000 several: the bound leaves a loaded
    machine room and still fails the quadratic layout."""
    case = _case()
    short_s, _ = _render_s(case, _box(case.case_id, decision="IRM lombaire."))
    fields = {f: long_words(LONG, f"FIN-{i}.") for i, f in enumerate(WORDS_FIELDS)}
    assert all(len(v) <= LONG for v in fields.values())
    long_s, pdf = _render_s(case, _box(case.case_id, **fields))
    pages = [re.sub(r"\s+", " ", p.extract_text() or "") for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    text = " ".join(pages)
    for i in range(len(WORDS_FIELDS)):
        assert f"FIN-{i}." in text, i  # nothing of the board's words lost at a page end
    first = next(n for n, p in enumerate(pages) if "TEMP-TDM" in p)
    last = max(n for n, p in enumerate(pages) if "FIN-1." in p)
    assert last > first  # the decision itself broke across pages
    assert long_s - short_s < 25, (short_s, long_s)
