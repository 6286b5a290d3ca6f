"""Who the user is and what they hold (issue 22, items 7 and 8), against real servers.

* Item 7: roles come only from the role map. A directory group that happens to be called like a
  bonemet role (`administrator`) grants nothing unless `BONEMET_ROLE_MAP` lists it: before, such a
  user read `/api/audit`.
* Item 8: the trusted proxy's identity headers must arrive once. Before, a request carrying
  `X-Remote-User` twice (the client's, then the proxy's, appended by a proxy that adds instead of
  replacing) was served as the first one: the client's choice.
"""

from __future__ import annotations

import pytest
from security_harness import Live, as_proxy, sign_in


@pytest.mark.parametrize("groups", ["administrator", "editor, administrator",
                                    "reader,editor,administrator"])
def test_a_group_named_like_a_role_grants_nothing_through_the_proxy(proxy_server: Live,
                                                                     groups: str) -> None:
    headers = {"x-remote-user": "eve", "x-remote-roles": groups}
    with proxy_server.client() as http:
        audit = http.get("/api/audit", headers=headers)
        write = http.put("/api/cases/role-bypass-1", headers=headers,
                         json={"schema_version": "1.0", "case_id": "role-bypass-1"})
        read = http.get("/api/kb/rules/NM-01", headers=headers)
    assert audit.status_code == 403, audit.text[:200]
    assert write.status_code == 403 and read.status_code == 403
    assert "eve has none" in audit.text
    assert proxy_server.store.get_case("role-bypass-1") is None


def test_the_mapped_group_still_grants_its_role(proxy_server: Live) -> None:
    with proxy_server.client() as http:
        assert http.get("/api/audit", headers={"x-remote-user": "dr.admin",
                                               "x-remote-roles": "bonemet-admins"}).status_code == 200
        # The group named like a role beside a mapped one adds nothing: reader stays reader.
        mixed = {"x-remote-user": "dr.reader", "x-remote-roles": "bonemet-readers,administrator"}
        assert http.get("/api/kb/rules/NM-01", headers=mixed).status_code == 200
        assert http.get("/api/audit", headers=mixed).status_code == 403


def test_a_group_named_like_a_role_grants_nothing_through_openid_connect(oidc_server: Live) -> None:
    # trudy's `roles` claim holds the groups "administrator", "editor" and "reader", none mapped.
    with sign_in(oidc_server, "trudy") as http:
        page = http.get("/cases", headers={"accept": "text/html"}, follow_redirects=False)
        audit = http.get("/api/audit")
    assert page.status_code == 403
    assert audit.status_code == 403


@pytest.mark.parametrize("header", ["x-remote-user", "x-remote-roles", "X-Remote-User"])
def test_an_identity_header_sent_twice_is_refused(proxy_server: Live, header: str) -> None:
    # What a proxy that appends its header to the client's forwards: the client's comes first.
    name = header.lower()
    first = {"x-remote-user": "dr.admin", "x-remote-roles": "bonemet-admins"}[name]
    second = {"x-remote-user": "dr.reader", "x-remote-roles": "bonemet-readers"}[name]
    other = ("x-remote-roles", "bonemet-admins") if name == "x-remote-user" else \
        ("x-remote-user", "dr.reader")
    headers = [(header, first), (header, second), other]
    with proxy_server.client() as http:
        audit = http.get("/api/audit", headers=headers)
        page = http.get("/cases", headers=[*headers, ("accept", "text/html")])
    assert audit.status_code == 400, audit.text[:200]
    problem = audit.json()["problems"][0]
    assert problem["field"] == name and "more than once" in problem["message"]
    assert page.status_code == 400


def test_one_identity_header_each_is_served(proxy_server: Live) -> None:
    with proxy_server.client() as http:
        assert http.get("/api/audit", headers=as_proxy("dr.admin", "administrator")).status_code == 200
