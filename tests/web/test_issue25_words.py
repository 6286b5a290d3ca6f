"""Issue 25, item 8: raw codes and English in French pages, each observed defect named.

Written from the issue's list before the fixes; the French walk (test_french_walk.py) covers the
same ground generically (headlines, missing data, probability and calculator pages, the PDF).
"""

from __future__ import annotations

import html as html_lib
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bonemet.access.config import Settings
from bonemet.http.app import create_app
from bonemet.kb import default_kb
from bonemet.report.labels import case_title, display, fact_text, field_label, labels
from bonemet.web.pages import demo_index


@pytest.fixture(scope="module")
def client() -> Any:
    db = Path(tempfile.mkdtemp()) / "words.sqlite3"
    app = create_app(Settings(db_path=db, dev_mode=True, extra_hosts=("testserver",)))
    with TestClient(app, follow_redirects=False) as c:
        c.cookies.set("bonemet_lang", "fr")
        yield c


def text_of(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


@pytest.mark.parametrize(("path", "words"), [
    ("context.new_bone_pain", "Douleur osseuse nouvelle"),
    ("exams[0].pet_coverage", "Examen 1 · Champ de la TEP"),
    ("score_inputs.tokuhashi", "Score de Tokuhashi révisé (2005)"),
    ("plan_inputs.ecog", "ECOG"),
    ("exams[0].lesions[0].complications.pathological_fracture",
     "Examen 1 · Lésion 1 · Fracture pathologique"),
])
def test_missing_data_fields_are_named_in_words(path: str, words: str) -> None:
    assert field_label(path, "fr") == words


def test_missing_data_shows_no_field_path(client: Any) -> None:
    for case_id in ("demo-08-follow-up-new-pain", "demo-11-response-early", "demo-03-pet-mid-thigh"):
        page = client.get(f"/cases/{case_id}").text
        assert "<code>context." not in page and "<code>exams[" not in page, case_id
        assert "<code>score_inputs" not in page


def test_a_code_under_a_list_gets_its_label() -> None:
    assert fact_text("clinical_status[]", "improving", "fr") == "État clinique = Amélioration"


def test_the_headline_names_exams_not_their_ids(client: Any) -> None:
    page = client.get("/cases/demo-21-early-flare-likely").text
    start = page.index('id="headline"')
    headline = text_of(page[start:page.index("</section>", start)])
    assert "scintigraphie osseuse du 10/06/2025 (examen de comparaison\u00a0: scintigraphie osseuse du " \
           "03/03/2025)" in headline, headline
    assert not re.search(r"(?<![\w-])bs\d(?![\w-])", headline), headline


def test_the_probability_page_names_its_sources_in_words(client: Any) -> None:
    page = client.get("/calculators/probability?pretest=0.3&test=bone_scan:positive").text
    words = text_of(re.sub(r'<[^>]*translate="no"[^>]*>.*?</span>', " ", page, flags=re.S))
    table = default_kb().performance
    assert table is not None
    ids = {e.id for m in table.modalities.values() for e in m.entries}
    ids |= set(table.priors) | set(table.modalities)
    shown = [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", words)]
    assert not shown, shown
    assert "Cancer bronchique, données groupées\u00a0; TEP au FDG y compris TEP-TDM (Liu 2011)" in words


def test_the_convention_badge_and_the_date_hint_read_in_french() -> None:
    L = labels()
    assert L.enum("note_kind", "convention", "fr") != "convention"
    assert L("date_hint", "fr").startswith("JJ/MM/AAAA")


def test_dossier_names_the_patient_s_file_throughout_the_french_catalogue() -> None:
    file_noun = re.compile(r"\b(?:un|le|ce|du|les|nouveau|nouveaux|aux) cas\b(?! de figure| échéant)")
    legit = re.compile(r"dans (?:ce|les|tous les) cas|en cas\b|selon les cas|au cas")
    found = [v.fr for v in labels().ui.values() if file_noun.search(legit.sub("", v.fr))]
    assert not found, found


def test_the_mirels_calculator_speaks_of_a_calculation_not_of_a_case(client: Any) -> None:
    page = client.post("/calculators/mirels", data={"site": "upper_limb", "pain": "mild",
                                                     "lesion": "lytic", "size": "lt_1_3",
                                                     "axial_lysis_percent": "abc"}).text
    words = text_of(page)
    assert "Calcul impossible" in words
    assert "pas été enregistré" not in words
    assert "axial_lysis_percent" not in words and "is not a number" not in words
    assert "pas un nombre (saisi\u00a0: abc)" in words


def test_a_band_of_one_value_reads_as_one_number(client: Any) -> None:
    index = client.get("/calculators").text
    for slug in sorted(set(re.findall(r'href="/calculators/([\w-]+)"', index))):
        words = text_of(client.get(f"/calculators/{slug}").text)
        assert not re.search(r"(?<![\d,])(\d+)–\1(?![\d,])", words), slug


def test_no_local_file_address_is_printed_for_reference_33() -> None:
    citation = default_kb().references[33].citation
    assert "file://" in citation  # the source list as received
    shown = str(display(citation, "fr"))
    assert "file://" not in shown and shown.startswith("INCa. Recommandations Professionnelles")


def test_the_case_list_shows_a_readable_patient_for_demo_cases(client: Any) -> None:
    page = client.get("/cases").text
    rows = re.findall(r"<tr>\s*<td><a href=\"/cases/[^\"]+\">[^<]+</a></td>\s*<td>(.*?)</td>", page, re.S)
    assert len(rows) > 40
    assert not [r for r in rows if text_of(r) in ("", "—")]
    case = demo_index()["demo-07-follow-up-no-pain"][1]
    assert case.patient.label is None
    assert case_title(case, "fr") == "Adénocarcinome · Surveillance · 10/03/2025"
    assert "Adénocarcinome · Surveillance · 10/03/2025" in text_of(page)
