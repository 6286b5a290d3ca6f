"""Who may reach what: users, roles, the access gate, CSRF, Host check, body limit, headers.

Outside development mode every page and API route needs a signed-in user, except `/health`, the
static files and the login routes (`/version` too needs one: exact versions help an attacker pick
an exploit); `/cds-services` keeps its own client JWT (see
`auth.py`). Users come from one of two sources, chosen by BONEMET_AUTH:

* `oidc`: single sign-on with the hospital's OpenID Connect provider (Authlib, authorization code
  with PKCE); the session is a signed cookie holding the user id, the roles and a CSRF token;
* `proxy`: a reverse proxy authenticates and passes the user (and roles) in headers, believed only
  on connections from BONEMET_TRUSTED_PROXIES.

The JSON API also accepts a CDS client JWT (an EHR integration), checked by the gate itself.

Roles: reader (read cases, run calculators and assessments), editor (also write cases),
administrator (also read the audit log: `/api/audit`, `/admin/audit`). Every middleware here is
pure ASGI: they cost microseconds on the CDS Hooks hot path.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bonemet.access.config import ROLES, Settings

SESSION_COOKIE = "bonemet_session"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Reachable without a user: liveness (which names no version), static assets (CSS, htmx), the
# login itself, the CDS Hooks services (they authenticate their client with a JWT of their own),
# and the SMART launch (the EHR's authorization server authenticates; access/smart.py).
_PUBLIC_EXACT = frozenset({"/health", "/favicon.ico"})
_PUBLIC_PREFIXES = ("/static/", "/auth/", "/cds-services", "/smart/")


@dataclass(frozen=True)
class User:
    id: str
    roles: frozenset[str]
    source: str  # oidc | proxy | jwt | dev
    name: str = ""

    def has(self, role: str) -> bool:
        rank = ROLES.index(role)
        return any(ROLES.index(r) >= rank for r in self.roles if r in ROLES)

    @property
    def top_role(self) -> str:
        held = [r for r in ROLES if self.has(r)]
        return held[-1] if held else "none"


DEV_USER = User("developer", frozenset({"administrator"}), "dev", "Development mode")


def map_roles(values: Iterable[str], role_map: Mapping[str, str]) -> frozenset[str]:
    """bonemet roles from the groups the identity provider or the proxy names, by the role map only.

    A group that happens to be called like a role (`administrator`) grants nothing unless the map
    lists it: group names are the directory's, and anyone able to create or join a group with such
    a name would otherwise become administrator (issue 22, item 7).
    """
    out = set()
    for value in values:
        role = role_map.get(value.strip())
        if role is not None:
            out.add(role)
    return frozenset(out)


def required_role(method: str, path: str) -> str:
    if path.startswith(("/api/audit", "/admin/")):
        return "administrator"  # the audit log: who opened which patient's case
    # /check/save: a quick check kept in the patient's file (issue 25) is a write like a case save.
    if method not in _SAFE_METHODS and (path in ("/save", "/import", "/check/save")
                                         or path.startswith("/api/cases")):
        return "editor"
    if method not in _SAFE_METHODS and path.startswith(("/sessions", "/api/sessions")):
        return "editor"  # tumour-board sessions and their decisions
    return "reader"


def is_public(path: str) -> bool:
    return path in _PUBLIC_EXACT or path.startswith(_PUBLIC_PREFIXES)


def request_user(request: Request) -> User | None:
    user = request.scope.get("state", {}).get("user")
    return user if isinstance(user, User) else None


# ---- CSRF ------------------------------------------------------------------------------------


class CsrfError(Exception):
    """A state-changing form arrived without the token of this session."""


def csrf_token(request: Request) -> str:
    """This session's CSRF token (created on first use; the session cookie carries it)."""
    session = request.session
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    submitted = submitted or request.headers.get(CSRF_HEADER)
    if not isinstance(expected, str) or not submitted or not hmac.compare_digest(
            expected.encode(), submitted.encode()):
        raise CsrfError("the form's security token is missing or stale: reload the page and try "
                        "again")


# ---- ASGI helpers ----------------------------------------------------------------------------


async def _send_json(send: Send, status: int, problems: list[tuple[str, str]],
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = orjson.dumps({"error": {401: "authentication required", 403: "forbidden",
                                   400: "malformed request", 413: "request too large",
                                   421: "misdirected request"}.get(status, "error"),
                         "problems": [{"field": f, "message": m} for f, m in problems]})
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def _wants_html(headers: Headers) -> bool:
    return "text/html" in headers.get("accept", "")


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


# ---- middlewares -----------------------------------------------------------------------------


class HostCheck:
    """Refuse a Host header that is not ours: DNS rebinding would otherwise let any web page read
    the cases of a server on the clinician's own machine (development mode on loopback)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        hosts = {h.lower() for h in settings.extra_hosts}
        if settings.public_base_url:
            hosts.add((urlsplit(settings.public_base_url).hostname or "").lower())
        if settings.dev_mode:
            hosts.update({"localhost", "127.0.0.1", "::1"})
        self.hosts = frozenset(hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/health":
            await self.app(scope, receive, send)
            return
        raw = Headers(scope=scope).get("host", "")
        host = urlsplit(f"//{raw}").hostname or ""
        if host.lower() not in self.hosts:
            await _send_json(send, 421, [("Host", "this server does not answer for that host name")])
            return
        await self.app(scope, receive, send)


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


class BodyLimit:
    """Refuse a body over the limit while it arrives: by Content-Length before reading anything,
    else by counting chunks, so that a 100 MB body is never held in memory."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if not length.isdigit():
                await _send_json(send, 400, [("Content-Length", "not a number")])
                return
            if int(length) > self.limit:
                await _send_json(send, 413, [("", self._message())])
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_json(send, 413, [("", self._message())])

    def _message(self) -> str:
        return f"request body too large (limit {self.limit // 1024} KiB)"


# Scripts only from this server (no inline script, no eval); styles may be inline (the templates
# use style attributes; CSS cannot run code); nothing may frame the app.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


# Review 26 F13: the pages an EHR may frame (embedded launch) when BONEMET_FRAME_ANCESTORS lists its
# origins. Only the SMART launch pages: they need no bonemet sign-in and show the launched patient
# only; the rest of the app (case list, editing, sessions, audit) stays unframeable by anyone.
FRAMED_PREFIX = "/smart/"


def framed_csp(origins: tuple[str, ...]) -> str:
    return CSP.replace("frame-ancestors 'none'", "frame-ancestors " + " ".join(origins))


# With an embedded launch configured the session cookie is SameSite=None: the browser then sends it
# on any site's requests, not only on top-level navigations. Those requests are refused here (fetch
# metadata resource isolation): from another site, only a navigation (a link followed, the EHR's
# frame for the SMART pages) reaches bonemet; an image, a script, a fetch or a frame of another
# page from another site does not. Unsafe methods are refused by the CSRF checks besides.
_OPEN_TO_OTHER_SITES = ("/static/", "/cds-services", "/health", "/favicon.ico", "/.well-known/")


def _not_isolated(path: str, headers: Headers) -> str | None:
    site = headers.get("sec-fetch-site")
    if site not in ("cross-site", "same-site") or path.startswith(_OPEN_TO_OTHER_SITES):
        return None
    mode, dest = headers.get("sec-fetch-mode"), headers.get("sec-fetch-dest")
    if mode == "navigate" and dest == "document":
        return None
    if mode == "navigate" and dest in ("iframe", "frame") and path.startswith(FRAMED_PREFIX):
        return None  # the EHR's frame; frame-ancestors names which sites may hold it
    return f"request from another site refused (Sec-Fetch-Mode: {mode}, Sec-Fetch-Dest: {dest})"


class SecurityHeaders:
    """Headers of every answer: CSP, nosniff, no framing, no referrer, and no-store on everything
    but static assets (patient pages must not stay in a shared workstation's browser cache).

    With `frame_ancestors` (the EHR origins of BONEMET_FRAME_ANCESTORS), the SMART pages say
    `frame-ancestors <those origins>` and carry no X-Frame-Options (it names one origin at most,
    and a browser obeying DENY would refuse the EHR's frame anyway)."""

    def __init__(self, app: ASGIApp, https: bool, frame_ancestors: tuple[str, ...] = ()) -> None:
        self.app = app
        self.https = https
        self.framed_csp = framed_csp(frame_ancestors).encode() if frame_ancestors else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        framed = self.framed_csp is not None and scope["path"].startswith(FRAMED_PREFIX)

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if static or k.lower() != b"cache-control"]
                if framed and self.framed_csp is not None:
                    headers.append((b"content-security-policy", self.framed_csp))
                else:
                    headers += [(b"content-security-policy", CSP.encode()),
                                (b"x-frame-options", b"DENY")]
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"same-origin"),
                            (b"cross-origin-opener-policy", b"same-origin")]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                if self.https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, add_headers)


class AccessGate:
    """Find the user of each request and refuse what their role does not allow.

    Runs inside the session middleware (it reads the session) and outside the audit middleware
    (which records the user it found). Unsafe methods from a browser session must also come from
    this site (Origin / Sec-Fetch-Site): defence in depth besides the CSRF token of each form.
    """

    def __init__(self, app: ASGIApp, settings: Settings, authenticator: Any) -> None:
        self.app = app
        self.settings = settings
        self.auth = authenticator
        self.networks = tuple(ipaddress.ip_network(n, strict=False)
                              for n in (settings.proxy.trusted if settings.proxy else ()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        headers = Headers(scope=scope)
        bearer = headers.get("authorization", "").lower().startswith("bearer ")
        smart = self.settings.smart
        if smart is not None and smart.frame_ancestors and not bearer:
            refused = _not_isolated(path, headers)
            if refused:
                await _send_json(send, 403, [("Sec-Fetch-Site", refused)])
                return
        if method not in _SAFE_METHODS and not bearer and not path.startswith("/cds-services"):
            refused = self._cross_site(scope, headers)
            if refused:
                await _send_json(send, 403, [("Origin", refused)])
                return
        if is_public(path):
            await self.app(scope, receive, send)
            return
        try:
            user = await self._user(scope, headers, bearer)
        except _Refused as exc:
            await _send_json(send, exc.status, [(exc.field, exc.message)],
                             [(b"www-authenticate", b"Bearer")] if exc.status == 401 else None)
            return
        if user is None:
            if method in ("GET", "HEAD") and _wants_html(headers) and self.settings.auth_mode == "oidc":
                target = path + (("?" + scope["query_string"].decode("latin-1"))
                                 if scope.get("query_string") else "")
                location = "/auth/login?next=" + quote(target, safe="")
                await send({"type": "http.response.start", "status": 303,
                            "headers": [(b"location", location.encode()), (b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
                return
            await _send_json(send, 401, [("", "sign in first (no session)")],
                             [(b"www-authenticate", b"Bearer")])
            return
        scope.setdefault("state", {})["user"] = user
        needed = required_role(method, path)
        if not user.has(needed):
            await _send_json(send, 403, [("role", f"this needs the {needed} role; "
                                                  f"{user.id} has {user.top_role}")])
            return
        await self.app(scope, receive, send)

    def _cross_site(self, scope: Scope, headers: Headers) -> str | None:
        # Browsers of this decade send Sec-Fetch-Site, which they alone can set: it decides. Older
        # ones send Origin, compared with this site's.
        site = headers.get("sec-fetch-site")
        if site is not None:
            if site in ("same-origin", "none"):
                return None
            return f"cross-site request refused (Sec-Fetch-Site: {site})"
        origin = headers.get("origin")
        if origin is None:
            return None
        base = self.settings.public_base_url
        ours = {_origin_of(base)} if base else set()
        host = headers.get("host", "")
        if self.settings.dev_mode:  # the browser calls the address it was given
            ours.add(f"{scope.get('scheme', 'http')}://{host}".lower())
        if origin.lower() not in ours:
            return "cross-origin request refused (Origin is not this site)"
        return None

    async def _user(self, scope: Scope, headers: Headers, bearer: bool) -> User | None:
        settings = self.settings
        if bearer and scope["path"].startswith("/api/") and not settings.dev_mode:
            return await self._jwt_user(scope, headers)  # an EHR integration, not a browser
        if settings.auth_mode == "proxy":
            return self._proxy_user(scope, headers)
        session = scope.get("session") or {}
        found = session.get("user")
        if isinstance(found, dict) and isinstance(found.get("id"), str):
            return User(found["id"], frozenset(found.get("roles") or ()), "oidc",
                        str(found.get("name") or ""))
        if settings.dev_mode:
            return DEV_USER
        return None

    def _proxy_user(self, scope: Scope, headers: Headers) -> User:
        proxy = self.settings.proxy
        assert proxy is not None  # settings refuse proxy mode without it
        client = scope.get("client")
        try:
            address = ipaddress.ip_address(client[0]) if client else None
        except ValueError:
            address = None
        if address is None or not any(address in net for net in self.networks):
            raise _Refused(401, proxy.user_header,
                           "requests must come through the authenticating reverse proxy")
        for name in (proxy.user_header, proxy.roles_header):
            # Twice means the proxy added its header to the client's instead of replacing it, and
            # which one counts would depend on the order: refused, never guessed (issue 22, item 8).
            if len(headers.getlist(name)) > 1:
                raise _Refused(400, name, f"the {name} header arrived more than once; the "
                                          f"proxy must replace the client's, not add its own")
        user_id = headers.get(proxy.user_header, "").strip()
        if not user_id:
            raise _Refused(401, proxy.user_header, "the proxy did not name a user")
        roles = map_roles(headers.get(proxy.roles_header, "").split(","), self.settings.role_map)
        return User(user_id[:128], roles, "proxy")

    async def _jwt_user(self, scope: Scope, headers: Headers) -> User:
        from bonemet.access.auth import AuthError

        base = self.settings.public_base_url or ""
        try:
            client = await self.auth.verify(headers.get("authorization"), (base + scope["path"],))
        except AuthError as exc:
            raise _Refused(401, "Authorization", exc.reason) from None
        state = scope.setdefault("state", {})
        state["jwt_client"] = client
        state["audit_client"] = client.iss
        # An EHR integration writes cases on behalf of its users: editor, never administrator.
        return User(f"client:{client.iss}", frozenset({"editor"}), "jwt")


class _Refused(Exception):
    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message
