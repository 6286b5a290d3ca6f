"""Issue 13 in real Chromium: a tumour-board session prepared and recorded end to end, its PDF read
back with pypdf, the pages at 390 px, and "New case" refusing an id that is taken (defect 1)."""

from __future__ import annotations

import io
import re

import httpx
import pypdf
from playwright.sync_api import expect

from bonemet.api import assess, load_case
from bonemet.demo import demo_cases
from bonemet.stores.store import Store

CASES = ["demo-03-pet-mid-thigh", "demo-11-response-early", "demo-21-early-flare-likely"]
DECISIONS = {cid: f"Decision {n}: see imaging plan" for n, cid in enumerate(CASES, start=1)}
CITED = re.compile(r"R[ée]f[ée]rences\s*:\s*([\d,\s]+)")
ENTRY = re.compile(r"^\s*(\d{1,3})\.\s+\S", re.MULTILINE)


def _case(case_id: str):  # type: ignore[no-untyped-def]
    return next(c for c in (load_case(p) for p in demo_cases()) if c.case_id == case_id)


def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_board_session_prepared_recorded_and_printed(live_server, browser_context, tmp_path):  # type: ignore[no-untyped-def]
    page = browser_context.new_page()
    page.goto(live_server.url + "/cases")
    page.get_by_role("link", name="Board sessions").click()
    page.get_by_role("link", name="New session").click()
    page.get_by_role("button", name="Create the session").click()  # empty: refused, fields named
    expect(page.locator("#error-summary")).to_contain_text("Meeting date")
    expect(page.locator("#s-site")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Meeting date").fill("31/11/2026")  # no 31 November
    page.get_by_label("Site").fill("CHU Lyon-Sud")
    page.get_by_label("Attendees").fill("Dr Martin (pulmonology)\nDr Petit (nuclear medicine)")
    page.get_by_role("button", name="Create the session").click()
    expect(page.locator("#s-meeting_date-err")).to_contain_text("31/11/2026")
    expect(page.get_by_label("Attendees")).to_have_value(
        "Dr Martin (pulmonology)\nDr Petit (nuclear medicine)")  # nothing typed is lost
    page.get_by_label("Meeting date").fill("27/11/2026")
    page.get_by_role("button", name="Create the session").click()
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
    session_url = page.url
    sid = int(session_url.rsplit("/", 1)[1])
    for cid in CASES:  # ticked together, each with its question, added in one action (issue 25)
        page.locator(f"input[name='case_id'][value='{cid}']").check()
        page.locator(f"input[name='question:{cid}']").fill(f"Which imaging for {cid}?")
    page.get_by_role("button", name="Add the ticked patients").click()
    items = page.locator("li.session-case")
    expect(items).to_have_count(3)
    up = re.compile(rf"Move up: .*\({re.escape(CASES[2])}\)")
    page.get_by_role("button", name=up).click()  # reorder: third goes second
    order = [CASES[0], CASES[2], CASES[1]]
    expect(items).to_have_count(3)
    assert items.evaluate_all("els => els.map(e => e.dataset.case)") == order
    for cid in order:
        page.locator(f"li[data-case='{cid}']").get_by_role("link", name="Record the decision").click()
        expect(page.locator("#decision-target")).to_contain_text(cid)  # the case, named in full
        page.get_by_label("Status").select_option("discussed")
        page.get_by_label("Decision", exact=True).fill(DECISIONS[cid])
        page.get_by_label("Proposal").fill("Proposal of the board")
        page.get_by_label("MRI", exact=True).check()
        page.get_by_label("yes").check()
        page.get_by_label("Next review").fill("15/01/2027")
        page.get_by_role("button", name="Save the decision").click()
        expect(page.locator(".notice")).to_contain_text("Decision saved")
        expect(page.locator(f"li[data-case='{cid}']")).to_contain_text("Decided")  # issue 25
    page.set_viewport_size({"width": 390, "height": 844})
    _no_sideways_scroll(page)
    page.locator(f"li[data-case='{CASES[0]}']").get_by_role("link", name="Record the decision").click()
    _no_sideways_scroll(page)
    page.goto(live_server.url + "/sessions")
    _no_sideways_scroll(page)
    page.goto(live_server.url + "/sessions/new")
    _no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(session_url)
    with page.expect_download() as download:
        page.get_by_role("link", name="Print the whole session (PDF)").click()
    path = tmp_path / "session.pdf"
    download.value.save_as(path)
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    texts = [p.extract_text() or "" for p in reader.pages]
    starts = [i for i, text in enumerate(texts) if "Tumour-board decision" in text]
    # A cover and the agenda first (issue 25), then each case starts a page with its decision box.
    assert len(starts) == 3 and starts[0] == 2
    chunks = ["\n".join(texts[a:b]) for a, b in zip(starts, [*starts[1:], len(texts)], strict=True)]
    for cid, text in zip(order, chunks, strict=True):  # in the session's order
        assert cid in text
        assert DECISIONS[cid] in text
        a = assess(_case(cid))
        for rule_id in a.rule_ids():
            assert rule_id in text, (cid, rule_id)
        cited = {int(n) for g in CITED.findall(text) for n in re.findall(r"\d+", g)}
        plan_refs = {n for p in a.plan.proposals for n in p.references} if a.plan else set()
        assert cited == {n for r in a.recommendations for n in r.references} | plan_refs, cid
        listed = {int(n) for n in ENTRY.findall(text[text.rfind("References"):])}
        assert cited <= listed, (cid, sorted(cited - listed))
    store = Store(live_server.db_path)
    try:
        rows = store.execute("SELECT case_id, updated_by, version FROM session_cases WHERE "
                             "session_id=? ORDER BY position", (sid,))
    finally:
        store.close()
    assert [(r[0], r[1], r[2]) for r in rows] == [(cid, "developer", 2) for cid in order]
    page.close()


def test_new_case_with_a_taken_id_is_refused_with_a_link(live_server, browser_context):  # type: ignore[no-untyped-def]
    case = {"schema_version": "1.0", "case_id": "e2e-taken-1", "patient": {"label": "First patient"},
            "context": {"phase": "staging"}}
    assert httpx.put(f"{live_server.url}/api/cases/e2e-taken-1", json=case).status_code == 200
    page = browser_context.new_page()
    for taken, label in (("e2e-taken-1", "First patient"), (CASES[0], None)):  # stored, demo
        page.goto(live_server.url + "/new")
        page.get_by_label("Case id").fill(taken)
        page.get_by_label("Patient label").fill("Second patient")
        page.get_by_role("button", name="Save and assess").click()
        expect(page.locator("#error-summary")).to_contain_text("already exists")
        expect(page.locator("#error-summary")).not_to_contain_text("Case saved")
        expect(page.get_by_label("Patient label")).to_have_value("Second patient")  # kept to fix
        page.locator("#taken-case a").click()
        expect(page).to_have_url(f"{live_server.url}/cases/{taken}")
        expect(page.locator("h1")).not_to_contain_text("Second patient")
        if label:
            expect(page.locator("h1")).to_contain_text(label)
    store = Store(live_server.db_path)
    try:
        assert store.get_case("e2e-taken-1")["patient"]["label"] == "First patient"  # type: ignore[index]
        assert store.get_case(CASES[0]) is None  # the demo case was not shadowed by a copy
    finally:
        store.close()
    page.goto(live_server.url + "/lang/fr?next=/new")  # in French too
    page.locator("#f-case-id").fill("e2e-taken-1")
    page.locator("#save").click()
    expect(page.locator("#error-summary")).to_contain_text("porte déjà cet identifiant")
    expect(page.locator("#taken-case")).to_contain_text("Ouvrir le dossier existant")
    page.goto(live_server.url + "/lang/en?next=/cases")
    page.close()
