"""The bone plan's reading of the case: the patient picture and, per lesion, the three axes.

One view of the patient (issue 21's rule, core/patient.py): each fact is read from every section
that can hold it. A lesion recorded on several exams (same site, level and side) is one lesion;
its latest grading of each item counts, and a complication recorded on any exam counts. The
performance status is read from `plan_inputs.ecog` and the latest `clinical_status[].ecog`; when
they disagree both are shown and the less reassuring (higher) one is kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.model import labels
from bonemet.model.case import Lesion, SkeletalSite, Treatment, TreatmentType
from bonemet.model.plan import AxisLevel, AxisReading, PatientPicture, PlanLesion
from bonemet.model.plan_inputs import LesionComplications
from bonemet.model.score_inputs import BilskyGrade, SinsPain
from bonemet.model.scores import CaseScores, ScoreResult
from bonemet.model.trace import Fact, MissingData

from .context import CaseView
from .patient import (
    SPINE,
    lesions_per_site,
    neural_regions,
    region_words,
    treats,
    unclear_field,
)
from .plan_patient import LIFE_EXPECTANCY as LIFE_EXPECTANCY
from .plan_patient import cached_need as _need
from .plan_patient import cached_text as _t
from .plan_patient import patient_picture

LONG_BONES = frozenset({SkeletalSite.humerus, SkeletalSite.forearm, SkeletalSite.femur_proximal,
                        SkeletalSite.femur_shaft, SkeletalSite.femur_distal,
                        SkeletalSite.tibia_fibula})
# Bones that carry the body's weight: radiotherapy there waits until the fracture risk is ruled
# out (PL-11). The spine carries weight too; its check is stability (SINS).
WEIGHT_BEARING = frozenset({SkeletalSite.femur_proximal, SkeletalSite.femur_shaft,
                            SkeletalSite.femur_distal, SkeletalSite.tibia_fibula,
                            SkeletalSite.acetabulum, SkeletalSite.pelvis, SkeletalSite.sacrum})
LOW_GRADE_EPIDURAL = frozenset({BilskyGrade.g1a, BilskyGrade.g1b, BilskyGrade.g1c})
@dataclass(frozen=True, slots=True)
class LesionRecord:
    """A lesion with everything the rules read about it (the model's PlanLesion is its output)."""

    out: PlanLesion
    latest: Lesion  # the most recent record, for fields that are graded again over time
    mirels: ScoreResult | None = None
    sins: ScoreResult | None = None
    harrington: ScoreResult | None = None
    bilsky: BilskyGrade | None = None
    bilsky_path: str | None = None
    surgery_paths: tuple[str, ...] = ()
    radiotherapy_paths: tuple[str, ...] = ()
    size_cm: float | None = None  # largest recorded size over the records (the safe reading)
    # Mirels not computable (an item missing): its lowest possible total and the items missing
    # (fifth clinical review, E3: functional pain + lytic + > 2/3 is high whatever the site).
    mirels_floor: int | None = None
    mirels_missing: Text | None = None


@dataclass(frozen=True, slots=True)
class PlanView:
    picture: PatientPicture
    lesions: tuple[LesionRecord, ...]
    tokuhashi: ScoreResult | None = None
    tomita: ScoreResult | None = None
    spinal_levels: int = 0
    missing: tuple[MissingData, ...] = field(default=())


# Fixed sentences are built once (a Text runs French typography when built: the plan's hot path).
def _key(lesion: Lesion) -> str:
    parts = [lesion.site.value]
    if lesion.level:
        parts.append(lesion.level.strip().upper())
    if lesion.side:
        parts.append(lesion.side.value)
    return ":".join(parts)


def _label(lesion: Lesion) -> Text:
    """'left femoral shaft' / 'diaphyse fémorale gauche', with the level when recorded."""
    site = labels.SITE[lesion.site]
    en, fr = site.en, site.fr
    if lesion.side:
        side = labels.side_of(lesion.site, lesion.side)
        en, fr = f"{side.en} {en}", f"{fr} {side.fr}"
    if lesion.level:
        en, fr = f"{en} {lesion.level}", f"{fr} {lesion.level}"
    return Text(en=en, fr=fr)


def _counts(lesion: Lesion) -> bool:
    """A lesion the plan is about: not read as benign, not marked not suspicious."""
    if lesion.suspicious is False:
        return False
    return not (lesion.biopsy is not None and lesion.biopsy.benign)


def _merge(items: list[tuple[str, Lesion]]) -> tuple[tuple[str, ...], tuple[Fact, ...], bool | None]:
    """Complications recorded on any record: present anywhere wins (the safe reading)."""
    facts: list[Fact] = []
    values: dict[str, bool] = {}
    for path, lesion in items:
        c = lesion.complications
        if c is None:
            continue
        for name, value in c.flags().items():
            if value is not None:
                facts.append(Fact(path=f"{path}.complications.{name}", value=value))
                values[name] = values.get(name, False) or value
    present = tuple(n for n, val in values.items() if val)
    recorded = set(values)
    complete = recorded >= set(LesionComplications().flags())
    return present, tuple(facts), (True if present else (False if complete else None))


def _score(scores: CaseScores | None, name: str, paths: tuple[str, ...]) -> ScoreResult | None:
    if scores is None:
        return None
    found = [r for r in scores.computed if r.score == name and r.subject in paths]
    return max(found, key=lambda r: paths.index(r.subject or "")) if found else None


def _pain(record: list[tuple[str, Lesion]], v: CaseView, present: tuple[str, ...],
          path0: str) -> AxisReading:
    site = record[-1][1].site
    evidence: list[Fact] = []
    if site in v.case.context.pain_sites or (site in SPINE and any(
            s in SPINE for s in v.case.context.pain_sites)):
        evidence.append(Fact(path="context.pain_sites", value=site.value))
    for path, lesion in record:
        if lesion.mirels is not None and lesion.mirels.pain is not None:
            evidence.append(Fact(path=f"{path}.mirels.pain", value=lesion.mirels.pain.value))
        if lesion.sins is not None and lesion.sins.pain is not None:
            evidence.append(Fact(path=f"{path}.sins.pain", value=lesion.sins.pain.value))
    painful = [f for f in evidence if f.value not in (SinsPain.none.value,)]
    if "neuropathic_pain" in present:
        painful.append(Fact(path=f"{path0}.complications.neuropathic_pain", value=True))
    if painful:
        return AxisReading(axis="pain", level="high", evidence=tuple(evidence) or tuple(painful),
                           summary=_t("painful", "douloureuse"))
    if evidence:
        return AxisReading(axis="pain", level="low", evidence=tuple(evidence),
                           summary=_t("not painful as recorded", "non douloureuse selon le cas"))
    return AxisReading(axis="pain", level="unknown",
                       summary=_t("pain not recorded", "douleur non notée"),
                       missing=(_need("context.pain_sites",
                                      "Whether this lesion hurts is not recorded.",
                                      "Le caractère douloureux de cette lésion n'est pas noté."),))


# What a high neurological axis threatens, by level (core/patient.py `neural_regions`): below
# L1-L2 the cauda equina, not the cord (third clinical review, minor 9: S1 read "moelle menacée").
_AT_RISK = {"cord": ("cord at risk or deficit", "moelle menacée ou déficit"),
            "cauda": ("cauda equina at risk or deficit", "queue de cheval menacée ou déficit"),
            "both": ("cord or cauda equina at risk, or deficit",
                     "moelle ou queue de cheval menacée, ou déficit")}


def _neuro(v: CaseView, site: SkeletalSite, level: str | None, bilsky: BilskyGrade | None,
           bilsky_path: str | None, present: tuple[str, ...], path0: str) -> AxisReading:
    evidence: list[Fact] = []
    if bilsky is not None and bilsky_path is not None:
        evidence.append(Fact(path=f"{bilsky_path}.bilsky", value=bilsky.value))
    deficit = v.patient.neurological_deficit
    spinal = site in SPINE
    if spinal:
        evidence += [Fact(path=e.path, value=e.value) for e in deficit.evidence]
    high = (bilsky in (BilskyGrade.g2, BilskyGrade.g3)) or (spinal and deficit.value is True)
    if high:
        return AxisReading(axis="neurological", level="high", evidence=tuple(evidence),
                           summary=_t(*_AT_RISK[region_words(neural_regions(site, level))]))
    if bilsky in LOW_GRADE_EPIDURAL or "epidural_extension" in present:
        return AxisReading(axis="neurological", level="intermediate", evidence=tuple(evidence),
                           summary=_t("low-grade epidural disease", "épidurite de bas grade"))
    if not spinal:
        return AxisReading(axis="neurological", level="low", evidence=tuple(evidence),
                           summary=_t("not a spinal lesion", "lésion non rachidienne"))
    missing = []
    if bilsky is None:
        missing.append(_need(f"{path0}.bilsky", "Epidural extension (Bilsky grade on MRI) is not "
                             "recorded for this spinal lesion.", "L'extension épidurale (grade de "
                             "Bilsky à l'IRM) n'est pas notée pour cette lésion rachidienne."))
    if deficit.value is None:
        missing.append(_need("context.neurological_deficit", "The neurological status is not "
                             "recorded.", "L'état neurologique n'est pas noté."))
    level = "low" if not missing else "unknown"
    return AxisReading(axis="neurological", level=level, evidence=tuple(evidence),
                       missing=tuple(missing),
                       summary=_t("no epidural disease, no deficit", "ni épidurite ni déficit")
                       if level == "low" else _t("neurological risk not assessable",
                                                 "risque neurologique non évaluable"))


def _graded_before_surgery(v: CaseView, bilsky_path: str | None) -> AxisReading:
    """A spinal lesion operated after its Bilsky grading: the grade is shown as pre-operative;
    a deficit recorded anywhere still makes the axis high."""
    s = next(x for x in v.patient.superseded if x.compression.path == bilsky_path)
    deficit = v.patient.neurological_deficit
    evidence = (Fact(path=f"{s.compression.path}.bilsky", value=s.compression.grade.value),
                Fact(path=f"{s.surgery_path}.start", value=str(s.surgery.start)),
                *(Fact(path=e.path, value=e.value) for e in deficit.evidence))
    if deficit.value is True:
        return AxisReading(axis="neurological", level="high", evidence=evidence,
                           summary=_t("neurological deficit", "déficit neurologique"))
    grade = s.compression.grade.value
    return AxisReading(axis="neurological", level="unknown", evidence=evidence, summary=Text(
        en=f"operated since the MRI (Bilsky {grade} before surgery)",
        fr=f"opérée depuis l'IRM (Bilsky {grade} avant la chirurgie)"))


def _lower(label: str) -> str:
    """A band label inside a sentence: lower-case first letter ("Mirels 11 : risque élevé")."""
    return label[:1].lower() + label[1:]


# Mirels and SINS bands as a level of the fracture/instability axis (any other band: high).
_FRACTURE_LEVEL: dict[str, AxisLevel] = {"low": "low", "stable": "low", "borderline": "intermediate",
                                         "indeterminate": "intermediate"}


def _incomplete(scores: CaseScores | None, paths: tuple[str, ...]) -> dict[str, Text]:
    """Per score, the items still missing for this lesion's latest record (the fourth clinical
    review: "cannot be computed yet" did not say which item)."""
    if scores is None:
        return {}
    found: dict[str, Text] = {}
    for x in scores.incomplete:
        if x.subject in paths and x.missing:
            found[x.score] = Text(en=", ".join(_lower(m.label.en) for m in x.missing),
                                  fr=", ".join(_lower(m.label.fr) for m in x.missing))
    return found


def _fracture(site: SkeletalSite, mirels: ScoreResult | None, sins: ScoreResult | None,
              harrington: ScoreResult | None, present: tuple[str, ...], path0: str,
              incomplete: dict[str, Text] | None = None) -> AxisReading:
    if "pathological_fracture" in present:
        return AxisReading(axis="fracture", level="high",
                           evidence=(Fact(path=f"{path0}.complications.pathological_fracture",
                                          value=True),),
                           summary=_t("pathological fracture", "fracture pathologique"))
    for result, name in ((mirels, "Mirels"), (sins, "SINS")):
        if result is not None:
            band = _FRACTURE_LEVEL.get(result.band.id, "high")
            return AxisReading(axis="fracture", level=band,
                               evidence=(Fact(path=f"{result.subject}", value=f"{name} {result.total}"),),
                               summary=Text(en=f"{name} {result.total}: {_lower(result.band.label.en)}",
                                            fr=f"{name} {result.total} : {_lower(result.band.label.fr)}"))
    if harrington is not None and harrington.grade is not None:
        # Classes III-IV (lateral/superior deficiency, resection): high; I-II: intermediate.
        level: AxisLevel = "high" if harrington.grade.id.upper() in ("III", "IV") else "intermediate"
        return AxisReading(axis="fracture", level=level,
                           evidence=(Fact(path=f"{harrington.subject}", value=harrington.grade.id),),
                           summary=Text(en=f"Harrington class {harrington.grade.id}",
                                        fr=f"Harrington classe {harrington.grade.id}"))
    if site in LONG_BONES:
        need = ("mirels", "The Mirels score of this long-bone lesion cannot be computed yet.",
                "Le score de Mirels de cette lésion d'os long n'est pas encore calculable.")
    elif site in SPINE:
        need = ("sins", "The SINS of this spinal lesion cannot be computed yet.",
                "Le SINS de cette lésion rachidienne n'est pas encore calculable.")
    elif site is SkeletalSite.acetabulum:
        need = ("harrington", "The Harrington class of this acetabular lesion is not recorded.",
                "La classe de Harrington de cette lésion cotyloïdienne n'est pas notée.")
    else:
        return AxisReading(axis="fracture", level="unknown",
                           summary=_t("no score applies; judged on imaging",
                                      "aucun score ne s'applique ; jugé sur l'imagerie"))
    items = (incomplete or {}).get(need[0])
    if items is not None:
        need = (need[0], f"{need[1][:-1]}: missing {items.en}.", f"{need[2][:-1]} : manque {items.fr}.")
    return AxisReading(axis="fracture", level="unknown",
                       missing=(_need(f"{path0}.{need[0]}", need[1], need[2]),),
                       summary=_t("fracture risk not assessable", "risque fracturaire non évaluable"))


def _treated(lesion: Lesion, treatments: list[tuple[int, Treatment]], on_site: int,
             unclear: list[MissingData]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The surgeries and radiotherapy courses of this lesion (core/patient.py `treats`: level and
    side compared when recorded). A treatment whose lesion cannot be told is named as missing;
    the safe reading is kept meanwhile: not operated (the fracture-risk prompts stay), but
    irradiated (a second course is never planned as a first)."""
    surgery: list[str] = []
    rt: list[str] = []
    for i, t in treatments:
        if t.type not in (TreatmentType.surgery, TreatmentType.radiotherapy):
            continue
        match = treats(t, lesion.site, lesion.level, lesion.side, on_site)
        if match == "no":
            continue
        path = f"treatments[{i}]"
        if match == "unclear":
            what = "level" if unclear_field(lesion.site) == "level" else "side"
            unclear.append(_need(
                f"{path}.{what}",
                f"The {what} treated is not recorded and the site holds several lesions: which "
                "one it concerns is not known.",
                f"{'Le niveau traité' if what == 'level' else 'Le côté traité'} n'est pas noté et "
                "le site porte plusieurs lésions : celle qu'il concerne n'est pas connue."))
            if t.type is TreatmentType.surgery:
                continue
        (surgery if t.type is TreatmentType.surgery else rt).append(path)
    return tuple(surgery), tuple(rt)


def courses(v: CaseView, r: LesionRecord) -> list[Treatment]:
    """The radiotherapy courses of this lesion (core/patient.py `treats`), oldest first."""
    found = [v.case.treatments[int(p[11:-1])] for p in r.radiotherapy_paths]
    return sorted(found, key=lambda t: t.start or dt.date.min)


def last_course(v: CaseView, r: LesionRecord) -> dt.date | None:
    """When the lesion's last radiotherapy course ended (or started, without an end)."""
    ends = [d for t in courses(v, r) if (d := t.end or t.start) is not None]
    return max(ends, default=None)


def pain_since(v: CaseView, r: LesionRecord, day: dt.date) -> bool:
    """Pain recorded now (the context's pain sites) or on an exam after `day`: a SINS or Mirels
    pain item read before an irradiation is not a recurrence (fourth and fifth clinical reviews)."""
    for f in r.out.pain.evidence:
        if f.path == "context.pain_sites":
            return True
        if f.path.startswith("exams[") and f.value not in ("none", "mild"):
            exam = v.case.exams[int(f.path[6:f.path.index("]")])]
            if exam.date > day:
                return True
    return any(f.path.endswith("neuropathic_pain") for f in r.out.pain.evidence)


def _mirels_floor(kb: KnowledgeBase, lesion: Lesion) -> int | None:
    """Mirels' lowest possible total when items are missing: the recorded items' points plus each
    missing item's smallest option (a derivation the engine would make is ignored, so the floor
    never overstates). None when nothing is missing or nothing is recorded."""
    m = lesion.mirels
    table = kb.scores.get("mirels")
    if m is None or table is None:
        return None
    total, missing = 0, 0
    for item in table.items:
        value = getattr(m, item.id, None)
        option = item.option(str(value.value if hasattr(value, "value") else value)) \
            if value is not None else None
        if option is None:
            missing += 1
            total += min(o.points or 0 for o in item.options)
        else:
            total += option.points or 0
    return total if 0 < missing < len(table.items) else None


def graded_on(v: CaseView, path: str) -> dt.date:
    """The date of the exam a lesion path (exams[i].lesions[j]) was read on."""
    return v.case.exams[int(path[6:path.index("]")])].date


def _irradiated_since(v: CaseView, records: list[LesionRecord]) -> list[Text]:
    """A lesion irradiated after its latest imaging: said, so the board does not read that
    imaging as the lesion now (fifth clinical review, E7)."""
    notes: list[Text] = []
    for r in records:
        last = last_course(v, r)
        if last is None or graded_on(v, r.out.paths[-1]) > last:
            continue
        day = labels.day(last)
        notes.append(Text(
            en=f"{r.out.label.en}: irradiated (last course {day.en}) after its latest imaging; "
               "the findings read here predate that course.",
            fr=f"{r.out.label.fr} : irradiée (dernière séance le {day.fr}) après sa dernière "
               "imagerie ; les constatations lues ici précèdent cette irradiation."))
    return notes


def read_plan(v: CaseView, scores: CaseScores | None, kb: KnowledgeBase) -> PlanView:
    """Group the lesions of the performed exams and read the three axes of each."""
    groups: dict[str, list[tuple[str, Lesion]]] = {}
    for x in v.exams:
        for j, lesion in enumerate(x.exam.lesions):
            groups.setdefault(_key(lesion), []).append((f"{x.path}.lesions[{j}]", lesion))
    treatments = [(i, t) for i, t in enumerate(v.case.treatments)
                  if v.as_of is None or t.start is None or t.start <= v.as_of]
    records: list[LesionRecord] = []
    on_site = lesions_per_site([items[-1][1] for items in groups.values()])
    unclear: list[MissingData] = []
    pre_operative = {s.compression.path: s for s in v.patient.superseded}
    for key, items in groups.items():
        latest = items[-1][1]
        if not _counts(latest):
            continue
        paths = tuple(p for p, _ in items)
        present, _, complicated = _merge(items)
        surgery, rt = _treated(latest, treatments, on_site.get(latest.site, 0), unclear)
        irradiated = bool(rt) or any(lesion.irradiated for _, lesion in items)
        if surgery:
            present = (*present, "operated")
            complicated = True
        graded = [(p, lesion.bilsky) for p, lesion in items if lesion.bilsky is not None]
        bilsky_path, bilsky = graded[-1] if graded else (None, None)
        if bilsky is not None and bilsky is not BilskyGrade.g0 and "epidural_extension" not in present:
            present = (*present, "epidural_extension")
            complicated = True
        mirels, sins = _score(scores, "mirels", paths), _score(scores, "sins", paths)
        harrington = _score(scores, "harrington", paths)
        pre_op = bilsky_path in pre_operative
        if pre_op:  # graded before a surgery of this level (core/patient.py): not the cord now
            bilsky = None
        incomplete = _incomplete(scores, paths)
        out = PlanLesion(
            id=key, label=_label(latest), site=latest.site,
            side=latest.side.value if latest.side else None, level=latest.level, paths=paths,
            weight_bearing=latest.site in WEIGHT_BEARING, long_bone=latest.site in LONG_BONES,
            operated=bool(surgery), irradiated=irradiated, complicated=complicated,
            complications=present,
            pain=_pain(items, v, present, paths[-1]),
            neurological=_neuro(v, latest.site, latest.level, bilsky, bilsky_path, present, paths[-1])
            if not pre_op else _graded_before_surgery(v, bilsky_path),
            fracture=_fracture(latest.site, mirels, sins, harrington, present, paths[-1],
                               incomplete),
        )
        floor = _mirels_floor(kb, latest) if mirels is None and latest.site in LONG_BONES else None
        high = int(kb.plan.rule("SX-01").param("mirels_high")) if kb.plan else None
        if floor is not None and high is not None and floor >= high and \
                "pathological_fracture" not in present:
            what = incomplete.get("mirels", _t("an item", "un item"))
            out = out.model_copy(update={"fracture": AxisReading(
                axis="fracture", level="high", missing=out.fracture.missing,
                evidence=(Fact(path=f"{paths[-1]}.mirels", value=f">= {floor}"),),
                summary=Text(en=f"Mirels at least {floor} whatever {what.en}",
                             fr=f"Mirels d'au moins {floor} quel que soit {what.fr}"))})
        else:
            floor = None
        records.append(LesionRecord(out=out, latest=latest, mirels=mirels, sins=sins,
                                    mirels_floor=floor, mirels_missing=incomplete.get("mirels"),
                                    harrington=harrington, bilsky=bilsky, bilsky_path=bilsky_path,
                                    surgery_paths=surgery, radiotherapy_paths=rt,
                                    size_cm=max(sizes) if (sizes := [
                                        lesion.complications.largest_size_cm for _, lesion in items
                                        if lesion.complications is not None
                                        and lesion.complications.largest_size_cm is not None])
                                    else None))
    levels = {r.out.id for r in records if r.out.site in SPINE}
    picture = patient_picture(v, kb, unclear)
    since = _irradiated_since(v, records)
    if since:
        picture = picture.model_copy(update={"notes": (*picture.notes, *since)})
    return PlanView(picture=picture, lesions=tuple(records),
                    tokuhashi=_score(scores, "tokuhashi", ("patient",)),
                    tomita=_score(scores, "tomita", ("patient",)), spinal_levels=len(levels))
