"""Issue 25, item 6: the quick check reads its question's facts (never silently), says the date it
rates for, shows no raw id, and its answer can be saved to the patient's file and printed.

Written from the issue: "Douleur osseuse nouvelle" answered that new bone pain was not recorded;
"TEP de contrôle à 2 mois sous osimertinib" got "no criteria apply" with no treatment fields; a
stored patient was rated at the case's old date without saying so; "request-check" was shown.
"""

from __future__ import annotations

import html as html_lib
import io
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pypdf
import pytest
from fastapi.testclient import TestClient

from bonemet.access.config import Settings
from bonemet.http.app import create_app
from bonemet.web.pages import demo_index

FOLLOW_UP_NO_PAIN = "demo-07-follow-up-no-pain"


@pytest.fixture(scope="module")
def client() -> Any:
    db = Path(tempfile.mkdtemp()) / "check.sqlite3"
    app = create_app(Settings(db_path=db, dev_mode=True, extra_hosts=("testserver",)))
    with TestClient(app, follow_redirects=False) as c:
        c.cookies.set("bonemet_lang", "fr")
        c.app_state = app.state  # type: ignore[attr-defined]
        yield c


def text_of(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    # Not str.split: it would cut at the non-breaking spaces French typography puts before ":".
    return re.sub(r"[ \t\r\n]+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    if "<section" in page[:start][-400:]:
        return page[start:page.index("</section>", start)]
    return page[start:start + 3000]


def check(client: Any, **form: str) -> Any:
    return client.get("/check?" + urlencode(form))


def test_new_bone_pain_in_the_question_is_rated_as_new_bone_pain(client: Any) -> None:
    assert FOLLOW_UP_NO_PAIN in demo_index()
    before = check(client, case_id=FOLLOW_UP_NO_PAIN, exam="bone_scan")
    after = check(client, case_id=FOLLOW_UP_NO_PAIN, exam="bone_scan",
                  question_text="Douleur osseuse nouvelle")
    assert after.status_code == 200, text_of(after.text)[:2000]
    # Read, and said: the page lists the fact and the field shows it, editable.
    read = text_of(section(after.text, "check-read"))
    assert "Douleur osseuse nouvelle\u00a0: oui" in read
    assert re.search(r'name="new_bone_pain".*?<option value="true" selected>', after.text, re.S)
    reason_before = re.search(r'class="check-reason">(.*?)</p>', before.text, re.S).group(1)  # type: ignore[union-attr]
    reason_after = re.search(r'class="check-reason">(.*?)</p>', after.text, re.S).group(1)  # type: ignore[union-attr]
    assert "douleur osseuse nouvelle justifie" in text_of(reason_after).lower()
    assert reason_after != reason_before
    assert "non renseignée" not in text_of(section(after.text, "check-answer")).lower()


def test_a_user_s_answer_wins_over_the_reading_and_an_emptied_field_stays_empty(client: Any) -> None:
    page = check(client, case_id=FOLLOW_UP_NO_PAIN, exam="bone_scan",
                 question_text="Douleur osseuse nouvelle", new_bone_pain="false")
    # Nothing read into a field the user filled; only what the wording is as a question (review
    # 25 F2: the reader the rules use says what it read).
    read = text_of(section(page.text, "check-read"))
    assert "Question clinique précise" in read and "Douleur osseuse nouvelle\u00a0:" not in read
    assert re.search(r'name="new_bone_pain".*?<option value="false" selected>', page.text, re.S)
    emptied = check(client, case_id=FOLLOW_UP_NO_PAIN, exam="bone_scan",
                    question_text="Douleur osseuse nouvelle", _read="Douleur osseuse nouvelle")
    assert 'id="check-read"' not in emptied.text
    assert not re.search(r'name="new_bone_pain".*?<option value="true" selected>.*?</select>',
                         emptied.text.split('name="new_bone_pain"', 1)[1].split("</select>", 1)[0], re.S)


def test_a_line_of_treatment_in_the_question_is_rated(client: Any) -> None:
    question = "TEP de contrôle à 2 mois sous osimertinib"
    bare = check(client, exam="fdg_pet_ct", phase="on_treatment", primary_site="lung",
                 histology="adenocarcinoma", as_of="07/12/2026")
    page = check(client, exam="fdg_pet_ct", primary_site="lung", histology="adenocarcinoma",
                 as_of="07/12/2026", question_text=question)
    assert page.status_code == 200, text_of(page.text)[:2000]
    read = text_of(section(page.text, "check-read"))
    for fact in ("ITK anti-EGFR", "osimertinib", "Mois sous ce traitement\u00a0: 2", "Sous traitement"):
        assert fact in read, read
    answer = text_of(section(page.text, "check-answer"))
    # Review 25 F3: the bone scan the flare window defers is never offered as the better
    # alternative to the PET; asked for itself it is "not now", with its day.
    assert "Scintigraphie" not in answer and "NM-05" not in answer, answer
    scan = check(client, exam="bone_scan", primary_site="lung", histology="adenocarcinoma",
                 as_of="07/12/2026", question_text="Scintigraphie de contrôle à 2 mois sous osimertinib")
    said = text_of(section(scan.text, "check-answer"))
    # The line is in the context rated: the flare window of the line started two months earlier.
    assert "NM-05" in said and "osimertinib" in said and "07/10/2026" in said, said
    assert "Habituellement non appropriée" in said and "08/04/2027" in said, said
    assert "NM-05" not in text_of(section(bare.text, "check-answer"))


def test_the_date_rated_for_is_said(client: Any) -> None:
    case = demo_index()[FOLLOW_UP_NO_PAIN][1]
    day = case.context.as_of or case.latest_date()
    shown = day.strftime("%d/%m/%Y")  # type: ignore[union-attr]
    on_case = text_of(check(client, case_id=FOLLOW_UP_NO_PAIN, exam="bone_scan").text)
    assert f"Évaluée au\u00a0: {shown} — date de décision du dossier du patient" in on_case
    import datetime as dt

    today = dt.date.today().strftime("%d/%m/%Y")
    on_today = text_of(check(client, case_id=FOLLOW_UP_NO_PAIN, exam="bone_scan", date_basis="today").text)
    assert f"Évaluée au\u00a0: {today} — date d'aujourd'hui, et non celle du dossier" in on_today
    assert f"date du dossier\u00a0: {shown}" in on_today
    no_file = check(client, exam="bone_scan", phase="staging", primary_site="lung").text
    assert "request-check" not in no_file
    assert "demande sans dossier patient" in text_of(no_file)


def _save(client: Any, page: str) -> Any:
    query = html_lib.unescape(re.search(r'name="query" value="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    csrf = re.search(r'name="_csrf" value="([^"]*)"', page).group(1)  # type: ignore[union-attr]
    return client.post("/check/save", content=urlencode({"_csrf": csrf, "query": query}),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_the_answer_is_saved_in_the_patient_s_file(client: Any) -> None:
    store = client.app_state.bonemet.store
    version_before = store.get_case_version(FOLLOW_UP_NO_PAIN)
    page = check(client, case_id=FOLLOW_UP_NO_PAIN, exam="bone_scan",
                 question_text="Douleur osseuse nouvelle du rachis dorsal").text
    saved = _save(client, page)
    assert saved.status_code == 303
    records = [r for r in store.assessments_of(FOLLOW_UP_NO_PAIN) if r.get("kind") == "request_check"]
    assert len(records) == 1
    record = records[0]
    assert record["question_text"] == "Douleur osseuse nouvelle du rachis dorsal"
    assert record["facts"]["new_bone_pain"] == "true" and record["facts"]["pain_site"] == "thoracic_spine"
    assert record["requested"] == "bone_scan" and record["kb_version"] and record["saved_at"]
    assert store.get_case_version(FOLLOW_UP_NO_PAIN) == version_before  # the case is not rewritten
    shown = client.get(saved.headers["location"]).text
    assert 'id="check-saved"' in shown
    assert "Douleur osseuse nouvelle du rachis dorsal" in text_of(section(shown, "check-saved-list"))
    # A request without a patient file is not saved (nowhere to keep it).
    loose = check(client, exam="bone_scan", phase="staging", primary_site="lung").text
    assert 'id="check-no-save"' in loose and 'id="check-save"' not in loose


def test_the_answer_prints_and_its_pdf_reads_the_same(live_server: Any) -> None:
    form = {"case_id": FOLLOW_UP_NO_PAIN, "exam": "bone_scan", "question_text": "Douleur osseuse nouvelle"}
    with httpx.Client(base_url=live_server.url, cookies={"bonemet_lang": "fr"}, timeout=120) as c:
        printed = c.get("/check/print?" + urlencode(form))
        assert printed.status_code == 200
        words = text_of(printed.text)
        assert "Évaluée au" in words and "Douleur osseuse nouvelle\u00a0: oui" in words
        pdf = c.get("/check/print.pdf?" + urlencode(form))
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "Scintigraphie osseuse" in text and "Évaluée au" in text, text[:1500]
    assert "request-check" not in text and "new_bone_pain" not in text


def test_keeping_a_check_in_the_file_needs_the_editor_role() -> None:
    from bonemet.access.security import required_role

    assert required_role("POST", "/check/save") == "editor"
    assert required_role("GET", "/check/print") == "reader"
