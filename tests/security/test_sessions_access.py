"""Board sessions (issue 13) behind the same gate as cases: readers read, editors write, forms
carry the CSRF token, and every write is audited with the user id."""

from __future__ import annotations

import re
from html import unescape

from security_harness import Live, as_proxy, csrf_of

SESSION = {"meeting_date": "2026-11-27", "site": "CHU", "attendees": ["Dr A"]}
HTML = {"accept": "text/html"}


def test_reader_reads_sessions_but_cannot_write_them(proxy_server: Live) -> None:
    with proxy_server.client() as http:
        editor, reader = as_proxy("dr.editor", "editor"), as_proxy("dr.reader", "reader")
        created = http.post("/api/sessions", json=SESSION, headers=editor)
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        assert http.get("/api/sessions", headers=reader).status_code == 200
        assert http.get(f"/api/sessions/{sid}", headers=reader).status_code == 200
        assert http.get(f"/sessions/{sid}", headers={**reader, **HTML}).status_code == 200
        refused = [
            http.post("/api/sessions", json=SESSION, headers=reader),
            http.post(f"/api/sessions/{sid}/cases", json={"case_id": "demo-03-pet-mid-thigh"},
                      headers=reader),
            http.put(f"/api/sessions/{sid}/cases/demo-03-pet-mid-thigh/decision", json={},
                     headers=reader),
        ]
        page = http.get("/sessions/new", headers={**reader, **HTML}).text
        refused.append(http.post("/sessions", headers={**reader, **HTML}, data={
            "_csrf": csrf_of(page), "meeting_date": "2026-11-27", "site": "x", "attendees": "A"}))
        assert [r.status_code for r in refused] == [403] * 4
        assert all("editor" in r.json()["problems"][0]["message"] for r in refused)
        assert http.get(f"/api/sessions/{sid}", headers=reader).json()["cases"] == []
    rows = proxy_server.store.audit_rows(50)
    writes = [r for r in rows if r["route"] == "/api/sessions" and r["method"] == "POST"]
    assert ("dr.editor", 201) in {(r["user_id"], r["status"]) for r in writes}


def test_session_forms_need_the_csrf_token(dev_server: Live) -> None:
    with dev_server.client() as http:
        form = {"meeting_date": "27/11/2026", "site": "CHU", "attendees": "Dr A\nDr B"}
        assert http.post("/sessions", data=form, headers=HTML).status_code == 403
        page = http.get("/sessions/new", headers=HTML).text
        ok = http.post("/sessions", data={**form, "_csrf": csrf_of(page)}, headers=HTML)
        assert ok.status_code == 303
        sid = int(ok.headers["location"].rsplit("/", 1)[1])
        assert dev_server.store.execute("SELECT attendees, created_by FROM board_sessions WHERE "
                                        "id=?", (sid,)) == [('["Dr A","Dr B"]', "developer")]
        no_token = http.post(f"/sessions/{sid}/cases", data={"case_id": "demo-03-pet-mid-thigh"},
                             headers=HTML)
        assert no_token.status_code == 403


def test_session_forms_refuse_bad_input_naming_the_field_in_french(dev_server: Live) -> None:
    with dev_server.client(cookies={"bonemet_lang": "fr"}) as http:
        page = http.get("/sessions/new", headers=HTML).text
        r = http.post("/sessions", headers=HTML, data={
            "_csrf": csrf_of(page), "meeting_date": "31/02/2027", "site": "", "attendees": ""})
        assert r.status_code == 422
        assert "date invalide (saisi\u00a0: «\u00a031/02/2027\u00a0»)" in r.text
        site = re.search(r'<input id="s-site"[^>]*>', r.text)
        assert site and 'aria-invalid="true"' in site[0] and 'aria-describedby="s-site-err"' in site[0]
        assert "Participants</a>" not in r.text  # completed on the day (issue 25): not required
        ok = http.post("/sessions", headers=HTML, data={
            "_csrf": csrf_of(page), "meeting_date": "27/11/2026", "site": "CHU", "attendees": "A"})
        sid = ok.headers["location"].rsplit("/", 1)[1]
        unknown = http.post(f"/sessions/{sid}/cases", headers=HTML, data={
            "_csrf": csrf_of(page), "case_id": "nobody-1"})
        assert unknown.status_code == 404 and "aucun dossier «\u00a0nobody-1\u00a0»" in unknown.text
        http.post(f"/sessions/{sid}/cases", headers=HTML, data={
            "_csrf": csrf_of(page), "case_id": "demo-03-pet-mid-thigh"})
        bad = http.post(f"/sessions/{sid}/cases/demo-03-pet-mid-thigh/decision", headers=HTML,
                        data={"_csrf": csrf_of(page), "_version": "1", "imaging": ["none", "mri"],
                              "next_review": "demain"})
        assert bad.status_code == 422
        assert "«\u00a0Aucune\u00a0» ne peut pas être combinée" in bad.text
        assert "date invalide (saisi\u00a0: «\u00a0demain\u00a0»)" in bad.text
        assert 'value="mri" checked' in bad.text  # what was ticked stays ticked
        stale = http.post(f"/sessions/{sid}/cases/demo-03-pet-mid-thigh/decision", headers=HTML,
                          data={"_csrf": csrf_of(page), "_version": "7", "decision": "x"})
        assert stale.status_code == 409 and "la vôtre n'a PAS été enregistrée" in unescape(stale.text)


def test_unknown_sessions_and_cases_are_404_pages(dev_server: Live) -> None:
    with dev_server.client() as http:
        for path in ("/sessions/abc", "/sessions/0", "/sessions/99999999999999999999999",
                     "/sessions/424242", "/sessions/424242/cases/demo-03-pet-mid-thigh/decision",
                     "/sessions/424242/summary.pdf",
                     "/sessions/424242/cases/demo-03-pet-mid-thigh/summary.pdf"):
            r = http.get(path, headers=HTML)
            assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), path
        assert http.get("/api/sessions/abc").status_code == 422  # the API names the field
