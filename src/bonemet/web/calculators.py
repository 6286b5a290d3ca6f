"""Calculator pages over the score tables of the knowledge base (bonemet.scores), MDCalc style:
the inputs, the result, and beside them the formula, bands, thresholds, evidence and pitfalls.

The pages draw whatever tables the knowledge base holds and compute with the scores engine; no
point, band or text is written here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from bonemet.kb import default_kb


def available() -> list[Any]:
    """One page per score of the registry (bonemet.scores.registry) whose table the base holds, in
    the registry's order; the title is the table's name."""
    import sys

    from bonemet.scores.registry import SCORES
    from bonemet.web.pages import Calculator

    module = sys.modules[__name__]
    kb = default_kb()
    # Text(lang) reads as Callable[[str], str] for the pages (the lang is checked where it is read).
    return [Calculator(slug=sid, title=cast("Callable[[str], str]", entry.title(kb)), module=module)
            for sid, entry in SCORES.items() if sid in (getattr(kb, "scores", {}) or {})]


def _number(raw: str) -> float | None:
    raw = raw.strip().replace(",", ".")
    if not raw:
        return None
    return float(raw)


def view(slug: str, values: dict[str, str] | None, lang: str) -> dict[str, Any]:
    """What the page shows: the table, and after a submission the result or the problems."""
    from bonemet.model.scores import MissingInputsError, ScoreInputError
    from bonemet.scores.engine import compute

    kb = default_kb()
    table = kb.scores[slug]
    measures = [m for t in table.thresholds for m in t.measures]
    out: dict[str, Any] = {"table": table, "measures": measures, "result": None, "problems": [],
                           "missing": set(), "plan": None, "next_steps": ()}
    if values is None:
        return out
    inputs = {it.id: (values.get(it.id) or None) for it in table.items}
    grade = values.get("grade") or None
    parsed: dict[str, float | None] = {}
    for m in measures:
        try:
            parsed[m.id] = _number(values.get(m.id, ""))
        except ValueError:
            # Named as the page labels it, in the user's words (issue 25, item 8).
            from bonemet.report.labels import colon, labels

            typed = labels()("ed_not_number", lang).format(typed=values.get(m.id))
            out["problems"].append(f"{colon(str(m.label(lang)).capitalize(), lang)} {typed}")  # type: ignore[arg-type]
    if out["problems"]:
        return out
    try:
        out["result"] = compute(table, inputs, kb_version=kb.version, tables=kb.scores, grade=grade,
                                measures=parsed)
    except MissingInputsError as exc:
        out["missing"] = {m.item for m in exc.missing}
        out["problems"] = [f"{m.label(lang)}: {'manquant' if lang == 'fr' else 'missing'}"  # type: ignore[arg-type]
                           for m in exc.missing]
    except ScoreInputError as exc:
        out["problems"] = list(exc.problems)
    if out["result"] is not None:
        out["plan"], out["next_steps"] = plan_next_steps(slug, {**inputs, **parsed}, out["result"])
    return out


def plan_next_steps(slug: str, inputs: dict[str, Any], result: Any) -> tuple[Any, tuple[Any, ...]]:
    """The bone plan's next steps for this result: the same rules as a case (core.plan_next_steps)."""
    import datetime as dt

    from bonemet.core.plan_next_steps import FAMILIES, next_steps

    if slug not in FAMILIES:
        return None, ()
    grade = result.grade.id if result.grade is not None else None
    try:
        return next_steps(slug, inputs, default_kb(), dt.date.today(), grade)
    except ValueError:  # inputs the case model refuses (pydantic's ValidationError): no next steps
        return None, ()
