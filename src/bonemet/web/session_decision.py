"""The tumour-board decision form (issues 13 and 25): bonemet's proposal beside the RCP fields, one
action to take it over (then edited by the board) or to take it over and save, the chair's
validation (read-only until reopened, reopening traced), and the board's words kept exactly.

bonemet's proposal comes from `bonemet.api.board_proposal` (the assessment's own texts with their
rule ids); this module only shows it and copies its paraphrase into the board's fields when asked.
The two are always told apart: the panel says "bonemet's proposal", the fields are the board's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from bonemet.base import format_number
from bonemet.model.board import LONG, DecisionIn, Session, SessionCase, SessionStatus
from bonemet.report import summary as mdt
from bonemet.report.labels import Verbatim, labels
from bonemet.web.pages import _form_pairs, _not_found, all_cases, lang_of, page
from bonemet.web.sessions import (
    IMAGING_CHOICES,
    _board,
    _csrf,
    _date_field,
    _errors,
    _session_or_404,
    _t,
    _who,
)

router = APIRouter(include_in_schema=False)

TEXT_FIELDS = ("question", "decision", "proposal", "tnm", "biomarkers", "referring_physician",
               "conforme_reason", "trial_name", "proposal_source")
_YES_NO = {"yes": True, "no": False}
_ACTIONS = ("save", "take_over", "take_over_save")


def _words(raw: str) -> str:
    """What the board typed, as typed: browsers post a textarea's line ends as CRLF (HTML), the
    stored text keeps LF, so that a decision saved unchanged compares equal (issue 25, item 7)."""
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def _case_of(request: Request, case_id: str) -> Any:
    from bonemet.stores.board_store import find_case

    return find_case(request.app.state.bonemet.store, case_id)


def _proposal(case: Any) -> Any:
    from bonemet.api import board_proposal

    return board_proposal(case) if case is not None else None


def _form_of(item: SessionCase, lang: str) -> dict[str, Any]:
    """The stored decision as the form shows it (the board's words wrapped as `Verbatim`)."""
    form: dict[str, Any] = item.model_dump(mode="json")
    for name in TEXT_FIELDS:
        form[name] = Verbatim(form.get(name) or "")
    for name in ("treatment_change", "quorum", "conforme", "trial_proposed"):
        form[name] = {None: "", True: "yes", False: "no"}[getattr(item, name)]
    form["ecog"] = "" if item.ecog is None else str(item.ecog)
    form["patient_informed"] = item.patient_informed or ""
    form["next_review"] = mdt.fmt_date(item.next_review, lang) if item.next_review else ""
    return form


def _decision_page(request: Request, session: Session, item: SessionCase, form: dict[str, Any],
                   errors: dict[str, str], version: int, status: int = 200,
                   notice: str = "") -> HTMLResponse:
    case = _case_of(request, item.case_id)
    label = next((c.case.patient.label for c in all_cases(request)
                  if c.case_id == item.case_id and c.case.patient), None)
    return page(request, "session_decision.html", status=status, s=session, case_id=item.case_id,
                item=item, patient=case.patient if case is not None else None,
                proposal=_proposal(case), patient_label=label, form=form, errors=errors,
                version=version, statuses=list(SessionStatus), imaging_choices=IMAGING_CHOICES,
                notice=notice, fmt_date=lambda d: mdt.fmt_date(d, lang_of(request)),
                words_limit=format_number(LONG, lang_of(request)),
                fmt_stamp=lambda v: mdt.fmt_stamp(v, lang_of(request)))


def _found(request: Request, session_id: str, case_id: str) -> tuple[Session, SessionCase] | None:
    session = _session_or_404(request, session_id)
    item = next((c for c in session.cases if c.case_id == case_id), None) if session else None
    return None if session is None or item is None else (session, item)


@router.get("/sessions/{session_id}/cases/{case_id}/decision")
async def decision_form(request: Request, session_id: str, case_id: str) -> Response:
    found = _found(request, session_id, case_id)
    if found is None:
        return _not_found(request, case_id)
    session, item = found
    form = _form_of(item, lang_of(request))
    if item.version == 1:  # never recorded: the case's own facts start the RCP fields
        proposal = _proposal(_case_of(request, case_id))
        if proposal is not None:
            form["ecog"] = "" if proposal.ecog is None else str(proposal.ecog)
            form["biomarkers"] = Verbatim(proposal.biomarkers)
    return _decision_page(request, session, item, form, {}, item.version)


def take_over(form: dict[str, Any], proposal: Any, lang: str) -> None:
    """Fill the board's fields from bonemet's proposal; what the board already typed is kept (the
    paraphrase goes after it, once)."""
    for name, text in (("proposal", proposal.paraphrase(lang)),
                       ("decision", proposal.decision_text(lang))):
        current = str(form.get(name) or "")
        if not current.strip():
            form[name] = text
        elif text not in current:
            form[name] = current.rstrip() + "\n\n" + text
    if not form.get("imaging_requested"):
        form["imaging_requested"] = list(proposal.imaging)
    if form.get("status") in (None, "", SessionStatus.to_discuss.value):
        form["status"] = SessionStatus.discussed.value
    # "Conforme au référentiel" stays the board's to say: bonemet's proposal may itself lean on
    # sources outside the chapter (SAFE-01), so taking it over asserts nothing about the guideline.
    if not form.get("ecog") and proposal.ecog is not None:
        form["ecog"] = str(proposal.ecog)
    if not form.get("biomarkers"):
        form["biomarkers"] = proposal.biomarkers
    form["proposal_source"] = proposal.kb_version


def _checked(request: Request, form: dict[str, Any], errors: dict[str, str],
             session: Session) -> DecisionIn | None:
    data: dict[str, Any] = {name: _words(str(form.get(name) or "")) for name in TEXT_FIELDS}
    data["tnm"] = data["tnm"] or None
    data.update({
        "status": form.get("status") or "to_discuss", "imaging_requested": form["imaging_requested"],
        "patient_informed": form.get("patient_informed") or None,
        **{name: _YES_NO.get(str(form.get(name, ""))) for name in
           ("treatment_change", "quorum", "conforme", "trial_proposed")},
    })
    ecog = str(form.get("ecog", "")).strip()
    data["ecog"] = int(ecog) if ecog.isdigit() and len(ecog) == 1 else (ecog or None)
    _date_field(request, data, "next_review", str(form.get("next_review", "")), errors)
    review = data.get("next_review")
    if review and review < session.meeting_date.isoformat():
        errors["next_review"] = _t(request, "board_err_review_before_meeting",
                                   meeting=mdt.fmt_date(session.meeting_date, lang_of(request)))
    try:
        checked = DecisionIn.model_validate(data)
    except ValidationError as exc:
        found = _errors(request, exc, form)
        found.pop("", None)
        for err in exc.errors():
            if err["type"] == "reason_required" and err["loc"]:
                found[str(err["loc"][0])] = _t(request, "board_err_reason_required")
            elif err["loc"] and err["loc"][0] == "tnm":
                found["tnm"] = _t(request, "board_err_tnm", raw=form.get("tnm", ""))
        errors.update({k: v for k, v in found.items() if k not in errors})
        if not errors:
            errors[""] = _t(request, "board_err_invalid")
        return None
    return None if errors else checked


@router.post("/sessions/{session_id}/cases/{case_id}/decision")
async def decision_save(request: Request, session_id: str, case_id: str) -> Response:
    from bonemet.stores.board_store import BoardError

    pairs = await _form_pairs(request)
    _csrf(request, pairs)
    found = _found(request, session_id, case_id)
    if found is None:
        return _not_found(request, case_id)
    session, item = found
    raw_version = dict(pairs).get("_version", "")
    version = int(raw_version) if raw_version.isdigit() and len(raw_version) < 10 else 0
    action = dict(pairs).get("_action", "save")
    action = action if action in _ACTIONS else "save"
    form: dict[str, Any] = {k: _words(v) for k, v in pairs if not k.startswith("_") and k != "imaging"}
    form["imaging_requested"] = [v for k, v in pairs if k == "imaging"]
    if action != "save":
        proposal = _proposal(_case_of(request, case_id))
        if proposal is not None:
            take_over(form, proposal, lang_of(request))
    for name in TEXT_FIELDS:
        form[name] = Verbatim(form.get(name) or "")
    if action == "take_over":  # shown to be read and edited, not saved yet
        return _decision_page(request, session, item, form, {}, version,
                              notice=_t(request, "board_taken_over"))
    errors: dict[str, str] = {}
    checked = _checked(request, form, errors, session)
    if checked is None:
        return _decision_page(request, session, item, form, errors, version, 422)
    checked = checked.model_copy(update={"decision_is_proposal": _is_proposal(request, case_id, checked)})
    try:
        saved = _board(request).record(session.id, case_id, checked, _who(request), version or None)
    except BoardError as exc:
        message = labels()(exc.key, lang_of(request)).format(**exc.values)
        field = exc.field if exc.field in form else ""
        return _decision_page(request, session, item, form, {field: message}, version, exc.status)
    if saved.version == version:  # saved unchanged: nothing written (issue 25, item 7)
        return _decision_page(request, session, saved, _form_of(saved, lang_of(request)), {},
                              saved.version, notice=_t(request, "board_unchanged", v=saved.version))
    return RedirectResponse(f"/sessions/{session_id}?saved=1#case-{quote(case_id)}",
                            status_code=303)


def _is_proposal(request: Request, case_id: str, decision: DecisionIn) -> bool:
    """Whether the decision recorded is bonemet's proposed text as taken over, unedited."""
    if not decision.proposal_source or not decision.decision.strip():
        return False
    proposal = _proposal(_case_of(request, case_id))
    if proposal is None:
        return False
    words = " ".join(decision.decision.split())
    return any(words == " ".join(proposal.decision_text(lang).split()) for lang in ("fr", "en"))


async def _signature(request: Request, session_id: str, case_id: str, *, sign: bool) -> Response:
    from bonemet.stores.board_store import BoardError

    pairs = await _form_pairs(request)
    _csrf(request, pairs)
    found = _found(request, session_id, case_id)
    if found is None:
        return _not_found(request, case_id)
    session, item = found
    raw_version = dict(pairs).get("_version", "")
    version = int(raw_version) if raw_version.isdigit() and len(raw_version) < 10 else 0
    board = _board(request)
    try:
        done = (board.sign if sign else board.reopen)(session.id, case_id, _who(request),
                                                      version or None)
    except BoardError as exc:
        message = labels()(exc.key, lang_of(request)).format(**exc.values)
        return _decision_page(request, session, item, _form_of(item, lang_of(request)),
                              {"": message}, item.version, exc.status)
    return _decision_page(request, session, done, _form_of(done, lang_of(request)), {},
                          done.version, notice=_t(request, "board_signed_notice" if sign
                                                  else "board_reopened_notice"))


@router.post("/sessions/{session_id}/cases/{case_id}/decision/sign")
async def decision_sign(request: Request, session_id: str, case_id: str) -> Response:
    return await _signature(request, session_id, case_id, sign=True)


@router.post("/sessions/{session_id}/cases/{case_id}/decision/reopen")
async def decision_reopen(request: Request, session_id: str, case_id: str) -> Response:
    return await _signature(request, session_id, case_id, sign=False)
