"""The editor's errors in the user's language, each naming the field as labelled on screen.

The model (pydantic) explains a refusal in English with a code path (`exams[0].date: Input should be
a valid date`); a clinician sees "Exam 1 — Date: not a date (typed: 31/11/2026)". The path is kept
as the problem's field so that the error still lands next to its input; only the words change.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import ValidationError

from bonemet.api import (
    CASE_LIMITS,
    MAX_PROBLEMS,
    NESTED_LIMITS,
    InputError,
    Problem,
    check_dates_not_future,
    check_document_size,
    parse_case,
)
from bonemet.base import format_day
from bonemet.base.fields import FieldErrors, FieldProblem, join_path
from bonemet.model import Case
from bonemet.report.labels import labels
from bonemet.web import forms

_DATE_TYPES = frozenset({"date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact",
                         "date_type", "datetime_parsing", "datetime_from_date_parsing"})
_NUMBER_TYPES = frozenset({"int_parsing", "float_parsing", "int_from_float", "int_type",
                           "float_type", "finite_number"})
_CHOICE_TYPES = frozenset({"enum", "literal_error"})
# Known sentences of the model's own checks (model/case.py), by a fragment of their English text.
_VALUE_ERRORS = (
    ("is before start", "ed_end_before_start"),
    ("apply to PET exams only", "ed_pet_only"),
    ("applies to radiographs only", "ed_radiograph_only"),
    ("applies to MRI only", "ed_mri_only"),
    ("is not accepted for", "ed_unit"),
    ("is outside 1900", "ed_date_range"),
    ("duplicate", "ed_duplicate_id"),
    ("contradicts a recorded primary_site", "ed_no_cancer_with_site"),
)


def _message(err: dict[str, Any], typed: Any, lang: str) -> str:
    L = labels()
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return L("ed_required", lang)
    if kind in _DATE_TYPES:
        return L("ed_not_date", lang).format(typed=typed if typed not in (None, "") else "—")
    if kind in _NUMBER_TYPES:
        return L("ed_not_number", lang).format(typed=typed)
    if kind in _CHOICE_TYPES:
        return L("ed_not_choice", lang)
    if kind == "bool_parsing":
        return L("ed_yes_no", lang)
    if kind in ("greater_than_equal", "greater_than"):
        return L("ed_min", lang).format(limit=ctx.get("ge", ctx.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return L("ed_max", lang).format(limit=ctx.get("le", ctx.get("lt")))
    if kind == "string_too_long":
        return L("ed_too_long", lang).format(limit=ctx.get("max_length"))
    text = str(err.get("msg", "")).removeprefix("Value error, ")
    for fragment, key in _VALUE_ERRORS:
        if fragment in text:
            return L(key, lang)
    return L("ed_check_value", lang).format(detail=text)


def _shown_day(iso: str, lang: str) -> str:
    try:
        return format_day(dt.date.fromisoformat(iso), lang)
    except ValueError:
        return iso


def _field_message(p: FieldProblem, lang: str) -> str:
    """A model check that names its field (`FieldProblem`), in the user's words."""
    L = labels()
    if p.code == "after_as_of":
        return L("ed_after_as_of", lang).format(as_of=_shown_day(p.detail, lang))
    if p.code == "planned_finding":
        return L("ed_planned_finding", lang)
    return L("ed_check_value", lang).format(detail=p.message)


def clock_problems(problems: list[Problem], today: dt.date, lang: str) -> list[Problem]:
    """`bonemet.api.check_dates_not_future`'s problems in the user's words, fields kept."""
    L = labels()
    shown = format_day(today, lang)
    out = []
    for p in problems:
        if p.field == "context.as_of":
            key = "ed_as_of_after_today"
        elif p.field.endswith(".end"):
            key = "ed_end_after_today"
        else:
            key = "ed_after_today"
        out.append(Problem(p.field, L(key, lang).format(today=shown)))
    return out


def after_today(case: Case, lang: str) -> list[Problem]:
    """The dates of the case after today (the web adapter reads the clock; the core has none)."""
    today = dt.date.today()
    try:
        check_dates_not_future(case, today)
    except InputError as exc:
        return clock_problems(exc.problems, today, lang)
    return []


def _path(loc: tuple[Any, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")


def within_bounds(doc: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The document cut to the per-case bounds, and a problem naming each list that was over.

    A forged form or an imported file with 100,000 exams is answered with its bounds, and the
    editor draws no more rows than a case may hold (drawing them all took longer than the check).
    """
    try:
        check_document_size(doc)
    except InputError as exc:
        return _trimmed(doc), exc.problems
    return doc, []


def _trimmed(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v[:CASE_LIMITS[k]] if k in CASE_LIMITS and isinstance(v, list) else v
           for k, v in doc.items()}
    for path, limit in NESTED_LIMITS.items():
        head, _, tail = path.partition(".")
        name = head.removesuffix("[]")
        owner = out.get(name)
        if head.endswith("[]") and isinstance(owner, list):
            out[name] = [{**row, tail: row[tail][:limit]}
                         if isinstance(row, dict) and isinstance(row.get(tail), list) else row
                         for row in owner]
        elif isinstance(owner, dict) and isinstance(owner.get(tail), list):
            out[name] = {**owner, tail: owner[tail][:limit]}
    return out


def validate(doc: dict[str, Any], lang: str) -> tuple[Case | None, list[Problem]]:
    """The case of the form's document, or the problems in the user's words (field paths kept)."""
    checked = forms.for_validation(doc)
    oversized = within_bounds(checked)[1]
    if oversized:
        return None, oversized
    try:
        # Bounded and item by item first (bonemet.api.parse_case): a form with thousands of
        # wrong fields is answered with the first MAX_PROBLEMS, in the model's words, without
        # building every error; otherwise there are few problems, reworded below.
        return parse_case(checked), []
    except InputError as exc:
        if len(exc.problems) > MAX_PROBLEMS:
            return None, exc.problems
    try:
        return Case.model_validate(checked), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = _path(tuple(err["loc"]))
            cause = (err.get("ctx") or {}).get("error")
            if isinstance(cause, FieldErrors):  # the model named the fields itself (issue 21)
                problems += [Problem(join_path(path, p.path), _field_message(p, lang))
                             for p in cause.problems]
                continue
            if path == "context":  # a context with nothing chosen: the phase is what is missing
                path = "context.phase"
            path = _LIST_ITEM.sub(r"\1", path)  # one ticked site: the error lands on the group
            blocks = _score_site_problems(path, str(err.get("msg", "")), lang)
            problems += blocks or [Problem(path, _message(dict(err), forms.value_at(doc, path),
                                                          lang))]
        return None, problems


# An item of a list input (`context.pain_sites[1]`): the editor draws the list as one group.
_LIST_ITEM = re.compile(r"(\.(?:" + "|".join(sorted(forms.CHOICE_LISTS | forms.LIST_FIELDS))
                        + r"))\[\d+\]\Z")
_SCORE_SITE = re.compile(r"(\w+) does not apply to site '(\w+)'")


def _score_site_problems(path: str, message: str, lang: str) -> list[Problem]:
    """A lesion's "mirels does not apply to site …": one problem per score block, shown inside the
    block (the model reports it on the whole lesion row)."""
    found = _SCORE_SITE.findall(message)
    if not found or not re.search(r"lesions\[\d+\]\Z", path):
        return []
    L = labels()
    return [Problem(f"{path}.{score}", L("ed_score_site", lang).format(
        score=_score_name(score, lang) or score, site=L.enum("site", site, lang)))
        for score, site in found]


def case_id_problem(lang: str) -> Problem:
    return Problem("case_id", labels()("ed_case_id_rule", lang))


_ROW = re.compile(r"(\w+)\[(\d+)\]")  # .fullmatch: `$` passes a final "\n"


def screen_label(path: str, lang: str) -> str:
    """A field path as the screen labels it: `exams[0].lesions[1].site` → "Exam 1 — Lesion 2 — Site"."""
    L = labels()
    if not path:
        return ""
    if path == "case_id":
        return L("f_case_id", lang)
    parts: list[str] = []
    sections = forms.SECTIONS
    section: forms.Section | None = None
    for token in path.split("."):
        row = _ROW.fullmatch(token)
        key = row.group(1) if row else token
        child = next((s for s in sections if s.key == key), None)
        if child is not None:
            section, sections = child, child.children
            if row and child.item:
                parts.append(f"{L(child.item, lang)} {int(row.group(2)) + 1}")
            elif child.score:
                table = _score_name(child.score, lang)
                if table:
                    parts.append(table)
            elif child.title and parts:  # a block inside a row (a lesion's biopsy)
                parts.append(L(child.title, lang))
            continue
        field = next((f for f in (section.fields if section else ()) if f.name == key), None)
        label_key = f"f_{key}"
        if label_key in L.ui:
            parts.append(L(label_key, lang))
        elif field is not None and field.score:
            parts.append(_score_item(field.score, key, lang) or key)
        else:
            parts.append(key)
    return " — ".join(parts) or path


def _score_name(score: str, lang: str) -> str | None:
    from bonemet.kb import default_kb

    table = default_kb().scores.get(score)
    return str(table.name(lang)) if table is not None else None  # type: ignore[arg-type]


def _score_item(score: str, item_id: str, lang: str) -> str | None:
    from bonemet.kb import default_kb

    table = default_kb().scores.get(score)
    item = next((i for i in table.items if i.id == item_id), None) if table is not None else None
    return str(item.label(lang)) if item is not None else None  # type: ignore[arg-type]
