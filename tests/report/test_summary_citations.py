"""Issue 13, defect 2: the printed reference list carries the numbers the text cites, and the
French footer shows an apostrophe, not `&#39;` (the PDF is read back with pypdf)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pypdf
import pytest

from bonemet.api import assess, load_case
from bonemet.demo import demo_cases
from bonemet.report.summary import summary_pdf

DAY = dt.date(2025, 6, 1)
# Text cites "References: 28, 31, 34" (EN) or "Références : 28, 31, 34" (FR) after each rule.
CITED = re.compile(r"R[ée]f[ée]rences\s*:\s*([\d,\s]+)")
ENTRY = re.compile(r"^\s*(\d{1,3})\.\s+\S", re.MULTILINE)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def cited_numbers(text: str) -> set[int]:
    found: set[int] = set()
    for group in CITED.findall(text):
        found |= {int(n) for n in re.findall(r"\d+", group)}
    return found


def listed_numbers(text: str) -> set[int]:
    tail = text[text.rfind("Références") if "Références" in text else text.rfind("References"):]
    return {int(n) for n in ENTRY.findall(tail)}


def check_pdf_citations(pdf: bytes, expected: set[int]) -> str:
    text = pdf_text(pdf)
    cited = cited_numbers(text)
    assert cited == expected, (cited, expected)
    listed = listed_numbers(text)
    assert cited <= listed, f"cited but not listed with that number: {sorted(cited - listed)}"
    return text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_printed_list_numbers_are_the_cited_numbers(lang: str) -> None:
    # A case whose rules cite high reference numbers (never 1, 2, 3 by chance).
    path = next(p for p in demo_cases() if p.stem.startswith("03-"))
    case = load_case(path)
    a = assess(case)
    expected = {n for r in a.recommendations for n in r.references}
    assert expected and min(expected) > 3
    text = check_pdf_citations(summary_pdf(case, lang, DAY), expected)
    assert "&#39;" not in text and "&amp;" not in text
    if lang == "fr":
        assert "n'est pas un dispositif médical" in text.replace("’", "'")
