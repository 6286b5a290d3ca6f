"""The probability calculator page and the assessment's probability panel, through the real app.

Expected numbers come from the core calculator (`bonemet.core.probability.calculate`), itself tested
against hand-computed values in tests/core/test_probability.py; here we check that the page shows
them, names bad input beside its field, and never fails with a traceback.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from bonemet.access.config import Settings
from bonemet.api import assess, load_case
from bonemet.core.probability import calculate
from bonemet.demo import demo_cases
from bonemet.http.app import create_app
from bonemet.kb import default_kb
from bonemet.model.probability import BinaryResult
from bonemet.report.probability_view import pct

URL = "/calculators/probability"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("prob") / "store.sqlite3"
    return TestClient(create_app(Settings(db_path=db, dev_mode=True, extra_hosts=("testserver",))))


def _text(html: str, element_id: str) -> str:
    m = re.search(rf'id="{re.escape(element_id)}"[^>]*>(.*?)</', html, re.S)
    assert m, f"no #{element_id}"
    return unescape(m.group(1)).strip()


def _errors(html: str) -> dict[str, str]:
    """Error messages by the id of the field they describe."""
    return {m.group(1): unescape(m.group(2)) for m in
            re.finditer(r'<p class="error" id="(p-[a-z0-9-]+)-err">([^<]*)</p>', html)}


def _perf():  # type: ignore[no-untyped-def]
    perf = default_kb().performance
    assert perf is not None
    return perf


def test_index_links_the_calculator(client):  # type: ignore[no-untyped-def]
    html = client.get("/calculators").text
    assert f'href="{URL}"' in html
    page = client.get(URL)
    assert page.status_code == 200
    for modality in _perf().modalities:  # the whole table, with every source, is on the page
        assert f'data-modality="{modality}"' in page.text
    for source in _perf().sources.values():
        assert unescape(source.citation) in unescape(page.text)


@pytest.mark.parametrize(("pretest", "tests", "sources"), [
    ("30%", [("bone_scan", "negative")], {}),
    ("0,3", [("bone_scan", "negative"), ("fdg_pet_ct", "positive")], {}),
    ("0.05", [("naf_pet_ct", "negative")], {}),                       # bounds from Shen 2015's CIs
    ("0.2", [("bone_scan", "positive")], {"bone_scan": "liu2011_bs"}),  # a chosen source
])
def test_result_matches_the_core_calculator(client, pretest, tests, sources):  # type: ignore[no-untyped-def]
    form = {"origin": "user", "pretest": pretest}
    for i, (modality, result) in enumerate(tests):
        form[f"tests[{i}].modality"] = modality
        form[f"tests[{i}].result"] = result
        if modality in sources:
            form[f"tests[{i}].source"] = sources[modality]
    r = client.post(URL, data=form)
    assert r.status_code == 200
    p = float(pretest.replace(",", ".").rstrip("%")) / (100 if pretest.endswith("%") else 1)
    calc = calculate(_perf(), [(m, BinaryResult(v)) for m, v in tests], pretest=p, sources=sources)
    assert _text(r.text, "p-posttest") == pct(calc.posttest)
    if calc.posttest_bounds:
        bounds = _text(r.text, "p-posttest-bounds")
        assert f"{pct(calc.posttest_bounds.low)}–{pct(calc.posttest_bounds.high)}" in bounds
    steps = re.search(r'<table id="p-steps">.*?</table>', r.text, re.S)
    assert steps and steps.group(0).count("<tr>") == len(tests) + 1  # header + one row per step
    for step in calc.steps:
        assert step.source.entry_id in steps.group(0)
        assert unescape(step.source.citation) in unescape(r.text)
    assert "<svg" in r.text and 'id="p-nomogram"' in r.text  # inline Fagan nomogram
    assumptions = _text(r.text, "p-assumptions") if len(tests) == 1 else r.text
    if len(tests) > 1:
        assert _perf().text("independence")("en") in unescape(assumptions)


def test_issue_example_in_french(client):  # type: ignore[no-untyped-def]
    form = {"origin": "user", "pretest": "30%", "tests[0].modality": "bone_scan",
            "tests[0].result": "negative", "tests[1].modality": "fdg_pet_ct", "tests[1].result": "positive"}
    r = client.post(URL, data=form, headers={"cookie": "bonemet_lang=fr"})
    assert r.headers["content-language"] == "fr"
    # docs/probability.md: 30% → 4.9% → 59.5% (Liu 2011), written the French way (issue 13)
    assert _text(r.text, "p-posttest") == "59,5\u00a0%"
    assert "Probabilité post-test" in r.text and "Hypothèses" in r.text
    assert _perf().text("independence")("fr") in unescape(r.text)


def test_documented_prior_and_unconfirmed_source_warn(client):  # type: ignore[no-untyped-def]
    form = {"origin": "nsclc_staging", "tests[0].modality": "fdg_pet_ct", "tests[0].result": "negative",
            "tests[0].source": "qu2012_petct"}
    r = client.post(URL, data=form)
    calc = calculate(_perf(), [("fdg_pet_ct", BinaryResult.negative)], prior_id="nsclc_staging",
                     sources={"fdg_pet_ct": "qu2012_petct"})
    assert _text(r.text, "p-posttest") == pct(calc.posttest)
    warnings = re.search(r'id="p-warnings".*?</div>', r.text, re.S)
    assert warnings and "qu2012_petct" in warnings.group(0)
    assert "Song JW" in r.text  # the prior's citation


@pytest.mark.parametrize(("form", "field", "needle"), [
    ({"origin": "user", "pretest": "", "tests[0].modality": "bone_scan", "tests[0].result": "negative"},
     "p-pretest", "required"),
    ({"origin": "user", "pretest": "abc", "tests[0].modality": "bone_scan", "tests[0].result": "negative"},
     "p-pretest", "not a number"),
    ({"origin": "user", "pretest": "130%", "tests[0].modality": "bone_scan", "tests[0].result": "negative"},
     "p-pretest", "between 0 and 1"),
    ({"origin": "nope", "tests[0].modality": "bone_scan", "tests[0].result": "negative"},
     "p-origin", "documented prior"),
    ({"origin": "user", "pretest": "0.3", "tests[0].modality": "pet_mri", "tests[0].result": "negative"},
     "p-tests-0-modality", "choose a modality"),
    ({"origin": "user", "pretest": "0.3", "tests[0].modality": "bone_scan", "tests[0].result": "equivocal"},
     "p-tests-0-result", "positive or negative"),
    ({"origin": "user", "pretest": "0.3", "tests[0].modality": "bone_scan", "tests[0].result": "negative",
      "tests[0].source": "song2009_pet"}, "p-tests-0-source", "not a source for bone_scan"),
    ({"origin": "user", "pretest": "0.3", "tests[0].modality": "bone_scan", "tests[0].result": "negative",
      "tests[0].source": "chapter_f09"}, "p-tests-0-source", "no specificity"),
    ({"origin": "user", "pretest": "0.3", "tests[0].modality": "bone_scan", "tests[0].result": "negative",
      "tests[0].source": "liu2011_bs", "tests[1].modality": "bone_scan", "tests[1].result": "negative",
      "tests[1].source": "song2009_bs"}, "p-tests-1-source", "one source per modality"),
    ({"origin": "user", "pretest": "0.3"}, "p-tests-0-modality", "at least one"),
])
def test_bad_input_is_named_next_to_its_field(client, form, field, needle):  # type: ignore[no-untyped-def]
    r = client.post(URL, data=form)
    assert r.status_code == 200
    errors = _errors(r.text)
    assert field in errors, errors
    assert needle in errors[field]
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', r.text)
    assert f'href="#{field}"' in r.text  # the summary at the top links to the field
    assert 'id="p-posttest"' not in r.text
    if form.get("pretest"):
        assert f'value="{form["pretest"]}"' in r.text  # nothing typed is lost


def test_rows_are_added_and_removed_without_computing(client):  # type: ignore[no-untyped-def]
    base = {"origin": "user", "pretest": "0.3", "tests[0].modality": "bone_scan",
            "tests[0].result": "negative"}
    added = client.post(URL, data={**base, "_add": "1"}, headers={"hx-request": "true"}).text
    assert added.count('class="fields test-row"') == 2
    assert 'id="p-posttest"' not in added
    assert 'name="tests[1].modality"' in added
    removed = client.post(URL, data={**base, "tests[1].modality": "ct", "_remove": "0"}).text
    assert removed.count('class="fields test-row"') == 1
    assert re.search(r'<option value="ct" selected>', removed)  # the other row moved up, kept
    # A blank row added and left empty is not an error.
    r = client.post(URL, data={**base, "tests[1].modality": "", "tests[1].result": ""})
    assert _text(r.text, "p-posttest") == "4.9%"  # Liu 2011 planar default (KB 2026.12)


def _demo(stem: str):  # type: ignore[no-untyped-def]
    return next(p for p in demo_cases() if p.stem.startswith(stem))


# 06 (positive PET with a lesion recorded) has no probability since issue 17: lesions are known.
@pytest.mark.parametrize("stem", ["01", "03", "34"])
def test_assessment_page_shows_the_residual_probability(client, stem):  # type: ignore[no-untyped-def]
    case = load_case(_demo(stem))
    section = assess(case).probability
    assert section is not None and section.status == "computed"
    html = client.get(f"/cases/{case.case_id}").text
    panel = re.search(r'<section aria-labelledby="prob-h".*?</section>', html, re.S)
    assert panel, "no probability panel"
    text = unescape(panel.group(0))
    assert pct(section.residual) in text
    if section.residual_bounds:
        assert f"{pct(section.residual_bounds.low)}–{pct(section.residual_bounds.high)}" in text
    further = re.search(r'<table id="p-further">.*?</table>', text, re.S)
    assert further
    for f in section.further:
        assert f'data-modality="{f.modality}"' in further.group(0)
        assert pct(f.if_positive) in further.group(0) and pct(f.if_negative, 2) in further.group(0)
        assert pct(f.probability_of_positive) in further.group(0)
    for ex in section.exams:
        assert ex.exam_id in text
        if ex.reason:
            assert ex.reason("en") in text
    # The link opens the calculator with the same inputs, and it computes the same residual.
    link = re.search(r'href="(/calculators/probability\?[^"]+)"', panel.group(0))
    assert (link is not None) == bool(section.calculation and section.calculation.steps)
    if link is None:
        return
    again = client.get(unescape(link.group(1)))
    assert _text(again.text, "p-posttest") == pct(section.residual)


def test_not_applicable_panel_says_why(client):  # type: ignore[no-untyped-def]
    case = load_case(_demo("18"))
    section = assess(case).probability
    assert section is not None and section.status == "not_applicable"
    html = unescape(client.get(f"/cases/{case.case_id}").text)
    assert section.note("en") in html
    assert 'id="p-further"' not in html


def test_mdt_summary_carries_the_probability(client):  # type: ignore[no-untyped-def]
    case = load_case(_demo("06"))
    section = assess(case).probability
    assert section is not None
    html = unescape(client.get(f"/cases/{case.case_id}/summary").text)
    assert "Test performance and probability" in html
    assert pct(section.residual) in html
    for f in section.further:
        assert f.source.entry_id in html
