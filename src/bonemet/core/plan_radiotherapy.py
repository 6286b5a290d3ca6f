"""RT- rules: radiotherapy (schedules by complication, post-operative, SBRT, re-irradiation, drugs).

The fracture-risk / stability check that must precede radiotherapy (RT-08) is attached by
core/plan.py to every radiotherapy proposal, whichever rule made it, so that it cannot be forgotten.
"""

from __future__ import annotations

import datetime as dt

from bonemet.base.text import Text
from bonemet.kb.plan import PlanRule
from bonemet.model import labels
from bonemet.model.case import Treatment, TreatmentType
from bonemet.model.labels import day as _day
from bonemet.model.trace import Fact, MissingData

from .context import bone_metastases_known
from .patient import SPINE, treats
from .plan_cord import cord_pathway, short_reasons
from .plan_lesions import LesionRecord, courses, last_course, pain_since
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
    if (r.out.long_bone or r.out.weight_bearing) and r.out.fracture.level == "high" and \
            "pathological_fracture" not in r.out.complications:
        s = r.out.fracture.summary
        # A Mirels/SINS summary names its band ("Mirels 12: high risk"): said once, without a
        # second pair of parentheses (review 23b: "risque fracturaire élevé (Mirels 12 : ...)").
        reasons.append(s if r.mirels is not None or r.sins is not None else Text(
            en=f"high fracture risk, {s.en}", fr=f"risque fracturaire élevé, {s.fr}"))
    if r.out.site in SPINE and c.view.spinal_levels > over:
        reasons.append(Text(en=f"{c.view.spinal_levels} spinal lesions (more than {over})",
                            fr=f"{c.view.spinal_levels} lésions rachidiennes (plus de {over})"))
    if reasons:
        return reasons, True
    if (r.out.long_bone or r.out.weight_bearing) and r.out.fracture.level == "unknown" and \
            r.out.site not in SPINE:
        # A fracture risk that cannot be scored is not "uncomplicated": no single 8 Gy fraction on
        # a long or weight-bearing bone until it is (fourth clinical review, C03).
        return reasons, None
    return reasons, r.out.complicated


def _unknown(r: LesionRecord) -> tuple[MissingData, ...]:
    names = r.latest.complications.not_recorded() if r.latest.complications else tuple(
        k for k in _COMPLICATION if k != "operated")
    return tuple(need("RT-01", f"{r.out.paths[-1]}.complications.{name}",
                      f"Whether the lesion has {_COMPLICATION[name].en} is not recorded (it decides "
                      "the schedule).",
                      f"La présence d'une {_COMPLICATION[name].fr} n'est pas notée (elle décide du "
                      "schéma).") for name in names)


# RT-02, RT-03 and RT-09 are emitted here too: ONE schedule per painful lesion, with its reason
# (core/plan.py EMITTED_BY), so a frail patient never reads "30 Gy preferred" beside "20 Gy".
@plan_rule("RT-01")
def painful(c: PlanContext, out: PlanOutput) -> None:
    """One radiotherapy line per painful lesion: the cord-compression pathway's (none here) on the
    spine when it is open; else frail/short life expectancy (RT-03, or RT-01 8 Gy on an
    uncomplicated long/flat bone); else complicated (RT-02), uncomplicated spine (RT-09, 2021
    table), uncomplicated long/flat bone (RT-01 8 Gy), or complications unknown (RT-01, no dose)."""
    r1, r2, r3, r9 = (out.rule(x) for x in ("RT-01", "RT-02", "RT-03", "RT-09"))
    cord = cord_pathway(c)
    short = short_reasons(c)
    for r in c.view.lesions:
        if r.out.pain.level != "high" or r.out.operated or r.out.irradiated:
            continue  # an operated site gets RT-04 (post-operative), an irradiated one RT-06
        spine = r.out.site in SPINE
        if spine and cord:
            continue  # the cord-compression pathway (CC-02) carries the radiotherapy of the spine
        reasons, complicated = complications(c, r)
        facts = r.out.pain.evidence
        ids = (r.out.id,)
        if complicated is False and not spine:
            low, high = r1.param("steroid_hours")
            out.propose("RT-01", "single", lesions=ids, facts=facts,
                        dose_gy=r1.param("dose_gy"), fractions=r1.param("fractions"),
                        steroid_low=low, steroid_high=high)
        elif short:
            why = joined(short, "; ", " ; ")
            if complicated:
                why = Text(en=f"{why.en}; complicated lesion ({joined(reasons).en})",
                           fr=f"{why.fr} ; lésion compliquée ({joined(reasons).fr})")
            out.propose("RT-03", "short", lesions=ids, reasons=why, dose_gy=r3.param("dose_gy"),
                        fractions=r3.param("fractions"), long_dose=r2.param("dose_gy"),
                        long_fractions=r2.param("fractions"),
                        facts=(*facts, *(f for f in c.view.picture.evidence
                                         if f.path.endswith(("ecog", "life_expectancy")))),
                        missing=_unknown(r) if complicated is None else ())
        elif complicated:
            out.propose("RT-02", "complicated", lesions=ids, facts=facts,
                        reasons=joined(reasons), dose_gy=r2.param("dose_gy"),
                        fractions=r2.param("fractions"))
        elif complicated is False:
            dose, frac = r9.param("dose_gy"), r9.param("fractions")
            out.propose("RT-09", "spine", lesions=ids, facts=facts, dose_low=dose[0],
                        dose_high=dose[1], fractions_low=frac[0], fractions_high=frac[1],
                        single=r9.param("exceptional_single_gy"))
        else:
            out.propose("RT-01", "complications_unknown", lesions=ids, facts=facts,
                        missing=_unknown(r))


@plan_rule("RT-04")
def postoperative(c: PlanContext, out: PlanOutput) -> None:
    rule = out.rule("RT-04")
    low, high = rule.param("days_after_surgery")
    schedule = {"dose_a": rule.param("dose_gy")[0], "fractions_a": rule.param("fractions")[0],
                "dose_b": rule.param("dose_gy")[1], "fractions_b": rule.param("fractions")[1]}
    treatments = c.v.case.treatments
    for i, t in enumerate(treatments):
        if t.type is not TreatmentType.surgery or t.site is None:
            continue
        if c.v.as_of is not None and t.start is not None and t.start > c.v.as_of:
            continue
        # The lesions this operation treated (core/patient.py `treats`: level and side), never
        # every lesion of the site (third clinical review, R04/R06).
        path = f"treatments[{i}]"
        lesions = tuple(r.out.id for r in c.view.lesions if path in r.surgery_paths)
        site = labels.SITE[t.site]
        if t.side:
            side = labels.side_of(t.site, t.side)
            site = Text(en=f"{side.en} {site.en}", fr=f"{site.fr} {side.fr}")
        if t.level:
            site = Text(en=f"{site.en} {t.level}", fr=f"{site.fr} {t.level}")
        unmatched: tuple[MissingData, ...] = () if lesions or not c.view.lesions else (
            need("RT-04", f"{path}.level" if t.site in SPINE else f"{path}.side",
                 "The operation matches no recorded lesion: check its site, level or side.",
                 "L'intervention ne correspond à aucune lésion notée : vérifier son site, son "
                 "niveau ou son côté."),)
        facts = (Fact(path=f"treatments[{i}].site", value=t.site.value),
                 Fact(path=f"treatments[{i}].start", value=t.start.isoformat() if t.start else None))
        if t.start is None:
            out.propose("RT-04", "postop_undated", lesions=lesions, facts=facts, site=site, low=low,
                        high=high, **schedule, missing=(*unmatched, need(
                            "RT-04", f"treatments[{i}].start", "Date of the operation.",
                            "Date de l'intervention.")))
            continue
        start = t.start
        # Radiotherapy recorded since the operation: the same matching as surgery to lesions (level
        # across spinal segments, side), never the site alone (fourth clinical review, X6/X7).
        on_site = sum(1 for r in c.view.lesions if r.out.site is t.site)
        since = [(k, treats(x, t.site, t.level, t.side, on_site)) for k, x in enumerate(treatments)
                 if x.type is TreatmentType.radiotherapy and x.start is not None and x.start >= start]
        if any(m in ("yes", "assumed") for _, m in since):
            continue  # the operated level has been irradiated since: nothing to propose
        unmatched += tuple(need(
            "RT-04", f"treatments[{k}].level" if t.site in SPINE else f"treatments[{k}].side",
            "Radiotherapy is recorded on this site after the operation: whether it covered the "
            "operated level or side is not recorded.",
            "Une radiothérapie est notée sur ce site après l'intervention : qu'elle ait couvert le "
            "niveau ou le côté opéré n'est pas noté.") for k, m in since if m == "unclear")
        before = [x for r in c.view.lesions if path in r.surgery_paths for x in courses(c.v, r)
                  if x.start is not None and x.start < start]
        text = rule.message("postop", site=site, low=low, high=high, **schedule, date=_day(start),
                            start=_day(start + dt.timedelta(days=low)),
                            end=_day(start + dt.timedelta(days=high)))
        if before:
            given = joined([_course(x) for x in before])
            text = _joined_text(text, rule.message("irradiated_before", courses=given))
        if c.v.as_of is not None:
            # Where the decision date stands first, then the proposal (review 23c, R02).
            text = _joined_text(_window(rule, start, c.v.as_of, low, high), text)
        out.propose("RT-04", text, lesions=lesions, facts=facts, missing=unmatched)


def _course(t: Treatment) -> Text:
    """'30 Gy/10 from 2026-09-01' / '30 Gy/10 à partir du 01/09/2026'; dose unknown said."""
    assert t.start is not None
    dose = f"{t.dose_gy:g} Gy" + (f"/{t.fractions}" if t.fractions else "") if t.dose_gy else None
    day = _day(t.start)
    return Text(en=f"{dose or 'dose not recorded'} from {day.en}",
                fr=f"{dose or 'dose non notée'} à partir du {day.fr}")


def _window(rule: PlanRule, operated: dt.date, today: dt.date, low: int, high: int) -> Text:
    """Where the decision date stands in the post-operative window (review 23b N6): before it, in
    it (days left, or its last day), or past it (no new window is invented: as soon as the skin
    has healed)."""
    day = (today - operated).days
    when = _day(today)
    if day < low:
        return rule.message("window_ahead", today=when, days=low - day)
    if day > high:
        return rule.message("window_passed", today=when)
    left = high - day
    key = "window_last" if left == 0 else "window_one" if left == 1 else "window_open"
    return rule.message(key, today=when, days=left)


def _joined_text(a: Text, b: Text) -> Text:
    return Text(en=f"{a.en} {b.en}", fr=f"{a.fr} {b.fr}")


def _oligo_excluded(c: PlanContext) -> bool:
    """What rules ablative intent out, whatever the count (PL-28 good performance status, no
    surgical indication, no neurological sign; PL-07 controlled disease): a frail ECOG or a short
    life expectancy (RT-03's bounds), the cord-compression pathway or neurological signs, an
    unstable spine, an operated site or one with a high fracture risk awaiting consolidation,
    untreatable visceral metastases (Tokuhashi / Tomita inputs)."""
    if short_reasons(c) or cord_pathway(c):
        return True
    for r in c.view.lesions:
        if r.out.neurological.level == "high" or r.out.operated or r.out.fracture.level == "high":
            return True
        if r.sins is not None and r.sins.band.id == "unstable":
            return True
    s = c.v.case.score_inputs
    if s is not None:
        if s.tokuhashi is not None and s.tokuhashi.internal_organ_metastases is not None and \
                s.tokuhashi.internal_organ_metastases.value == "unremovable":
            return True
        if s.tomita is not None and s.tomita.visceral_metastases is not None and \
                s.tomita.visceral_metastases.value == "untreatable":
            return True
    return False


@plan_rule("RT-05")
def oligometastatic(c: PlanContext, out: PlanOutput) -> None:
    """Ablative SBRT only when the chapter's definition is MET (1-3 sites, 1-5 metastases each
    under the size bound, controlled primary) and nothing excludes it. When the count fits but
    size / primary control / extra-osseous disease are not recorded, no proposal: the question
    is named as missing data (a count alone is never an indication)."""
    rule = out.rule("RT-05")
    lesions = c.view.lesions
    if not lesions or not bone_metastases_known(c.v.case, c.v.exams, c.v.as_of):
        return  # ablative intent is for established metastases, not a lesion still to characterise
    max_sites, max_mets = int(rule.param("max_sites")), int(rule.param("max_metastases"))
    max_size = float(rule.param("max_size_cm"))
    # Issue 26 review F4: a site recorded in the diagnosis but never imaged counts too (a count that
    # leaves it out would call oligometastatic a patient with more sites than described).
    onc = c.v.case.oncology
    imaged = {r.out.site for r in lesions}
    recorded = [x for x in (onc.bone_metastasis_sites if onc else ()) if not any(
        r.out.site is x.site and (x.side is None or r.out.side in (None, x.side)) for r in lesions)]
    sites = len(imaged | {x.site for x in recorded})
    if len(lesions) + len(recorded) > max_mets or sites > max_sites or _oligo_excluded(c):
        return
    inputs = c.v.case.plan_inputs
    controlled = inputs.primary_controlled if inputs else None
    extra_sites = inputs.extra_osseous_sites if inputs else None
    extra_mets = inputs.extra_osseous_metastases if inputs else None
    sizes = [r.size_cm for r in lesions]
    if controlled is False or any(x is not None and x >= max_size for x in sizes) or \
            (extra_sites is not None and sites + extra_sites > max_sites) or \
            (extra_mets is not None and len(lesions) + len(recorded) + extra_mets > max_mets):
        return  # the definition is not met: no ablative proposal
    missing: list[MissingData] = []
    one = len(lesions) == 1
    noun = Text(en="bone lesion" if one else "bone lesions",
                fr="lésion osseuse" if one else "lésions osseuses")
    ask = (f"Oligometastatic? ({len(lesions)} {noun.en}) ",
           f"Oligométastatique ? ({len(lesions)} {noun.fr}) ")
    for r, size in zip(lesions, sizes, strict=True):
        if size is None:
            missing.append(need("RT-05", f"{r.out.paths[-1]}.complications.largest_size_cm",
                                ask[0] + f"record the largest size of {r.out.label.en} (each under "
                                f"{max_size:g} cm).", ask[1] + f"noter la plus grande taille de "
                                f"{r.out.label.fr} (moins de {max_size:g} cm chacune)."))
    for path, en, fr, value in (
            ("plan_inputs.primary_controlled", "record whether the primary is controlled.",
             "noter si le primitif est contrôlé.", controlled),
            ("plan_inputs.extra_osseous_sites", "record the metastatic sites outside bone "
             f"(1 to {max_sites} sites in all).", "noter les sites métastatiques hors de l'os "
             f"(1 à {max_sites} sites en tout).", extra_sites),
            ("plan_inputs.extra_osseous_metastases", "record the metastases outside bone "
             f"(1 to {max_mets} in all).", "noter les métastases hors de l'os "
             f"(1 à {max_mets} en tout).", extra_mets)):
        if value is None:
            missing.append(need("RT-05", path, ask[0] + en, ask[1] + fr))
    for x in recorded:  # not characterised: no ablative proposal leaves it out (review F4)
        k = onc.bone_metastasis_sites.index(x) if onc else 0
        missing.append(need("RT-05", f"oncology.bone_metastasis_sites[{k}]",
                            ask[0] + "describe by imaging the bone sites recorded in the diagnosis only.",
                            ask[1] + "décrire par l'imagerie les sites osseux notés seulement dans le "
                            "diagnostic."))
    if missing:
        out.missing.extend(missing)
        return
    out.propose("RT-05", "oligo", lesions=tuple(r.out.id for r in lesions),
                count=len(lesions), noun=noun, max_sites=rule.param("max_sites"),
                max_metastases=rule.param("max_metastases"), max_size_cm=rule.param("max_size_cm"))


def _reirradiation_schedules(rule: PlanRule, spine: bool) -> Text:
    """ASTRO 2024's re-irradiation schedules for the spine or elsewhere (PL-35, outside the
    référentiel), filled from the rule's params; the dose itself is the radiation oncologist's."""
    listed = rule.param("astro_schedules")["spine" if spine else "other"]
    items = [rule.message("schedule_one" if k == 0 else "schedule_many", dose=d, fractions=f)
             for k, (d, f) in enumerate(listed)]
    return rule.message("schedules", where=rule.message("where_spine" if spine else "where_other"),
                        list=joined(items))


@plan_rule("RT-06")
def reirradiation(c: PlanContext, out: PlanOutput) -> None:
    rule = out.rule("RT-06")
    for r in c.view.lesions:
        if not r.out.irradiated or r.out.pain.level != "high":
            continue
        last = last_course(c.v, r)
        if r.out.operated and any(t.start is not None and last is not None and t.start >= last
                                  for t in (c.v.case.treatments[int(p[11:-1])]
                                            for p in r.surgery_paths)):
            continue  # operated after the course: RT-04 names that course (fifth review, E1)
        if last is not None and (not pain_since(c.v, r, last) or (
                c.v.as_of is not None
                and (c.v.as_of - last).days < int(rule.param("min_interval_days")))):
            continue  # no pain recorded since the course, or within a month of it (ASTRO's interval)
        schedules = _reirradiation_schedules(rule, r.out.site in SPINE)
        doses = courses(c.v, r)
        given = [t for t in doses if t.dose_gy is not None]
        if given:
            t = given[-1]
            frac = f"/{t.fractions}" if t.fractions else ""
            dose = f"{t.dose_gy:g} Gy{frac}"
            out.propose("RT-06", "reirradiation", lesions=(r.out.id,), dose=dose,
                        schedules=schedules,
                        facts=(Fact(path=f"{r.radiotherapy_paths[-1]}.dose_gy", value=t.dose_gy),))
            continue
        where = r.radiotherapy_paths[-1] if r.radiotherapy_paths else r.out.paths[-1]
        out.propose("RT-06", "reirradiation_undosed", lesions=(r.out.id,), schedules=schedules,
                    missing=(need("RT-06", f"{where}.dose_gy",
                                  "Dose and fractions already given to this site.",
                                  "Dose et fractions déjà reçues par ce site."),))


@plan_rule("RT-07")
def systemic_during_rt(c: PlanContext, out: PlanOutput) -> None:
    """ONE proposal for the current line (review 23b N8), one part per group of its agents: to
    pause, may continue (PL-12), an immunotherapy named with its target against the chapter's
    anti-PD-L1 wording, a targeted therapy, or an agent the chapter does not list (PL-13)."""
    if not any(p.kind in ("radiotherapy", "sbrt") for p in out.proposals) or c.v.current_line is None:
        return
    rule = out.rule("RT-07")
    _, line = c.v.current_line
    # An agent stopped while the line goes on (issue 26 review F6: carboplatin stopped for toxicity
    # in osimertinib + carboplatin/pemetrexed) is not given during the radiotherapy: not named.
    stopped = {s.agent for s in line.stopped_agents if c.v.as_of is None or s.end <= c.v.as_of}
    given = [(k, a) for k, a in enumerate(line.agents) if a not in stopped]
    agents = [a.strip().lower() for _, a in given]
    index = c.v.case.treatments.index(line)
    facts = tuple(Fact(path=f"treatments[{index}].agents[{k}]", value=a.strip().lower()) for k, a in given)
    fr = rule.param("names_fr")
    targets = rule.param("immunotherapy_targets")
    targeted = rule.param("targeted")

    def names(found: list[str]) -> Text:  # French drug names in the French text (review 23 F17)
        return Text(en=", ".join(found), fr=", ".join(fr.get(a, a) for a in found))

    little = line.type.value in rule.param("little_data_types")
    pause = [a for a in agents if a in rule.param("pause")]
    allowed = [a for a in agents if a in rule.param("allowed")]
    immuno = [a for a in agents if a in targets]
    tki = [a for a in agents if a in targeted]
    other = [a for a in agents if a not in (*pause, *allowed, *immuno, *tki)]
    parts: list[Text] = []
    if pause:
        parts.append(rule.message("pause", agents=names(pause)))
    if allowed:
        parts.append(rule.message("allowed" if len(allowed) == 1 else "allowed_many",
                                  agents=names(allowed)))
    for a in immuno:
        key = "immunotherapy_named" if targets[a] == "anti-PD-L1" else "immunotherapy_other"
        parts.append(rule.message(key, agent=names([a]), target=targets[a]))
    if tki:
        parts.append(rule.message("targeted", agents=names(tki)))
    if other:
        parts.append(rule.message("little_data_line" if little else "unlisted", agents=names(other),
                                  kind=labels.TREATMENT_TYPE[line.type]))
    if not agents:  # a line recorded by its type only
        parts.append(rule.message("little_data_line" if little else "unlisted",
                                  agents=labels.TREATMENT_TYPE[line.type],
                                  kind=labels.TREATMENT_TYPE[line.type]))
    if immuno or tki or (little and (other or not agents)):
        parts.append(rule.message("decide"))
    name = Text(en="+".join(agents), fr="+".join(fr.get(a, a) for a in agents)) if agents \
        else labels.TREATMENT_TYPE[line.type]
    if line.line_number:  # "1re ligne", never "(L1)" beside vertebral levels (review 23c, minor 10)
        rank = labels.line_ordinal(line.line_number)
        name = Text(en=f"{name.en} ({rank.en})", fr=f"{name.fr} ({rank.fr})")
    out.propose("RT-07", "line", facts=facts, line=name, parts=joined(parts, "; ", " ; "))
