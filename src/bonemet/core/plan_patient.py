"""The bone plan's patient picture: life expectancy as the clinician estimated it, performance
status from every section (two values that disagree are both said, the higher kept), the
neurological status, what changes the reading (a compression graded before its surgery, same-day
imaging and surgery), and what is missing. Split from core/plan_lesions.py, which reads the lesions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.model import labels
from bonemet.model.plan import PatientPicture
from bonemet.model.plan_inputs import LifeExpectancyBand
from bonemet.model.trace import Fact, MissingData

from .context import CaseView
from .safety import source_label

LIFE_EXPECTANCY = {
    LifeExpectancyBand.under_6_weeks: Text(en="life expectancy under 6 weeks",
        fr="espérance de vie de moins de 6 semaines"),
    LifeExpectancyBand.six_weeks_to_3_months: Text(en="life expectancy 6 weeks to 3 months",
        fr="espérance de vie de 6 semaines à 3 mois"),
    LifeExpectancyBand.three_to_12_months: Text(en="life expectancy 3 to 12 months",
        fr="espérance de vie de 3 à 12 mois"),
    LifeExpectancyBand.over_12_months: Text(en="life expectancy over 12 months",
        fr="espérance de vie de plus de 12 mois"),
}


@lru_cache(maxsize=512)
def _ecog_missing(v: CaseView) -> MissingData:
    """ECOG not recorded; a Karnofsky or Lansky score the record holds is shown as recorded, never
    converted (issue 26 review F8): the plan's rules read ECOG only."""
    onc = v.case.oncology
    held = sorted(onc.performance, key=lambda p: p.date or dt.date.min)[-1:] if onc else []
    if not held:
        return cached_need("plan_inputs.ecog", "Performance status (ECOG) is not recorded.",
                           "L'état général (ECOG) n'est pas noté.")
    p = held[0]
    name = {"karnofsky": "Karnofsky", "lansky": "Lansky"}[p.scale]
    return MissingData(field="plan_inputs.ecog", reason=Text(
        en=f"Performance status (ECOG) is not recorded; the record holds {name} {p.value}, shown as "
           "recorded and not converted to ECOG: record the ECOG the plan's rules read.",
        fr=f"L'état général (ECOG) n'est pas noté ; le dossier contient un indice de {name} de "
           f"{p.value}, montré tel quel et non converti en ECOG : noter l'ECOG que lisent les règles "
           "du plan."))


def cached_need(path: str, en: str, fr: str, rule_id: str | None = None) -> MissingData:
    return MissingData(field=path, reason=cached_text(en, fr), rule_id=rule_id)


@lru_cache(maxsize=512)
def cached_text(en: str, fr: str) -> Text:
    return Text(en=en, fr=fr)


def _operated_since(v: CaseView) -> tuple[list[Fact], list[Text], list[MissingData]]:
    """Compressions graded before a surgery of their level (core/patient.py): said, with the
    grade, level and dates, never dropped in silence; a surgery whose level is unknown is named."""
    facts: list[Fact] = []
    notes: list[Text] = []
    for s in v.patient.superseded:
        c = s.compression
        assert s.surgery.start is not None
        where = c.level or labels.SITE[c.site].en
        where_fr = c.level or labels.SITE[c.site].fr
        exam, on, done = labels.THE[c.exam.modality], labels.day(c.exam.date), labels.day(s.surgery.start)
        facts += [Fact(path=f"{c.path}.bilsky", value=c.grade.value),
                  Fact(path=f"{s.surgery_path}.start", value=s.surgery.start.isoformat())]
        en = (f"Bilsky {c.grade.value} at {where} on {exam.en} of {on.en} was graded before the "
              f"surgery of {done.en}: it is not read as a current cord compression; a new grade "
              "needs imaging after the operation. Check that the operation decompressed this "
              "level (a vertebroplasty or a biopsy does not).")
        fr = (f"Le Bilsky {c.grade.value} en {where_fr} sur {exam.fr} du {on.fr} précède la "
              f"chirurgie du {done.fr} : il n'est pas lu comme une compression actuelle ; un "
              "nouveau grade demande une imagerie après l'intervention. Vérifier que l'intervention "
              "a décomprimé ce niveau (une vertébroplastie ou une biopsie ne le fait pas).")
        if s.assumed:
            en += (f" The level operated is not recorded: taken as {where}, the only lesion "
                   "recorded on that site; record it to confirm.")
            fr += (f" Niveau opéré non noté : pris pour {where_fr}, seule lésion notée sur ce "
                   "site ; à noter pour confirmer.")
        notes.append(Text(en=en, fr=fr))
    missing = [cached_need(u.field,
                     "A surgery on the site of a cord compression, after its grading, cannot be "
                     "tied to its level: the compression is kept as current until this is recorded.",
                     "Une chirurgie sur le site d'une compression médullaire, après son grade, ne "
                     "peut pas être rattachée à son niveau : la compression reste retenue tant que "
                     "ce n'est pas noté.")
               for u in v.patient.unmatched if u.why == "lesion"]
    missing += [cached_need(u.field, "The date of a surgery at the level of a cord compression is not "
                      "recorded: the compression is kept as current.",
                      "La date d'une chirurgie au niveau d'une compression médullaire n'est pas "
                      "notée : la compression reste retenue.")
                for u in v.patient.unmatched if u.why == "date"]
    for u in v.patient.unmatched:
        if u.why != "same_day":
            continue
        c = u.compression
        where = c.level or labels.SITE[c.site].en
        where_fr = c.level or labels.SITE[c.site].fr
        on = labels.day(c.exam.date)
        notes.append(Text(
            en=f"The MRI grading Bilsky {c.grade.value} at {where} and the surgery of that level are "
               f"both dated {on.en}: their order is not recorded, so the compression is kept as "
               "current; record whether the imaging followed the operation.",
            fr=f"L'IRM gradant Bilsky {c.grade.value} en {where_fr} et la chirurgie de ce niveau "
               f"sont toutes deux du {on.fr} : leur ordre n'est pas noté, la compression reste "
               "donc retenue ; préciser si l'imagerie a suivi l'intervention."))
        missing.append(cached_need(u.field, "Order of the same-day imaging and surgery.",
                             "Ordre de l'imagerie et de la chirurgie du même jour."))
    return facts, notes, missing


@dataclass(frozen=True, slots=True)
class _Ecog:
    path: str
    value: int
    said: Text  # the section and its date in words, never the raw path (review 23c, R14)
    on: dt.date | None


def _ecogs(v: CaseView) -> list[_Ecog]:
    """The performance status of the plan inputs and of the latest dated clinical status."""
    found: list[_Ecog] = []
    p = v.case.plan_inputs
    if p is not None and p.ecog is not None:
        when = labels.day(p.ecog_date) if p.ecog_date else None
        found.append(_Ecog("plan_inputs.ecog", p.ecog, Text(
            en=f"plan inputs: ECOG {p.ecog}, " + (f"assessed on {when.en}" if when else
                                                  "date not recorded"),
            fr=f"données du plan : ECOG {p.ecog}, " + (f"noté le {when.fr}" if when else
                                                       "date non notée")), p.ecog_date))
    statuses = [(i, s) for i, s in enumerate(v.case.clinical_status)
                if s.ecog is not None and (v.as_of is None or s.date <= v.as_of)]
    if statuses:
        i, s = max(statuses, key=lambda r: r[1].date)
        assert s.ecog is not None
        day = labels.day(s.date)
        found.append(_Ecog(f"clinical_status[{i}].ecog", s.ecog, Text(
            en=f"clinical status of {day.en}: ECOG {s.ecog}",
            fr=f"état clinique du {day.fr} : ECOG {s.ecog}"), s.date))
    return found


def _ecog_conflict(ecogs: list[_Ecog]) -> Text:
    """Two performance statuses that differ: both said with their dates, the higher kept (the
    safe reading), and whether it is also the more recent."""
    high = max(ecogs, key=lambda e: e.value)
    other = next(e for e in ecogs if e is not high)
    shown = _joined([e.said for e in ecogs])
    recency = ("", "")
    if high.on is not None and other.on is not None and high.on != other.on:
        recency = (" (also the more recent)", " (c'est aussi le plus récent)") \
            if high.on > other.on else (f" although ECOG {other.value} is the more recent",
                                        f" bien que l'ECOG {other.value} soit le plus récent")
    return Text(en=f"Performance status differs between sections ({shown.en}): the higher, "
                   f"ECOG {high.value}, is used{recency[0]}; check it.",
                fr=f"L'état général diffère selon les sections ({shown.fr}) : le plus élevé, "
                   f"ECOG {high.value}, est retenu{recency[1]} ; à vérifier.")


def _joined(items: list[Text]) -> Text:
    return Text(en="; ".join(t.en for t in items), fr=" ; ".join(t.fr for t in items))


def patient_picture(v: CaseView, kb: KnowledgeBase,
                    unclear: list[MissingData] | None = None) -> PatientPicture:
    case = v.case
    p = case.plan_inputs
    evidence, notes, missing = _operated_since(v)
    missing += unclear or []
    contradictions: list[Text] = []
    band = p.life_expectancy if p else None
    if band is not None:
        evidence.append(Fact(path="plan_inputs.life_expectancy", value=band.value))
    else:
        missing.append(cached_need("plan_inputs.life_expectancy",
                             "The clinician's estimate of life expectancy (a band) is not recorded: "
                             "surgery and short schedules depend on it; bonemet never computes it.",
                             "L'estimation clinique de l'espérance de vie (une classe) n'est pas "
                             "notée : la chirurgie et les schémas courts en dépendent ; bonemet ne "
                             "la calcule jamais."))
    ecogs = _ecogs(v)
    evidence += [Fact(path=e.path, value=e.value) for e in ecogs]
    ecog = max((e.value for e in ecogs), default=None)
    if len({e.value for e in ecogs}) > 1:
        contradictions.append(_ecog_conflict(ecogs))
    if ecog is None:
        missing.append(_ecog_missing(v))
    deficit = v.patient.neurological_deficit
    evidence += [Fact(path=e.path, value=e.value) for e in deficit.evidence]
    if deficit.contradicted:
        # The two sections named as `assess` names them (SAFE-01, core/safety.py source_label).
        present = _joined([source_label(kb, e) for e in deficit.positive])
        absent = _joined([source_label(kb, e) for e in deficit.negative])
        contradictions.append(Text(
            en=f"The neurological status differs between sections ({present.en} against "
               f"{absent.en}): a deficit is kept.",
            fr=f"L'état neurologique diffère selon les sections ({present.fr} contre {absent.fr}) : "
               "le déficit est retenu."))
    return PatientPicture(life_expectancy=band, ecog=ecog, neurological_deficit=deficit.value,
                          evidence=tuple(evidence), contradictions=tuple(contradictions),
                          notes=tuple(notes), missing=tuple(dict.fromkeys(missing)))
