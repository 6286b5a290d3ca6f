"""SX- rules: surgery of long bones and pelvis (AURA limb-surgery and radiotherapy pages)."""

from __future__ import annotations

from typing import Any

from bonemet.base.text import Text
from bonemet.model.trace import Fact

from .plan_lesions import LIFE_EXPECTANCY, LesionRecord
from .plan_registry import PlanContext, PlanOutput, need, plan_rule

_MET = Text(en="are met", fr="sont remplis")
_NOT_MET = Text(en="are not met", fr="ne sont pas remplis")
_NOT_MEASURED = Text(en="are not measured on CT", fr="ne sont pas mesurés au scanner")


def _fractured(r: LesionRecord) -> bool:
    """An established pathological fracture (on any record of the lesion): the impending-fracture
    rules (Mirels, CT lysis, prophylactic fixation) no longer apply; SX-06 covers it (review 23b N3)."""
    return "pathological_fracture" in r.out.complications


def _lysis_state(axial: float | None, circ: float | None, a_min: float, c_min: float) -> Text:
    if axial is None or circ is None:
        return _NOT_MEASURED
    return _MET if axial > a_min and circ > c_min else _NOT_MET


@plan_rule("SX-01")
def consolidation_before_rt(c: PlanContext, out: PlanOutput) -> None:
    """Mirels >= 9 (+ CT lysis criteria): orthopaedic opinion on consolidation before RT (PL-03)."""
    rule = out.rule("SX-01")
    high = int(rule.param("mirels_high"))
    a_min = float(rule.param("axial_lysis_percent"))
    c_min = float(rule.param("circumferential_lysis_percent"))
    for r in c.view.lesions:
        m = r.mirels
        if m is None and r.mirels_floor is not None and not r.out.operated and not _fractured(r):
            # An item missing, but the lowest total is already high (fifth clinical review, E3).
            band = c.view.picture.life_expectancy
            out.propose("SX-01", "floor", lesions=(r.out.id,), surgical=True,
                        facts=r.out.fracture.evidence, floor=r.mirels_floor, mirels_high=high,
                        items=r.mirels_missing or Text(en="an item", fr="un item"),
                        life=rule.message("life", band=LIFE_EXPECTANCY[band]) if band else "")
            continue
        if m is None or m.total is None or m.total < high or r.out.operated or _fractured(r):
            continue  # operated: RT-04 (post-operative) follows; fractured: SX-06
        axial = m.measures.get("axial_lysis_percent")
        circ = m.measures.get("circumferential_lysis_percent")
        facts = (Fact(path=f"{m.subject}.mirels", value=m.total),
                 *(Fact(path=f"{m.subject}.mirels.{k}", value=val) for k, val in m.measures.items()))
        values: dict[str, Any] = {"total": m.total, "mirels_high": high, "axial_lysis_percent": rule.param(
            "axial_lysis_percent"), "circumferential_lysis_percent": rule.param(
            "circumferential_lysis_percent")}
        state = _lysis_state(axial, circ, a_min, c_min)
        # The surgical decision weighs life expectancy (PL-15, PL-16): the recorded band is named
        # (review 23b N12), a missing one asked for.
        band = c.view.picture.life_expectancy
        said: Text | str = rule.message("life", band=LIFE_EXPECTANCY[band]) if band is not None else ""
        values["life"] = said
        life = () if band is not None else (need(
            "SX-01", "plan_inputs.life_expectancy",
            "Life expectancy is not recorded: the surgical decision depends on it.",
            "L'espérance de vie n'est pas notée : la décision chirurgicale en dépend."),)
        if state is _MET:
            out.propose("SX-01", "criteria_met", lesions=(r.out.id,), surgical=True, facts=facts,
                        missing=life,
                        axial=f"{axial:g}", circumferential=f"{circ:g}", **values)
            continue
        missing = () if state is not _NOT_MEASURED else (need(
            "SX-01", f"{m.subject}.mirels.axial_lysis_percent",
            "Axial and circumferential cortical lysis on CT are not recorded (the chapter's criteria).",
            "Les lyses corticales axiale et circonférentielle au scanner ne sont pas notées (critères "
            "du chapitre)."),)
        out.propose("SX-01", "criteria_partial", lesions=(r.out.id,), surgical=True, facts=facts,
                    missing=(*missing, *life), lysis=state, **values)


@plan_rule("SX-02")
def borderline(c: PlanContext, out: PlanOutput) -> None:
    value = int(out.rule("SX-02").param("mirels_borderline"))
    for r in c.view.lesions:
        if r.mirels is not None and r.mirels.total == value and not r.out.operated and \
                not _fractured(r):
            out.propose("SX-02", "borderline", lesions=(r.out.id,), surgical=True,
                        facts=(Fact(path=f"{r.mirels.subject}.mirels", value=r.mirels.total),),
                        total=r.mirels.total, mirels_borderline=value)


@plan_rule("SX-03")
def low_risk(c: PlanContext, out: PlanOutput) -> None:
    top = int(out.rule("SX-03").param("mirels_low_max"))
    for r in c.view.lesions:
        m = r.mirels
        if m is not None and m.total is not None and m.total <= top and not r.out.operated and \
                "pathological_fracture" not in r.out.complications:
            out.propose("SX-03", "low", lesions=(r.out.id,),
                        facts=(Fact(path=f"{m.subject}.mirels", value=m.total),),
                        total=m.total, mirels_low_max=top)


@plan_rule("SX-05")
def acetabulum(c: PlanContext, out: PlanOutput) -> None:
    rule = out.rule("SX-05")
    for r in c.view.lesions:
        if r.out.site.value != "acetabulum" or r.out.operated:
            continue  # operated: reconstructed already, RT-04 (post-operative) follows
        h = r.harrington
        if h is None or h.grade is None:
            out.propose("SX-05", "class_missing", lesions=(r.out.id,), missing=(need(
                "SX-05", f"{r.out.paths[-1]}.harrington", "Harrington class or its findings.",
                "Classe de Harrington ou ses constatations."),))
            continue
        out.propose("SX-05", "by_class", lesions=(r.out.id,), surgical=True,
                    facts=(Fact(path=f"{h.subject}.harrington", value=h.grade.id),),
                    grade=h.grade.id, reconstruction=rule.reconstruction[h.grade.id])


@plan_rule("SX-06")
def fracture(c: PlanContext, out: PlanOutput) -> None:
    for r in c.view.lesions:
        # Once the bone is operated, RT-04 (post-operative radiotherapy) takes over: an "opinion
        # before radiotherapy" would contradict it (review 23b N2, case B15).
        if _fractured(r) and not r.out.operated and r.out.site.value not in (
                "cervical_spine", "thoracic_spine", "lumbar_spine", "sacrum"):
            out.propose("SX-06", "fracture", lesions=(r.out.id,), surgical=True,
                        facts=r.out.fracture.evidence)


@plan_rule("SX-04")
def life_expectancy(c: PlanContext, out: PlanOutput) -> None:
    """< 6 weeks: no surgery (the gate itself is structural, core/plan.py); > 1 year: resection."""
    rule = out.rule("SX-04")
    band = c.view.picture.life_expectancy
    if band is None:
        return
    facts = (Fact(path="plan_inputs.life_expectancy", value=band.value),)
    surgical = [p for p in out.proposals if p.surgical and p.rule_id.startswith("SX-")]
    lesions = tuple(dict.fromkeys(x for p in surgical for x in p.lesions))
    if band.value in rule.param("short_life_expectancy") and c.view.lesions:
        out.propose("SX-04", "no_surgery", lesions=lesions, facts=facts,
                    short_weeks=rule.param("short_weeks"))
    elif band.value in rule.param("long_life_expectancy") and lesions:
        out.propose("SX-04", "resection", lesions=lesions, surgical=True, facts=facts,
                    long_years=rule.param("long_years"))
