"""A full disk is said plainly (issue 22, item 13): 507 "storage full" in the user's language, for
the API and the web editor (the form comes back as typed), nothing stored before is lost, and
writes work again once there is room, without a restart. The audit-log writer says so in one line
per outage (before: a traceback per retry) and keeps its rows until they can be written.

How the disk is filled, honestly: no small tmpfs can be mounted without root, so the probe lowers
SQLite's `PRAGMA max_page_count` on the server's own store connection to the file's current size.
SQLite then refuses to grow the file with SQLITE_FULL ("database or disk is full"), the very error
a full disk gives; raising the limit is "freeing space".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from security_harness import ROLE_MAP, Keys, Live, as_proxy, csrf_of, free_port, production, start

from bonemet.access.config import ProxySettings
from bonemet.stores.board_store import BoardStore

BIG = "x" * 200_000  # ~50 pages of the file: more than any free page left in it
EDITOR = as_proxy("dr.editor", "editor")


def _case(case_id: str, text: str = "") -> dict[str, object]:
    context: dict[str, object] = {"phase": "staging"}
    if text:
        context["question_text"] = text
    return {"schema_version": "1.0", "case_id": case_id, "context": context}


@pytest.fixture()
def live(tmp_path: Path, keys: Keys) -> Iterator[Live]:
    port = free_port()
    server, stop = start(production(tmp_path / "store.sqlite3", port, keys, auth_mode="proxy",
                                    proxy=ProxySettings(trusted=("127.0.0.1",)),
                                    role_map=ROLE_MAP), port)
    yield server
    stop()


def _fill(live: Live) -> None:
    pages = live.store.execute("PRAGMA page_count")[0][0]
    live.store.execute(f"PRAGMA max_page_count={pages}")


def _free(live: Live) -> None:
    # Straight on the connection: Store.execute would first write the queued audit rows, which
    # cannot be written yet.
    with live.store._lock:
        live.store._db.execute("PRAGMA max_page_count=1073741823")


def test_full_disk_is_507_storage_full_then_writes_resume_without_restart(
        live: Live, caplog: pytest.LogCaptureFixture) -> None:
    with live.client() as http, caplog.at_level(logging.INFO, "bonemet.service"):
        assert http.put("/api/cases/kept-1", json=_case("kept-1"), headers=EDITOR).status_code == 200
        _fill(live)
        english = http.put("/api/cases/full-1", json=_case("full-1", BIG), headers=EDITOR)
        french = http.put("/api/cases/full-1", json=_case("full-1", BIG),
                          headers={**EDITOR, "accept-language": "fr"})
        for _ in range(5):  # more calls: more audit retries, still one line
            assert http.put("/api/cases/full-1", json=_case("full-1", BIG),
                            headers=EDITOR).status_code == 507
        assert english.status_code == 507, english.text[:300]
        assert english.json()["error"] == "storage full"
        assert english.json()["problems"][0]["message"].startswith("storage full: the server's disk")
        assert french.status_code == 507
        assert french.json()["problems"][0]["message"].startswith("stockage plein")
        # Reads keep working, and what was stored before is intact; their audit rows (each call
        # is audited) soon need a page of their own, and the audit writer meets the full disk.
        for _ in range(200):
            assert http.get("/api/cases/kept-1", headers=EDITOR).status_code == 200
        assert live.store.get_case("full-1") is None

        _free(live)
        again = http.put("/api/cases/full-1", json=_case("full-1", BIG), headers=EDITOR)
        assert again.status_code == 200, again.text[:300]
        assert http.get("/api/audit", headers=as_proxy("dr.admin", "administrator")).status_code == 200
    assert live.store.get_case("full-1") is not None
    assert live.store.get_case("kept-1") is not None
    # The rows of the calls made while full were kept and written once there was room.
    rows = live.store.audit_rows(1000)
    puts = [row["status"] for row in rows if row["method"] == "PUT"]
    assert puts.count(507) == 7 and puts.count(200) == 2
    assert sum(1 for row in rows if row["method"] == "GET" and row["status"] == 200) >= 200
    audit_lines = [r for r in caplog.records if "audit rows could not be written" in r.getMessage()]
    assert len(audit_lines) == 1, [r.getMessage() for r in audit_lines]
    assert "storage full" in audit_lines[0].getMessage()
    assert not any(r.exc_info for r in caplog.records), "a traceback was logged"
    deadline = time.monotonic() + 10  # the writer thread says it on its next wake-up
    while not any("audit rows written again" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "the audit writer never said it writes again"
        time.sleep(0.05)


def test_the_web_editor_keeps_the_form_and_says_storage_full(live: Live) -> None:
    html = {**EDITOR, "accept": "text/html", "accept-language": "fr"}
    with live.client() as http:
        page = http.get("/new", headers=html)
        assert page.status_code == 200
        form = {"schema_version": "1.0", "case_id": "web-full-1", "context.phase": "staging",
                "context.question_text": BIG, "cancer.primary_site": "lung", "_new": "1",
                "_version": "0", "_csrf": csrf_of(page.text)}
        _fill(live)
        refused = http.post("/save", data=form, headers=html, follow_redirects=False)
        # A board session is a small row: it fits in the table's last page until that page is
        # full (max_page_count refuses new pages, not writes into free room), so create sessions
        # until one needs a page of its own.
        created = 0
        for _ in range(300):
            session = http.post("/sessions", headers=html, follow_redirects=False,
                                data={"meeting_date": "2026-12-01", "site": "lung",
                                      "title": "t" * 100, "attendees": "Dr A\nDr B",
                                      "_csrf": csrf_of(page.text)})
            if session.status_code != 303:
                break
            created += 1
        _free(live)
        saved = http.post("/save", data=form, headers=html, follow_redirects=False)
    assert refused.status_code == 507, refused.text[:300]
    assert "stockage plein" in refused.text
    assert 'value="web-full-1"' in refused.text  # the form comes back as typed
    assert session.status_code == 507 and "Stockage plein" in session.text, session.text[:300]
    assert len(BoardStore(live.store).sessions()) == created  # the refused one was not half-made
    assert saved.status_code == 303
    assert live.store.get_case("web-full-1") is not None
