"""Quick request check page (ACR Select style) for the nuclear-medicine physician.

One screen: choose a patient (a stored or demo case) or enter the minimal context, and the
requested exam; the answer is `bonemet.report.quick_check.check_request` over the core's own
assessment (no logic here beyond reading the form). A GET form: checking changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bonemet.api import InputError, Problem, parse_case
from bonemet.core import assess
from bonemet.kb import default_kb
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
)
from bonemet.report.headline import build_headline
from bonemet.report.labels import labels
from bonemet.report.quick_check import check_request, minimal_case
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
            "requested": values(RatedModality), "pain_site": values(SkeletalSite)}


@router.get("/check")
async def quick_check(request: Request) -> Response:
    lang = lang_of(request)
    L = labels()
    form = dict(request.query_params)
    submitted = "exam" in form
    problems: list[Problem] = []
    result: dict[str, Any] = {}
    if submitted:
        problems, result = await run_in_threadpool(_answer, request, form, lang)
    cases = [c.case_id for c in all_cases(request)]
    return page(request, "check.html", status=422 if problems else 200, form=form,
                choices=_choices(), cases=cases, rows=range(EXAM_ROWS), problems=problems,
                today=dt.date.today().isoformat(), submitted=submitted,
                error_for={p.field: p.message for p in problems},
                label_of=lambda name: _label_of(name, lang),
                dose_text=lambda d: L("qc_dose", lang).format(
                    v=_number(d.value, lang), s=d.statement_id), **result)


_LABELS = {"exam": "qc_requested", "phase": "f_phase", "case_id": "qc_patient",
           "as_of": "qc_decision_date", "new_bone_pain": "f_new_bone_pain",
           "pain_site": "f_pain_site", "neurological_deficit": "f_neurological_deficit"}
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


def _answer(request: Request, form: dict[str, str],
            lang: str) -> tuple[list[Problem], dict[str, Any]]:
    L = labels()
    problems: list[Problem] = []
    exam = form.get("exam", "")
    if exam not in {m.value for m in RatedModality}:
        problems.append(Problem("exam", L("qc_err_exam", lang)))
    case_id = form.get("case_id", "").strip()
    case = None
    if case_id:
        entry = find_case(request, case_id)
        if entry is None:
            problems.append(Problem("case_id", L("qc_err_case", lang)))
        else:
            case = entry.case
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
        as_of = parse_date(form.get("as_of") or dt.date.today().isoformat())
        if as_of is None:
            problems.append(Problem("as_of", L("qc_err_date", lang)))
        answers: dict[str, bool | None] = {}
        for name in ("new_bone_pain", "neurological_deficit"):
            if form.get(name, "") not in _YES_NO:
                problems.append(Problem(name, L("qc_err_choice", lang)))
            answers[name] = _YES_NO.get(form.get(name, ""))
        site = form.get("pain_site", "")
        if site and site not in {s.value for s in SkeletalSite}:
            problems.append(Problem("pain_site", L("qc_err_choice", lang)))
        if not problems:
            doc = minimal_case(phase=form["phase"], question=form.get("question") or None,
                               primary_site=form.get("primary_site") or None,
                               histology=form.get("histology") or None, as_of=as_of,
                               exams=exams, pain_sites=(site,) if site else (), **answers)
            try:
                case = parse_case(doc)
            except InputError as exc:
                problems.extend(exc.problems)
    if problems or case is None:
        return problems, {}
    kb = default_kb()
    a = assess(case, kb)
    return [], {"check": check_request(a, RatedModality(exam), kb), "hl": build_headline(a, kb),
                "checked_case": case, "a": a}
