"""Board meetings driven through the web forms with a test client (shared by the web tests)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def csrf(c: TestClient) -> str:
    """The form token the client fetched when it was made (kept in its `x-csrf-token` header)."""
    return str(c.headers["x-csrf-token"])


def new_session(c: TestClient, *case_ids: str, meeting: str, attendees: str) -> int:
    """A meeting created through its form with `case_ids` added one by one; its id."""
    r = c.post("/sessions", data={"_csrf": csrf(c), "meeting_date": meeting, "site": "CHU Lyon",
                                  "attendees": attendees},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    sid = int(r.headers["location"].rsplit("/", 1)[1])
    for cid in case_ids:
        r = c.post(f"/sessions/{sid}/cases", data={"_csrf": csrf(c), "case_id": cid},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
    return sid
