"""A quick check kept in the patient's file and printed (issue 25, item 6).

Saving appends the answer to the store's dated, append-only record of the case's assessments
(`Store.add_assessment`: numbered, timestamped, with the knowledge-base and engine versions; the
audit trail logs the request and its user), as `{"kind": "request_check", ...}`. The case document
itself is not changed (its version stays). A request without a patient file is printed, not saved.
The print view is the answer alone; its PDF is drawn by the project's PDF renderer in the render
pool (web/render_pool.py), like the MDT summary.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bonemet._version import __version__
from bonemet.report.saved_checks import KIND
from bonemet.web.check import answer, check_context, read_into
from bonemet.web.pages import find_case, lang_of, page
from bonemet.web.render_pool import render

router = APIRouter(include_in_schema=False)


def _record(form: dict[str, str], result: dict[str, Any], user: str | None) -> dict[str, Any]:
    check, a = result["check"], result["a"]
    return {
        "kind": KIND, "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "user": user, "case_id": form.get("case_id"), "rated_on": result["rated_on"].isoformat(),
        "date_basis": result["date_basis"], "question_text": form.get("question_text") or None,
        "facts": {k: form.get(k) or None for k in ("new_bone_pain", "neurological_deficit",
                                                   "pain_site", "treatment_type", "treatment_agents",
                                                   "treatment_months", "treatment_line")},
        "requested": check.requested.value, "rating": check.rating.value,
        "rule_id": check.reason.rule_id,
        "alternative": check.alternative.modality.value if check.alternative else None,
        "kb_version": check.kb_version, "question": a.question.value if a.question else None,
        "query": urlencode(sorted((k, v) for k, v in form.items() if k not in ("saved", "_csrf"))),
    }


@router.post("/check/save")
async def save_check(request: Request) -> Response:
    from bonemet.access.security import check_csrf, request_user

    body = (await request.body()).decode("utf-8", errors="replace")
    posted = dict(parse_qsl(body, keep_blank_values=True))
    check_csrf(request, posted.get("_csrf"))
    form = dict(parse_qsl(posted.get("query", ""), keep_blank_values=True))
    lang = lang_of(request)
    read_into(form, lang)
    problems, result = await run_in_threadpool(answer, request, form, lang)
    case_id = form.get("case_id", "")
    from bonemet.access.trail import name_case

    if case_id:
        name_case(request, case_id)  # the audit row names the case, refused or kept
    if problems or not result or not case_id or find_case(request, case_id) is None:
        # Nothing is kept that was not answered in full, nor outside a patient's file.
        return page(request, "check.html", status=422,
                    **check_context(request, form, lang, problems or [], result, [], True),
                    saved_list=[], save_refused=True)
    user = request_user(request)
    import orjson

    record = _record(form, result, user.id if user else None)
    store = request.app.state.bonemet.store
    number = store.add_assessment(case_id, record["kb_version"], __version__, orjson.dumps(record))
    query = urlencode([*sorted(form.items()), ("saved", str(number))])
    return RedirectResponse(f"/check?{query}#check-saved", status_code=303)


def _printed(request: Request) -> tuple[dict[str, Any], str]:
    lang = lang_of(request)
    form = dict(request.query_params)
    read = read_into(form, lang)
    if "exam" not in form:  # nothing checked yet: the page says so (not an error)
        return {**check_context(request, form, lang, [], {}, read, False), "problems": []}, lang
    problems, result = answer(request, form, lang)
    return {**check_context(request, form, lang, problems, result, read, True),
            "problems": problems}, lang


@router.get("/check/print")
async def print_check(request: Request) -> Response:
    context, _ = await run_in_threadpool(_printed, request)
    return page(request, "check_print.html", status=422 if context["problems"] else 200, **context)


@router.get("/check/print.pdf")
async def print_check_pdf(request: Request) -> Response:
    context, _ = await run_in_threadpool(_printed, request)
    if context["problems"]:
        return page(request, "check_print.html", status=422, **context)
    html = bytes(page(request, "check_print.html", **context).body).decode()
    pdf = await render(request, "html_pdf", html)
    name = quote(context["form"].get("case_id") or "demande", safe="")
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="verification-{name}.pdf"'})


