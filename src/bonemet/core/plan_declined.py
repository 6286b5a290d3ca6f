"""Considered, not proposed (second clinical review of issue 23, N5): why a rule said nothing.

An empty plan table left the board guessing (B08: oligometastatic but a 6 cm lesion; B11: ECOG 3).
This module names, from the knowledge data (plan.yaml `not_proposed`, filled from the rules'
params), the reasons of:

- RT-05 (ablative SBRT) when the patient has bone lesions and RT-05 did not propose: the same
  gates as core/plan_radiotherapy.py oligometastatic() and _oligo_excluded(), read from the same
  params (RT-05 for the definition, RT-03 for a frail patient or a short life expectancy), every
  reason that applies, not only the first (a property test keeps the two in step: a reason
  exactly when RT-05 is not proposed);
- surgical proposals withdrawn by a short life expectancy (core/plan.py) that SX-04's "no
  surgery" line does not already name;
- SP-05 (vertebroplasty) considered on a painful vertebral lesion and not proposed (sacrum, or no
  criterion recorded): core/plan_spine.py.
"""

from __future__ import annotations

from bonemet.base.text import Text
from bonemet.model import labels
from bonemet.model.plan import NotProposed, Proposal
from bonemet.model.trace import Fact

from .context import bone_metastases_known
from .plan_bone_agents import bone_metastases_known_in
from .plan_cord import cord_pathway
from .plan_lesions import LIFE_EXPECTANCY, last_course, pain_since
from .plan_registry import PlanContext, joined
from .plan_spine import vertebroplasty_not_proposed


def _sbrt_reasons(c: PlanContext) -> list[Text]:
    """Every reason the oligometastatic definition fails, is ruled out or is not yet known."""
    plan = c.plan
    rule, short = plan.rule("RT-05"), plan.rule("RT-03")
    max_sites, max_mets = int(rule.param("max_sites")), int(rule.param("max_metastases"))
    max_size = float(rule.param("max_size_cm"))
    lesions = c.view.lesions

    def say(key: str, **values: object) -> Text:
        return plan.declined("RT-05", key, **values)

    reasons: list[Text] = []
    if not bone_metastases_known(c.v.case, c.v.exams, c.v.as_of):
        reasons.append(say("not_established"))
    sites = len({r.out.site for r in lesions})
    if len(lesions) > max_mets:
        reasons.append(say("too_many_lesions", count=len(lesions), max_metastases=max_mets))
    if sites > max_sites:
        reasons.append(say("too_many_sites", count=sites, max_sites=max_sites))
    p = c.view.picture
    if p.ecog is not None and p.ecog >= int(short.param("frail_ecog_min")):
        reasons.append(say("frail", ecog=p.ecog, frail_ecog_min=short.param("frail_ecog_min")))
    if p.life_expectancy is not None and p.life_expectancy.value in short.param("short_life_expectancy"):
        reasons.append(say("short_life", band=LIFE_EXPECTANCY[p.life_expectancy]))
    if cord_pathway(c):
        reasons.append(say("cord"))
    for r in lesions:
        if r.out.neurological.level == "high":
            reasons.append(say("neuro", lesion=r.out.label))
        if r.out.operated:
            reasons.append(say("operated", lesion=r.out.label))
        if r.out.fracture.level == "high":
            reasons.append(say("fracture", lesion=r.out.label))
        if r.sins is not None and r.sins.band.id == "unstable":
            reasons.append(say("unstable", lesion=r.out.label, total=r.sins.total))
    s = c.v.case.score_inputs
    if s is not None and (
            (s.tokuhashi is not None and s.tokuhashi.internal_organ_metastases is not None
             and s.tokuhashi.internal_organ_metastases.value == "unremovable")
            or (s.tomita is not None and s.tomita.visceral_metastases is not None
                and s.tomita.visceral_metastases.value == "untreatable")):
        reasons.append(say("visceral"))
    inputs = c.v.case.plan_inputs
    controlled = inputs.primary_controlled if inputs else None
    extra_sites = inputs.extra_osseous_sites if inputs else None
    extra_mets = inputs.extra_osseous_metastases if inputs else None
    if controlled is False:
        reasons.append(say("primary"))
    for r in lesions:
        if r.size_cm is not None and r.size_cm >= max_size:
            reasons.append(say("size", lesion=r.out.label, size=f"{r.size_cm:g}",
                               max_size_cm=rule.param("max_size_cm")))
    if extra_sites is not None and sites + extra_sites > max_sites:
        reasons.append(say("extra_sites", count=sites + extra_sites, max_sites=max_sites))
    if extra_mets is not None and len(lesions) + extra_mets > max_mets:
        reasons.append(say("extra_mets", count=len(lesions) + extra_mets, max_metastases=max_mets))
    unknown = [say("size_unknown", lesion=r.out.label) for r in lesions if r.size_cm is None]
    unknown += [say(key) for key, value in (("primary_unknown", controlled),
                                            ("extra_sites_unknown", extra_sites),
                                            ("extra_mets_unknown", extra_mets)) if value is None]
    if unknown and reasons:  # with nothing against it, RT-05's own missing data asks for them
        reasons.append(say("not_recorded", what=joined(unknown)))
    return reasons


def sbrt_not_proposed(c: PlanContext, proposals: list[Proposal]) -> NotProposed | None:
    """RT-05 considered (bone lesions in a lung-cancer patient) and not proposed: why."""
    if not c.in_scope or not c.view.lesions or any(p.rule_id == "RT-05" for p in proposals):
        return None
    # Only where ablative intent is a question the board asks: established bone metastases within
    # the definition's counts. Staging before metastases are proven, or widespread disease, would
    # get a line on every case (noise that hides the lines that matter).
    rule = c.plan.rule("RT-05")
    if not bone_metastases_known(c.v.case, c.v.exams, c.v.as_of) or \
            len(c.view.lesions) > int(rule.param("max_metastases")) or \
            len({r.out.site for r in c.view.lesions}) > int(rule.param("max_sites")):
        return None
    reasons = _sbrt_reasons(c)
    if not reasons:
        return None
    return NotProposed(rule_id="RT-05", title=rule.title,
                       reason=c.plan.declined("RT-05", "intro", reasons=joined(reasons, "; ", " ; ")),
                       lesions=tuple(r.out.id for r in c.view.lesions))


def surgery_withdrawn(c: PlanContext, withdrawn: list[Proposal],
                      proposals: list[Proposal]) -> list[NotProposed]:
    """Surgical proposals withdrawn by a short life expectancy, one item per rule, unless SX-04's
    "no surgery" line already names their lesions."""
    said = {x for p in proposals if p.rule_id == "SX-04" for x in p.lesions}
    by_rule: dict[str, list[Proposal]] = {}
    for p in withdrawn:
        if p.rule_id == "SX-04" or (p.lesions and set(p.lesions) <= said):
            continue
        by_rule.setdefault(p.rule_id, []).append(p)
    sx04 = c.plan.rule("SX-04")
    band = c.view.picture.life_expectancy
    facts = (Fact(path="plan_inputs.life_expectancy", value=band.value),) if band else ()
    return [NotProposed(rule_id=rule_id, title=c.plan.rule(rule_id).title,
                        reason=c.plan.declined("SX-04", "withdrawn",
                                               short_weeks=sx04.param("short_weeks")),
                        lesions=tuple(dict.fromkeys(x for p in ps for x in p.lesions)), facts=facts)
            for rule_id, ps in by_rule.items()]


def reirradiation_too_soon(c: PlanContext, proposals: list[Proposal]) -> list[NotProposed]:
    """RT-06 withheld because the pain comes within PL-30's interval after the last course: said
    (fifth clinical review, E4), the same test as core/plan_radiotherapy.py reirradiation()."""
    if c.v.as_of is None:
        return []
    bound = int(c.plan.rule("RT-06").param("min_interval_days"))
    out: list[NotProposed] = []
    for r in c.view.lesions:
        last = last_course(c.v, r)
        if not r.out.irradiated or r.out.pain.level != "high" or last is None or \
                not pain_since(c.v, r, last) or any(
                    p.rule_id in ("RT-04", "RT-06") and r.out.id in p.lesions for p in proposals):
            continue
        days = (c.v.as_of - last).days
        if days < bound:
            out.append(NotProposed(
                rule_id="RT-06", title=c.plan.rule("RT-06").title, lesions=(r.out.id,),
                reason=c.plan.declined("RT-06", "too_soon", day=labels.day(last), days=days,
                                       min_interval_days=bound)))
    return out


def antiresorptive_not_proposed(c: PlanContext, proposals: list[Proposal]) -> NotProposed | None:
    """BT-01 considered and not proposed (review 24 m6, review 24b m-a): bone lesions still to
    characterise, or an osteonecrosis of the jaw; running courses are said by BT-05 itself."""
    if any(p.rule_id in ("BT-01", "BT-05") for p in proposals) or not c.view.lesions:
        return None
    rule = c.plan.rule("BT-01")
    if not bone_metastases_known_in(c.v):
        key = "not_established"
    elif c.v.case.plan_inputs is not None and c.v.case.plan_inputs.osteonecrosis_jaw:
        key = "onj"
    else:
        return None
    return NotProposed(rule_id="BT-01", title=rule.title, reason=c.plan.declined("BT-01", key),
                       lesions=tuple(r.out.id for r in c.view.lesions))


def not_proposed(c: PlanContext, proposals: list[Proposal],
                 withdrawn: list[Proposal]) -> tuple[NotProposed, ...]:
    items: list[NotProposed] = []
    if c.in_scope:
        bone = antiresorptive_not_proposed(c, proposals)
        if bone is not None:
            items.append(bone)
        items += vertebroplasty_not_proposed(c)
        items += reirradiation_too_soon(c, proposals)
        sbrt = sbrt_not_proposed(c, proposals)
        if sbrt is not None:
            items.append(sbrt)
    items += surgery_withdrawn(c, withdrawn, proposals)
    return _grouped(items)


def _grouped(items: list[NotProposed]) -> tuple[NotProposed, ...]:
    """The same reason for several levels is one item naming them (as the checks, N9)."""
    merged: dict[tuple[str, str, str], NotProposed] = {}
    for d in items:
        key = (d.rule_id, d.reason.en, d.reason.fr)
        first = merged.get(key)
        merged[key] = d if first is None else first.model_copy(update={
            "lesions": tuple(dict.fromkeys((*first.lesions, *d.lesions))),
            "facts": tuple(dict.fromkeys((*first.facts, *d.facts)))})
    return tuple(merged.values())
