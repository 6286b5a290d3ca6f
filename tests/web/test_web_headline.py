"""The assessment page leads with its headline (issue 13, defect 3), in real chromium.

Expectations from the chapter and the issue: an early follow-up scan with new foci and every
argument for flare reads "flare likely" near the top, NM-07's outputs are one card, the scheduling
hint (NM-05) never leads; suspected cord compression (SAFE-01) is the first line; a kidney primary
is out of scope and gets no exam; staging without PET proposes FDG-PET (NM-02) with its references.
"""

from __future__ import annotations

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def _top(page, selector: str) -> float:  # type: ignore[no-untyped-def]
    return float(page.locator(selector).first.bounding_box()["y"])


def test_flare_case_headline_cards_and_folded_rows(live_server, browser_context):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    page.goto(live_server.url + "/cases/demo-21-early-flare-likely")
    head = page.locator("#headline")
    expect(head).to_be_visible()
    # The headline is the first block under the title, above the toolbar and every card.
    assert _top(page, "#headline") < _top(page, ".toolbar") < _top(page, "article.recommendation")
    flare = head.locator(".hl-flare")
    expect(flare).to_contain_text("Flare likely")
    expect(flare.locator(".hl-confidence")).to_have_attribute("data-confidence", "likely")
    expect(flare.locator("a.rule-id", has_text="NM-07")).to_have_count(1)
    expect(flare).to_contain_text("refs 34")  # traceable: NM-07's reference number
    assert _top(page, "#fu-h") < _top(page, "article.recommendation")  # the reading near the top
    # One card per rule and conclusion: NM-07 once, holding its three findings.
    expect(page.locator("article.recommendation[data-rule='NM-07']")).to_have_count(1)
    assert int(page.locator("article.recommendation[data-rule='NM-07']").get_attribute("data-count")) >= 2
    first = page.locator("article.recommendation").first.get_attribute("data-rule")
    assert first != "NM-05"  # never a scheduling hint first
    # Rows where no criteria apply are folded away, with their count.
    folded = page.locator("details#no-criteria")
    expect(folded).not_to_have_attribute("open", "")
    n = folded.locator("li").count()
    assert n >= 1
    expect(folded.locator("summary")).to_contain_text(f"({n})")
    expect(page.locator("table.ratings tbody tr")).to_have_count(8 - n)
    page.set_viewport_size(PHONE)
    # The blocks this page adds fit a phone (the imaging/skeleton grid below is issue 13 item 7's).
    widest = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        '#headline, #headline *, article.recommendation, details#no-criteria')]
        .filter(e => !e.closest('.table-wrap')).map(e => e.getBoundingClientRect().right))""")
    assert widest <= PHONE["width"]
    page.close()


def test_cord_compression_alert_is_the_first_line(live_server, browser_context):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    page.goto(live_server.url + "/cases/demo-48-suspected-cord-compression")
    first = page.locator("#headline .hl-line").first
    expect(first).to_have_class("hl-line hl-alert")
    expect(first).to_have_attribute("data-rule", "SAFE-01")
    do_now = page.locator("#headline .hl-do-now")
    expect(do_now).to_have_attribute("data-rule", "SAFE-01")
    expect(do_now.locator(".badge.urgent")).to_be_visible()
    # M3 (review 13): named as SAFE-01 names it, the whole spine, not "Targeted MRI".
    expect(do_now.locator("strong")).to_have_text("MRI of the whole spine within 24 hours")
    expect(page.locator("article.recommendation").first).to_have_attribute("data-rule", "SAFE-01")
    page.close()


def test_out_of_scope_case_gets_no_exam(live_server, browser_context):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    page.goto(live_server.url + "/cases/demo-19-kidney-primary")
    head = page.locator("#headline")
    expect(head).to_have_attribute("data-kind", "out_of_scope")
    expect(head).to_contain_text("Out of scope: no exam proposed")
    expect(head.locator("[data-modality]")).to_have_count(0)
    page.close()


def test_staging_headline_proposes_pet_in_french(live_server, browser_context):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    page.goto(live_server.url + "/lang/fr?next=/cases/demo-01-staging-no-pet")
    do_now = page.locator("#headline .hl-do-now")
    expect(do_now).to_have_attribute("data-modality", "fdg_pet_ct")
    expect(do_now).to_contain_text("À faire maintenant\u00a0:")
    expect(do_now.locator("a.rule-id")).to_have_text("NM-02")
    expect(do_now.locator(".refs")).to_contain_text("réf. 28")
    page.goto(live_server.url + "/lang/en?next=/cases")
    page.close()


def test_french_headline_wording_review13(live_server, browser_context):  # type: ignore[no-untyped-def]
    """Review 13 m7: no stray " ;" in the French flare line (the &#32; entity split by the French
    typography filter), "Examens jugés non appropriés", "Examen déjà réalisé" (ADV-01)."""
    page = browser_context.new_page()
    page.goto(live_server.url + "/lang/fr?next=/cases/demo-21-early-flare-likely")
    flare = page.locator("#headline .hl-flare")
    expect(flare).to_be_visible()
    text = flare.inner_text()
    assert ";" not in text and "&#" not in text, text
    assert "\u00a0·" not in text or " ·" in text  # the separator keeps its plain space
    page.goto(live_server.url + "/cases/demo-02-staging-pet-full")
    because = page.locator("#headline details.hl-because summary")
    expect(because).to_contain_text("Examens jugés non appropriés")
    html = page.locator("#headline").inner_html()
    assert "Cotés" not in html
    expect(page.locator("#headline details.hl-because li[data-modality='fdg_pet_ct']")).to_contain_text(
        "Examen déjà réalisé le")
    page.goto(live_server.url + "/lang/en?next=/cases")
    page.close()
