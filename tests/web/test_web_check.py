"""The quick request check in real chromium (issue 13): one screen, rating, reason, alternative, dose."""

from __future__ import annotations

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def test_quick_check_of_a_patient(live_server, browser_context):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    page.goto(live_server.url + "/cases")
    page.get_by_role("link", name="Request check").click()
    page.get_by_label("Patient (existing case)").select_option("demo-01-staging-no-pet")
    page.get_by_label("Requested exam").select_option("bone_scan")
    page.get_by_role("button", name="Check the request").click()
    answer = page.locator("#check-answer")
    expect(answer).to_have_attribute("data-rating", "may_be_appropriate")
    expect(answer.locator(".check-reason a.rule-id")).to_have_text("NM-02")
    expect(answer.locator(".check-reason .refs")).to_contain_text("refs 28")
    expect(answer.locator("#check-better [data-modality]")).to_have_attribute("data-modality", "fdg_pet_ct")
    radiation = answer.locator("#check-radiation")
    expect(radiation.locator("li[data-modality='bone_scan']")).to_contain_text("about 4 mSv")
    expect(radiation.locator("li[data-modality='bone_scan']")).to_contain_text("F02")
    expect(radiation.locator("li[data-modality='fdg_pet_ct']")).to_contain_text("gives no effective dose")
    page.close()


def test_quick_check_from_the_minimal_context_with_a_bad_date(live_server, browser_context):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    page.goto(live_server.url + "/check")
    page.get_by_label("Phase").select_option("staging")
    row = page.locator("fieldset.exam-row").first
    row.get_by_label("Modality").select_option("fdg_pet_ct")
    row.get_by_label("Date").fill("31/11/2026")
    page.get_by_label("Requested exam").select_option("bone_scan")
    page.get_by_role("button", name="Check the request").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Exam 1 — Date")
    expect(summary).to_contain_text("not a date")
    expect(page.locator("#q-ex0-date")).to_have_value("31/11/2026")  # echoed as typed
    page.locator("#q-ex0-date").fill("20/11/2026")
    page.locator("fieldset.exam-row").first.get_by_label("Purpose").select_option("staging")
    page.locator("fieldset.exam-row").first.get_by_label("Result").select_option("negative")
    page.get_by_role("button", name="Check the request").click()
    answer = page.locator("#check-answer")
    expect(answer).to_have_attribute("data-rating", "usually_not_appropriate")
    expect(answer.locator(".check-reason a.rule-id")).to_have_text("NM-01")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.close()


def test_quick_check_with_symptoms_raises_safe01(live_server, browser_context):  # type: ignore[no-untyped-def]
    # Issue 21: the quick check asks the symptoms, so SAFE-01 fires from the minimal context too.
    page = browser_context.new_page()
    page.goto(live_server.url + "/check")
    page.get_by_label("Phase").select_option("follow_up")
    page.get_by_label("New bone pain").select_option("true")
    page.get_by_label("Painful site").select_option("thoracic_spine")
    page.get_by_label("Neurological symptoms or signs").select_option("true")
    page.get_by_label("Requested exam").select_option("bone_scan")
    page.get_by_role("button", name="Check the request").click()
    answer = page.locator("#check-answer")
    expect(answer).to_have_attribute("data-rating", "usually_not_appropriate")
    expect(answer.locator(".hl-alert[data-rule='SAFE-01']").first).to_be_visible()
    expect(answer.locator("#check-better [data-modality]")).to_have_attribute("data-modality", "targeted_mri")
    expect(answer.locator("#check-better")).to_contain_text("whole spine")
    page.close()
