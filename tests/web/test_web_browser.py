"""End to end in real headless chromium against a real uvicorn server on loopback.

The tests share one browser and run in file order (the last one reads the whole request log).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pypdf
from playwright.sync_api import expect

from bonemet.api import assess, load_case
from bonemet.core.probability import calculate
from bonemet.demo import demo_cases
from bonemet.kb import default_kb
from bonemet.model.probability import BinaryResult
from bonemet.report.probability_view import pct
from bonemet.scores.engine import compute
from bonemet.stores.store import Store

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _shot(page, shots_dir: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    path = shots_dir / f"screenshot-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    # Refresh the two screenshots kept in docs/ on demand (they are committed, not test output).
    if os.environ.get("BONEMET_UPDATE_SCREENSHOTS") == "1" and name in ("assessment", "editor-errors"):
        shutil.copy(path, DOCS / path.name)


def _demo(stem: str) -> Path:
    return next(p for p in demo_cases() if p.stem.startswith(stem))


def test_demo_case_shows_its_recommendations(live_server, browser_context, shots_dir):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    page.goto(live_server.url + "/")  # a browser asking for / lands on the case list
    expect(page).to_have_url(live_server.url + "/cases")
    expect(page.locator("#disclaimer")).to_contain_text("not a medical device")
    _shot(page, shots_dir, "cases")
    page.get_by_role("searchbox").fill("mid-thigh")  # htmx search narrows the list in place
    expect(page.locator("#case-rows tbody tr")).to_have_count(1)
    page.get_by_role("link", name="demo-03-pet-mid-thigh").click()
    expected = assess(load_case(_demo("03"))).rule_ids()
    cards = page.locator("article.recommendation")
    expect(cards).to_have_count(len(expected))
    assert sorted(cards.evaluate_all("els => els.map(e => e.dataset.rule)")) == sorted(expected)
    # femurs not covered in full (cards are ordered by what to act on, so found by rule, not rank)
    expect(page.locator("article.recommendation[data-rule='NM-03']")).to_contain_text("femurs")
    page.locator("article.recommendation details.ref summary").first.click()  # full citation
    expect(page.locator("article.recommendation details.ref[open] p").first).to_be_visible()
    page.goto(live_server.url + "/cases/demo-11-response-early")
    expect(page.locator("svg.skeleton-map g.lesion")).to_have_count(2)
    _shot(page, shots_dir, "assessment")
    page.set_viewport_size({"width": 768, "height": 1024})  # tablet portrait: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    _shot(page, shots_dir, "assessment-tablet")
    page.close()


def test_new_case_bad_date_is_refused_then_saved_and_persisted(live_server, browser_context, shots_dir):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    page.goto(live_server.url + "/new")
    page.get_by_label("Case id").fill("e2e-staging-1")
    page.get_by_label("Patient label").fill("Patient E2E")
    page.get_by_label("Phase").select_option("staging")
    page.get_by_label("Decision date").fill("2025-02-30")  # no 30 February
    page.get_by_role("button", name="+ Exam").click()  # htmx re-draws the form with a new row
    page.locator("#f-exams-0-date").fill("2025-01-17")  # exam ids are generated (issue 13)
    page.locator("#f-exams-0-modality").select_option("fdg_pet_ct")  # re-drawn with PET fields
    expect(page.locator("#f-exams-0-pet-coverage")).to_be_visible()
    page.locator("#f-exams-0-result").select_option("negative")
    page.locator("#f-exams-0-pet-coverage").select_option("skull_base_to_mid_thigh")
    page.get_by_role("button", name="Save and assess").click()
    error = page.locator("#f-context-as-of-err")
    expect(error).to_be_visible()
    expect(page.locator("#f-context-as-of")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-summary")).to_contain_text("Decision date")  # the field's label
    expect(page.locator("#f-exams-0-date")).to_have_value("2025-01-17")  # nothing typed is lost
    _shot(page, shots_dir, "editor-errors")
    page.get_by_label("Decision date").fill("20/01/2025")  # the French way is accepted
    page.get_by_role("button", name="Save and assess").click()
    expect(page).to_have_url(live_server.url + "/cases/e2e-staging-1?saved=1")
    expect(page.locator("article.recommendation[data-rule='NM-03']")).to_be_visible()
    page.reload()
    expect(page.locator("h1")).to_contain_text("Patient E2E")
    page.goto(live_server.url + "/cases?q=e2e")
    expect(page.locator("#case-rows")).to_contain_text("e2e-staging-1")
    store = Store(live_server.db_path)  # in the SQLite store, not only in the page
    try:
        doc = store.get_case("e2e-staging-1")
    finally:
        store.close()
    assert doc is not None and doc["context"]["as_of"] == "2025-01-20"
    assert doc["exams"][0]["pet_coverage"] == "skull_base_to_mid_thigh"
    page.close()


def test_score_inputs_appear_for_the_chosen_site_and_are_scored(live_server, browser_context, shots_dir):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    page.goto(live_server.url + "/new")
    page.get_by_label("Case id").fill("e2e-mirels-1")
    page.get_by_label("Phase").select_option("staging")  # no silent default (issue 13)
    page.get_by_role("button", name="+ Exam").click()
    page.locator("#f-exams-0-date").fill("2025-01-17")
    page.locator("#f-exams-0-modality").select_option("radiograph")  # re-drawn for radiographs
    expect(page.locator("#f-exams-0-radiograph-finding")).to_be_visible()
    page.locator("#f-exams-0-result").select_option("positive")
    page.get_by_role("button", name="+ Lesion").click()
    expect(page.locator("#f-exams-0-lesions-0-mirels")).to_have_count(0)  # no site yet, no score
    site = page.locator("#f-exams-0-lesions-0-site")
    site.focus()
    site.select_option("femur_proximal")  # htmx re-draws the editor with the Mirels block
    block = page.locator("#f-exams-0-lesions-0-mirels")
    expect(block).to_be_visible()
    expect(block.locator("legend")).to_have_text("Mirels score")
    expect(page.locator("#f-exams-0-lesions-0-sins")).to_have_count(0)
    assert page.evaluate("document.activeElement.id") == "f-exams-0-lesions-0-site"  # focus kept
    expect(page.locator("#f-exams-0-date")).to_have_value("2025-01-17")  # nothing typed is lost
    page.locator("#f-exams-0-lesions-0-phenotype").select_option("lytic")
    page.locator("#f-exams-0-lesions-0-mirels-site").select_option("peritrochanteric")  # not derived
    page.locator("#f-exams-0-lesions-0-mirels-pain").select_option("functional")
    page.locator("#f-exams-0-lesions-0-mirels-size").select_option("gt-2/3")
    page.get_by_label("Frankel grade").select_option("E")
    page.get_by_role("button", name="Save and assess").click()
    expect(page).to_have_url(live_server.url + "/cases/e2e-mirels-1?saved=1")
    # Peritrochanteric (3) + functional pain (3) + lytic (3) + more than 2/3 of the diameter (3).
    expect(page.locator("section[aria-labelledby='scores-h']")).to_contain_text("12 / 12")
    page.close()


def test_language_switch_is_remembered(live_server, browser_context, shots_dir):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    page.goto(live_server.url + "/cases/demo-03-pet-mid-thigh")
    page.locator("#lang-switch").click()
    expect(page).to_have_url(live_server.url + "/cases/demo-03-pet-mid-thigh")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#recs-h")).to_have_text("Recommandations")
    expect(page.locator("#disclaimer")).to_contain_text("n'est pas un dispositif médical")
    expect(page.locator("article.recommendation[data-rule='NM-03']")).to_contain_text("fémurs")
    page.goto(live_server.url + "/kb")  # remembered on the next page (cookie)
    expect(page.locator("h1")).to_have_text("Base de connaissances")
    _shot(page, shots_dir, "kb-fr")
    page.locator("#lang-switch").click()
    expect(page.locator("h1")).to_have_text("Knowledge base")
    page.close()


def test_calculator_computes_the_score(live_server, browser_context, shots_dir):  # type: ignore[no-untyped-def]
    kb = default_kb()
    table = kb.scores["mirels"]
    chosen = {it.id: it.options[-1].id for it in table.items}
    expected = compute(table, chosen, kb_version=kb.version, tables=kb.scores)
    page = browser_context.new_page()
    page.goto(live_server.url + "/calculators")
    page.get_by_role("link", name=table.name("en")).click()
    for item, option in chosen.items():
        page.locator(f"input[name='{item}'][value='{option}']").check()
    page.locator("#compute").click()
    result = page.locator("#score-result")
    expect(result).to_contain_text(str(expected.total))
    expect(result).to_contain_text(expected.band.label("en"))
    expect(page.locator("#formula-h")).to_be_visible()  # formula, bands, evidence beside the result
    _shot(page, shots_dir, "calculator")
    page.close()


def test_probability_calculator_computes_the_post_test(live_server, browser_context, shots_dir):  # type: ignore[no-untyped-def]
    perf = default_kb().performance
    assert perf is not None
    expected = calculate(perf, [("bone_scan", BinaryResult.negative)], pretest=0.30)
    page = browser_context.new_page()
    page.goto(live_server.url + "/calculators")
    page.locator("a[href='/calculators/probability']").click()
    page.locator("#p-pretest").fill("30%")
    page.locator("#p-add").click()  # htmx re-draws the form with a second row; it is left empty
    expect(page.locator(".test-row")).to_have_count(2)
    page.locator("#p-tests-0-modality").select_option("bone_scan")
    page.locator("#p-tests-0-result").select_option("negative")
    page.locator("#compute").click()
    expect(page.locator("#p-posttest")).to_have_text(pct(expected.posttest))
    # The source in words (issue 25), its table id kept for tools only.
    expect(page.locator("#p-steps")).to_contain_text("Lung cancer, pooled (Liu 2011)")
    expect(page.locator('#p-steps [data-entry="liu2011_bs"]')).to_have_count(1)
    expect(page.locator("#p-nomogram svg")).to_be_visible()
    expect(page.locator("#formula-h")).to_be_visible()  # formula, evidence, pitfalls beside the result
    _shot(page, shots_dir, "probability")
    page.close()


def test_pdf_summary_names_the_patients_rules(live_server, browser_context, shots_dir, tmp_path):  # type: ignore[no-untyped-def]
    case = load_case(_demo("11"))
    page = browser_context.new_page()
    page.goto(live_server.url + f"/cases/{case.case_id}/summary")
    _shot(page, shots_dir, "summary")
    page.goto(live_server.url + f"/cases/{case.case_id}")
    with page.expect_download() as info:
        page.locator("#pdf-link").click()
    target = tmp_path / "summary.pdf"
    info.value.save_as(target)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(target).pages)
    assert case.case_id.split("-")[-1] in text
    for rule_id in assess(case).rule_ids():
        assert rule_id in text
    assert default_kb().version in text
    page.close()


def test_no_request_leaves_loopback(live_server):  # type: ignore[no-untyped-def]
    assert len(live_server.requests) > 20
    hosts = {urlsplit(u).hostname for u in live_server.requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, hosts
    assert any(u.endswith("/static/htmx.min.js") for u in live_server.requests)
