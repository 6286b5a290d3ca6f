"""SP- rules: the spine (stability, Tokuhashi/Tomita context, NOMS-style reading, vertebroplasty)."""

from __future__ import annotations

from bonemet.base.terms import SkeletalSite
from bonemet.base.text import Text
from bonemet.model.plan import NotProposed
from bonemet.model.score_inputs import BilskyGrade
from bonemet.model.trace import Fact

from .patient import SPINE
from .plan_lesions import LesionRecord, graded_on, last_course, pain_since
from .plan_registry import PlanContext, PlanOutput, joined, need, plan_rule

_HIGH_BILSKY = (BilskyGrade.g2, BilskyGrade.g3)


def _spinal(c: PlanContext) -> list[LesionRecord]:
    return [r for r in c.view.lesions if r.out.site in SPINE]


def _sins_band(r: LesionRecord) -> str | None:
    return r.sins.band.id if r.sins is not None else None


@plan_rule("SP-01")
def stability(c: PlanContext, out: PlanOutput) -> None:
    rule = out.rule("SP-01")
    for r in _spinal(c):
        s = r.sins
        if s is None or s.total is None or r.out.operated:
            continue  # operated: its stability was the surgeon's call; RT-04 follows
        for key in ("indeterminate", "unstable"):
            low, high = rule.param(f"sins_{key}")
            if low <= s.total <= high:
                out.propose("SP-01", key, lesions=(r.out.id,), surgical=True,
                            facts=(Fact(path=f"{s.subject}.sins", value=s.total),),
                            total=s.total, low=low, high=high)


@plan_rule("SP-02")
def tokuhashi(c: PlanContext, out: PlanOutput) -> None:
    t = c.view.tokuhashi
    if t is None or t.total is None or not _spinal(c):
        return
    rule = out.rule("SP-02")
    above, below = int(rule.param("tokuhashi_surgery_above")), int(rule.param("tokuhashi_unlikely_below"))
    key = "surgery" if t.total > above else "unlikely" if t.total < below else "between"
    out.propose("SP-02", key, lesions=tuple(r.out.id for r in _spinal(c)),
                facts=(Fact(path="score_inputs.tokuhashi", value=t.total),), total=t.total,
                tokuhashi_surgery_above=above, tokuhashi_unlikely_below=below)


@plan_rule("SP-03")
def tomita(c: PlanContext, out: PlanOutput) -> None:
    t = c.view.tomita
    if t is None or t.total is None or not _spinal(c):
        return
    out.propose("SP-03", "context", lesions=tuple(r.out.id for r in _spinal(c)),
                facts=(Fact(path="score_inputs.tomita", value=t.total),), total=t.total,
                band=t.band.label)


def _noms_reasons(c: PlanContext, r: LesionRecord) -> list[Text]:
    reasons: list[Text] = []
    if r.bilsky in _HIGH_BILSKY:
        assert r.bilsky is not None
        reasons.append(Text(en=f"high-grade epidural compression (Bilsky {r.bilsky.value})",
                            fr=f"compression épidurale de haut grade (Bilsky {r.bilsky.value})"))
    if _sins_band(r) == "unstable":
        assert r.sins is not None
        reasons.append(Text(en=f"mechanical instability (SINS {r.sins.total})",
                            fr=f"instabilité mécanique (SINS {r.sins.total})"))
    if c.view.picture.neurological_deficit:
        if r.out.operated:  # third clinical review, R02: the operation is said, and the question
            reasons.append(Text(en="a neurological deficit after the operation of this level (new "
                                   "or residual?)",
                                fr="un déficit neurologique après l'intervention sur ce niveau "
                                   "(nouveau ou résiduel ?)"))
        else:
            reasons.append(Text(en="a neurological deficit", fr="un déficit neurologique"))
    return reasons


@plan_rule("SP-04")
def noms(c: PlanContext, out: PlanOutput) -> None:
    short = out.rule("SX-04").param("short_life_expectancy")
    band = c.view.picture.life_expectancy
    for r in _spinal(c):
        if r.out.operated and not c.view.picture.neurological_deficit:
            continue  # operated already: post-operative radiotherapy (RT-04) is the next step
        reasons = _noms_reasons(c, r)
        facts = tuple(e for axis in (r.out.neurological, r.out.fracture) for e in axis.evidence)
        if reasons:
            text = joined(reasons, " and ", " et ")
            text = Text(en=text.en[0].upper() + text.en[1:], fr=text.fr[0].upper() + text.fr[1:])
            if band is not None and band.value in short:
                out.propose("SP-04", "systemic_precludes", lesions=(r.out.id,), facts=facts,
                            kind="radiotherapy", reasons=text)
            else:
                out.propose("SP-04", "surgery_then_rt", lesions=(r.out.id,), surgical=True,
                            facts=facts, reasons=text)
        elif r.bilsky is not None and r.bilsky is not BilskyGrade.g0 and _sins_band(r) != "unstable":
            last = last_course(c.v, r)
            if last is not None and r.bilsky_path is not None and \
                    graded_on(c.v, r.bilsky_path) <= last:
                continue  # irradiated since that MRI: "RT first" is history (fifth review, E7)
            out.propose("SP-04", "rt_alone", lesions=(r.out.id,), kind="radiotherapy", facts=facts,
                        grade=r.bilsky.value)


# The SINS items SP-05 reads, in words (the values of model/score_inputs.py SinsPain, SinsCollapse).
_PAIN = {"mechanical": Text(en="mechanical", fr="mécanique"),
         "occasional": Text(en="occasional, not mechanical", fr="occasionnelle, non mécanique"),
         "none": Text(en="none", fr="aucune")}
_COLLAPSE = {"gt-50": Text(en="over 50 %", fr="plus de 50 %"),
             "lt-50": Text(en="under 50 %", fr="moins de 50 %"),
             "no-collapse-gt-50-involved": Text(en="no collapse, over half the body involved",
                                                fr="pas de tassement, plus de la moitié du corps atteinte"),
             "none": Text(en="none", fr="aucun")}
_NOT_RECORDED = Text(en="not recorded", fr="non noté")


def _considered(c: PlanContext, r: LesionRecord) -> bool:
    """The setting of vertebroplasty: a painful vertebral lesion, SINS computed and not unstable,
    without cord compression, deficit or epidural disease (review 23, F9)."""
    if r.out.pain.level != "high" or r.sins is None or _sins_band(r) == "unstable" or \
            r.out.operated:  # operated level: post-operative radiotherapy (RT-04) is the next step
        return False
    return not (r.bilsky in _HIGH_BILSKY or c.view.picture.neurological_deficit
                or "epidural_extension" in r.out.complications)


def vertebroplasty_criteria(c: PlanContext, r: LesionRecord) -> list[Text]:
    """The criteria met (second clinical review of issue 23, N4): NICE's mechanical pain (SINS pain
    item) or vertebral body collapse (SINS collapse item), or the French reviews' pain persisting
    after analgesic radiotherapy of the site (the lesion irradiated). None met: not proposed."""
    rule = c.plan.rule("SP-05")
    assert r.sins is not None
    found: list[Text] = []
    if r.sins.inputs.get("pain") == "mechanical":
        found.append(rule.message("criterion_mechanical"))
    collapse = r.sins.inputs.get("collapse")
    if collapse in ("gt-50", "lt-50"):
        found.append(rule.message("criterion_collapse", collapse=_COLLAPSE[collapse]))
    last = last_course(c.v, r)
    if r.out.irradiated and last is not None and pain_since(c.v, r, last) and (
            c.v.as_of is None or (c.v.as_of - last).days
            >= int(c.plan.rule("RT-06").param("min_interval_days"))):
        # Pain after analgesic RT counts only when recorded since the course and PL-30's month
        # after it: three weeks is too early to call RT a failure (fifth clinical review, E4).
        found.append(rule.message("criterion_after_rt"))
    return found


def vertebroplasty_not_proposed(c: PlanContext) -> list[NotProposed]:
    """SP-05 considered (painful vertebral lesion in its setting) and not proposed, with why: the
    sacrum (sacroplasty is not covered by the sources encoded), or no criterion recorded."""
    out: list[NotProposed] = []
    rule = c.plan.rule("SP-05")
    for r in _spinal(c):
        if not _considered(c, r):
            continue
        assert r.sins is not None
        if r.out.site is SkeletalSite.sacrum:
            reason = c.plan.declined("SP-05", "sacrum")
        elif not vertebroplasty_criteria(c, r):
            pain, collapse = r.sins.inputs.get("pain"), r.sins.inputs.get("collapse")
            reason = c.plan.declined("SP-05", "no_criterion",
                                     pain=_PAIN.get(pain or "", _NOT_RECORDED),
                                     collapse=_COLLAPSE.get(collapse or "", _NOT_RECORDED))
        else:
            continue
        out.append(NotProposed(rule_id="SP-05", title=rule.title, reason=reason,
                               lesions=(r.out.id,),
                               facts=(Fact(path=f"{r.sins.subject}.sins", value=r.sins.total),)))
    return out


@plan_rule("SP-05")
def vertebroplasty(c: PlanContext, out: PlanOutput) -> None:
    """NICE CG75/IPG12 and the French reviews (outside the référentiel): a painful vertebral lesion
    without cord compression or instability, with one of the criteria met, said in the text. Not
    on the sacrum: sacroplasty is not what the sources encoded cover (vertebral bodies)."""
    for r in _spinal(c):
        if not _considered(c, r) or r.out.site is SkeletalSite.sacrum:
            continue
        criteria = vertebroplasty_criteria(c, r)
        if not criteria:
            continue  # said in the plan's "considered, not proposed" (vertebroplasty_not_proposed)
        assert r.sins is not None
        missing = () if r.bilsky is not None else (need(
            "SP-05", f"{r.out.paths[-1]}.bilsky",
            "Epidural compression is not excluded on MRI (no Bilsky grade recorded).",
            "Une compression épidurale n'est pas exclue à l'IRM (pas de grade de Bilsky noté)."),)
        message = "painful_stable" if _sins_band(r) == "stable" else "painful_indeterminate"
        out.propose("SP-05", message, lesions=(r.out.id,), missing=missing, total=r.sins.total,
                    criterion=joined(criteria, " and ", " et "),
                    facts=(Fact(path=f"{r.sins.subject}.sins", value=r.sins.total),))
