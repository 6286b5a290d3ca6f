"""The bone plan in the MDT summary (issue 23): the plan's first line on page 1, the plan section
with every proposal's rule, strength, checks first, sources (outside the référentiel labelled),
in English and French, in the HTML and in the A4 PDF."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

import pypdf
import pytest

from bonemet.api import assess, load_case
from bonemet.demo import demo_cases
from bonemet.kb import default_kb
from bonemet.model.plan import headline
from bonemet.report.labels import labels, source_label
from bonemet.report.summary import summary_html, summary_pdf

_PLAN = default_kb().plan
DERIVED_LABELS = {s.label for s in _PLAN.sources.values() if s.kind == "derived"} if _PLAN else set()
DERIVED = {lang: labels()("plan_source_derived", lang) for lang in ("en", "fr")}

DAY = dt.date(2025, 6, 1)


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _case(stem: str):  # type: ignore[no-untyped-def]
    return load_case(next(p for p in demo_cases() if p.stem.startswith(stem)))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_summary_carries_the_plan_first_line_and_every_proposal(lang: str) -> None:
    case = _case("48")
    plan = assess(case).plan
    assert plan is not None and plan.proposals
    html = unescape(summary_html(case, lang, DAY))
    first = headline(plan)
    assert first is not None
    line = re.search(r'<p class="rec plan-first-line" data-rule="(\S+)">(.*?)</p>', html, re.S)
    assert line and line.group(1) == "CC-01" and first(lang) in line.group(2)
    # The first line comes before the identity block and the plan section (page 1).
    assert html.index("plan-first-line") < html.index('id="plan"')
    blocks = re.findall(
        r'<div class="rec plan-proposal" data-rule="([\w-]+)" data-priority="(\w+)">(.*?)\n</div>',
        html, re.S)
    assert [b[0] for b in blocks] == [p.rule_id for p in plan.proposals]
    assert blocks[0][1] == "urgent"
    strength = "À discuter en RCP" if lang == "fr" else "For the board to discuss"
    outside = "Hors référentiel" if lang == "fr" else "Outside the référentiel"
    for (_, _, body), p in zip(blocks, plan.proposals, strict=True):
        assert strength in body and p.text(lang) in body
        assert (f'<span class="badge interp">{outside}' in body) is p.outside_referentiel
        for src in p.sources:  # each outside source labelled, even under a référentiel rule
            # (French typography puts a non-breaking space before ";" in a label: compare unspaced;
            # the project's own reading is said in words, not as a citation span)
            # a source described in English words has its French label in French (review 25 F17)
            label = (DERIVED[lang] if src.label in DERIVED_LABELS
                     else f"{source_label(src.label, lang)[0]}</span>")
            assert (_bare(f"{label} ({outside})") in _bare(body)) is src.outside_referentiel
    # On the cord-compression pathway the radiotherapy is the pathway's (CC-02), no routine RT line
    # (clinical review of issue 23, F4).
    assert not any(rule.startswith("RT-") for rule, _, _ in blocks)
    assert 'href="http' not in html  # nothing to fetch, even with sources


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_summary_shows_the_fracture_check_before_the_radiotherapy_proposal(lang: str) -> None:
    html = unescape(summary_html(_case("31"), lang, DAY))
    blocks = re.findall(
        r'<div class="rec plan-proposal" data-rule="([\w-]+)" data-priority="(\w+)">(.*?)\n</div>',
        html, re.S)
    rt = next(body for rule, _, body in blocks if rule.startswith("RT-"))
    assert rt.index("plan-checks") < rt.index("plan-text")  # the check before the proposal


def test_summary_without_plan_has_no_plan_words() -> None:
    case = _case("01")
    assert assess(case).plan is None
    html = summary_html(case, "en", DAY)
    assert "plan-first-line" not in html and 'id="plan"' not in html


def test_pdf_page_one_names_the_plan_first_line() -> None:
    case = _case("31")
    reader = pypdf.PdfReader(io.BytesIO(summary_pdf(case, "en", DAY)))
    page_one = " ".join(reader.pages[0].extract_text().split())
    assert "Bone plan: Orthopaedic opinion on consolidation" in page_one
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    for rule_id in ("SX-01", "SX-05", "RT-02", "RT-08"):
        assert rule_id in text
