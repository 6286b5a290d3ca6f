"""Review 25, the fiche and the meeting PDF (written from the review before the code):

- F9: page 1 of a hidden cord compression (the deficit recorded only as Frankel D in the scores)
  says the deficit recorded and where, next to the SAFE-01 alert; the same for every section that
  can record it (the context's tick, Frankel, ASIA, Tokuhashi palsy): one fact, every section;
- F10: the score of a lesion is named by the lesion in words (site, level, exam and date), never by
  a path such as « exams[1].lesions[0] » (case page, fiche, meeting PDF);
- F11: the decision box lists the attendees one per line, as the cover does;
- F17: no French spacing inside an English reference title or source label; the ONJ information
  site has its French label in French.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pypdf
import pytest

from bonemet.api import load_case
from bonemet.model.board import DecisionBox, SessionCase
from bonemet.model.score_inputs import AsiaGrade, FrankelGrade, TokuhashiPalsy
from bonemet.report.summary import session_pdf, summary_html

DAY = dt.date(2026, 12, 4)
CASES = Path(__file__).parent / "cases"
PATH = re.compile(r"\b(?:exams|lesions|treatments|labs)\[\d+\]")


def _review(name: str):  # type: ignore[no-untyped-def]
    return load_case(CASES / f"{name}.yaml")


def _box(case_id: str, attendees: list[str] | None = None) -> DecisionBox:
    item = SessionCase.model_validate({
        "case_id": case_id, "position": 1, "version": 2, "added_at": "2026-12-01T08:00:00+00:00",
        "added_by": "dr", "updated_at": "2026-12-04T14:05:00+00:00", "updated_by": "sec",
        "status": "discussed", "decision": "IRM du rachis entier ce jour."})
    return DecisionBox(session_id=3, meeting_date=DAY, site="Hôpital Louis-Pradel",
                       attendees=attendees if attendees is not None else
                       ["Dr Martin, pneumologue (président)", "Dr Durand, radiothérapeute",
                        "Dr Lefèvre, chirurgien du rachis"], title="RCP thoracique", item=item)


def _pages(case, lang: str) -> list[str]:  # type: ignore[no-untyped-def]
    pdf = session_pdf([(case, _box(case.case_id))], lang, DAY)
    return [" ".join((p.extract_text() or "").split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


# ---- F9 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "said"), [
    ("fr", ["Déficit neurologique noté", "Frankel D", "scores"]),
    ("en", ["Neurological deficit recorded", "Frankel grade D", "score inputs"])])
def test_page1_of_the_hidden_compression_says_the_deficit_and_where(lang: str, said: list[str]) -> None:
    page1 = _pages(_review("rcp25-02-compression-cachee"), lang)[0]
    assert "SAFE-01" in page1
    for words in said:
        assert words in page1, (words, page1[:1500])


def _with(case, **changes):  # type: ignore[no-untyped-def]
    context = case.context.model_copy(update={"neurological_deficit": changes.pop("context", None)})
    scores = case.score_inputs.model_copy(update=changes) if case.score_inputs else None
    return case.model_copy(update={"context": context, "score_inputs": scores})


@pytest.mark.parametrize(("changes", "words"), [
    ({"context": True, "frankel": None}, "déficit neurologique coché dans le contexte clinique"),
    ({"frankel": FrankelGrade.C}, "grade de Frankel C"),
    ({"frankel": None, "asia": AsiaGrade.B}, "grade ASIA B"),
])
def test_page1_names_the_deficit_from_any_section_recording_it(changes, words: str) -> None:  # type: ignore[no-untyped-def]
    case = _with(_review("rcp25-02-compression-cachee"), **changes)
    html = summary_html(case, "fr", DAY, board=_box(case.case_id))
    page1 = html[html.index('id="page1-who"'):html.index('id="page1-headline"')]
    found = re.search(r'id="page1-neuro"[^>]*>(.*?)</dd>', page1, re.S)
    assert found is not None, page1
    assert words in found.group(1).replace("\xa0", " ")


def test_page1_names_a_tokuhashi_palsy_too() -> None:
    case = _review("rcp25-02-compression-cachee")
    assert case.score_inputs is not None
    tokuhashi = case.score_inputs.tokuhashi.model_copy(update={"palsy": TokuhashiPalsy.incomplete})
    case = case.model_copy(update={"score_inputs": case.score_inputs.model_copy(
        update={"frankel": None, "tokuhashi": tokuhashi})})
    html = summary_html(case, "en", DAY, board=_box(case.case_id))
    found = re.search(r'id="page1-neuro"[^>]*>(.*?)</dd>', html, re.S)
    assert found is not None and "incomplete palsy" in found.group(1)


def test_no_deficit_recorded_anywhere_prints_no_deficit_line() -> None:
    case = _with(_review("rcp25-02-compression-cachee"), frankel=None)
    html = summary_html(case, "fr", DAY, board=_box(case.case_id))
    assert "Déficit neurologique noté" not in html


# ---- F10 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(("name", "words"), [
    ("rcp25-02-compression-cachee", {"fr": ["T11", "TDM du 30/11/2026"], "en": ["T11", "CT of 2026-11-30"]}),
    ("rcp25-11-femur-fracture-imminente", {"fr": ["fémorale", "TDM du"], "en": ["femoral", "CT of"]}),
])
def test_a_lesions_score_is_named_by_the_lesion_in_words(name: str, words: dict[str, list[str]],
                                                         lang: str) -> None:
    case = _review(name)
    html = summary_html(case, lang, DAY, board=_box(case.case_id))
    scores = html[html.index("<h2>Scores"):]
    scores = scores[:scores.index("</table>")]
    assert not PATH.search(scores), PATH.search(scores)
    rows = re.sub(r"<[^>]+>", " ", scores)
    for w in words[lang]:
        assert w.lower() in rows.lower(), (w, rows[:1200])


def test_the_meeting_pdf_has_no_lesion_path() -> None:
    case = _review("rcp25-02-compression-cachee")
    text = " ".join(_pages(case, "fr"))
    assert not PATH.search(text), PATH.search(text)


# ---- F11 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_decision_box_lists_the_attendees_one_per_line(lang: str) -> None:
    case = _review("rcp25-02-compression-cachee")
    html = summary_html(case, lang, DAY, board=_box(case.case_id))
    box = html[html.index('id="board-decision"'):]
    box = box[:box.index("</section>")]
    items = re.findall(r"<li>(.*?)</li>", box[box.index('id="board-attendees"'):])
    assert items[:3] == ["Dr Martin, pneumologue (président)", "Dr Durand, radiothérapeute",
                         "Dr Lefèvre, chirurgien du rachis"]
    assert "Dr Martin, pneumologue (président), Dr Durand" not in box


def test_a_box_without_attendees_says_so() -> None:
    case = _review("rcp25-02-compression-cachee")
    html = summary_html(case, "fr", DAY, board=_box(case.case_id, attendees=[]))
    box = html[html.index('id="board-attendees"'):][:300]
    assert "<li>" not in box and "—" not in box[:60]


# ---- F17 --------------------------------------------------------------------------------------


def test_english_reference_titles_keep_their_own_spacing_in_french() -> None:
    from bonemet.report.labels import french_html

    page = ('<html lang="fr"><p>Références :</p><ol class="refs"><li><span class="ref-n">1.</span> '
            '<span class="citation" lang="en">Bone scan in lung cancer: 99mTc-MDP? In brief: yes!</span>'
            '</li></ol><p>Sources : <span lang="en">Spine 2010: SINS</span> ; fin</p></html>')
    out = french_html(page)
    assert "lung cancer: 99mTc-MDP? In brief: yes!" in out and "Spine 2010: SINS" in out
    assert "Références\u00a0:" in out and "Sources\u00a0:" in out  # French text still spaced


@pytest.mark.parametrize("name", ["rcp25-02-compression-cachee", "rcp25-11-femur-fracture-imminente"])
def test_the_fiches_reference_list_adds_no_french_space_to_a_title(name: str) -> None:
    from bonemet.kb import default_kb

    case = _review(name)
    html = summary_html(case, "fr", DAY, board=_box(case.case_id))
    refs = html[html.index('<ol class="refs">'):]
    refs = refs[:refs.index("</ol>")]
    kb = default_kb()
    cited = [int(n) for n in re.findall(r'<li value="(\d+)"', refs)]
    assert cited
    for n in cited:
        citation = kb.reference(n).citation if hasattr(kb, "reference") else None
        if citation is None:
            continue
        if "\u00a0:" not in citation and " :" not in citation:  # an English title: "x: y"
            assert re.sub(r"\s:", ":", citation) == citation
            from html import unescape
            assert citation in unescape(refs), (n, citation)


def test_the_onj_information_site_is_labelled_in_french() -> None:
    from bonemet.report.labels import source_label

    en = "French information site on osteonecrosis of the jaw (toutsurlonm.fr)"
    text, lang = source_label(en, "fr")
    assert lang == "fr" and "ostéonécrose de la mâchoire" in text and "toutsurlonm.fr" in text
    assert source_label(en, "en") == (en, "en")
    assert source_label("SINS, Fisher CG et al., Spine 2010", "fr")[1] == "en"


def test_every_french_source_label_belongs_to_a_source_of_the_plan() -> None:
    from bonemet.kb import default_kb
    from bonemet.report.labels import _SOURCE_KEYS

    sources = {s.label for s in default_kb().plan.sources.values()}  # type: ignore[union-attr]
    assert set(_SOURCE_KEYS) <= sources, set(_SOURCE_KEYS) - sources


# ---- F15 --------------------------------------------------------------------------------------


def test_the_rcp_fiche_pdf_lists_the_checks_kept_in_the_file() -> None:
    from bonemet.report.saved_checks import saved_checks

    class Records:
        def assessments_of(self, case_id: str) -> list[dict[str, object]]:
            return [{"kind": "other"},
                    {"kind": "request_check", "saved_at": "2026-12-02T10:00:00+00:00",
                     "question_text": "Scintigraphie de contrôle annuelle ?", "requested": "bone_scan",
                     "rating": "usually_not_appropriate", "rule_id": "NM-04", "alternative": None,
                     "rated_on": "2026-12-02"},
                    {"kind": "request_check", "saved_at": "broken"}]  # left out, never shown in part

    case = _review("rcp25-02-compression-cachee")
    checks = saved_checks(Records(), case.case_id)
    assert len(checks) == 1
    pdf = session_pdf([(case, _box(case.case_id))], "fr", DAY, checks={case.case_id: checks})
    text = " ".join(" ".join((p.extract_text() or "").split())
                    for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Vérifications enregistrées dans ce dossier" in text
    for words in ("02/12/2026", "Scintigraphie de contrôle annuelle ?", "Habituellement non appropriée",
                  "NM-04"):
        assert words in text, words
