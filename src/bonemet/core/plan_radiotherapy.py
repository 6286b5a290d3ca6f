"""RT- rules: radiotherapy (schedules by complication, post-operative, SBRT, re-irradiation, drugs).

The fracture-risk / stability check that must precede radiotherapy (RT-08) is attached by
core/plan.py to every radiotherapy proposal, whichever rule made it, so that it cannot be forgotten.
"""

from __future__ import annotations

import datetime as dt

from bonemet.base.text import Text
from bonemet.model import labels
from bonemet.model.case import TreatmentType
from bonemet.model.labels import day as _day
from bonemet.model.trace import Fact

from .context import bone_metastases_known
from .patient import SPINE
from .plan_lesions import LesionRecord
from .plan_registry import PlanContext, PlanOutput, joined, need, plan_rule

_COMPLICATION = {
    "pathological_fracture": Text(en="pathological fracture", fr="fracture pathologique"),
    "epidural_extension": Text(en="epidural extension", fr="épidurite"),
    "soft_tissue_extension": Text(en="soft-tissue extension", fr="extension aux parties molles"),
    "neuropathic_pain": Text(en="neuropathic pain", fr="douleur neuropathique"),
    "operated": Text(en="operated site", fr="site opéré"),
}


def complications(c: PlanContext, r: LesionRecord) -> tuple[list[Text], bool | None]:
    """The reasons a lesion is complicated (PL-31) and whether it is: True, False or None (unknown)."""
    over = int(c.plan.rule("RT-02").param("vertebrae_over"))
    reasons = [_COMPLICATION[k] for k in r.out.complications]
    if r.out.long_bone and r.out.fracture.level == "high" and "pathological_fracture" not in \
            r.out.complications:
        reasons.append(Text(en=f"high fracture risk ({r.out.fracture.summary.en})",
                            fr=f"risque fracturaire élevé ({r.out.fracture.summary.fr})"))
    if r.out.site in SPINE and c.view.spinal_levels > over:
        reasons.append(Text(en=f"{c.view.spinal_levels} spinal lesions (more than {over})",
                            fr=f"{c.view.spinal_levels} lésions rachidiennes (plus de {over})"))
    if reasons:
        return reasons, True
    return reasons, r.out.complicated


# RT-02 is emitted here too: one schedule decision per lesion (core/plan.py EMITTED_BY).
@plan_rule("RT-01")
def painful(c: PlanContext, out: PlanOutput) -> None:
    """RT-01 (uncomplicated: 8 Gy x 1) or RT-02 (complicated: 30 Gy / 10) for each painful lesion."""
    r1, r2 = out.rule("RT-01"), out.rule("RT-02")
    for r in c.view.lesions:
        if r.out.pain.level != "high" or r.out.operated:
            continue  # an operated site gets RT-04 (post-operative)
        reasons, complicated = complications(c, r)
        facts = r.out.pain.evidence
        if complicated:
            out.propose("RT-02", "complicated", lesions=(r.out.id,), facts=facts,
                        reasons=joined(reasons), dose_gy=r2.param("dose_gy"),
                        fractions=r2.param("fractions"))
        elif complicated is False:
            low, high = r1.param("steroid_hours")
            out.propose("RT-01", "single", lesions=(r.out.id,), facts=facts,
                        dose_gy=r1.param("dose_gy"), fractions=r1.param("fractions"),
                        steroid_low=low, steroid_high=high)
        else:
            unknown = r.latest.complications.not_recorded() if r.latest.complications else (
                "pathological_fracture", "epidural_extension", "soft_tissue_extension",
                "neuropathic_pain")
            out.propose("RT-01", "complications_unknown", lesions=(r.out.id,), facts=facts,
                        missing=tuple(need("RT-01", f"{r.out.paths[-1]}.complications.{name}",
                                           f"Whether the lesion has {_COMPLICATION[name].en} is "
                                           "not recorded (it decides the schedule).",
                                           f"La présence d'une {_COMPLICATION[name].fr} n'est pas "
                                           "notée (elle décide du schéma).")
                                      for name in unknown))


def _short_reasons(c: PlanContext) -> list[Text]:
    rule = c.plan.rule("RT-03")
    p = c.view.picture
    reasons: list[Text] = []
    if p.ecog is not None and p.ecog >= int(rule.param("frail_ecog_min")):
        reasons.append(Text(en=f"Performance status ECOG {p.ecog}", fr=f"État général ECOG {p.ecog}"))
    if p.life_expectancy is not None and p.life_expectancy.value in rule.param("short_life_expectancy"):
        reasons.append(Text(en="short life expectancy as estimated", fr="espérance de vie estimée courte"))
    return reasons


@plan_rule("RT-03")
def frail(c: PlanContext, out: PlanOutput) -> None:
    rule = out.rule("RT-03")
    lesions = tuple(dict.fromkeys(x for p in out.proposals if p.kind == "radiotherapy"
                                  for x in p.lesions))
    reasons = _short_reasons(c)
    if not lesions or not reasons:
        return
    text = joined(reasons, "; ", " ; ")
    out.propose("RT-03", "short", lesions=lesions, reasons=text, dose_gy=rule.param("dose_gy"),
                fractions=rule.param("fractions"),
                facts=tuple(f for f in c.view.picture.evidence
                            if f.path.endswith(("ecog", "life_expectancy"))))


@plan_rule("RT-04")
def postoperative(c: PlanContext, out: PlanOutput) -> None:
    low, high = out.rule("RT-04").param("days_after_surgery")
    treatments = c.v.case.treatments
    for i, t in enumerate(treatments):
        if t.type is not TreatmentType.surgery or t.site is None:
            continue
        if c.v.as_of is not None and t.start is not None and t.start > c.v.as_of:
            continue
        lesions = tuple(r.out.id for r in c.view.lesions if r.out.site is t.site)
        site = labels.SITE[t.site]
        facts = (Fact(path=f"treatments[{i}].site", value=t.site.value),
                 Fact(path=f"treatments[{i}].start", value=t.start.isoformat() if t.start else None))
        if t.start is None:
            out.propose("RT-04", "postop_undated", lesions=lesions, facts=facts, site=site, low=low,
                        high=high, missing=(need("RT-04", f"treatments[{i}].start",
                                                 "Date of the operation.", "Date de l'intervention."),))
            continue
        start = t.start
        done = any(x.type is TreatmentType.radiotherapy and x.site is t.site and x.start is not None
                   and x.start >= start for x in treatments)
        if done:
            continue  # radiotherapy of the operated site is recorded since: nothing to propose
        out.propose("RT-04", "postop", lesions=lesions, facts=facts, site=site, low=low, high=high,
                    date=_day(start), start=_day(start + dt.timedelta(days=low)),
                    end=_day(start + dt.timedelta(days=high)))


@plan_rule("RT-05")
def oligometastatic(c: PlanContext, out: PlanOutput) -> None:
    """Bone lesions within the chapter's oligometastatic counts: SBRT to be validated at the board.
    What the case cannot say (sizes, primary controlled, other organs) is named as missing."""
    rule = out.rule("RT-05")
    lesions = c.view.lesions
    if not bone_metastases_known(c.v.case, c.v.exams, c.v.as_of):
        return  # ablative intent is for established metastases, not a lesion still to characterise
    sites = {r.out.site for r in lesions}
    if not lesions or len(lesions) > int(rule.param("max_metastases")) or \
            len(sites) > int(rule.param("max_sites")):
        return
    if any(r.out.neurological.level == "high" for r in lesions):
        return  # neurological signs: not the stereotactic setting (PL-28); CC- rules lead
    missing = tuple(need("RT-05", path, en, fr) for path, en, fr in (
        ("lesions[].size_cm", f"Size of each metastasis (each under {rule.param('max_size_cm')} cm).",
         f"Taille de chaque métastase (moins de {rule.param('max_size_cm')} cm chacune)."),
        ("cancer.primary_controlled", "Whether the primary is controlled.",
         "Si le primitif est contrôlé."),
        ("response_outside_bone", "Metastatic sites outside bone (1 to 3 sites in all).",
         "Sites métastatiques hors de l'os (1 à 3 sites en tout)."),
    ))
    out.propose("RT-05", "oligo", lesions=tuple(r.out.id for r in lesions), missing=missing,
                count=len(lesions), max_sites=rule.param("max_sites"),
                max_metastases=rule.param("max_metastases"), max_size_cm=rule.param("max_size_cm"))


@plan_rule("RT-06")
def reirradiation(c: PlanContext, out: PlanOutput) -> None:
    for r in c.view.lesions:
        if not r.out.irradiated or r.out.pain.level != "high":
            continue
        doses = [c.v.case.treatments[int(p[11:-1])] for p in r.radiotherapy_paths]
        given = [t for t in doses if t.dose_gy is not None]
        if given:
            t = given[-1]
            frac = f"/{t.fractions}" if t.fractions else ""
            dose = f"{t.dose_gy:g} Gy{frac}"
            out.propose("RT-06", "reirradiation", lesions=(r.out.id,), dose=dose,
                        facts=(Fact(path=f"{r.radiotherapy_paths[-1]}.dose_gy", value=t.dose_gy),))
            continue
        where = r.radiotherapy_paths[-1] if r.radiotherapy_paths else r.out.paths[-1]
        out.propose("RT-06", "reirradiation_undosed", lesions=(r.out.id,), missing=(need(
            "RT-06", f"{where}.dose_gy", "Dose and fractions already given to this site.",
            "Dose et fractions déjà reçues par ce site."),))


@plan_rule("RT-07")
def systemic_during_rt(c: PlanContext, out: PlanOutput) -> None:
    if not any(p.kind in ("radiotherapy", "sbrt") for p in out.proposals) or c.v.current_line is None:
        return
    rule = out.rule("RT-07")
    _, line = c.v.current_line
    agents = [a.strip().lower() for a in line.agents]
    index = c.v.case.treatments.index(line)
    facts = tuple(Fact(path=f"treatments[{index}].agents[{k}]", value=a) for k, a in enumerate(agents))
    pause = [a for a in agents if a in rule.param("pause")]
    allowed = [a for a in agents if a in rule.param("allowed")]
    if pause:
        out.propose("RT-07", "pause", agents=", ".join(pause), facts=facts)
    if allowed:
        out.propose("RT-07", "allowed", agents=", ".join(allowed), facts=facts)
    if line.type.value in rule.param("little_data_types"):
        out.propose("RT-07", "little_data", line=labels.treatment(line), facts=facts)
    elif not pause and not allowed:
        out.propose("RT-07", "unlisted", line=labels.treatment(line), facts=facts)
