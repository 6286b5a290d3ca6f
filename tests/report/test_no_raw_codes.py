"""Issue 21, class 9: no raw vocabulary code in a French sentence ("l'histologie (carcinoid)").

Every rendered text of the demo cases, the review cases and the cases of issue 21 (carcinoid,
mesothelioma, a biopsy, a booked exam, a chemotherapy line) is read in French: the assessment's own
sentences, the MDT summary (headline, timeline, scores) and the terminal rendering. A token that is
a code of the case or assessment vocabularies (femur_shaft, carcinoid, chemotherapy, fdg_pet_ct...)
and not a French word fails the test, with the text where it was found.
"""

from __future__ import annotations

import datetime as dt
import enum
import html
import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from bonemet.api import assess, load_case, parse_case
from bonemet.base.text import Text
from bonemet.demo import demo_cases
from bonemet.model import Case
from bonemet.report.labels import labels
from bonemet.report.summary import summary_html
from factories import case_doc, exam, pet

_VOCABULARIES = ("bonemet.model.case", "bonemet.base.terms", "bonemet.model.assessment",
                 "bonemet.model.followup", "bonemet.model.score_inputs", "bonemet.model.scores",
                 "bonemet.model.probability")
# Codes that are French words too (or names written alike in French), and so may be read in French.
_FRENCH_TOO = frozenset({"sacrum", "sternum", "positive", "stable", "normal", "note", "option",
                         "fracture", "complete", "incomplete", "mobile", "multiple", "intact",
                         "calcium", "denosumab", "progression", "recalcification"})


def _codes() -> frozenset[str]:
    found: set[str] = set()
    for name in _VOCABULARIES:
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, enum.Enum) and obj.__module__ == name:
                found.update(v.value for v in obj if isinstance(v.value, str))
    # Short or numeric codes (grades "A", "2", "1a") and upper-case names (EGFR) read the same in
    # French; a code is recognised by its lower-case letters and underscores.
    return frozenset(c for c in found if re.fullmatch(r"[a-z][a-z0-9_]{2,}", c)
                     and c not in _FRENCH_TOO)


CODES = _codes()
_WORD = re.compile(r"[\w'’]+")


# A field path shown on purpose (a missing item names the field to fill: `context.new_bone_pain`).
_FIELD_PATH = re.compile(r"\b[a-z_]+(\[\d*\])?(\.[a-z_0-9]+(\[\d*\])?)+")


def raw_codes(text: str) -> list[str]:
    text = _FIELD_PATH.sub(" ", text)
    words = (w.split("'")[-1].split("’")[-1] for w in _WORD.findall(text))
    return sorted({w for w in words if w in CODES})


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, Text):
        yield node.fr
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _texts(getattr(node, name))
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from _texts(item)


def _visible(page: str) -> str:
    # The bibliography is quoted as published (English titles such as "...of lung cancer").
    page = page.split(f"<h2>{labels()('references', 'fr')}</h2>", 1)[0]
    # So are the bone plan's sources (issue 23), marked as English citations where they appear.
    page = re.sub(r'<span class="citation" lang="en" translate="no">.*?</span>', " ", page, flags=re.S)
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


def _terminal(case: Case) -> str:
    from bonemet.cli import render

    out = render.console("fr")
    with out.capture() as captured:
        out.print(render.assessment(assess(case), "fr"))
    return captured.get()


_ISSUE_21 = {
    "carcinoid": case_doc(cancer={"primary_site": "lung", "histology": "carcinoid"}),
    "mesothelioma": case_doc(cancer={"histology": "mesothelioma"}),
    "biopsy-benign": case_doc(exams=[pet("2025-05-10", pet_coverage="vertex_to_feet", lesions=[
        {"site": "femur_proximal", "side": "right",
         "biopsy": {"date": "2025-05-20", "result": "other_benign"}}])]),
    "biopsy-metastasis": case_doc(exams=[pet("2025-05-10", lesions=[
        {"site": "femur_shaft", "biopsy": {"date": "2025-05-20", "result": "metastasis"}}])]),
    "booked-exam": case_doc(exams=[exam("naf_pet_ct", "2025-06-20", status="planned")]),
    "chemotherapy-line": case_doc("on_treatment", context={"new_bone_pain": True}, treatments=[
        {"id": "l1", "type": "chemotherapy", "start": "2025-04-01", "line_number": 1}]),
    "radiotherapy-and-tki": case_doc("follow_up", treatments=[
        {"id": "l1", "type": "egfr_tki", "start": "2024-11-01", "line_number": 1},
        {"id": "rt", "type": "radiotherapy", "start": "2025-01-10", "end": "2025-01-20",
         "site": "thoracic_spine"}], exams=[
        exam("bone_scan", "2024-10-20", purpose="staging", result="positive",
             lesions=[{"site": "thoracic_spine"}, {"site": "femur_shaft"}]),
        exam("bone_scan", "2025-02-03", purpose="follow_up", result="positive",
             change_vs_previous="more_foci", lesions=[{"site": "femur_shaft"}])]),
}
REVIEW_CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))


def _cases() -> list[Any]:
    out = [pytest.param(p, id=p.stem) for p in demo_cases() + REVIEW_CASES]
    out += [pytest.param(doc, id=name) for name, doc in _ISSUE_21.items()]
    return out


def _case(source: Any) -> Case:
    if isinstance(source, Path):
        return load_case(source)
    # The factories name exams by modality and date ("bone_scan-2025-02-03"): an id, not a word.
    exams = [{**e, "id": f"x{i}"} for i, e in enumerate(source.get("exams", []))]
    return parse_case({**source, "exams": exams})


@pytest.mark.parametrize("source", _cases())
def test_no_raw_code_in_any_french_text(source: Any) -> None:
    case = _case(source)
    case = case.model_copy(update={"case_id": "dossier"})  # an identifier, not a sentence
    found: dict[str, list[str]] = {}
    for text in _texts(assess(case)):
        if raw_codes(text):
            found[text] = raw_codes(text)
    for where, text in (("summary", _visible(summary_html(case, "fr", dt.date(2026, 12, 1)))),
                        ("terminal", _terminal(case))):
        for line in text.splitlines():
            if raw_codes(line):
                found[f"{where}: {line.strip()}"] = raw_codes(line)
    assert not found, "\n".join(f"{codes}: {text}" for text, codes in found.items())


def test_the_detector_finds_a_raw_code() -> None:
    # The reviewers' sentence: a French text with an English code in it.
    assert raw_codes("Indéterminé : l'histologie (carcinoid) est hors chapitre") == ["carcinoid"]
    assert raw_codes("de la ligne chemotherapy débutée le 01/04/2025") == ["chemotherapy"]
    assert raw_codes("diaphyse fémorale, femur_shaft") == ["femur_shaft"]
    assert raw_codes("Sacrum, fracture stable, EGFR") == []
