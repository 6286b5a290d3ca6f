"""JSON API of tumour-board sessions: the same operations as the web pages (docs/board-sessions.md).

Reading needs the reader role, writing the editor role (`security.required_role`); every write is
in the audit log with the user id (AuditMiddleware), and the rows name who and when.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from pydantic import BaseModel
from starlette.responses import Response

from bonemet.access.security import request_user
from bonemet.access.trail import name_case
from bonemet.api import Problem
from bonemet.model.board import (
    CASE_ID_PATTERN,
    AddAttendee,
    AddCase,
    AddCases,
    DecisionIn,
    Move,
    RemovedCase,
    Session,
    SessionCase,
    SessionIn,
)
from bonemet.service.context import ServiceContext, service_context
from bonemet.service.errors import ServiceError
from bonemet.stores.board_store import BoardError, BoardStore

router = APIRouter(tags=["board sessions"])
Ctx = Annotated[ServiceContext, Depends(service_context)]
SessionId = Annotated[int, PathParam(ge=1, le=2**62)]
CaseId = Annotated[str, PathParam(pattern=CASE_ID_PATTERN)]


class SessionRow(BaseModel):
    id: int
    meeting_date: str
    site: str
    title: str | None
    cases: int


class SessionList(BaseModel):
    sessions: list[SessionRow]


def board_message(error: BoardError, lang: str) -> str:
    return error.message(lang)


def _fail(ctx: ServiceContext, request: Request, error: BoardError) -> ServiceError:
    code = {404: "not-found", 409: "conflict"}.get(error.status, "invalid")
    return ServiceError(error.status, [Problem(error.field, board_message(error, ctx.lang(request)))],
                        code=code)


def _who(request: Request) -> str | None:
    user = request_user(request)
    return user.id if user else None


def _board(ctx: ServiceContext) -> BoardStore:
    return BoardStore(ctx.store)


def _if_match(request: Request, what: str) -> int | None:
    """The version in `If-Match: "<n>"` (None without one, or with `*`); 412 when malformed."""
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    tag = raw.strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 9:
        raise ServiceError(412, [Problem("If-Match", f"expected the version of the {what} "
                                                     "(a number in quotes)")])
    return int(tag)


def _session_answer(session: Session, status: int = 200) -> Response:
    return Response(session.model_dump_json().encode(), status_code=status,
                    media_type="application/json", headers={"ETag": f'"{session.version}"'})


@router.get("/api/sessions", response_model=SessionList)
async def list_sessions(ctx: Ctx, request: Request) -> SessionList:
    await ctx.authenticate(request)
    return SessionList(sessions=[
        SessionRow(id=s.id, meeting_date=s.meeting_date.isoformat(), site=s.site, title=s.title,
                   cases=n) for s, n in _board(ctx).sessions()])


@router.post("/api/sessions", response_model=Session, status_code=201,
             responses={422: {"description": "Invalid session; every problem is named"}})
async def create_session(ctx: Ctx, request: Request, body: SessionIn) -> Response:
    await ctx.authenticate(request)
    board = _board(ctx)
    session = board.get(board.create(body, _who(request)))
    assert session is not None
    return Response(session.model_dump_json().encode(), status_code=201,
                    media_type="application/json",
                    headers={"Location": f"/api/sessions/{session.id}"})


@router.get("/api/sessions/{session_id}", response_model=Session,
            responses={404: {"description": "No such session"}})
async def get_session(ctx: Ctx, request: Request, session_id: SessionId) -> Response:
    """The session with its cases in order; its `ETag` is the meeting's version (for `PUT`)."""
    await ctx.authenticate(request)
    session = _board(ctx).get(session_id)
    if session is None:
        raise _fail(ctx, request, BoardError(404, "session_id", "board_err_no_session",
                                             session_id=session_id))
    return _session_answer(session)


@router.post("/api/sessions/{session_id}/cases", response_model=SessionCase, status_code=201,
             responses={404: {"description": "No such session or case"},
                        409: {"description": "The case is already in this session"}})
async def add_case(ctx: Ctx, request: Request, session_id: SessionId, body: AddCase) -> SessionCase:
    await ctx.authenticate(request)
    name_case(request, body.case_id)
    try:
        return _board(ctx).add_case(session_id, body, _who(request))
    except BoardError as exc:
        raise _fail(ctx, request, exc) from None


@router.post("/api/sessions/{session_id}/cases/{case_id}/move", response_model=Session)
async def move_case(ctx: Ctx, request: Request, session_id: SessionId, case_id: CaseId,
                    body: Move) -> Session:
    await ctx.authenticate(request)
    board = _board(ctx)
    try:
        board.move(session_id, case_id, body.direction, _who(request))
    except BoardError as exc:
        raise _fail(ctx, request, exc) from None
    session = board.get(session_id)
    assert session is not None
    return session


@router.put("/api/sessions/{session_id}", response_model=Session,
            responses={404: {"description": "No such session"},
                       409: {"description": "Someone edited the meeting since the If-Match version"},
                       412: {"description": "Malformed If-Match"},
                       422: {"description": "Invalid meeting; every problem is named"}})
async def edit_session(ctx: Ctx, request: Request, session_id: SessionId, body: SessionIn) -> Response:
    """Edit the meeting (date, site, title, attendees); with `If-Match: "<version>"` only if
    nobody edited it since (the ETag of GET or of the last edit)."""
    await ctx.authenticate(request)
    expected = _if_match(request, "meeting")
    try:
        session = _board(ctx).update(session_id, body, _who(request), expected)
    except BoardError as exc:
        raise _fail(ctx, request, exc) from None
    return _session_answer(session)


@router.post("/api/sessions/{session_id}/attendees", response_model=Session,
             responses={404: {"description": "No such session"},
                        409: {"description": "This attendee is already listed"}})
async def add_attendee(ctx: Ctx, request: Request, session_id: SessionId,
                       body: AddAttendee) -> Response:
    """One more attendee, on the day (appended; the other fields untouched)."""
    await ctx.authenticate(request)
    try:
        session = _board(ctx).add_attendee(session_id, body.name, _who(request))
    except BoardError as exc:
        raise _fail(ctx, request, exc) from None
    return _session_answer(session)


@router.post("/api/sessions/{session_id}/cases/batch", response_model=Session, status_code=201,
             responses={404: {"description": "No such session or case (named)"},
                        409: {"description": "A case is already in this session (named)"}})
async def add_cases(ctx: Ctx, request: Request, session_id: SessionId, body: AddCases) -> Response:
    """Several cases at once, in the order given: all are added or none."""
    await ctx.authenticate(request)
    for one in body.cases:
        name_case(request, one.case_id)
    board = _board(ctx)
    try:
        board.add_cases(session_id, body, _who(request))
    except BoardError as exc:
        raise _fail(ctx, request, exc) from None
    session = board.get(session_id)
    assert session is not None
    return _session_answer(session, 201)


@router.delete("/api/sessions/{session_id}/cases/{case_id}", response_model=RemovedCase,
               responses={404: {"description": "No such session, or the case is not in it"}})
async def remove_case(ctx: Ctx, request: Request, session_id: SessionId,
                      case_id: CaseId) -> RemovedCase:
    """Take a case out of the session (added by mistake): its decision stays in the history and
    the removal is kept with who and when (`removed` of the session)."""
    await ctx.authenticate(request)
    try:
        return _board(ctx).remove(session_id, case_id, _who(request))
    except BoardError as exc:
        raise _fail(ctx, request, exc) from None


@router.put("/api/sessions/{session_id}/cases/{case_id}/decision", response_model=SessionCase,
            responses={404: {"description": "No such session, or the case is not in it"},
                       409: {"description": "Someone recorded a decision since the If-Match version"},
                       412: {"description": "Malformed If-Match"}})
async def record_decision(ctx: Ctx, request: Request, session_id: SessionId, case_id: CaseId,
                          body: DecisionIn) -> Response:
    """Record the board's decision; with `If-Match: "<version>"` only if nobody recorded since."""
    await ctx.authenticate(request)
    expected = None
    raw = request.headers.get("if-match")
    if raw is not None and raw.strip() != "*":
        tag = raw.strip().removeprefix("W/").strip('"')
        if not tag.isdigit() or len(tag) > 9:
            raise ServiceError(412, [Problem("If-Match", "expected the version of the decision "
                                                         "(a number in quotes)")])
        expected = int(tag)
    try:
        item = _board(ctx).record(session_id, case_id, body, _who(request), expected)
    except BoardError as exc:
        raise _fail(ctx, request, exc) from None
    return Response(item.model_dump_json().encode(), media_type="application/json",
                    headers={"ETag": f'"{item.version}"'})
