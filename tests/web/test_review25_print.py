"""Review 25, printing / meeting / editor findings, over the real app (TestClient), written from the
review's words before the code:

- F8: the decision's length limit is stated on the field, and a longer text is refused naming the
  field and the limit (nothing written); the API answers 422 naming the field;
- F12: a meeting moved after a decided patient's next review is refused on the edit form with the
  reason (the patient and the review's date), as the decision form refuses the reverse;
- F15: a quick check saved to a patient's file shows on the case page (date, question, answer);
- F16: a date of birth contradicting the birth year is said on the case page after the save; a
  case saved unchanged says so (« Rien n'a changé »), not « Dossier enregistré »;
- F18: the date error gives the format and an example, not a date that reads as the correction.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from board_forms import csrf, new_session
from bonemet.access.config import Settings
from bonemet.http.app import create_app
from bonemet.model.board import LONG
from bonemet.stores.board_store import BoardStore
from bonemet.web.pages import LANG_COOKIE

STAGING = "demo-01-staging-no-pet"
CORD = "demo-48-suspected-cord-compression"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("review25print") / "store.sqlite3"
    c = TestClient(create_app(Settings(db_path=db, dev_mode=True, extra_hosts=("testserver",))))
    token = re.search(r'name="_csrf" value="([^"]+)"', c.get("/sessions/new").text)
    assert token
    c.headers["x-csrf-token"] = token.group(1)
    return c


def _csrf(c: TestClient) -> str:
    return csrf(c)


def _session(c: TestClient, *case_ids: str, meeting: str = "10/12/2026") -> int:
    return new_session(c, *case_ids, meeting=meeting, attendees="Dr Martin, pneumologue\nDr Durand")


def _text(page: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _lang(c: TestClient, lang: str) -> None:
    c.cookies.set(LANG_COOKIE, lang)


# ---- F8: the decision's length limit, stated and enforced ---------------------------------------


@pytest.mark.parametrize(("lang", "stated", "refused"), [
    ("fr", "4\u202f000 caractères au plus", "trop long"),
    ("en", "at most 4,000 characters", "too long"),
])
def test_the_decision_limit_is_stated_on_the_field_and_a_longer_text_refused(
        client: TestClient, lang: str, stated: str, refused: str) -> None:
    _lang(client, lang)
    sid = _session(client, STAGING)
    form = client.get(f"/sessions/{sid}/cases/{STAGING}/decision").text
    hint = re.search(r'id="s-decision-hint">([^<]*)<', form)
    assert hint is not None and stated in unescape(hint.group(1)).replace("\xa0", "\u202f"), hint
    too_long = "IRM lombaire. " * (LONG // 14 + 5)
    r = client.post(f"/sessions/{sid}/cases/{STAGING}/decision",
                    data={"_csrf": _csrf(client), "_version": "1", "decision": too_long,
                          "status": "discussed"}, follow_redirects=False)
    assert r.status_code == 422
    err = re.search(r'id="s-decision-err">([^<]*)<', r.text)
    assert err is not None and refused in err.group(1), r.text[-2000:]
    message = unescape(err.group(1)).replace("\xa0", "\u202f")
    assert ("4\u202f000" if lang == "fr" else "4,000") in message  # the limit, in the language
    assert f"{len(too_long):,}".replace(",", "\u202f" if lang == "fr" else ",") in message  # what was typed
    summary = _text(r.text[r.text.index('id="error-summary"'):])
    assert ("Décision" if lang == "fr" else "Decision") in summary[:400]  # the field is named
    board = BoardStore(client.app.state.bonemet.store)  # type: ignore[attr-defined]
    got = board.get(sid)
    assert got is not None and got.cases[0].version == 1  # nothing written


def test_api_decision_over_the_limit_is_422_naming_the_field_and_limit(client: TestClient) -> None:
    sid = _session(client, STAGING)
    r = client.put(f"/api/sessions/{sid}/cases/{STAGING}/decision", json={"decision": "x" * (LONG + 1)})
    assert r.status_code == 422, r.text
    problem = r.json()["problems"][0]
    assert problem["field"] == "decision" and str(LONG) in problem["message"]


# ---- F12: the meeting moved after a decided patient's next review --------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_moving_the_meeting_after_a_next_review_is_refused_with_the_reason(
        client: TestClient, lang: str) -> None:
    _lang(client, lang)
    sid = _session(client, STAGING, CORD)
    r = client.post(f"/sessions/{sid}/cases/{STAGING}/decision",
                    data={"_csrf": _csrf(client), "_version": "1", "status": "discussed",
                          "decision": "Suivi", "next_review": "11/03/2027"}, follow_redirects=False)
    assert r.status_code == 303, r.text[-1500:]
    board = BoardStore(client.app.state.bonemet.store)  # type: ignore[attr-defined]
    before = board.get(sid)
    assert before is not None
    r = client.post(f"/sessions/{sid}/edit",
                    data={"_csrf": _csrf(client), "_version": str(before.version),
                          "meeting_date": "01/04/2027", "site": "CHU Lyon", "attendees": "Dr Martin"},
                    follow_redirects=False)
    assert r.status_code == 422, r.status_code
    err = re.search(r'id="s-meeting_date-err">([^<]*)<', r.text)
    assert err is not None, r.text[-2000:]
    message = unescape(err.group(1))
    assert "11/03/2027" in message if lang == "fr" else "2027-03-11" in message
    assert STAGING in message or "Demo 01" in message  # which patient
    after = board.get(sid)
    assert after is not None and after.meeting_date == before.meeting_date  # nothing written
    # a date before the review is still accepted
    r = client.post(f"/sessions/{sid}/edit",
                    data={"_csrf": _csrf(client), "_version": str(before.version),
                          "meeting_date": "11/03/2027", "site": "CHU Lyon", "attendees": "Dr Martin"},
                    follow_redirects=False)
    assert r.status_code == 303


def test_api_meeting_moved_after_a_next_review_is_422_on_meeting_date(client: TestClient) -> None:
    sid = _session(client, STAGING)
    r = client.put(f"/api/sessions/{sid}/cases/{STAGING}/decision",
                   json={"status": "discussed", "next_review": "2027-03-11"})
    assert r.status_code == 200, r.text
    r = client.put(f"/api/sessions/{sid}", json={"meeting_date": "2027-04-01", "site": "CHU"})
    assert r.status_code in (404, 405, 422), r.text  # 404/405: no meeting edit in the API
    if r.status_code == 422:
        assert r.json()["problems"][0]["field"] == "meeting_date"


# ---- F16: the case editor says what the decision form says ---------------------------------------


def _edit_pairs(c: TestClient, case_id: str) -> list[tuple[str, str]]:
    page = c.get(f"/cases/{case_id}/edit").text
    form = page[page.index('action="/save"'):]
    form = form[:form.index("</form>")]
    pairs: list[tuple[str, str]] = []
    tags = r"<(input|select|textarea)([^>]*)>(.*?)(?=<(?:input|select|textarea)|$)"
    for m in re.finditer(tags, form, re.S):
        tag, attrs_text, rest = m.groups()
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs_text))
        name = attrs.get("name")
        if not name or (attrs.get("type") in ("submit", "button")):
            continue
        if tag == "input":
            if attrs.get("type") in ("checkbox", "radio") and " checked" not in attrs_text:
                continue
            pairs.append((name, unescape(attrs.get("value", ""))))
        elif tag == "textarea":
            pairs.append((name, unescape(rest[:rest.index("</textarea>")]).lstrip("\n")))
        else:
            chosen = re.search(r'<option value="([^"]*)"[^>]* selected', rest[:rest.index("</select>")])
            pairs.append((name, unescape(chosen.group(1)) if chosen else ""))
    return pairs


def _save(c: TestClient, pairs: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    from urllib.parse import urlencode

    return c.post("/save", content=urlencode(pairs).encode(), follow_redirects=False,
                  headers={"content-type": "application/x-www-form-urlencoded"})


@pytest.mark.parametrize(("lang", "unchanged", "saved"), [
    ("fr", "Rien n'a changé", "Dossier enregistré"), ("en", "Nothing changed", "Case saved")])
def test_a_case_saved_unchanged_says_nothing_changed(client: TestClient, lang: str, unchanged: str,
                                                     saved: str) -> None:
    _lang(client, lang)
    r = _save(client, _edit_pairs(client, STAGING))
    assert r.status_code == 303, r.text[-2000:]
    page = client.get(r.headers["location"]).text
    notice = _text(page[page.index('role="status"'):][:400])
    assert unchanged in notice and saved not in notice


@pytest.mark.parametrize(("lang", "words"), [("fr", "contredit l'année de naissance"),
                                             ("en", "contradicts the year of birth")])
def test_a_birth_date_contradicting_the_year_is_said_at_save(client: TestClient, lang: str,
                                                            words: str) -> None:
    _lang(client, lang)
    pairs = [(k, v) for k, v in _edit_pairs(client, STAGING)
             if k not in ("patient.birth_date", "patient.birth_year")]
    pairs += [("patient.birth_year", "1958"), ("patient.birth_date", "14/03/1962")]
    r = _save(client, pairs)
    assert r.status_code == 303, _text(r.text)[:3000]
    page = client.get(r.headers["location"]).text
    warn = re.search(r'id="birth-contradiction"[^>]*>(.*?)</', page, re.S)
    assert warn is not None and words in unescape(warn.group(1)) and "1958" in warn.group(1)


# ---- F18: the date error gives the format ---------------------------------------------------------


@pytest.mark.parametrize(("lang", "fmt", "wrong"), [
    ("fr", "format : jj/mm/aaaa, ex. 27/11/2026", "écrire 27/11/2026"),
    ("en", "format: dd/mm/yyyy or yyyy-mm-dd, e.g. 27/11/2026", "write 27/11/2026")])
def test_the_date_error_gives_the_format_not_a_correction(client: TestClient, lang: str, fmt: str,
                                                         wrong: str) -> None:
    _lang(client, lang)
    r = client.post("/sessions", data={"_csrf": _csrf(client), "meeting_date": "31/11/2026",
                                       "site": "CHU"}, follow_redirects=False)
    assert r.status_code == 422
    err = re.search(r'id="s-meeting_date-err">([^<]*)<', r.text)
    assert err is not None
    message = unescape(err.group(1)).replace("\xa0", " ").replace("\u202f", " ")
    assert fmt in message and "31/11/2026" in message and wrong not in message


# ---- F15: a quick check kept in the patient's file shows on the case page and the RCP fiche -------


def _save_check(c: TestClient, case_id: str, question: str) -> None:
    from urllib.parse import urlencode

    page = c.get("/check?" + urlencode({"case_id": case_id, "exam": "bone_scan",
                                        "question_text": question})).text
    query = unescape(re.search(r'name="query" value="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    r = c.post("/check/save", content=urlencode({"_csrf": _csrf(c), "query": query}).encode(),
               headers={"content-type": "application/x-www-form-urlencoded"}, follow_redirects=False)
    assert r.status_code == 303, r.text[-1500:]


@pytest.mark.parametrize(("lang", "title", "rating"), [
    ("fr", "Vérifications enregistrées dans ce dossier", "Scintigraphie osseuse planaire"),
    ("en", "Checks saved in this patient's file", "Planar bone scan")])
def test_a_saved_quick_check_shows_on_the_case_page_and_the_rcp_fiche(
        client: TestClient, lang: str, title: str, rating: str) -> None:
    import datetime as dt

    case_id = "demo-07-follow-up-no-pain"
    question = f"Scintigraphie de contrôle annuelle ? ({lang})"
    _lang(client, lang)
    _save_check(client, case_id, question)
    today = dt.date.today()
    day = today.strftime("%d/%m/%Y") if lang == "fr" else today.isoformat()
    pages = {"case page": client.get(f"/cases/{case_id}").text}
    sid = _session(client, case_id)
    pages["fiche"] = client.get(f"/sessions/{sid}/cases/{case_id}/summary").text
    for where, page in pages.items():
        assert 'id="saved-checks"' in page, where
        part = _text(page[page.index('id="saved-checks"'):])[:1500]
        assert title in part and question in part and rating in part and day in part, (where, part)
        assert "request_check" not in part and "bone_scan" not in part


# ---- F10 on the case page: a lesion's score named by the lesion in words -------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_case_page_names_a_scored_lesion_in_words(client: TestClient, lang: str) -> None:
    from pathlib import Path

    from bonemet.api import load_case

    case = load_case(Path(__file__).parents[1] / "report" / "cases" / "rcp25-02-compression-cachee.yaml")
    doc = case.model_dump(mode="json", exclude_none=True)
    doc["case_id"] = f"f10-{lang}"
    assert client.post("/api/cases", json=doc).status_code == 201
    _lang(client, lang)
    page = client.get(f"/cases/f10-{lang}").text
    scores = _text(page[page.index('id="scores-h"'):] if 'id="scores-h"' in page else page)
    assert not re.search(r"\b(?:exams|lesions)\[\d+\]", _text(page))
    assert ("TDM du 30/11/2026" if lang == "fr" else "CT of 2026-11-30") in scores
