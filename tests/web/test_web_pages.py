"""Pages through the real application (ASGI in process): import, export, language, not found."""

from __future__ import annotations

import orjson
import pytest
import yaml
from fastapi.testclient import TestClient

from bonemet.access.config import Settings
from bonemet.api import load_case
from bonemet.demo import demo_cases
from bonemet.fhir import case_to_bundle
from bonemet.http.app import create_app

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("pages") / "store.sqlite3"
    client = TestClient(create_app(Settings(db_path=db, dev_mode=True, extra_hosts=("testserver",))))
    return with_csrf(client)


def with_csrf(client: TestClient) -> TestClient:
    """Forms carry the session's CSRF token; these tests post without a page, so send it as a header."""
    import re

    token = re.search(r'name="_csrf" value="([^"]+)"', client.get("/new").text)
    assert token is not None
    client.headers["x-csrf-token"] = token.group(1)
    return client


def _demo(stem: str):  # type: ignore[no-untyped-def]
    return next(p for p in demo_cases() if p.stem.startswith(stem))


def test_browser_home_goes_to_cases_and_api_index_stays(client):  # type: ignore[no-untyped-def]
    assert client.get("/", headers=HTML, follow_redirects=False).headers["location"] == "/cases"
    assert client.get("/", headers={"accept": "application/json"}).json()["name"] == "bonemet"


@pytest.mark.parametrize("path", demo_cases(), ids=lambda p: p.stem)
def test_every_demo_case_page_renders_its_rules(client, path):  # type: ignore[no-untyped-def]
    from bonemet.api import assess

    case = load_case(path)
    body = client.get(f"/cases/{case.case_id}", headers=HTML).text
    for rule_id in assess(case).rule_ids():
        assert f'data-rule="{rule_id}"' in body
    assert "not a medical device" in body


def test_import_yaml_opens_the_editor_filled(client):  # type: ignore[no-untyped-def]
    raw = _demo("11").read_bytes()
    r = client.post("/import", files={"file": ("case.yaml", raw, "application/yaml")}, headers=HTML)
    assert r.status_code == 200
    assert 'value="demo-11-response-early"' in r.text and 'value="osimertinib"' in r.text


def test_import_fhir_bundle_is_mapped(client):  # type: ignore[no-untyped-def]
    case = load_case(_demo("03"))
    bundle = orjson.dumps(case_to_bundle(case))
    r = client.post("/import", files={"file": ("bundle.json", bundle, "application/json")}, headers=HTML)
    assert r.status_code in (200, 422)
    assert "fdg_pet_ct" in r.text and "skull_base_to_mid_thigh" in r.text


@pytest.mark.parametrize(("content", "needle"), [
    (b"case_id: [unclosed", "malformed yaml"),
    (b"- just\n- a list\n", "a case must be a mapping"),
    (b'{"case_id": "x", "context": {"phase": "nope"}}', "context.phase"),
])
def test_bad_import_names_the_problem(client, content, needle):  # type: ignore[no-untyped-def]
    r = client.post("/import", files={"file": ("c.yaml", content, "text/plain")}, headers=HTML)
    assert r.status_code == 422
    assert needle in r.text


def test_export_round_trips(client):  # type: ignore[no-untyped-def]
    case = load_case(_demo("11"))
    as_yaml = client.get(f"/cases/{case.case_id}/export?format=yaml")
    assert "attachment" in as_yaml.headers["content-disposition"]
    from bonemet.api import parse_case

    assert parse_case(yaml.safe_load(as_yaml.text)) == case
    assert parse_case(client.get(f"/cases/{case.case_id}/export?format=json").json()) == case


def test_treatment_end_before_start_is_shown_on_its_row(client):  # type: ignore[no-untyped-def]
    form = {"case_id": "row-err", "context.phase": "on_treatment", "treatments[0].id": "l1",
            "treatments[0].type": "chemotherapy", "treatments[0].start": "2025-03-01",
            "treatments[0].end": "2025-01-01"}
    r = client.post("/save", data=form, headers=HTML)
    assert r.status_code == 422
    row = r.text.split('id="f-treatments-0"', 1)[1].split("</fieldset>", 1)[0]
    assert "the end date is before the start date" in row  # in the user's words (issue 13)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil", None])
def test_language_switch_never_redirects_off_site(client, target):  # type: ignore[no-untyped-def]
    params = {"next": target} if target else {}
    r = client.get("/lang/fr", params=params, follow_redirects=False)
    assert r.headers["location"] == "/cases"
    assert "bonemet_lang=fr" in r.headers["set-cookie"]


def test_unknown_things_are_404_pages(client):  # type: ignore[no-untyped-def]
    for url in ("/cases/nope", "/kb/rules/NM-99", "/kb/statements/ZZ", "/calculators/nope",
                "/cases/nope/summary.pdf", "/cases/demo-03-pet-mid-thigh/timeline.svg"):
        assert client.get(url, headers=HTML).status_code == 404, url


# ---- clinical-score inputs in the editor ---------------------------------------------------

_SCORED = {
    "case_id": "scored-form", "context.phase": "staging", "context.as_of": "20/03/2025",
    "cancer.primary_site": "lung", "cancer.histology": "adenocarcinoma",
    "exams[0].id": "mri1", "exams[0].date": "2025-03-14", "exams[0].modality": "mri",
    "exams[0].result": "positive",
    "exams[0].lesions[0].site": "thoracic_spine", "exams[0].lesions[0].level": "T11",
    "exams[0].lesions[0].phenotype": "lytic", "exams[0].lesions[0].bilsky": "2",
    "exams[0].lesions[0].sins.pain": "mechanical", "exams[0].lesions[0].sins.alignment": "normal",
    "exams[0].lesions[0].sins.collapse": "lt-50", "exams[0].lesions[0].sins.posterolateral": "unilateral",
    "score_inputs.tokuhashi.karnofsky": "70", "score_inputs.tokuhashi.extraspinal_bone_metastases": "1-2",
    "score_inputs.tokuhashi.vertebral_body_metastases": "1",
    "score_inputs.tokuhashi.internal_organ_metastases": "none",
    "score_inputs.tomita.visceral_metastases": "none", "score_inputs.tomita.bone_metastases": "multiple",
    "score_inputs.frankel": "D",
}


@pytest.fixture
def english(client):  # type: ignore[no-untyped-def]
    client.cookies.set("bonemet_lang", "en")  # an earlier test may have switched this client to French
    return client


def test_score_inputs_typed_in_the_editor_are_saved_and_scored(english):  # type: ignore[no-untyped-def]
    client = english
    r = client.post("/save", data=_SCORED, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
    from bonemet.api import parse_case

    case = parse_case(client.get("/cases/scored-form/export?format=json").json())
    assert case.score_inputs is not None and case.score_inputs.frankel == "D"
    assert case.score_inputs.tokuhashi.karnofsky == 70
    lesion = case.exams[0].lesions[0]
    assert lesion.sins is not None and lesion.sins.collapse == "lt-50" and lesion.bilsky == "2"
    page = client.get("/cases/scored-form", headers=HTML).text
    scores = page.split('id="scores-h"', 1)[1].split("</section>", 1)[0]
    # Tokuhashi: Karnofsky 70 (1) + 1-2 extraspinal (1) + 1 vertebra (2) + no organ (2) + lung (0)
    # + palsy read from Frankel D, incomplete (1) = 7.
    assert "Revised Tokuhashi score (2005)" in scores and "7 / 15" in scores
    assert "Spinal Instability Neoplastic Score" in scores or "SINS" in scores
    # The editor draws the saved values back, selected.
    edit = client.get("/cases/scored-form/edit", headers=HTML).text
    assert '<option value="D" selected>' in edit
    assert 'name="score_inputs.tokuhashi.karnofsky" type="text" value="70"' in edit


def _block(html: str, block_id: str) -> str:
    return html.split(f'id="{block_id}"', 1)[1].split("</fieldset>", 1)[0]


@pytest.mark.parametrize(("changes", "block_id", "needle"), [
    ({"exams[0].lesions[0].mirels.pain": "functional"}, "f-exams-0-lesions-0-mirels",
     "Mirels score does not apply to the site chosen (Thoracic spine)"),
    ({"score_inputs.tokuhashi.karnofsky": "75"}, "f-score-inputs-tokuhashi", "multiple of 10"),
    ({"score_inputs.tokuhashi.general_condition": "good"}, "f-score-inputs-tokuhashi",
     "either karnofsky or general_condition"),
])
def test_score_input_errors_are_shown_in_their_block(english, changes, block_id, needle):  # type: ignore[no-untyped-def]
    client = english
    r = client.post("/save", data={**_SCORED, "case_id": "scored-bad", **changes}, headers=HTML)
    assert r.status_code == 422
    assert needle in _block(r.text, block_id)
    assert client.get("/cases/scored-bad", headers=HTML).status_code == 404  # nothing saved


def test_score_blocks_follow_the_lesion_site(english):  # type: ignore[no-untyped-def]
    client = english
    edit = client.get("/cases/demo-30-scores-spine/edit", headers=HTML).text
    assert 'id="f-exams-1-lesions-0-sins"' in edit and 'name="exams[1].lesions[0].bilsky"' in edit
    assert 'id="f-exams-0-lesions-1-sins"' not in edit  # a rib: no spine score
    assert 'name="exams[0].lesions[1].bilsky"' not in edit and "-mirels" not in edit
    # Choosing a long-bone site re-draws the editor (htmx) with the Mirels block, saving nothing.
    r = client.post("/save", data={"_new": "1", "_redraw": "1", "case_id": "redrawn",
                                   "exams[0].id": "x", "exams[0].lesions[0].site": "femur_proximal"},
                    headers=HTML)
    assert r.status_code == 200
    assert 'id="f-exams-0-lesions-0-mirels"' in r.text and '-sins"' not in r.text
    assert client.get("/cases/redrawn", headers=HTML).status_code == 404


def test_score_inputs_are_labelled_in_french(client):  # type: ignore[no-untyped-def]
    client.cookies.set("bonemet_lang", "fr")
    edit = client.get("/cases/demo-30-scores-spine/edit", headers=HTML).text
    client.cookies.set("bonemet_lang", "en")
    assert "Score de Tokuhashi révisé (2005)" in edit and "Grade de Frankel" in edit
    assert "Indice de Karnofsky" in edit


# --- issue 21: a booked exam and a lesion's biopsy through the editor ---------------------------

_BOOKED = {
    "_new": "1", "case_id": "booked-form", "context.phase": "staging", "context.as_of": "2025-06-01",
    "cancer.primary_site": "lung", "cancer.histology": "adenocarcinoma",
    "exams[0].id": "pet1", "exams[0].date": "2025-05-20", "exams[0].modality": "fdg_pet_ct",
    "exams[0].result": "positive", "exams[0].pet_coverage": "vertex_to_feet",
    "exams[0].lesions[0].site": "femur_proximal", "exams[0].lesions[0].side": "right",
    "exams[0].lesions[0].biopsy.date": "2025-05-28", "exams[0].lesions[0].biopsy.result": "paget",
    "exams[1].id": "mri1", "exams[1].date": "2025-06-20", "exams[1].status": "planned",
    "exams[1].modality": "mri",
}


def test_a_booked_exam_and_a_biopsy_are_saved_shown_and_read(english):  # type: ignore[no-untyped-def]
    client = english
    r = client.post("/save", data=_BOOKED, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, r.text
    from bonemet.api import assess, parse_case

    case = parse_case(client.get("/cases/booked-form/export?format=json").json())
    assert case.exams[1].status.value == "planned"
    assert case.exams[0].lesions[0].biopsy is not None
    assert "isolated_lesion" not in {q.value for q in assess(case).questions}
    edit = client.get("/cases/booked-form/edit", headers=HTML).text
    assert '<option value="planned" selected>Planned (booked)</option>' in edit
    assert '<option value="paget" selected>' in edit
    assert 'name="exams[0].lesions[0].biopsy.date" type="text" value="2025-05-28"' in edit


def test_a_done_exam_after_the_decision_date_is_refused_next_to_its_date(english):  # type: ignore[no-untyped-def]
    client = english
    form = {**_BOOKED, "case_id": "late-form", "exams[1].status": "done"}
    r = client.post("/save", data=form, headers=HTML)
    assert r.status_code == 422
    assert "after the decision date" in r.text.split('id="f-exams-1-date-err"', 1)[1][:300]
    assert client.get("/cases/late-form", headers=HTML).status_code == 404


def test_a_date_in_the_real_future_is_refused_by_the_editor(english):  # type: ignore[no-untyped-def]
    import datetime as dt

    client = english
    later = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    form = {**_BOOKED, "case_id": "typo-form", "context.as_of": "", "exams[0].date": later,
            "exams[0].lesions[0].biopsy.date": "", "exams[0].lesions[0].biopsy.result": ""}
    r = client.post("/save", data=form, headers=HTML)
    assert r.status_code == 422
    assert "after today" in r.text.split('id="f-exams-0-date-err"', 1)[1][:300]
