"""Quick request check page (ACR Select style) for the nuclear-medicine physician.

One screen: choose a patient (a stored or demo case) or enter the minimal context, and the
requested exam; the answer is `bonemet.report.quick_check.check_request` over the core's own
assessment (no logic here beyond reading the form). A GET form: checking changes nothing.

Issue 25 (item 6): the request's question is read for the facts it states (new bone pain, the line
of treatment and its class, months on treatment), which prefill the form's fields and are listed as
read, editable; the page says the date it rates for; an answer on a patient's file can be saved to
the file (`check_file.py`) and printed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bonemet.api import InputError, Problem, parse_case
from bonemet.core import assess
from bonemet.core.imaging import read_cues
from bonemet.core.question_cues import question_cues
from bonemet.kb import Lang, default_kb
from bonemet.model.assessment import RatedModality
from bonemet.model.case import (
    Histology,
    Modality,
    Phase,
    PrimarySite,
    Purpose,
    Question,
    Result,
    SkeletalSite,
    TreatmentType,
)
from bonemet.report.headline import build_headline
from bonemet.report.labels import labels
from bonemet.report.quick_check import (
    REQUEST_CASE_ID,
    RequestContext,
    check_request,
    minimal_case,
    with_request,
)
from bonemet.report.request_reading import RequestFacts, read_request
from bonemet.web.pages import all_cases, find_case, lang_of, page

router = APIRouter(include_in_schema=False)
EXAM_ROWS = 3
_FR_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*")  # .fullmatch: `$` passes a final "\n"


def parse_date(raw: str) -> dt.date | None:
    """A date as typed (DD/MM/YYYY or YYYY-MM-DD); None when it is not a real date."""
    raw = raw.strip()
    match = _FR_DATE.fullmatch(raw)
    try:
        if match:
            day, month, year = (int(x) for x in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _choices() -> dict[str, tuple[str, ...]]:
    def values(enum: Any) -> tuple[str, ...]:
        return tuple(m.value for m in enum)

    return {"phase": values(Phase), "question": values(Question), "histology": values(Histology),
            "primary_site": values(PrimarySite), "modality": values(Modality),
            "purpose": values(Purpose), "result": values(Result),
            "requested": values(RatedModality), "pain_site": values(SkeletalSite),
            "treatment_type": tuple(t.value for t in TreatmentType if t.value in _SYSTEMIC)}


# The lines of treatment a request names (anticancer lines; bone agents and local treatments are
# not what "sous osimertinib" means).
_SYSTEMIC = frozenset({"chemotherapy", "immunotherapy", "chemo_immunotherapy", "egfr_tki", "alk_tki",
                       "other_targeted", "hormone_therapy"})


@router.get("/check")
async def quick_check(request: Request) -> Response:
    lang = lang_of(request)
    form = dict(request.query_params)
    submitted = "exam" in form
    read = read_into(form, lang)  # before anything is rated: the page shows what was read
    problems: list[Problem] = []
    result: dict[str, Any] = {}
    if submitted:
        problems, result = await run_in_threadpool(answer, request, form, lang)
    return page(request, "check.html", status=422 if problems else 200,
                **check_context(request, form, lang, problems, result, read, submitted),
                saved_list=saved_checks(request, form.get("case_id", "")))


def check_context(request: Request, form: dict[str, str], lang: str, problems: list[Problem],
                  result: dict[str, Any], read: list[tuple[str, str]],
                  submitted: bool) -> dict[str, Any]:
    """What check.html and its print view draw."""
    L = labels()
    cases = [(c.case_id, patient_name(c.case, lang)) for c in all_cases(request)]
    return {"form": form, "choices": _choices(), "cases": cases, "rows": range(EXAM_ROWS),
            "problems": problems, "today": dt.date.today(), "submitted": submitted,
            "error_for": {p.field: p.message for p in problems}, "read": read,
            "label_of": lambda name: _label_of(name, lang),
            "query": urlencode([(k, v) for k, v in form.items() if k != "saved"]),
            "dose_text": lambda d: L("qc_dose", lang).format(v=_number(d.value, lang), s=d.statement_id),
            **result}


def patient_name(case: Any, lang: str = "en") -> str:
    """The patient as the case list shows them: the label typed, else a readable title of the case
    (never a bare id), with the case's id."""
    from bonemet.report.labels import case_title

    label = (case.patient.label or "").strip() or case_title(case, lang)
    return f"{label} ({case.case_id})" if label else str(case.case_id)


def saved_checks(request: Request, case_id: str) -> list[Any]:
    """The checks kept in this patient's file, newest first (dates as dates: the page writes them
    in the user's language, never ISO; review 25)."""
    from bonemet.report.saved_checks import saved_checks as kept

    if not case_id:
        return []
    return list(kept(request.app.state.bonemet.store, case_id, shown=10))


_LABELS = {"exam": "qc_requested", "phase": "f_phase", "case_id": "qc_patient",
           "as_of": "qc_decision_date", "new_bone_pain": "f_new_bone_pain",
           "pain_site": "f_pain_site", "neurological_deficit": "f_neurological_deficit",
           "question_text": "qc25_question_text", "treatment_type": "qc25_treatment_type",
           "treatment_agents": "qc25_treatment_agents", "treatment_months": "qc25_treatment_months",
           "treatment_line": "qc25_treatment_line", "date_basis": "qc25_date_basis"}
_YES_NO = {"": None, "true": True, "false": False}
_ROW_FIELD = re.compile(r"ex(\d+)_(\w+)")  # .fullmatch: `$` passes a final "\n"


def _label_of(name: str, lang: str) -> str:
    """A form field as labelled on screen (never its code)."""
    L = labels()
    if name in _LABELS:
        return L(_LABELS[name], lang)
    row = _ROW_FIELD.fullmatch(name)
    if row:
        return f"{L('exam', lang)} {int(row.group(1)) + 1} — {L('f_' + row.group(2), lang)}"
    return name


def _number(value: float, lang: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "fr" else text


def _site_words() -> dict[SkeletalSite, tuple[str, ...]]:
    L = labels()
    return {s: (L.enum("site", s, "fr"), L.enum("site", s, "en")) for s in SkeletalSite}


def read_into(form: dict[str, str], lang: str) -> list[tuple[str, str]]:
    """Prefill the empty fields with the facts the question states, once per question text (a
    field the user then empties stays empty), and say which: (field label, value in words)."""
    text = form.get("question_text", "").strip()
    if not text or form.get("_read") == text:
        return []
    form["_read"] = text
    facts = read_request(text, _site_words())
    L = labels()
    found: dict[str, tuple[str, str]] = {}  # field: (form value, words)
    yes_no = {True: ("true", L("answer_yes", lang)), False: ("false", L("answer_no", lang))}
    if facts.new_bone_pain is not None:
        found["new_bone_pain"] = yes_no[facts.new_bone_pain]
    if facts.neurological_deficit is not None:
        found["neurological_deficit"] = yes_no[facts.neurological_deficit]
    if facts.pain_sites:
        site = facts.pain_sites[0]
        found["pain_site"] = (site.value, L.enum("site", site, lang))
    if facts.treatment_type is not None:
        found["treatment_type"] = (facts.treatment_type.value,
                                   L.enum("treatment_type", facts.treatment_type, lang))
        if not form.get("case_id"):
            found["phase"] = ("on_treatment", L.enum("phase", "on_treatment", lang))
    if facts.agents:
        found["treatment_agents"] = (", ".join(facts.agents), ", ".join(facts.agents))
    if facts.months_on_treatment is not None:
        found["treatment_months"] = (str(facts.months_on_treatment), str(facts.months_on_treatment))
    if facts.line_number is not None:
        found["treatment_line"] = (str(facts.line_number), str(facts.line_number))
    out = []
    for name, (value, words) in found.items():
        if not form.get(name, "").strip():  # a field the user filled wins over the reading
            form[name] = value
            out.append((_label_of(name, lang), words))
    # Review 25 F2: whether the wording is a specific clinical question (REC2), by the reader the
    # rules use (NM-04, NM-05), so the page says what the rating rests on, or that it read none.
    cues = question_cues(text)
    said: Lang = "fr" if lang == "fr" else "en"
    out.append((L("qc25_specific_question", lang),
                read_cues(default_kb(), cues)(said) if cues else L("qc25_no_specific_question", lang)))
    return out


def _months_before(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 - months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    return day  # unreachable: February has 28 days


def _request_context(form: dict[str, str], rated_on: dt.date, lang: str,
                     problems: list[Problem]) -> RequestContext:
    """The facts the form states (checked: a wrong value is said next to its field)."""
    L = labels()
    answers: dict[str, bool | None] = {}
    for name in ("new_bone_pain", "neurological_deficit"):
        if form.get(name, "") not in _YES_NO:
            problems.append(Problem(name, L("qc_err_choice", lang)))
        answers[name] = _YES_NO.get(form.get(name, ""))
    site = form.get("pain_site", "")
    if site and site not in {s.value for s in SkeletalSite}:
        problems.append(Problem("pain_site", L("qc_err_choice", lang)))
    kind = form.get("treatment_type", "")
    if kind and kind not in _SYSTEMIC:
        problems.append(Problem("treatment_type", L("qc_err_choice", lang)))
    numbers: dict[str, int | None] = {}
    for name, top in (("treatment_months", 240), ("treatment_line", 9)):
        raw = form.get(name, "").strip()
        numbers[name] = int(raw) if raw.isdigit() and 0 <= int(raw) <= top else None
        if raw and numbers[name] is None:
            problems.append(Problem(name, L("qc25_err_number", lang).format(top=top)))
    if numbers["treatment_line"] == 0:
        problems.append(Problem("treatment_line", L("qc25_err_number", lang).format(top=9)))
        numbers["treatment_line"] = None
    months = numbers["treatment_months"]
    agents = tuple(a.strip() for a in form.get("treatment_agents", "").split(",") if a.strip())
    return RequestContext(
        question_text=form.get("question_text", "").strip() or None, pain_sites=(site,) if site else (),
        treatment_type=kind or None, agents=agents if kind else (),
        treatment_start=_months_before(rated_on, months).isoformat() if kind and months is not None
        else None, line_number=numbers["treatment_line"] if kind else None, **answers)


def answer(request: Request, form: dict[str, str],
           lang: str) -> tuple[list[Problem], dict[str, Any]]:
    L = labels()
    problems: list[Problem] = []
    exam = form.get("exam", "")
    if exam not in {m.value for m in RatedModality}:
        problems.append(Problem("exam", L("qc_err_exam", lang)))
    case_id = form.get("case_id", "").strip()
    case = None
    today = dt.date.today()
    basis = "today"
    case_day: dt.date | None = None
    if case_id:
        entry = find_case(request, case_id)
        if entry is None:
            problems.append(Problem("case_id", L("qc_err_case", lang)))
            rated_on = today
        else:
            # The case's own decision date unless the user asks for today's: said on the page.
            case_day = entry.case.context.as_of or entry.case.latest_date()
            basis = "today" if form.get("date_basis") == "today" or case_day is None else "case"
            rated_on = case_day if basis == "case" and case_day is not None else today
            ctx = _request_context(form, rated_on, lang, problems)
            if not problems:
                doc = with_request(entry.case.model_dump(mode="json", exclude_none=True), ctx,
                                   rated_on.isoformat())
                try:
                    case = parse_case(doc)
                except InputError as exc:
                    problems.extend(exc.problems)
    else:
        if form.get("phase") not in {p.value for p in Phase}:
            problems.append(Problem("phase", L("qc_err_phase", lang)))
        exams = []
        for i in range(EXAM_ROWS):
            modality, raw = form.get(f"ex{i}_modality", ""), form.get(f"ex{i}_date", "")
            if not modality and not raw.strip():
                continue
            when = parse_date(raw)
            if when is None:
                problems.append(Problem(f"ex{i}_date", L("qc_err_date", lang)))
                continue
            exams.append({"modality": modality, "date": when.isoformat(),
                          "purpose": form.get(f"ex{i}_purpose") or None,
                          "result": form.get(f"ex{i}_result") or None})
        as_of = parse_date(form.get("as_of") or today.isoformat())
        if as_of is None:
            problems.append(Problem("as_of", L("qc_err_date", lang)))
        rated_on = as_of or today
        ctx = _request_context(form, rated_on, lang, problems)
        if not problems:
            doc = minimal_case(phase=form["phase"], question=form.get("question") or None,
                               primary_site=form.get("primary_site") or None,
                               histology=form.get("histology") or None, as_of=as_of,
                               exams=exams, pain_sites=ctx.pain_sites,
                               new_bone_pain=ctx.new_bone_pain,
                               neurological_deficit=ctx.neurological_deficit, request=ctx)
            try:
                case = parse_case(doc)
            except InputError as exc:
                problems.extend(exc.problems)
    if problems or case is None:
        return problems, {}
    kb = default_kb()
    a = assess(case, kb)
    who = (patient_name(case, lang) if case.case_id != REQUEST_CASE_ID else L("qc25_no_file", lang))
    return [], {"check": check_request(a, RatedModality(exam), kb), "hl": build_headline(a, kb),
                "checked_case": case, "a": a, "rated_on": rated_on, "date_basis": basis,
                "case_day": case_day,
                "who": who, "on_file": bool(case_id)}


__all__ = ["RequestFacts", "answer", "check_context", "read_into", "router"]
