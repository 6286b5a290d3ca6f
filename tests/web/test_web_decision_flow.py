"""Issue 25 in real Chromium (real uvicorn server): the decision form started from bonemet's
proposal, in French and English, and the count of user actions for a whole 12-patient meeting.

The count (Done when: "a 12-patient meeting from the demo cases takes <= 60 actions in all,
decisions started from the proposal"): every click, fill, select, check and every navigation the
user must do counts 1; redirects the app does by itself count 0. The test takes the quickest path
the UI offers (a multi-add of cases when the agenda has one, else one select + Add per case) and
fails above 60. The meeting PDF it prints is read back: the cord-compression patient's first page
carries the SAFE-01 alert and the board's decision (observed item 3).
"""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
import pypdf
from playwright.sync_api import expect

from bonemet.api import board_proposal, load_case
from bonemet.demo import demo_cases
from bonemet.stores.board_store import BoardStore
from bonemet.stores.store import Store

TARGET = 60
MEETING = ["demo-48-suspected-cord-compression", "demo-01-staging-no-pet", "demo-03-pet-mid-thigh",
           "demo-08-follow-up-new-pain", "demo-11-response-early", "demo-14-isolated-lesion",
           "demo-16-equivocal-bone-scan", "demo-21-early-flare-likely", "demo-30-scores-spine",
           "demo-31-scores-femur-acetabulum", "demo-49-cord-grade-contradiction",
           "demo-50-bilsky-high-grade"]


class Counted:
    """The page, with every user action counted (click, fill, select, check, navigation)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.actions: list[str] = []

    def _one(self, what: str) -> None:
        self.actions.append(what)

    def goto(self, url: str) -> None:
        self._one(f"go {url}")
        self.page.goto(url)

    def click(self, locator: Any, what: str) -> None:
        self._one(f"click {what}")
        locator.click()

    def fill(self, locator: Any, text: str, what: str) -> None:
        self._one(f"fill {what}")
        locator.fill(text)

    def select(self, locator: Any, value: Any, what: str) -> None:
        self._one(f"select {what}")
        locator.select_option(value)


def _case(case_id: str):  # type: ignore[no-untyped-def]
    return next(c for c in (load_case(p) for p in demo_cases()) if c.case_id == case_id)


def _add_cases(u: Counted, cases: list[str]) -> None:
    """The quickest way the session page offers to add the cases."""
    page = u.page
    many = page.locator("select#s-case_ids[multiple], select[name='case_ids'][multiple]")
    boxes = page.locator("input[type=checkbox][name='case_id']")
    if many.count():  # a multi-select: one selection (12 values) and one Add
        u.select(many.first, cases, "cases (multi)")
        u.click(page.locator("form:has(select[name='case_ids']) button[type=submit]").first, "add all")
    elif boxes.count():  # a checklist: one tick per case, one Add
        for cid in cases:
            u._one(f"check {cid}")
            page.locator(f"input[type=checkbox][name='case_id'][value='{cid}']").check()
        u.click(page.locator("#add-case"), "add all")
    else:  # one select and one Add per case
        for cid in cases:
            u.select(page.locator("#s-case_id"), cid, cid)
            u.click(page.get_by_role("button", name="Add", exact=True), f"add {cid}")
    expect(page.locator("li.session-case")).to_have_count(len(cases))


def test_a_12_patient_meeting_takes_at_most_60_actions(live_server, browser_context, tmp_path):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    u = Counted(page)
    u.goto(live_server.url + "/sessions")
    u.click(page.get_by_role("link", name="New session"), "new session")
    u.fill(page.get_by_label("Meeting date"), "03/12/2026", "meeting date")
    u.fill(page.get_by_label("Site"), "CHU Lyon-Sud", "site")
    attendees = page.get_by_label("Attendees")
    if attendees.count():  # at creation when the form still asks for them
        u.fill(attendees, "Dr Martin (pulmonology)\nDr Petit (nuclear medicine)\nDr Roux (radiotherapy)",
               "attendees")
    u.click(page.get_by_role("button", name="Create the session"), "create")
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
    sid = int(page.url.rsplit("/", 1)[1])
    _add_cases(u, MEETING)
    for cid in MEETING:
        u.click(page.locator(f"li[data-case='{cid}']").get_by_role("link", name="Record the decision"),
                f"open {cid}")
        expect(page.locator("#bonemet-proposal")).to_be_visible()
        u.click(page.locator("#take-over-save"), f"take over and save {cid}")
        expect(page.locator(f"li[data-case='{cid}']")).to_contain_text("Decided")
    with page.expect_download(timeout=240_000) as download:  # 12 fiches rendered on 2 shared cores
        u.click(page.locator("#session-pdf"), "print the meeting")
    path = tmp_path / "meeting.pdf"
    download.value.save_as(path)
    count = len(u.actions)
    print(f"\nissue-25 action count: {count} actions for a {len(MEETING)}-patient meeting "
          f"(target <= {TARGET})")
    assert count <= TARGET, u.actions

    # Every decision is recorded from bonemet's proposal, as the board's words.
    store = Store(live_server.db_path)
    try:
        session = BoardStore(store).get(sid)
    finally:
        store.close()
    assert session is not None
    for item in session.cases:
        proposal = board_proposal(_case(item.case_id))
        assert item.decision == proposal.decision_text("en"), item.case_id
        assert item.decision_is_proposal, item.case_id  # review 25 F6: the fiche says so
        assert item.proposal_source == proposal.kb_version and item.version == 2

    # The meeting PDF: the cord-compression patient's first page has the alert and the decision.
    texts = [re.sub(r"\s+", " ", p.extract_text() or "")
             for p in pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages]
    starts = [i for i, text in enumerate(texts) if "Tumour-board decision" in text]
    first = next(texts[i] for i in starts if MEETING[0] in texts[i].replace(" ", "")
                 or "suspected-cord" in texts[i])
    assert "SAFE-01" in first and "suspected spinal cord compression" in first
    assert first.index("SAFE-01") < first.index("Tumour-board decision")
    urgent = next(c for c in session.cases if c.case_id == MEETING[0])  # the agenda keeps the pick order
    decision_start = re.sub(r"\s+", " ", urgent.decision)[:60]
    assert decision_start in first
    page.close()


def test_decision_from_the_proposal_in_french_words_kept_and_chair(live_server, browser_context):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    cid = "demo-48-suspected-cord-compression"
    page.goto(live_server.url + "/lang/fr?next=/sessions/new")
    try:
        page.locator("#s-meeting_date").fill("04/12/2026")
        page.locator("#s-site").fill("CHU Lyon-Sud")
        attendees = page.locator("#s-attendees")
        if attendees.count():
            attendees.fill("Dr Martin\nDr Petit")
        page.locator("form button[type=submit]").last.click()
        expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
        session_url = page.url
        page.locator(f"input[type=checkbox][name='case_id'][value='{cid}']").check()
        page.locator("#add-case").click()
        page.locator(f"li[data-case='{cid}'] a[href$='/decision']").click()

        panel = page.locator("#bonemet-proposal")
        expect(panel).to_contain_text("Proposition de bonemet")
        expect(panel.locator("li").first).to_have_attribute("data-rule", "SAFE-01")
        expect(panel.locator("li").first).to_contain_text("compression médullaire")
        # Prefilled from the case before anything is taken over: nothing of bonemet's in the fields.
        expect(page.locator("#s-decision")).to_have_value("")
        page.locator("#take-over").click()
        expect(page.locator("#decision-notice")).to_contain_text("recopiée")
        decision = page.locator("#s-decision").input_value()
        assert decision.startswith("- Urgent") and "(SAFE-01)" in decision
        expect(page.locator("#proposal-source")).to_contain_text("La RCP est partie de la proposition")
        # The board edits (French punctuation typed with plain spaces), then saves.
        typed = decision + "\nRadiothérapie T7 : oui ; avis neurochirurgical ? « urgent » !"
        page.locator("#s-decision").fill(typed)
        page.locator("#s-next_review").fill("01/12/2026")  # before the meeting
        page.locator("#save-decision").click()
        expect(page.locator("#s-next_review-err")).to_contain_text("ne peut pas précéder la réunion")
        expect(page.locator("#s-decision")).to_have_value(typed)  # nothing typed is lost
        page.locator("#s-next_review").fill("18/12/2026")
        page.locator("#save-decision").click()
        expect(page).to_have_url(re.compile(r"/sessions/\d+\?saved=1"))

        # Reopened and saved unchanged: the same characters, no new version.
        page.locator(f"li[data-case='{cid}'] a[href$='/decision']").click()
        expect(page.locator("#s-decision")).to_have_value(typed)  # no non-breaking space added
        page.locator("#save-decision").click()
        expect(page.locator("#decision-notice")).to_contain_text("Rien n'a changé")
        expect(page.locator("#decision-notice")).to_contain_text("version 2")

        # The chair validates: read-only; reopening is traced.
        page.locator("#sign-decision").click()
        expect(page.locator("#decision-signed")).to_contain_text("Validée par le président")
        expect(page.locator("#s-decision")).to_be_disabled()
        expect(page.locator("#take-over-save")).to_have_count(0)
        page.locator("#reopen-decision").click()
        expect(page.locator("#decision-reopened")).to_contain_text("Rouverte par")
        expect(page.locator("#s-decision")).to_be_enabled()
        expect(page.locator("#s-decision")).to_have_value(typed)
        page.goto(session_url)
    finally:
        page.goto(live_server.url + "/lang/en?next=/cases")
        page.close()


def test_take_over_in_english_then_edit(live_server, browser_context):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    cid = "demo-01-staging-no-pet"
    page.goto(live_server.url + "/sessions/new")
    page.get_by_label("Meeting date").fill("05/12/2026")
    page.get_by_label("Site").fill("CHU Lyon-Sud")
    attendees = page.get_by_label("Attendees")
    if attendees.count():
        attendees.fill("Dr Martin")
    page.get_by_role("button", name="Create the session").click()
    page.locator(f"input[type=checkbox][name='case_id'][value='{cid}']").check()
    page.locator("#add-case").click()
    page.locator(f"li[data-case='{cid}']").get_by_role("link", name="Record the decision").click()
    expect(page.locator("#s-biomarkers")).to_have_value("EGFR exon 19 deletion")  # from the case
    page.get_by_role("button", name="Take over the proposal", exact=True).click()
    expect(page.locator("#s-decision")).to_have_value(re.compile(r"FDG-PET/CT.*\(NM-02\)"))
    expect(page.get_by_label("FDG-PET/CT", exact=True)).to_be_checked()
    page.get_by_label("Follows the guideline").select_option("no")
    page.locator("#save-decision").click()
    expect(page.locator("#s-conforme_reason-err")).to_contain_text("required")
    page.get_by_label("Why not").fill("Biopsy first: the board departs from bonemet's proposal.")
    page.get_by_label("TNM stage").fill("cT2aN2M1c")
    page.locator("#save-decision").click()
    expect(page.locator(".notice")).to_contain_text("Decision saved")
    sid = re.search(r"/sessions/(\d+)", page.url).group(1)  # type: ignore[union-attr]

    def recorded() -> dict:  # type: ignore[type-arg]
        got = httpx.get(f"{live_server.url}/api/sessions/{sid}").json()
        return next(c for c in got["cases"] if c["case_id"] == cid)

    # Review 25 F6: bonemet's text saved unedited is said to be bonemet's on the fiche...
    assert recorded()["decision_is_proposal"] is True
    fiche = httpx.get(f"{live_server.url}/sessions/{sid}/cases/{cid}/summary").text
    assert 'id="board-adopted"' in fiche
    # ...and once the board writes its own words, they are the board's
    page.locator(f"li[data-case='{cid}']").get_by_role("link", name="Record the decision").click()
    page.locator("#s-decision").fill("Biopsy of the iliac lesion first, then PET-CT.")
    page.locator("#save-decision").click()
    expect(page.locator(".notice")).to_contain_text("Decision saved")
    assert recorded()["decision_is_proposal"] is False
    assert 'id="board-adopted"' not in httpx.get(f"{live_server.url}/sessions/{sid}/cases/{cid}/summary").text
    page.close()
