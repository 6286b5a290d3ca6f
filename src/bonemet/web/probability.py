"""The probability calculator page: pre-test probability, exam results in order, post-test probability.

A thin adapter over `bonemet.core.probability.calculate` and the performance table of the knowledge
base: it reads the form, names every problem by its input, and hands the calculation and its Fagan
nomogram (`bonemet.report.nomogram`) to the template. No number or sentence of the calculator lives here.

Form names: `origin` ("user" or a prior id), `pretest`, and one row per result
`tests[i].modality`, `tests[i].result`, `tests[i].source` (an entry id, empty for the default).
`_add` / `_remove=i` add or remove a row without computing (htmx swaps the form; without JavaScript
the page comes back with the row).
"""

from __future__ import annotations

import contextlib
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bonemet.core.probability import CalculationError, calculate, resolve
from bonemet.kb import default_kb
from bonemet.kb.performance import PerformanceTable
from bonemet.model.probability import BinaryResult, Calculation
from bonemet.report.labels import labels

SLUG = "probability"
TEMPLATE = "probability.html"
ACCEPTS_QUERY = True  # a link (e.g. from the assessment page) may fill the form and compute at once
_ROW = re.compile(r"tests\[(\d{1,3})\]\.(modality|result|source)")  # .fullmatch: `$` passes a final "\n"
_MAX_ROWS = 12


def available() -> list[Any]:
    from bonemet.web.pages import Calculator

    if getattr(default_kb(), "performance", None) is None:
        return []
    title = labels().ui["p_calc_title"]
    return [Calculator(slug=SLUG, title=lambda lang: title(lang),  # type: ignore[arg-type]
                       module=sys.modules[__name__])]


@dataclass
class Row:
    modality: str = ""
    result: str = ""
    source: str = ""

    @property
    def blank(self) -> bool:
        return not (self.modality or self.result or self.source)


@dataclass
class Form:
    origin: str = "user"
    pretest: str = ""
    rows: list[Row] = field(default_factory=lambda: [Row()])


def read_form(values: dict[str, str]) -> Form:
    """The form as typed (nothing is dropped, so a page with errors shows what was entered)."""
    by_index: dict[int, Row] = {}
    for key, value in values.items():
        m = _ROW.fullmatch(key)
        if m:
            setattr(by_index.setdefault(int(m.group(1)), Row()), m.group(2), value.strip())
    rows = [by_index[i] for i in sorted(by_index)][:_MAX_ROWS] or [Row()]
    return Form(origin=(values.get("origin") or "user").strip(), pretest=values.get("pretest", "").strip(),
                rows=rows)


def parse_probability(raw: str) -> float:
    """0.3, 0,3 or 30% → 0.3. ValueError("number") or ValueError("range") otherwise."""
    text = raw.strip().replace(",", ".").replace(" ", "")
    scale = 100.0 if text.endswith("%") else 1.0
    try:
        value = float(text.removesuffix("%")) / scale
    except ValueError:
        raise ValueError("number") from None
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise ValueError("range")
    return value


def _name(i: int, part: str) -> str:
    return f"tests[{i}].{part}"


def field_id(name: str) -> str:
    return "p-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def check(form: Form, table: PerformanceTable, lang: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The calculator's arguments, or the problems keyed by input name."""
    L = labels()
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    args: dict[str, Any] = {}
    if form.origin == "user":
        if not form.pretest:
            err("pretest", L("p_required", lang))
        else:
            try:
                args["pretest"] = parse_probability(form.pretest)
            except ValueError as exc:
                key = "p_err_number" if str(exc) == "number" else "p_err_range"
                err("pretest", L(key, lang).format(raw=repr(form.pretest)))
    elif form.origin in table.priors:
        args["prior_id"] = form.origin
    else:
        err("origin", L("p_err_origin", lang))

    tests: list[tuple[str, BinaryResult]] = []
    sources: dict[str, str] = {}
    for i, row in enumerate(form.rows):
        if row.blank:
            continue  # an added row left empty is not an error (no row at all is, below)
        if row.modality not in table.modalities:
            err(_name(i, "modality"), L("p_err_modality", lang))
        if row.result not in {r.value for r in BinaryResult}:
            err(_name(i, "result"), L("p_err_result", lang))
        if row.modality in table.modalities and row.source:
            modality = table.modalities[row.modality]
            if row.source not in {e.id for e in modality.entries}:
                err(_name(i, "source"), L("p_err_source_modality", lang).format(
                    entry=row.source, modality=row.modality))
            elif sources.get(row.modality, row.source) != row.source:
                err(_name(i, "source"), L("p_err_source_conflict", lang).format(
                    entry=sources[row.modality], modality=row.modality))
            else:
                try:
                    resolve(table, row.modality, {row.modality: row.source})
                    sources[row.modality] = row.source
                except CalculationError as exc:
                    err(_name(i, "source"), exc.reason)
        if row.modality in table.modalities and row.result in {r.value for r in BinaryResult}:
            tests.append((row.modality, BinaryResult(row.result)))
    if not tests and not any(k.startswith("tests[") for k in errors):
        err(_name(0, "modality"), L("p_err_no_tests", lang))
    args["tests"] = tests
    args["sources"] = sources
    return args, errors


def nomogram_svg(calc: Calculation, lang: str) -> str:
    return _nomogram(calc.model_dump_json(), lang)


@lru_cache(maxsize=64)
def _nomogram(calc_json: str, lang: str) -> str:
    # Drawing takes ~0.1 s; the same calculation (a re-submitted form, the link from a case) is common.
    from bonemet.report.nomogram import render

    calc = Calculation.model_validate_json(calc_json)
    svg = render(calc, lang, "svg").decode("utf-8")  # type: ignore[arg-type]
    # Inline in HTML: drop the XML prolog and the DOCTYPE (which names a remote DTD).
    return svg[svg.find("<svg"):]


def view(slug: str, values: dict[str, str] | None, lang: str) -> dict[str, Any]:
    """What the page shows: the form (as typed), its problems next to their inputs, or the result."""
    table = default_kb().performance
    if table is None:  # `available()` lists no page then; a stale link gets a clear error
        raise LookupError("this knowledge base has no performance table")
    out: dict[str, Any] = {"table": table, "form": Form(), "errors": {}, "problems": [], "calc": None,
                           "nomogram": None, "field_id": field_id, "computable": _computable(table)}
    if values is None:
        return out
    form = read_form(values)
    out["form"] = form
    if "_add" in values:
        if len(form.rows) < _MAX_ROWS:
            form.rows.append(Row())
        return out
    if "_remove" in values:
        with contextlib.suppress(ValueError, IndexError):  # a stale index removes nothing
            del form.rows[int(values["_remove"])]
        form.rows = form.rows or [Row()]
        return out
    args, errors = check(form, table, lang)
    if not errors:
        try:
            out["calc"] = calculate(table, args["tests"], pretest=args.get("pretest"),
                                    prior_id=args.get("prior_id"), sources=args["sources"])
        except CalculationError as exc:  # the checks above should leave none; never a traceback
            errors = {exc.field if exc.field in ("pretest", "origin") else "": [exc.reason]}
    out["errors"] = errors
    out["problems"] = [(name, message) for name, messages in errors.items() for message in messages]
    if out["calc"] is not None:
        out["nomogram"] = nomogram_svg(out["calc"], lang)
    return out


def _computable(table: PerformanceTable) -> dict[str, list[Any]]:
    """For each modality, the entries the calculator can use (a source select lists only these)."""
    return {m.id: [e for e in m.entries if e.computable] for m in table.modalities.values()}
