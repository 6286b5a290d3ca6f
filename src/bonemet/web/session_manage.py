"""Managing a board meeting from its page (issue 25): edit the meeting (date, site, title,
attendees) with the same version check as a decision, add an attendee on the day, take out a case
added by mistake (after a confirmation page; the removal is kept with who and when).

Forms post with the CSRF token; writing needs the editor role, and every write is audited.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from bonemet.model.board import AddAttendee, Session
from bonemet.report.labels import labels
from bonemet.web.pages import _form_pairs, _not_found, lang_of, page
from bonemet.web.sessions import (
    _board,
    _csrf,
    _errors,
    _find,
    _session_or_404,
    _session_page,
    _who,
    day_words,
    meeting_form,
)

router = APIRouter(include_in_schema=False)


def _version(pairs: list[tuple[str, str]]) -> int | None:
    raw = dict(pairs).get("_version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _edit_page(request: Request, session: Session, form: dict[str, str], errors: dict[str, str],
               version: int, status: int = 200) -> Response:
    return page(request, "session_new.html", status=status, form=form, errors=errors,
                editing=True, s=session, version=version)


@router.get("/sessions/{session_id}/edit")
async def session_edit(request: Request, session_id: str) -> Response:
    session = _session_or_404(request, session_id)
    if session is None:
        return _not_found(request, str(session_id))
    # The date as the form asks for it (27/11/2026), which both languages accept.
    form = {"meeting_date": session.meeting_date.strftime("%d/%m/%Y"),
            "site": session.site, "title": session.title or "",
            "attendees": "\n".join(session.attendees)}
    return _edit_page(request, session, form, {}, session.version)


@router.post("/sessions/{session_id}/edit")
async def session_edit_save(request: Request, session_id: str) -> Response:
    from bonemet.stores.board_store import BoardError

    pairs = await _form_pairs(request)
    _csrf(request, pairs)
    session = _session_or_404(request, session_id)
    if session is None:
        return _not_found(request, str(session_id))
    version = _version(pairs)
    form = {k: v for k, v in pairs if not k.startswith("_")}
    checked, errors = meeting_form(request, form)
    if checked is None:
        return _edit_page(request, session, form, errors, version or session.version, 422)
    try:
        _board(request).update(session.id, checked, _who(request), version)
    except BoardError as exc:
        # What was typed stays on the form; the version is still the one read, so saving again
        # is a conscious choice after reading the message (the page says what to do). A meeting
        # moved after a next review is said at the date's field (review 25 F12).
        field = exc.field if exc.field == "meeting_date" else ""
        return _edit_page(request, session, form, {field: exc.message(lang_of(request))},
                          version or session.version, exc.status)
    return RedirectResponse(f"/sessions/{session.id}?edited=1", status_code=303)


@router.post("/sessions/{session_id}/attendees")
async def session_add_attendee(request: Request, session_id: str) -> Response:
    from bonemet.stores.board_store import BoardError

    pairs = await _form_pairs(request)
    _csrf(request, pairs)
    session = _session_or_404(request, session_id)
    if session is None:
        return _not_found(request, str(session_id))
    form = {k: v for k, v in pairs if not k.startswith("_")}
    try:
        data = AddAttendee.model_validate({"name": form.get("name", "")})
        _board(request).add_attendee(session.id, data.name, _who(request))
    except ValidationError as exc:
        return _session_page(request, session, 422, attendee_form=form,
                             attendee_errors=_errors(request, exc, form))
    except BoardError as exc:
        message = labels()(exc.key, lang_of(request)).format(**exc.values)
        return _session_page(request, session, exc.status, attendee_form=form,
                             attendee_errors={"name": message})
    return RedirectResponse(f"/sessions/{session.id}?edited=1#att-h", status_code=303)


def _item_of(request: Request, session_id: str, case_id: str) -> tuple[Session, Any] | None:
    session = _session_or_404(request, session_id)
    item = next((c for c in session.cases if c.case_id == case_id), None) if session else None
    return None if session is None or item is None else (session, item)


@router.get("/sessions/{session_id}/cases/{case_id}/remove")
async def session_remove_confirm(request: Request, session_id: str, case_id: str) -> Response:
    """The confirmation page: which patient, which meeting, what is kept."""
    from bonemet.web.session_agenda import AgendaRow

    found = _item_of(request, session_id, case_id)
    if found is None:
        return _not_found(request, case_id)
    session, item = found
    case = _find(request.app.state.bonemet.store, case_id)
    label = case.patient.label if case is not None and case.patient else None
    return page(request, "session_remove.html", s=session, item=item, label=label,
                state=AgendaRow(item, label, None).state, **day_words(lang_of(request)))


@router.post("/sessions/{session_id}/removals")
async def session_remove(request: Request, session_id: str) -> Response:
    """The confirmed removal (the form of the confirmation page names the case). A path of its
    own, not the confirmation page's: a page that posts to itself is re-submitted by crawlers."""
    from bonemet.access.trail import name_case
    from bonemet.stores.board_store import BoardError

    pairs = await _form_pairs(request)
    _csrf(request, pairs)
    case_id = dict(pairs).get("case_id", "").strip()
    name_case(request, case_id)
    found = _item_of(request, session_id, case_id)
    if found is None:
        return _not_found(request, case_id)
    session = found[0]
    try:
        _board(request).remove(session.id, case_id, _who(request))
    except BoardError:  # removed by someone else meanwhile
        return _not_found(request, case_id)
    case = _find(request.app.state.bonemet.store, case_id)
    label = (case.patient.label if case is not None and case.patient else None) or case_id
    return RedirectResponse(f"/sessions/{session.id}?removed={quote(label)}#agenda-h",
                            status_code=303)
