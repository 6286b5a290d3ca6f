"""The audit trail of patient data: which route shows or changes which case, and the middleware
that writes one audit row per case touched (issue 22, item 6).

`ROUTES` declares, for every route of the application, where the case ids of a call are found:
in the path, in the query, in the board session named in the path (all its cases), or in the body
or hook context (the handler names them with `bonemet.access.trail`); or that the route carries no
patient data. `tests/service/test_audit_trail.py` walks `app.routes` and fails on a route missing
from the table, so a new route cannot be forgotten.

What is audited: every route that carries patient data, read or write; every write (any method
but GET/HEAD/OPTIONS); every call under /api/, /cds-services, /auth/ and /admin/ (reading the log
is logged too). Pages without patient data (knowledge base, calculators, blank forms, static files)
are not: they would drown the log.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bonemet.access.security import User
from bonemet.access.trail import named_cases
from bonemet.model.board import is_case_id
from bonemet.stores.store import AuditEntry, Store


@dataclass(frozen=True)
class PathCase:
    """The case id is the path parameter `param`."""

    param: str = "case_id"


@dataclass(frozen=True)
class QueryCase:
    """The case id is the query parameter `param` (when given)."""

    param: str


@dataclass(frozen=True)
class SessionCases:
    """The page or answer shows the board session in the path with every case it holds."""

    param: str = "session_id"


@dataclass(frozen=True)
class HandlerNames:
    """The case travels in the body or the hook context (`where`); the handler names it
    (`bonemet.access.trail.name_case` / `name_patient`)."""

    where: str


@dataclass(frozen=True)
class CaseList:
    """A list of cases (ids, labels, questions) without their records: audited, no case named
    (a row per listed case on every search keystroke would drown the log)."""

    why: str


@dataclass(frozen=True)
class NoPatientData:
    """Nothing of a patient: audited only as a write or under an audited prefix."""

    why: str


Source = PathCase | QueryCase | SessionCases | HandlerNames | CaseList | NoPatientData

_KB = NoPatientData("knowledge base")
_META = NoPatientData("service description, no case")
_CALC = NoPatientData("calculator: values typed on the page, tied to no case")
_FORM = NoPatientData("a blank form")
_SIGN_IN = NoPatientData("sign-in and language: who, not which patient")
_AUDIT = NoPatientData("the audit log itself (administrators): ids and users, no record")
_SESSIONS = NoPatientData("sessions listed by date, site and number of cases: no case named")
# The meetings list (issue 25) shows each meeting's progress and how many patients are urgent:
# counts, no patient named.
_CASE = PathCase()
_SESSION = SessionCases()

# "METHOD /route/template" -> where its cases are. HEAD is looked up as GET.
ROUTES: dict[str, tuple[Source, ...]] = {
    # meta, knowledge base, calculators
    "GET /openapi.json": (_META,),
    "GET /": (_META,),
    "GET /health": (_META,),
    "GET /version": (_META,),
    "GET /api/kb/rules": (_KB,),
    "GET /api/kb/rules/{rule_id}": (_KB,),
    "GET /api/kb/statements/{statement_id}": (_KB,),
    "GET /api/kb/references/{number}": (_KB,),
    "GET /api/schema/{name}": (_META,),
    "POST /api/scores/{name}": (_CALC,),
    "POST /api/probability": (_CALC,),
    "GET /kb": (_KB,),
    "GET /kb/rules/{rule_id}": (_KB,),
    "GET /kb/statements/{statement_id}": (_KB,),
    "GET /calculators": (_CALC,),
    "GET /calculators/{slug}": (_CALC,),
    "POST /calculators/{slug}": (_CALC,),
    "GET /static": (NoPatientData("style sheets and scripts"),),
    "GET /lang/{lang}": (_SIGN_IN,),
    "GET /auth/login": (_SIGN_IN,),
    "GET /auth/callback": (_SIGN_IN,),
    "POST /auth/logout": (_SIGN_IN,),
    "GET /api/audit": (_AUDIT,),
    "GET /admin/audit": (_AUDIT,),
    # cases: JSON API
    "GET /api/cases": (CaseList("case ids of the store"),),
    "GET /api/cases/{case_id}": (_CASE,),
    "PUT /api/cases/{case_id}": (_CASE,),
    "POST /api/cases": (HandlerNames("body: case_id"),),
    "POST /api/cases/{case_id}/assessments": (_CASE,),
    "POST /api/assess": (HandlerNames("body: the case or the FHIR Bundle's case_id"),),
    "POST /api/fhir/case": (HandlerNames("body: the FHIR Bundle's case_id"),),
    "POST /api/check": (HandlerNames("body: case_id, or the case given"),),
    # CDS Hooks
    "GET /cds-services": (NoPatientData("CDS Hooks discovery"),),
    "POST /cds-services/{service_id}": (HandlerNames("hook context: patientId"),),
    "POST /cds-services/{service_id}/feedback": (NoPatientData("card outcome, by card id"),),
    # cases: web pages
    "GET /cases": (CaseList("the case list: ids, labels and questions"),),
    "GET /cases/{case_id}": (_CASE,),
    "GET /cases/{case_id}/timeline.svg": (_CASE,),
    "GET /cases/{case_id}/export": (_CASE,),
    "GET /cases/{case_id}/summary": (_CASE,),
    "GET /cases/{case_id}/summary.pdf": (_CASE,),
    "GET /cases/{case_id}/edit": (_CASE,),
    "GET /new": (_FORM,),
    "POST /save": (HandlerNames("form: case_id"),),
    "POST /import": (HandlerNames("uploaded file: case_id"),),
    "GET /check": (QueryCase("case_id"),),
    # issue 25: the quick check printed, and kept in the patient's file
    "GET /check/print": (QueryCase("case_id"),),
    "GET /check/print.pdf": (QueryCase("case_id"),),
    "POST /check/save": (HandlerNames("form: query's case_id"),),
    # tumour-board sessions: web pages and JSON API
    "GET /sessions": (_SESSIONS,),
    "GET /sessions/new": (_FORM,),
    "POST /sessions": (NoPatientData("a new, empty session"),),
    "GET /sessions/{session_id}": (_SESSION,),
    # A refused form shows the session page again, with its cases.
    "POST /sessions/{session_id}/cases": (HandlerNames("form: case_id"), _SESSION),
    "POST /sessions/{session_id}/cases/{case_id}/move": (_CASE,),
    "GET /sessions/{session_id}/cases/{case_id}/decision": (_CASE,),
    "POST /sessions/{session_id}/cases/{case_id}/decision": (_CASE,),
    "POST /sessions/{session_id}/cases/{case_id}/decision/sign": (_CASE,),  # the chair (issue 25)
    "POST /sessions/{session_id}/cases/{case_id}/decision/reopen": (_CASE,),
    "GET /sessions/{session_id}/cases/{case_id}/summary": (_CASE,),
    "GET /sessions/{session_id}/cases/{case_id}/summary.pdf": (_CASE,),
    "GET /sessions/{session_id}/summary.pdf": (_SESSION,),
    # issue 25: the meeting edited, an attendee added, a case taken out (after a confirmation)
    "GET /sessions/{session_id}/edit": (_SESSION,),
    "POST /sessions/{session_id}/edit": (_SESSION,),
    "POST /sessions/{session_id}/attendees": (_SESSION,),
    "GET /sessions/{session_id}/cases/{case_id}/remove": (_CASE,),
    "POST /sessions/{session_id}/removals": (HandlerNames("form: case_id"),),
    "GET /api/sessions": (_SESSIONS,),
    "POST /api/sessions": (NoPatientData("a new, empty session"),),
    "GET /api/sessions/{session_id}": (_SESSION,),
    "POST /api/sessions/{session_id}/cases": (HandlerNames("body: case_id"),),
    # The answer is the whole session, in its new order.
    "POST /api/sessions/{session_id}/cases/{case_id}/move": (_CASE, _SESSION),
    "PUT /api/sessions/{session_id}/cases/{case_id}/decision": (_CASE,),
    # SMART launch from an EHR (issue 26): the launched patient is named `Patient/<id>`
    "GET /smart/launch": (_SIGN_IN,),
    "GET /smart/standalone": (_SIGN_IN,),
    "GET /smart/callback": (HandlerNames("the token's patient context"),),
    "GET /smart/patient": (HandlerNames("the launch's patient"),),
    "POST /smart/save": (HandlerNames("the launch's case"),),
    "GET /smart/jwks": (NoPatientData("bonemet's public key (private_key_jwt, review 26 F14)"),),
    # issue 25: meeting management (the edited meeting is answered with its cases)
    "PUT /api/sessions/{session_id}": (_SESSION,),
    "POST /api/sessions/{session_id}/attendees": (_SESSION,),
    "POST /api/sessions/{session_id}/cases/batch": (HandlerNames("body: cases[].case_id"), _SESSION),
    "DELETE /api/sessions/{session_id}/cases/{case_id}": (_CASE,),
}

AUDITED_PREFIXES = ("/api/", "/cds-services", "/auth/", "/admin/", "/smart/")
_READ_METHODS = ("GET", "HEAD", "OPTIONS")
# Never audited, decided before the call: liveness probes and static files.
_SKIPPED_PATHS = frozenset({"/health", "/favicon.ico"})


def route_key(method: str, template: str) -> str:
    return f"{'GET' if method == 'HEAD' else method} {template}"


def carries_patient_data(sources: tuple[Source, ...]) -> bool:
    return any(not isinstance(s, NoPatientData) for s in sources)


def audited(method: str, path: str, sources: tuple[Source, ...] | None) -> bool:
    """Whether a call gets a row: patient data, a write, an audited prefix, or a route the table
    does not know (safer to log than to miss; the route test keeps the table whole)."""
    if method not in _READ_METHODS or path.startswith(AUDITED_PREFIXES):
        return True
    if sources is None:
        return False  # no route matched (a 404 on an unknown path): no data was reached
    return carries_patient_data(sources)


def resolve(sources: tuple[Source, ...], scope: Scope) -> tuple[tuple[str, ...], int | None]:
    """The case ids a call names and the board session it shows whole (read by the writer)."""
    params: dict[str, Any] = scope.get("path_params") or {}
    ids: list[str] = []
    session: int | None = None
    for source in sources:
        if isinstance(source, PathCase):
            ids.append(params.get(source.param, ""))
        elif isinstance(source, QueryCase):
            from urllib.parse import parse_qs

            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            ids.extend(v.strip() for v in query.get(source.param, [])[:1])
        elif isinstance(source, SessionCases):
            raw = str(params.get(source.param, ""))
            session = int(raw) if raw.isdigit() and len(raw) < 19 else None
    # Path and query ids are whatever the caller typed: only whole ids are kept. Named ones were
    # checked by `bonemet.access.trail` (and a CDS patient is `Patient/<id>`).
    return (*(c for c in ids if is_case_id(c)), *named_cases(scope)), session


class AuditMiddleware:
    """Append one audit row per call (per case touched): route template, status, duration, user or
    client, hook, cards, case id.

    Pure ASGI (no BaseHTTPMiddleware) so that it costs microseconds; the route template, not the
    raw path, is logged, and the case id in its own column, matched whole (never free text).
    Rows are queued to the store's writer thread: nothing is written on the request path.
    """

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _SKIPPED_PATHS or \
                scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self._record(scope, status, started)

    def _record(self, scope: Scope, status: int, started: float) -> None:
        method: str = scope["method"]
        route = scope.get("route")
        template = getattr(route, "path_format", None) or "(unmatched)"
        sources = ROUTES.get(route_key(method, template)) if route is not None else None
        if not audited(method, scope["path"], sources):
            return
        cases, session = resolve(sources or (), scope)
        state: dict[str, Any] = scope.get("state", {})
        user = state.get("user")
        client = state.get("audit_client")
        who = user.id if isinstance(user, User) else state.get("login_user")
        if who is None and client:
            who = f"client:{client}"  # a CDS Hooks call: the EHR that asked
        self.store.audit(AuditEntry(
            method=method, route=template, status=status,
            duration_ms=(time.perf_counter() - started) * 1000, client=client,
            hook=state.get("audit_hook"), cards=state.get("audit_cards"), user=who,
            case_ids=cases, session_id=session,
        ))


def app_routes(app: Any) -> Iterator[tuple[str, str]]:
    """(method, template) of every route of `app`, included routers flattened, mounts as GET."""
    from fastapi.routing import APIRoute
    from starlette.routing import Mount, Route

    def walk(routes: Any, prefix: str) -> Iterator[tuple[str, str]]:
        for route in routes:
            if isinstance(route, (APIRoute, Route)):
                for method in sorted((route.methods or set()) - {"HEAD"}):
                    yield method, prefix + route.path_format
            elif isinstance(route, Mount):
                yield "GET", prefix + route.path
            elif hasattr(route, "original_router"):  # FastAPI >= 0.12x keeps an include as one entry
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            else:
                yield "?", f"{prefix}{getattr(route, 'path', route)!r}"

    yield from walk(app.routes, "")
