"""CC- rules: the cord-compression pathway after SAFE-01 (NICE NG234/QS56, ASTRO 2024, AURA).

Triggered by a neurological deficit recorded in ANY section (context, Frankel, ASIA, Tokuhashi
palsy) or a high-grade Bilsky grade on imaging (core/patient.py), so the pathway does not depend
on where the fact was typed. Labelled outside the chapter; always first in the plan (core/plan.py).
"""

from __future__ import annotations

from bonemet.base.text import Text
from bonemet.model import labels
from bonemet.model.case import DiagnosisStatus
from bonemet.model.trace import Fact

from .patient import SPINE, NeuralRegion, neural_regions, region_words
from .plan_lesions import LIFE_EXPECTANCY
from .plan_registry import PlanContext, PlanOutput, joined, plan_rule
from .safety import source_label


def cord_pathway(c: PlanContext) -> bool:
    """A deficit recorded anywhere, or a high-grade compression on imaging, in a cancer patient."""
    if c.v.case.cancer.diagnosis is DiagnosisStatus.none:
        return False
    p = c.v.patient
    return bool(p.compressions) or p.neurological_deficit.value is True


def short_reasons(c: PlanContext) -> list[Text]:
    """Frail patient (ECOG at or above RT-03's bound) or life expectancy in RT-03's short bands:
    the one reading of PL-10, for a painful lesion (RT-03) and for cord compression (CC-02)."""
    rule = c.plan.rule("RT-03")
    p = c.view.picture
    reasons: list[Text] = []
    if p.ecog is not None and p.ecog >= int(rule.param("frail_ecog_min")):
        reasons.append(Text(en=f"Performance status ECOG {p.ecog}", fr=f"État général ECOG {p.ecog}"))
    if p.life_expectancy is not None and p.life_expectancy.value in rule.param("short_life_expectancy"):
        reasons.append(Text(en="short life expectancy as estimated", fr="espérance de vie estimée courte"))
    return reasons


def _compression_words(c: PlanContext) -> str:
    """'cord', 'cauda' or 'both', from the levels of the pathway (its spinal lesions and the
    compressions on imaging); nothing recorded: both, as NICE's pathway covers both."""
    found: frozenset[NeuralRegion] = frozenset()
    pathway = set(_spinal_ids(c))
    for r in c.view.lesions:
        if r.out.id in pathway:
            found |= neural_regions(r.out.site, r.out.level)
    for comp in c.v.patient.compressions:
        found |= neural_regions(comp.site, comp.level)
    return region_words(found) if found else "both"


def _titled(out: PlanOutput, rule_id: str, words: str) -> None:
    """The proposal just made takes the title of its levels (rule messages title_cord/cauda/both)."""
    p = out.proposals[-1]
    out.proposals[-1] = p.model_copy(update={"title": out.rule(rule_id).message(f"title_{words}")})


def _neuro(c: PlanContext, nested: bool = False) -> Text:
    """The neurological picture in words; `nested`: inside a parenthesis already, so the sources
    of the deficit go in brackets (no doubled parentheses, review 23b N11)."""
    parts: list[Text] = []
    deficit = c.v.patient.neurological_deficit
    if deficit.value:
        shown = joined([source_label(c.kb, e) for e in deficit.positive], "; ", " ; ")
        o, e = ("[", "]") if nested else ("(", ")")
        parts.append(Text(en=f"neurological deficit recorded {o}{shown.en}{e}",
                          fr=f"déficit neurologique noté {o}{shown.fr}{e}"))
    for comp in c.v.patient.compressions:
        where = comp.level or comp.site.value
        parts.append(Text(en=f"Bilsky {comp.grade.value} at {where}",
                          fr=f"Bilsky {comp.grade.value} en {where}"))
    for s in c.v.patient.superseded if deficit.value else ():  # operated since (third review, R02)
        where = s.compression.level or s.compression.site.value
        assert s.surgery.start is not None
        day = labels.day(s.surgery.start)
        parts.append(Text(
            en=f"{where} operated on {day.en} (Bilsky {s.compression.grade.value} before): is the "
               "deficit new or residual since the operation?",
            fr=f"{where} opéré le {day.fr} (Bilsky {s.compression.grade.value} avant) : le déficit "
               "est-il nouveau ou résiduel depuis l'intervention ?"))
    return joined(parts, "; ", " ; ") if parts else Text(en="not recorded", fr="non noté")


def _mechanics(c: PlanContext) -> Text:
    """SINS of the pathway's levels, each named, an operated one said (fourth clinical review)."""
    levels = set(_spinal_ids(c))
    found = [r for r in c.view.lesions if r.out.id in levels and r.sins is not None]
    if not found:
        return Text(en="SINS not computed", fr="SINS non calculé")
    parts = []
    for r in found:
        assert r.sins is not None
        where = r.out.level or r.out.label.en
        where_fr = r.out.level or r.out.label.fr
        op = (" operated", " opérée") if r.out.operated else ("", "")
        parts.append(Text(en=f"SINS {r.sins.total} at {where}{op[0]}",
                          fr=f"SINS {r.sins.total} en {where_fr}{op[1]}"))
    return joined(parts)


def _systemic(c: PlanContext) -> Text:
    p = c.view.picture
    parts: list[Text] = []
    if p.ecog is not None:
        parts.append(Text(en=f"ECOG {p.ecog}", fr=f"ECOG {p.ecog}"))
    if p.life_expectancy is not None:
        parts.append(LIFE_EXPECTANCY[p.life_expectancy])
    t = c.view.tokuhashi
    if t is not None:
        parts.append(Text(en=f"Tokuhashi {t.total}", fr=f"Tokuhashi {t.total}"))
    return joined(parts) if parts else Text(en="not recorded", fr="non noté")


def _spinal_ids(c: PlanContext) -> tuple[str, ...]:
    """The pathway's levels, the compressed ones first (the headline names the first: third
    clinical review, R05); the other spinal levels only with a deficit, which may come from any."""
    compressed = {x.path for x in c.v.patient.compressions}
    first = [r.out.id for r in c.view.lesions if r.out.site in SPINE and r.bilsky_path in compressed]
    if c.v.patient.neurological_deficit.value is not True and first:
        return tuple(first)
    rest = [r.out.id for r in c.view.lesions if r.out.site in SPINE and r.out.id not in first]
    return (*first, *rest)


@plan_rule("CC-01")
def pathway(c: PlanContext, out: PlanOutput) -> None:
    if not cord_pathway(c):
        return
    rule = out.rule("CC-01")
    neuro = _neuro(c)
    trigger = Text(en=neuro.en[0].upper() + neuro.en[1:], fr=neuro.fr[0].upper() + neuro.fr[1:])
    facts = tuple(Fact(path=e.path, value=e.value) for e in c.v.patient.neurological_deficit.evidence)
    facts += tuple(Fact(path=f"{x.path}.bilsky", value=x.grade.value) for x in c.v.patient.compressions)
    if c.v.patient.neurological_deficit.value is not True:
        # Compression on imaging alone: NG234 §1.8 gives dexamethasone for neurological signs, not
        # routinely without them (second clinical review of issue 23, case B09).
        out.propose("CC-01", "pathway_no_signs", lesions=_spinal_ids(c), priority="urgent",
                    facts=facts, trigger=trigger, hours=rule.param("hours"))
    else:
        out.propose("CC-01", "pathway", lesions=_spinal_ids(c), priority="urgent", facts=facts,
                    trigger=trigger, dexamethasone_mg=rule.param("dexamethasone_mg"),
                    hours=rule.param("hours"))
    _titled(out, "CC-01", _compression_words(c))


def _schedule(c: PlanContext, out: PlanOutput, key: str) -> Text:
    """The radiotherapy schedule of the cord pathway: the 2021 table's two, or for a frail patient
    or a short life expectancy PL-10's shorter one, as RT-03 gives it to a painful lesion (third
    clinical review, R13); the single fraction stays the table's exception, never the proposal."""
    rule, rt3 = out.rule("CC-02"), out.rule("RT-03")
    doses, fractions = rule.param("dose_gy"), rule.param("fractions")
    reasons = short_reasons(c)
    if not reasons:
        return rule.message(key, dose_a=doses[0], fractions_a=fractions[0], dose_b=doses[1],
                            fractions_b=fractions[1])
    why = joined(reasons, "; ", " ; ")
    low, high = rule.param("exceptional_single_gy")
    return rule.message("schedule_short", reasons=Text(en=why.en[:1].lower() + why.en[1:],
                                                       fr=why.fr[:1].lower() + why.fr[1:]),
                        dose=rt3.param("dose_gy"), fractions=rt3.param("fractions"),
                        long_dose=doses[0], long_fractions=fractions[0], single_low=low,
                        single_high=high)


@plan_rule("CC-02")
def surgery_or_rt(c: PlanContext, out: PlanOutput) -> None:
    if not cord_pathway(c):
        return
    short = out.rule("SX-04").param("short_life_expectancy")
    band = c.view.picture.life_expectancy
    if band is not None and band.value in short:
        out.propose("CC-02", "no_surgery", lesions=_spinal_ids(c), priority="urgent",
                    kind="cord_compression", neuro=_neuro(c, nested=True),
                    schedule=_schedule(c, out, "schedule_both_short"),
                    short_weeks=out.rule("SX-04").param("short_weeks"))
    else:
        out.propose("CC-02", "choose", lesions=_spinal_ids(c), priority="urgent", surgical=True,
                    neuro=_neuro(c, nested=True), mechanics=_mechanics(c), systemic=_systemic(c),
                    schedule=_schedule(c, out, "schedule_both"))
    _titled(out, "CC-02", _compression_words(c))
