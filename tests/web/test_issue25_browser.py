"""Issue 25, items 5, 6 and 7, in real chromium and in French: a pain site ticked by its French name,
a case re-saved unchanged keeping its version, a quick check reading its question and saved to the
patient's file."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from bonemet.stores.store import Store


def _french_page(live_server: Any, browser_context: Any) -> Any:
    context = browser_context.browser.new_context(viewport={"width": 1280, "height": 900},
                                                  locale="fr-FR", accept_downloads=True)
    page = context.new_page()
    page.goto(live_server.url + "/lang/fr?next=/cases")
    return context, page


def _version(live_server: Any, case_id: str) -> int | None:
    store = Store(live_server.db_path)
    try:
        found = store.get_case_version(case_id)
        return None if found is None else found[1]
    finally:
        store.close()


def test_pain_site_ticked_in_french_and_resave_unchanged(live_server: Any, browser_context: Any) -> None:
    context, page = _french_page(live_server, browser_context)
    try:
        page.goto(live_server.url + "/cases/demo-07-follow-up-no-pain/edit")
        group = page.locator("#f-context-pain-sites")
        expect(group).to_contain_text("Sites douloureux")
        group.get_by_label("Rachis thoracique").check()
        page.locator("#save").click()
        expect(page).to_have_url(live_server.url + "/cases/demo-07-follow-up-no-pain?saved=1")
        first = _version(live_server, "demo-07-follow-up-no-pain")
        assert first is not None
        store = Store(live_server.db_path)
        try:
            saved = store.get_case("demo-07-follow-up-no-pain")
            assert saved is not None and saved["context"]["pain_sites"] == ["thoracic_spine"]
        finally:
            store.close()
        # Opened and saved as it is: no new version.
        page.goto(live_server.url + "/cases/demo-07-follow-up-no-pain/edit")
        expect(page.locator("#f-context-pain-sites").get_by_label("Rachis thoracique")).to_be_checked()
        page.locator("#save").click()
        # said as such on the case page (review 25 F16), not « Dossier enregistré »
        expect(page).to_have_url(live_server.url + "/cases/demo-07-follow-up-no-pain?saved=unchanged")
        expect(page.locator("#saved-notice")).to_contain_text("Rien n'a changé")
        assert _version(live_server, "demo-07-follow-up-no-pain") == first
    finally:
        context.close()


def test_quick_check_reads_its_question_and_is_saved(live_server: Any, browser_context: Any) -> None:
    context, page = _french_page(live_server, browser_context)
    try:
        page.goto(live_server.url + "/check")
        page.locator("#q-case-id").select_option("demo-08-follow-up-new-pain")
        page.locator("#q-question-text").fill("Douleur osseuse nouvelle, sans déficit neurologique")
        page.locator("#q-exam").select_option("bone_scan")
        page.locator("#check-submit").click()
        read = page.locator("#check-read")
        expect(read).to_contain_text("Douleur osseuse nouvelle")
        expect(read).to_contain_text("Signes ou symptômes neurologiques")
        expect(page.locator("#q-new-bone-pain")).to_have_value("true")  # shown, editable
        expect(page.locator("#check-rated-on")).to_contain_text("date de décision du dossier")
        expect(page.locator("body")).not_to_contain_text("request-check")
        page.locator("#check-save").click()
        expect(page.locator("#check-saved")).to_be_visible()
        expect(page.locator("#check-saved-list")).to_contain_text("Douleur osseuse nouvelle, sans déficit")
        with page.expect_download(timeout=90_000) as info:
            page.locator("#check-pdf").click()
        assert info.value.suggested_filename.endswith(".pdf")
    finally:
        context.close()
