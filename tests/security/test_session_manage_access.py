"""Issue 25: the meeting-management writes (take a case out, edit the meeting, add an attendee,
add several cases) behind the same gate as the other board writes: no user 401, a reader 403,
another site 403, a form without its CSRF token 403; each write is audited with its user."""

from __future__ import annotations

from security_harness import Live, as_proxy, csrf_of

CASES = ["demo-03-pet-mid-thigh", "demo-48-suspected-cord-compression"]
MEETING = {"meeting_date": "2026-11-27", "site": "CHU"}
HTML = {"accept": "text/html"}


def test_management_api_needs_a_user_the_editor_role_and_this_site(proxy_server: Live) -> None:
    editor, reader = as_proxy("dr.editor", "editor"), as_proxy("dr.reader", "reader")
    with proxy_server.client() as http:
        sid = http.post("/api/sessions", json=MEETING, headers=editor).json()["id"]
        assert http.post(f"/api/sessions/{sid}/cases/batch", headers=editor, json={"cases": [
            {"case_id": c} for c in CASES]}).status_code == 201

        def writes(headers: dict[str, str]) -> list[int]:
            return [
                http.delete(f"/api/sessions/{sid}/cases/{CASES[0]}", headers=headers).status_code,
                http.put(f"/api/sessions/{sid}", json=MEETING, headers=headers).status_code,
                http.post(f"/api/sessions/{sid}/attendees", json={"name": "Dr X"},
                          headers=headers).status_code,
                http.post(f"/api/sessions/{sid}/cases/batch", json={"cases": [
                    {"case_id": "demo-11-response-early"}]}, headers=headers).status_code,
            ]

        assert writes({}) == [401] * 4
        assert writes(reader) == [403] * 4
        assert writes({**editor, "sec-fetch-site": "cross-site"}) == [403] * 4
        assert writes({**editor, "origin": "https://evil.example"}) == [403] * 4
        got = http.get(f"/api/sessions/{sid}", headers=reader).json()
        assert [c["case_id"] for c in got["cases"]] == CASES and got["removed"] == []
        assert got["version"] == 1 and got["attendees"] == []
        assert writes(editor) == [200, 200, 200, 201]
        got = http.get(f"/api/sessions/{sid}", headers=reader).json()
        assert [r["removed_by"] for r in got["removed"]] == ["dr.editor"]
    rows = proxy_server.store.audit_rows(200)
    removal = [r for r in rows if r["method"] == "DELETE" and r["status"] == 200]
    assert [(r["user_id"], r["case_id"]) for r in removal] == [("dr.editor", CASES[0])]


def test_management_forms_need_the_csrf_token(dev_server: Live) -> None:
    with dev_server.client() as http:
        page = http.get("/sessions/new", headers=HTML).text
        made = http.post("/sessions", headers=HTML, data={
            "_csrf": csrf_of(page), "meeting_date": "27/11/2026", "site": "CHU"})
        assert made.status_code == 303  # no attendee needed at creation (issue 25)
        sid = made.headers["location"].rsplit("/", 1)[1]
        posts = {
            f"/sessions/{sid}/cases": {"case_id": CASES},
            f"/sessions/{sid}/attendees": {"name": "Dr A"},
            f"/sessions/{sid}/edit": {"_version": "1", "meeting_date": "28/11/2026", "site": "CHU"},
            f"/sessions/{sid}/removals": {"case_id": CASES[0]},
        }
        for path, form in posts.items():
            refused = http.post(path, headers=HTML, data=form)
            assert refused.status_code == 403, path
        assert http.get(f"/api/sessions/{sid}").json()["cases"] == []
        token = csrf_of(page)
        done = [http.post(path, headers=HTML, data={**form, "_csrf": token}).status_code
                for path, form in posts.items()]
        assert done == [303, 303, 409, 303]  # the edit read version 1; the attendee made it 2
        got = http.get(f"/api/sessions/{sid}").json()
        assert [c["case_id"] for c in got["cases"]] == CASES[1:]
        assert got["attendees"] == ["Dr A"] and [r["case_id"] for r in got["removed"]] == CASES[:1]
