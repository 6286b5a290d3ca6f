"""The administrator's page of the audit log: who opened which patient's case, when, how.

`GET /admin/audit?case_id=X` answers "who viewed patient X" (`?user=U`: what U opened), newest
first, 50 rows a page (`before` pages back). Administrators only (`security.required_role`); the
same rows as `GET /api/audit`. The rows hold ids, routes and statuses, never other patient data.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bonemet.base import format_day
from bonemet.model.board import is_case_id
from bonemet.report.labels import labels
from bonemet.web.pages import lang_of, page

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 50
_PATIENT = re.compile(r"Patient/[A-Za-z0-9\-.]{1,64}")  # a CDS Hooks patient; .fullmatch
_READS = ("GET", "HEAD", "OPTIONS")


def _when(at: str, lang: str) -> str:
    moment = dt.datetime.fromisoformat(at)
    return f"{format_day(moment.date(), lang)} {moment:%H:%M:%S}"


@router.get("/admin/audit")
async def audit_page(request: Request) -> Response:
    lang = lang_of(request)
    L = labels()
    query = request.query_params
    form = {k: query.get(k, "").strip() for k in ("case_id", "user", "before")}
    errors: dict[str, str] = {}
    if form["case_id"] and not (is_case_id(form["case_id"]) or _PATIENT.fullmatch(form["case_id"])):
        errors["case_id"] = L("audit_err_case", lang)
    if len(form["user"]) > 300:
        errors["user"] = L("audit_err_user", lang)
    if form["before"] and not (form["before"].isdigit() and len(form["before"]) < 19):
        errors["before"] = L("audit_err_before", lang)
    rows: list[dict[str, Any]] = []
    older = ""
    if not errors:
        rows = request.app.state.bonemet.store.audit_rows(
            PAGE_ROWS, case_id=form["case_id"] or None, user=form["user"] or None,
            before=int(form["before"]) if form["before"] else None)
        if len(rows) == PAGE_ROWS:
            kept = {k: v for k, v in form.items() if v and k != "before"}
            older = "/admin/audit?" + urlencode({**kept, "before": rows[-1]["id"]})
    return page(request, "admin_audit.html", status=422 if errors else 200, form=form,
                errors=errors, rows=rows, older=older,
                when=lambda at: _when(at, lang),
                action=lambda method: L("audit_read" if method in _READS else "audit_write", lang))
