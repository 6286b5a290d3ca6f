"""One reading of the whole case: each clinical fact derived once, from every section that can hold it.

A clinician may record the same fact in several places: a neurological deficit as the context's
checkbox, as a Frankel or ASIA grade in the score inputs, or as a Tokuhashi palsy; spinal pain as a
pain site or as the SINS pain of a spinal lesion; a cord compression as a Bilsky grade on an MRI
lesion. Rules read the fact here, never a raw field, so the answer does not depend on the section a
fact was typed in (issue 21). Each fact keeps the evidence it rests on (the trace a clinician
checks), and two sections that disagree make a contradiction: the safe reading wins (a deficit
recorded anywhere outranks "no deficit") and the contradiction is output, never resolved in silence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from bonemet.core.neuro_words import named_sign
from bonemet.model.case import Case, ImagingExam, Lesion, Side, SkeletalSite, Treatment, TreatmentType
from bonemet.model.levels import ORDER, spinal_levels
from bonemet.model.score_inputs import (
    AsiaGrade,
    BilskyGrade,
    FrankelGrade,
    SinsPain,
    TokuhashiPalsy,
)

SPINE = frozenset({SkeletalSite.cervical_spine, SkeletalSite.thoracic_spine,
                   SkeletalSite.lumbar_spine, SkeletalSite.sacrum})
# Bilsky 2 and 3: the cord is deformed or compressed (high-grade epidural spinal cord compression).
HIGH_GRADE_BILSKY = frozenset({BilskyGrade.g2, BilskyGrade.g3})
# Lesion pain that SINS scores: pain from the spinal lesion itself.
_SINS_PAINFUL = frozenset({SinsPain.mechanical, SinsPain.occasional})


@dataclass(frozen=True, slots=True)
class Evidence:
    """One section's word on a fact: where it was read, what was found, and what it says."""

    path: str
    value: str | bool
    present: bool  # True: this source says the fact is there; False: that it is absent
    # Cord-function grades (Frankel, ASIA, Tokuhashi palsy) grade the spinal cord itself.
    cord_grade: bool = False


@dataclass(frozen=True, slots=True)
class DerivedFact:
    """A clinical fact read from every section that can hold it."""

    name: str
    evidence: tuple[Evidence, ...]

    @property
    def value(self) -> bool | None:
        """The safe reading: present if any source says so, absent only if every source says so."""
        if any(e.present for e in self.evidence):
            return True
        return False if self.evidence else None

    @property
    def positive(self) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence if e.present)

    @property
    def negative(self) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence if not e.present)

    @property
    def contradicted(self) -> bool:
        return bool(self.positive) and bool(self.negative)


PainState = Literal["spinal", "unlocated", "elsewhere", "none", "not_recorded"]


@dataclass(frozen=True, slots=True)
class Compression:
    """A high-grade epidural cord compression read on imaging (latest grading of its level)."""

    path: str  # exams[i].lesions[j]
    exam: ImagingExam
    grade: BilskyGrade
    site: SkeletalSite
    level: str | None


@dataclass(frozen=True, slots=True)
class Superseded:
    """A high-grade compression graded before a surgery of its level: the grade describes the cord
    before the operation, so it no longer drives the emergency pathway (review 23, N1). `assumed`:
    the surgery's level was not recorded and the site holds this lesion only."""

    compression: Compression
    surgery_path: str  # treatments[i]
    surgery: Treatment
    assumed: bool


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A surgery after the grading on the compression's site whose lesion cannot be told (several
    lesions there and no level or side recorded, or no date): the compression stays current."""

    compression: Compression
    surgery_path: str
    field: str  # the treatment field that would settle it: treatments[i].level / .side / .start
    # "lesion": which lesion it treated is unknown; "date": the surgery has no date; "same_day":
    # imaging and surgery the same day, their order unknown (fourth clinical review, C04).
    why: Literal["lesion", "date", "same_day"] = "lesion"


@dataclass(frozen=True, slots=True)
class PatientView:
    neurological_deficit: DerivedFact
    spinal_pain: DerivedFact
    pain: PainState
    compressions: tuple[Compression, ...]
    bone_pain: DerivedFact
    superseded: tuple[Superseded, ...] = ()
    unmatched: tuple[Unmatched, ...] = ()

    @property
    def contradictions(self) -> tuple[DerivedFact, ...]:
        return tuple(f for f in (self.neurological_deficit, self.bone_pain) if f.contradicted)

    @property
    def cord_deficit(self) -> bool:
        """A deficit recorded on a spinal-cord grade (Frankel/ASIA A-D, Tokuhashi palsy)."""
        return any(e.cord_grade for e in self.neurological_deficit.positive)


def _neurological_deficit(case: Case) -> DerivedFact:
    found: list[Evidence] = []
    deficit = case.context.neurological_deficit
    if deficit is not None:
        found.append(Evidence("context.neurological_deficit", deficit, deficit))
    # The question stored with the case (review 25 re-review U2: « paraparésie depuis 3 jours »
    # written there and nowhere else): a sign it names is a deficit recorded; its negations are
    # not read as the reassuring answer (a structured field says that).
    sign = named_sign(case.context.question_text)
    if sign is not None:
        found.append(Evidence("context.question_text", sign, True))
    scores = case.score_inputs
    if scores is not None:
        if scores.frankel is not None:
            found.append(Evidence("score_inputs.frankel", scores.frankel.value,
                                  scores.frankel is not FrankelGrade.E, cord_grade=True))
        if scores.asia is not None:
            found.append(Evidence("score_inputs.asia", scores.asia.value,
                                  scores.asia is not AsiaGrade.E, cord_grade=True))
        palsy = scores.tokuhashi.palsy
        if palsy is not None:
            found.append(Evidence("score_inputs.tokuhashi.palsy", palsy.value,
                                  palsy is not TokuhashiPalsy.none, cord_grade=True))
    return DerivedFact("neurological_deficit", tuple(found))


def _done(case: Case, as_of: dt.date | None) -> list[tuple[int, ImagingExam]]:
    # Performed exams up to the decision date; a booked (planned) exam is never read as done.
    rows = [(i, e) for i, e in enumerate(case.exams)
            if e.done and (as_of is None or e.date <= as_of)]
    return sorted(rows, key=lambda r: (r[1].date, r[1].id))


def _spinal_pain(case: Case, exams: list[tuple[int, ImagingExam]]) -> DerivedFact:
    found: list[Evidence] = []
    for site in case.context.pain_sites:
        if site in SPINE:
            found.append(Evidence("context.pain_sites", site.value, True))
    for i, e in exams:
        for j, lesion in enumerate(e.lesions):
            if lesion.sins is not None and lesion.sins.pain in _SINS_PAINFUL:
                assert lesion.sins.pain is not None
                found.append(Evidence(f"exams[{i}].lesions[{j}].sins.pain",
                                      lesion.sins.pain.value, True))
    return DerivedFact("spinal_pain", tuple(found))


def _bone_pain(case: Case) -> DerivedFact:
    """New bone pain: the context's answer, and pain sites recorded (which say there is pain)."""
    ctx = case.context
    found: list[Evidence] = []
    if ctx.new_bone_pain is not None:
        found.append(Evidence("context.new_bone_pain", ctx.new_bone_pain, ctx.new_bone_pain))
    if ctx.pain_sites:
        found.append(Evidence("context.pain_sites",
                              ", ".join(s.value for s in ctx.pain_sites), True))
    return DerivedFact("new_bone_pain", tuple(found))


def _pain_state(case: Case, spinal: DerivedFact, bone: DerivedFact) -> PainState:
    if spinal.value:
        return "spinal"
    if bone.value and not case.context.pain_sites:
        return "unlocated"
    if case.context.pain_sites:
        return "elsewhere"
    if bone.value is False:
        return "none"
    return "not_recorded"


Match = Literal["yes", "assumed", "no", "unclear"]


def lesion_key(lesion: Lesion) -> tuple[SkeletalSite, str | None, Side | None]:
    """One lesion across exams: its site, level and side (the plan groups records by it too)."""
    return (lesion.site, lesion.level.strip().upper() if lesion.level else None, lesion.side)


def lesions_per_site(lesions: list[Lesion]) -> dict[SkeletalSite, int]:
    keys = {lesion_key(x) for x in lesions}
    counts: dict[SkeletalSite, int] = {}
    for site, _, _ in keys:
        counts[site] = counts.get(site, 0) + 1
    return counts


def treats(t: Treatment, site: SkeletalSite, level: str | None, side: Side | None,
           on_site: int) -> Match:
    """Whether a surgery or radiotherapy course concerns this lesion. Levels (spine) and sides are
    compared when both are recorded; without them the lesion is known only when it is the one
    recorded on that site ("assumed", and said); otherwise it is "unclear", never guessed."""
    checked = False
    if site in SPINE and t.site in SPINE:
        # Levels decide across segments: a T12-L2 decompression filed under the thoracic spine
        # treats an L1 lesion filed under the lumbar spine (third clinical review, X1).
        treated, own = spinal_levels(t.level), spinal_levels(level)
        if treated is not None and own is not None:
            if not treated & own:
                return "no"
            checked = True
    if t.site is not site and not checked:
        return "no"
    if t.side is not None and side is not None:
        if t.side is not side:
            return "no"
        checked = True
    if checked:
        return "yes"
    return "assumed" if on_site <= 1 else "unclear"


def unclear_field(site: SkeletalSite) -> str:
    """The treatment field that would tell its lesion."""
    return "level" if site in SPINE else "side"


def _compressions(case: Case, exams: list[tuple[int, ImagingExam]], as_of: dt.date | None
                  ) -> tuple[tuple[Compression, ...], tuple[Superseded, ...], tuple[Unmatched, ...]]:
    """High-grade Bilsky grades whose level has not been graded lower since (a later MRI after
    decompression or radiotherapy supersedes an older grade of the same level), nor operated since."""
    latest: dict[tuple[SkeletalSite, str | None], Compression] = {}
    for i, e in exams:  # by date: a later grading of the same level replaces the earlier one
        for j, lesion in enumerate(e.lesions):
            if lesion.bilsky is None:
                continue
            key = (lesion.site, lesion.level.strip().upper() if lesion.level else None)
            latest[key] = Compression(f"exams[{i}].lesions[{j}]", e, lesion.bilsky,
                                      lesion.site, lesion.level)
    high = [c for c in latest.values() if c.grade in HIGH_GRADE_BILSKY]
    surgeries = [(i, t) for i, t in enumerate(case.treatments) if t.type is TreatmentType.surgery
                 and (as_of is None or t.start is None or t.start <= as_of)]
    if not high or not surgeries:
        return tuple(high), (), ()
    on_site = lesions_per_site([x for _, e in exams for x in e.lesions])
    current: list[Compression] = []
    superseded: list[Superseded] = []
    unmatched: list[Unmatched] = []
    for c in high:
        side = _lesion_at(c).side
        done: Superseded | None = None
        open_: list[Unmatched] = []
        for i, t in surgeries:
            match = treats(t, c.site, c.level, side, on_site.get(c.site, 0))
            if match == "no":
                continue
            path = f"treatments[{i}]"
            if t.start is None:
                open_.append(Unmatched(c, path, f"{path}.start", "date"))
            elif t.start == c.exam.date and match != "unclear":
                open_.append(Unmatched(c, path, f"{path}.start", "same_day"))
            elif t.start <= c.exam.date:
                continue  # operated before this grading: the grade is the post-operative one
            elif match == "unclear":
                open_.append(Unmatched(c, path, f"{path}.{unclear_field(c.site)}"))
            elif done is None:
                done = Superseded(c, path, t, assumed=match == "assumed")
        if done is not None:
            superseded.append(done)
        else:
            current.append(c)
            unmatched += open_
    return tuple(current), tuple(superseded), tuple(unmatched)


def _lesion_at(c: Compression) -> Lesion:
    return c.exam.lesions[int(c.path.rsplit("[", 1)[1].rstrip("]"))]


def read_patient(case: Case, as_of: dt.date | None) -> PatientView:
    """Derive the patient's clinical facts once, from every section of the case."""
    exams = _done(case, as_of)
    spinal = _spinal_pain(case, exams)
    bone = _bone_pain(case)
    compressions, superseded, unmatched = _compressions(case, exams, as_of)
    return PatientView(
        neurological_deficit=_neurological_deficit(case),
        spinal_pain=spinal,
        pain=_pain_state(case, spinal, bone),
        compressions=compressions,
        bone_pain=bone,
        superseded=superseded,
        unmatched=unmatched,
    )


NeuralRegion = Literal["cord", "cauda"]
# The cord ends about L1-L2: from L2 down and in the sacrum the roots are the cauda equina (review
# 23b N11). An unreadable level leaves the site to decide; a lumbar site without one may be either.
_CAUDA_FROM = ORDER.index("L2")


def neural_regions(site: SkeletalSite, level: str | None) -> frozenset[NeuralRegion]:
    """What a spinal lesion or compression threatens: the cord, the cauda equina, or either (both
    returned). The levels decide when they can be read ('T12-L2' under the thoracic spine is both);
    else the site: sacrum cauda, lumbar either, any other cord. The one place this is decided
    (plan titles, lesion axis, SAFE-01: third clinical review, minor 9)."""
    levels = spinal_levels(level)
    if levels:
        return frozenset("cauda" if ORDER.index(x) >= _CAUDA_FROM else "cord" for x in levels)
    if site is SkeletalSite.sacrum:
        return frozenset({"cauda"})
    if site is SkeletalSite.lumbar_spine:
        return frozenset({"cord", "cauda"})
    return frozenset({"cord"})


def region_words(regions: frozenset[NeuralRegion]) -> Literal["cord", "cauda", "both"]:
    """The key of a message variant (title_cord / title_cauda / title_both ...)."""
    return next(iter(regions)) if len(regions) == 1 else "both"
