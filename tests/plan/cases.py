"""Case builders for the bone-plan tests (written from the sources before reading the rules)."""

from __future__ import annotations

from typing import Any

from tests.factories import assess_doc, case_doc

from bonemet.model import Assessment
from bonemet.model.plan import BonePlan


def lesion(site: str, **fields: Any) -> dict[str, Any]:
    return {"site": site, **fields}


def plan_case(*lesions: dict[str, Any], context: dict[str, Any] | None = None,
              plan_inputs: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    exams = [{"id": "ct1", "date": "2025-05-20", "modality": "ct", "purpose": "characterisation",
              "result": "positive", "lesions": list(lesions)}] if lesions else []
    doc = case_doc("on_treatment", exams=exams, **overrides)
    if context:
        doc["context"] = {**doc["context"], **context}
    if plan_inputs is not None:
        doc["plan_inputs"] = plan_inputs
    return doc


def plan_of(doc: dict[str, Any]) -> BonePlan:
    a: Assessment = assess_doc(doc)
    assert a.plan is not None
    return a.plan


def rules(plan: BonePlan) -> list[str]:
    return [p.rule_id for p in plan.proposals]


def femur(total_site: str = "lower-limb", pain: str = "functional", kind: str = "lytic",
          size: str = "lt-1/3", complications: dict[str, bool] | None = None,
          **lysis: float) -> dict[str, Any]:
    extra = {"complications": complications} if complications else {}
    return lesion("femur_shaft", side="left", **extra,
                  mirels={"site": total_site, "pain": pain, "lesion": kind, "size": size, **lysis})


NO_COMPLICATION = {"pathological_fracture": False, "epidural_extension": False,
                   "soft_tissue_extension": False, "neuropathic_pain": False}
