"""The bone plan's next steps after a calculator (issue 23): the same plan rules, never a copy.

A calculator (Mirels, SINS, Harrington, revised Tokuhashi, Bilsky, Frankel, ASIA) answers with a
score; the next steps are what the plan's rules propose for a minimal case holding only that
score's inputs, on one lesion at the site the score applies to, in a confirmed lung primary. No
threshold is read here: the case goes through `assess` and its `plan` like any other case, and
only the rules of the score's family are kept (a single lesion would otherwise also read as
"oligometastatic" or "complications not recorded", which says nothing about the score).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bonemet.core.advisor import assess
from bonemet.kb import KnowledgeBase
from bonemet.model import Case
from bonemet.model.plan import BonePlan, Proposal

# score -> (rule-id prefixes shown, where its inputs go: lesion block / patient score inputs)
FAMILIES: dict[str, tuple[str, ...]] = {
    "mirels": ("SX-",), "harrington": ("SX-",), "sins": ("SP-", "CC-"),
    "tokuhashi": ("SP-", "CC-"), "bilsky": ("CC-", "SP-"), "frankel": ("CC-",), "asia": ("CC-",),
}
# The lesion each score is about; Mirels' "site" input picks the bone.
_MIRELS_BONE = {"upper-limb": "humerus", "lower-limb": "femur_shaft",
                "peritrochanteric": "femur_proximal"}
_SINS_LEVEL = {"junctional": ("thoracic_spine", "T12"), "mobile": ("lumbar_spine", "L3"),
               "semi-rigid": ("thoracic_spine", "T6"), "rigid": ("sacrum", None)}


def _given(inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in inputs.items() if v not in (None, "")}


def _lesion(score: str, inputs: dict[str, Any], grade: str | None) -> dict[str, Any] | None:
    if score == "mirels":
        bone = _MIRELS_BONE.get(str(inputs.get("site") or "lower-limb"), "femur_shaft")
        side = {} if bone == "humerus" else {"side": "left"}
        return {"site": bone, **side, "mirels": inputs}
    if score == "sins":
        site, level = _SINS_LEVEL.get(str(inputs.get("location") or "mobile"), ("lumbar_spine", "L3"))
        return {"site": site, **({"level": level} if level else {}), "sins": inputs}
    if score == "harrington":
        return {"site": "acetabulum", "side": "right",
                "harrington": {"classification": grade} if grade else inputs}
    if score == "bilsky":
        return {"site": "thoracic_spine", "level": "T8", "bilsky": grade}
    if score in ("tokuhashi", "frankel", "asia"):
        return {"site": "thoracic_spine", "level": "T8"}
    return None


def minimal_case(score: str, inputs: dict[str, Any], as_of: dt.date,
                 grade: str | None = None) -> Case | None:
    """The smallest case that carries one calculator's inputs (None for a score the plan does not
    read). `grade`: the grade the calculator found (Bilsky, Frankel, ASIA, Harrington class), so
    that a grade computed from findings reaches the plan as the calculator shows it. Raises
    pydantic's ValidationError on inputs the case model refuses."""
    inputs = _given(inputs)
    lesion = _lesion(score, inputs, grade)
    if lesion is None:
        return None
    doc: dict[str, Any] = {
        "schema_version": "1.0", "case_id": f"calculator-{score}",
        "cancer": {"primary_site": "lung", "histology": "adenocarcinoma",
                   "bone_metastases_known": True},
        "context": {"phase": "on_treatment", "as_of": as_of.isoformat()},
        "exams": [{"id": "calculator", "date": as_of.isoformat(), "modality": "ct",
                   "purpose": "characterisation", "result": "positive", "lesions": [lesion]}],
    }
    if score == "tokuhashi":
        frankel = inputs.pop("frankel", None)
        doc["score_inputs"] = {"tokuhashi": inputs, **({"frankel": frankel} if frankel else {})}
    elif score in ("frankel", "asia") and grade:
        doc["score_inputs"] = {score: grade}
    return Case.model_validate(doc)


def next_steps(score: str, inputs: dict[str, Any], kb: KnowledgeBase, as_of: dt.date,
               grade: str | None = None) -> tuple[BonePlan | None, tuple[Proposal, ...]]:
    """The plan of the minimal case and its proposals of the score's family, in the plan's order."""
    case = minimal_case(score, inputs, as_of, grade)
    if case is None or kb.plan is None:
        return None, ()
    plan = assess(case, kb).plan
    if plan is None:
        return None, ()
    prefixes = FAMILIES[score]
    return plan, tuple(p for p in plan.proposals if p.rule_id.startswith(prefixes))
