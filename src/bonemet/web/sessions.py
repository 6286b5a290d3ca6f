"""Tumour-board session pages: list, new session, the session (ordered cases), the decision form,
and the summaries printed from a session (one case, or the whole session as one PDF).

Forms post with the CSRF token of the session like the case editor; writing needs the editor role
(`security.required_role`), and the audit middleware logs every write with the user id.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from bonemet.base import format_number
from bonemet.model.board import (
    MAX_ATTENDEES,
    NO_IMAGING,
    AddCases,
    DecisionBox,
    Session,
    SessionIn,
)
from bonemet.model.case import Modality
from bonemet.report.labels import labels
from bonemet.report.saved_checks import SavedCheck, saved_checks
from bonemet.web.pages import _filename, _form_pairs, _not_found, all_cases, lang_of, page
from bonemet.web.render_pool import render

router = APIRouter(include_in_schema=False)
_FR_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*")  # .fullmatch: `$` passes a final "\n"
IMAGING_CHOICES = [NO_IMAGING, *(m.value for m in Modality)]


def _board(request: Request) -> Any:
    from bonemet.stores.board_store import BoardStore

    return BoardStore(request.app.state.bonemet.store)


def _who(request: Request) -> str | None:
    from bonemet.access.security import request_user

    user = request_user(request)
    return user.id if user else None


def _csrf(request: Request, pairs: list[tuple[str, str]]) -> None:
    from bonemet.access.security import check_csrf

    check_csrf(request, dict(pairs).get("_csrf"))


def _t(request: Request, key: str, **values: Any) -> str:
    return labels()(key, lang_of(request)).format(**values)


def parse_date(raw: str) -> str | None:
    """ISO text of a date typed 27/11/2026 or 2026-11-27; None when empty; ValueError otherwise."""
    raw = raw.strip()
    if not raw:
        return None
    found = _FR_DATE.fullmatch(raw)
    if found:
        day, month, year = (int(g) for g in found.groups())
        return dt.date(year, month, day).isoformat()
    return dt.date.fromisoformat(raw).isoformat()


def _errors(request: Request, exc: ValidationError, typed: dict[str, str]) -> dict[str, str]:
    """Field -> message in the user's language (pydantic's own words are English and technical)."""
    out: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        kind = err["type"]
        ctx = err.get("ctx") or {}
        if kind in ("missing", "string_too_short") or (kind == "too_short" and field == "attendees"):
            message = _t(request, "board_err_required")
        elif kind.startswith("date"):
            message = _t(request, "board_err_date", raw=typed.get(field, ""))
        elif kind == "string_too_long":
            message = too_long(request, ctx.get("max_length", 0), typed.get(field, ""))
        elif kind == "too_long":
            message = _t(request, "board_err_too_many", n=ctx.get("max_length", ""))
        elif kind == "value_error" and "none" in str(err.get("msg", "")):
            message = _t(request, "board_err_imaging_none")
        else:
            message = _t(request, "board_err_invalid")
        out.setdefault(field, message)
    return out


def too_long(request: Request, limit: int, typed: object) -> str:
    """A text over its limit: how long it is and the limit, in the language's digits (review 25
    F8: the board's free text is limited to 4,000 characters, and the form says so)."""
    lang = lang_of(request)
    return _t(request, "board_err_too_long_got", n=format_number(limit, lang),
              got=format_number(len(str(typed or "")), lang))


def _date_field(request: Request, data: dict[str, Any], field: str, typed: str,
                errors: dict[str, str]) -> None:
    try:
        data[field] = parse_date(typed)
    except ValueError:
        errors[field] = _t(request, "board_err_date", raw=typed)
        data.pop(field, None)


# ---- list and new session --------------------------------------------------------------------


@router.get("/sessions")
async def session_list(request: Request) -> Response:
    from bonemet.web.session_agenda import agenda, progress

    store = request.app.state.bonemet.store

    def prepare() -> list[tuple[Session, Any]]:
        return [(s, progress(agenda(s, lambda cid: _find(store, cid))))
                for s in _board(request).sessions_in_full()]

    return page(request, "sessions.html", sessions=await run_in_threadpool(prepare),
                **day_words(lang_of(request)))


def day_words(lang: str) -> dict[str, Any]:
    """The meeting pages write dates in words (issue 25): `day` with the weekday, `words`
    without, `stamp` a stored time to the minute, `prose` the ISO days inside a rule's sentence."""
    from bonemet.report import session_cover as words

    return {"day": lambda d: words.meeting_day(d, lang), "words": lambda d: words.day_words(d, lang),
            "stamp": lambda v: words.stamp_words(v, lang),
            "prose": lambda text: words.prose_days(text, lang)}


def _find(store: Any, case_id: str) -> Any:
    from bonemet.stores.board_store import find_case

    return find_case(store, case_id)


@router.get("/sessions/new")
async def session_new(request: Request) -> Response:
    return page(request, "session_new.html", form={}, errors={}, editing=False)


@router.post("/sessions")
async def session_create(request: Request) -> Response:
    pairs = await _form_pairs(request)
    _csrf(request, pairs)
    form = {k: v for k, v in pairs if not k.startswith("_")}
    checked, errors = meeting_form(request, form)
    if checked is None:
        return page(request, "session_new.html", status=422, form=form, errors=errors,
                    editing=False)
    session_id = _board(request).create(checked, _who(request))
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


def meeting_form(request: Request, form: dict[str, str]) -> tuple[SessionIn | None, dict[str, str]]:
    """The meeting as typed (new or edited): attendees one per line, none needed (issue 25)."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {
        "site": form.get("site", ""), "title": form.get("title", "").strip() or None,
        "attendees": [line.strip() for line in form.get("attendees", "").splitlines()
                      if line.strip()][:MAX_ATTENDEES + 1],
    }
    _date_field(request, data, "meeting_date", form.get("meeting_date", ""), errors)
    if data.get("meeting_date") is None and "meeting_date" not in errors:
        errors["meeting_date"] = _t(request, "board_err_required")
    try:
        checked = SessionIn.model_validate(data)
    except ValidationError as exc:
        return None, {**_errors(request, exc, form), **errors}
    return (None, errors) if errors else (checked, {})


# ---- one session -----------------------------------------------------------------------------


def _sid(raw: str) -> int:
    """The session number in a path; 0 (no such session) for anything else."""
    return int(raw) if raw.isdigit() and len(raw) < 19 else 0


def _session_or_404(request: Request, session_id: str) -> Session | None:
    number = _sid(session_id)
    found: Session | None = _board(request).get(number) if number else None
    return found


def _session_page(request: Request, session: Session, status: int = 200,
                  add_errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                  notice: str = "", attendee_errors: dict[str, str] | None = None,
                  attendee_form: dict[str, str] | None = None,
                  picked: frozenset[str] = frozenset(), rows: list[Any] | None = None) -> HTMLResponse:
    from bonemet.web.session_agenda import agenda, progress

    entries = all_cases(request)
    labels_of = {c.case_id: c.case.patient.label if c.case.patient else None for c in entries}
    in_session = {c.case_id for c in session.cases}
    store = request.app.state.bonemet.store
    if rows is None:
        rows = agenda(session, lambda cid: _find(store, cid))
    moved = request.query_params.get("moved", "")
    moved_dir = request.query_params.get("dir", "")
    lang = lang_of(request)
    return page(request, "session.html", status=status, s=session, rows=rows, prog=progress(rows),
                choices=[c for c in entries if c.case_id not in in_session], labels_of=labels_of,
                add_errors=add_errors or {}, form=form or {}, notice=notice, picked=picked,
                attendee_errors=attendee_errors or {}, attendee_form=attendee_form or {},
                moved=moved if moved in in_session else "",
                moved_dir=moved_dir if moved_dir in ("up", "down") else "",
                **day_words(lang))


@router.get("/sessions/{session_id}")
async def session_view(request: Request, session_id: str) -> Response:
    session = _session_or_404(request, session_id)
    if session is None:
        return _not_found(request, str(session_id))
    from bonemet.web.session_agenda import agenda

    store = request.app.state.bonemet.store
    # The headlines assess each case: off the event loop (cached once computed).
    rows = await run_in_threadpool(agenda, session, lambda cid: _find(store, cid))
    return _session_page(request, session, notice=_notice(request, session), rows=rows)


def _notice(request: Request, session: Session) -> str:
    """What the last action did, said on the page it comes back to (a live region)."""
    query = request.query_params
    if query.get("saved") == "1":
        return _t(request, "board_saved")
    if query.get("edited") == "1":
        return _t(request, "board_session_saved")
    if query.get("added", "").isdigit():
        return _t(request, "board_added_notice", n=int(query["added"]))
    if query.get("removed"):
        return _t(request, "board_removed_notice", patient=query["removed"][:200])
    moved = next((c for c in session.cases if c.case_id == query.get("moved")), None)
    if moved is not None:
        case = _find(request.app.state.bonemet.store, moved.case_id)
        label = case.patient.label if case is not None and case.patient else None
        return _t(request, "board_moved_notice", patient=label or moved.case_id, n=moved.position)
    return ""


@router.post("/sessions/{session_id}/cases")
async def session_add_case(request: Request, session_id: str) -> Response:
    """Add the ticked cases (one or many, each with its question if typed), all or none."""
    from bonemet.access.trail import name_case
    from bonemet.stores.board_store import BoardError

    pairs = await _form_pairs(request)
    _csrf(request, pairs)
    session = _session_or_404(request, session_id)
    if session is None:
        return _not_found(request, str(session_id))
    form = {k: v for k, v in pairs if not k.startswith("_")}
    ids = list(dict.fromkeys(v.strip() for k, v in pairs if k == "case_id" and v.strip()))
    for cid in ids:
        name_case(request, cid)
    picked = frozenset(ids)
    if not ids:
        return _session_page(request, session, 422, {"case_id": _t(request, "board_err_select")},
                             form, picked=picked)
    # The question typed beside each case; the single-case form (and older clients) send `question`.
    single = form.get("question", "") if len(ids) == 1 else ""
    try:
        data = AddCases.model_validate({"cases": [
            {"case_id": cid, "question": form.get(f"question:{cid}", "") or single}
            for cid in ids]})
        _board(request).add_cases(session.id, data, _who(request))
    except ValidationError as exc:
        return _session_page(request, session, 422, _add_errors(request, exc, form), form,
                             picked=picked)
    except BoardError as exc:
        message = labels()(exc.key, lang_of(request)).format(**exc.values)
        return _session_page(request, session, exc.status, {exc.field: message}, form,
                             picked=picked)
    anchor = f"#case-{quote(ids[0])}" if len(ids) == 1 else "#agenda-h"
    return RedirectResponse(f"/sessions/{session_id}?added={len(ids)}{anchor}", status_code=303)


def _add_errors(request: Request, exc: ValidationError, form: dict[str, str]) -> dict[str, str]:
    """Errors of AddCases named by the form's fields: `cases.3.case_id` is the field case_id."""
    out: dict[str, str] = {}
    for err in exc.errors():
        field = "question" if "question" in err["loc"] else "case_id"
        kind = err["type"]
        if kind == "string_too_long":
            message = too_long(request, (err.get("ctx") or {}).get("max_length", 0),
                               form.get("question", ""))
        elif kind == "too_long":
            message = _t(request, "board_err_too_many", n=(err.get("ctx") or {}).get("max_length", ""))
        else:
            message = _t(request, "board_err_invalid")
        out.setdefault(field, message)
    return out


@router.post("/sessions/{session_id}/cases/{case_id}/move")
async def session_move_case(request: Request, session_id: str, case_id: str) -> Response:
    from bonemet.stores.board_store import BoardError

    pairs = await _form_pairs(request)
    _csrf(request, pairs)
    direction = dict(pairs).get("direction", "")
    if direction not in ("up", "down"):
        return HTMLResponse(_t(request, "board_err_invalid"), status_code=422)
    try:
        _board(request).move(_sid(session_id), case_id, direction, _who(request))
    except BoardError:
        return _not_found(request, case_id)
    # Back with the moved patient named and the focus on the same button (keyboard, issue 25).
    # No #fragment: Chromium ignores `autofocus` on a page whose address has one; the focused
    # button is scrolled into view anyway.
    return RedirectResponse(f"/sessions/{session_id}?moved={quote(case_id)}&dir={direction}",
                            status_code=303)


# ---- decision form: web/session_decision.py (issue 25) -----------------------------------


# ---- summaries printed from a session -------------------------------------------------------


def _box(request: Request, session_id: str, case_id: str) -> tuple[Any, DecisionBox] | None:
    from bonemet.stores.board_store import find_case

    session = _session_or_404(request, session_id)
    box = DecisionBox.of(session, case_id) if session else None
    case = find_case(request.app.state.bonemet.store, case_id) if box else None
    return None if case is None or box is None else (case, box)


def _checks(request: Request, case_id: str) -> tuple[SavedCheck, ...]:
    """The quick checks kept in this patient's file, for the RCP fiche (review 25 F15)."""
    return saved_checks(request.app.state.bonemet.store, case_id)


@router.get("/sessions/{session_id}/cases/{case_id}/summary")
async def session_case_summary(request: Request, session_id: str, case_id: str) -> Response:
    found = _box(request, session_id, case_id)
    if found is None:
        return _not_found(request, case_id)
    html = await render(request, "summary_html", found[0], lang_of(request), dt.date.today(),
                        web=True, board=found[1], checks=_checks(request, case_id))
    return HTMLResponse(html)


@router.get("/sessions/{session_id}/cases/{case_id}/summary.pdf")
async def session_case_pdf(request: Request, session_id: str, case_id: str) -> Response:
    found = _box(request, session_id, case_id)
    if found is None:
        return _not_found(request, case_id)
    pdf = await render(request, "session_pdf", [found], lang_of(request), dt.date.today(),
                       checks={case_id: _checks(request, case_id)})
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{_filename(case_id)}-rcp.pdf"',
        "Cache-Control": "no-store"})


@router.get("/sessions/{session_id}/summary.pdf")
async def session_batch_pdf(request: Request, session_id: str) -> Response:
    """The whole session, in its order, read from the store now (never a cached copy: a printed
    decision must be the latest recorded)."""
    from bonemet.stores.board_store import find_case

    session = _session_or_404(request, session_id)
    if session is None or not session.cases:
        return _not_found(request, str(session_id))
    store = request.app.state.bonemet.store
    items = []
    for item in session.cases:
        case = find_case(store, item.case_id)
        box = DecisionBox.of(session, item.case_id)
        if case is not None and box is not None:
            items.append((case, box))
    pdf = await render(request, "session_pdf", items, lang_of(request), dt.date.today(),
                       checks={c.case_id: _checks(request, c.case_id) for c, _ in items},
                       session=session)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="rcp-{session.meeting_date.isoformat()}-'
                               f'{session.id}.pdf"', "Cache-Control": "no-store"})
