"""The bone plan (issue 23): what the tumour board may decide for the bones, lesion by lesion.

`Assessment.plan` (schema 1.2) holds a `BonePlan` when the case has bone lesions, plan inputs or a
cord-compression picture. Three parts:

- `patient`: the patient-level picture the rules read (life expectancy band as the clinician
  estimated it, performance status from every section, neurological status), with contradictions;
- `lesions`: per lesion the three axes of the guideline's organisation section (pain,
  neurological risk, fracture/instability risk), each with its level, the evidence (paths into the
  case) and what is missing to decide;
- `proposals`: sourced proposals "for the board to discuss", never prescriptions. Each names its
  rule (SX-/SP-/RT-/CC- here; BT-/VD-/DN- from issue 24 use the same type), kind, the lesions it
  concerns, priority, the checks that must come first, statements, seed reference numbers, sources,
  whether it rests outside the référentiel, and the data it lacked. Urgent proposals come first;
  the cord-compression pathway first of all;
- `not_proposed`: rules considered and not proposed, each with its reason (e.g. SBRT: a lesion of
  6 cm, over the size bound).

`headline(plan)` is the plan's first line (for the web headline and summaries).
"""

from __future__ import annotations

from typing import Literal

from bonemet.base import Frozen as _Frozen
from bonemet.base.terms import SkeletalSite
from bonemet.base.text import Text
from bonemet.model.plan_inputs import LifeExpectancyBand
from bonemet.model.trace import Fact, MissingData

PLAN_STRENGTH = Text(en="For the board to discuss", fr="À discuter en RCP")

Axis = Literal["pain", "neurological", "fracture"]
# high: the axis calls for action; intermediate: judgement; low: reassuring as recorded;
# unknown: nothing recorded that decides (see `missing`).
AxisLevel = Literal["high", "intermediate", "low", "unknown"]
ProposalKind = Literal[
    "surgery", "spine", "radiotherapy", "sbrt", "vertebroplasty", "cord_compression",
    "prognosis", "drug_interaction",
    # issue 24 (systemic bone treatment) adds its kinds here, same Proposal type
    "bone_targeted_agent", "vitamin_d", "dental",
]
Basis = Literal["referentiel", "external", "derived"]


class AxisReading(_Frozen):
    axis: Axis
    level: AxisLevel
    summary: Text
    evidence: tuple[Fact, ...] = ()
    missing: tuple[MissingData, ...] = ()


class PlanLesion(_Frozen):
    """One lesion, read once from every exam that records it (same site, side and level)."""

    id: str  # stable key: site[:level][:side]
    label: Text
    site: SkeletalSite
    side: str | None = None
    level: str | None = None
    paths: tuple[str, ...]  # exams[i].lesions[j] where it is recorded, oldest first
    weight_bearing: bool
    long_bone: bool
    operated: bool = False
    irradiated: bool = False
    # Whether the lesion is complicated for radiotherapy (PL-31): None when nothing says.
    complicated: bool | None = None
    complications: tuple[str, ...] = ()
    pain: AxisReading
    neurological: AxisReading
    fracture: AxisReading


class PlanCheck(_Frozen):
    """What must be settled before a proposal (e.g. fracture risk before radiotherapy)."""

    rule_id: str
    lesion: str  # the PlanLesion id it is about (the first of `lesions` when several)
    kind: Literal["fracture_risk", "spinal_stability"]
    status: Literal["to_check", "reassuring", "at_risk"]
    text: Text
    evidence: tuple[Fact, ...] = ()
    # Every lesion the same check is about: one line for several vertebrae saying the same thing
    # (second clinical review of issue 23, N9); empty on a check built for one lesion.
    lesions: tuple[str, ...] = ()


class NotProposed(_Frozen):
    """A rule the plan considered and did not propose, with the reason (second clinical review
    of issue 23, N5): an empty table never leaves the board guessing why, e.g. no ablative
    radiotherapy because a lesion is 6 cm, or a spine surgeon's opinion withdrawn by a short life
    expectancy. Texts come from the knowledge data (plan.yaml `not_proposed`)."""

    rule_id: str
    title: Text  # the rule's title
    reason: Text
    lesions: tuple[str, ...] = ()  # PlanLesion ids; empty: the patient as a whole
    facts: tuple[Fact, ...] = ()


class PlanSourceRef(_Frozen):
    label: str
    url: str | None = None
    outside_referentiel: bool


class Proposal(_Frozen):
    rule_id: str
    kind: ProposalKind
    basis: Basis
    lesions: tuple[str, ...] = ()  # PlanLesion ids; empty: the patient as a whole
    priority: Literal["urgent", "routine"] = "routine"
    strength: Text = PLAN_STRENGTH
    surgical: bool = False  # proposes or opens a surgical option (gated by life expectancy)
    title: Text
    text: Text
    checks: tuple[PlanCheck, ...] = ()  # to settle first, in order
    facts: tuple[Fact, ...] = ()
    statement_ids: tuple[str, ...]
    references: tuple[int, ...] = ()  # the seed's reference numbers
    sources: tuple[PlanSourceRef, ...]
    outside_referentiel: bool
    caveats: tuple[Text, ...] = ()  # from the statements (verify / truncated / [M])
    missing_data: tuple[MissingData, ...] = ()


class PatientPicture(_Frozen):
    life_expectancy: LifeExpectancyBand | None = None
    ecog: int | None = None  # the least reassuring value recorded when sources disagree
    neurological_deficit: bool | None = None
    evidence: tuple[Fact, ...] = ()
    contradictions: tuple[Text, ...] = ()
    # Facts the board should know that change the reading (a compression graded before surgery).
    notes: tuple[Text, ...] = ()
    missing: tuple[MissingData, ...] = ()


class BonePlan(_Frozen):
    plan_version: int  # version of kb/data/plan.yaml (the base's version is on the assessment)
    kb_version: str
    # False outside a confirmed lung primary: only the cord-compression pathway (CC-) is proposed,
    # the lesions and their axes are still shown.
    in_scope: bool = True
    patient: PatientPicture
    lesions: tuple[PlanLesion, ...] = ()
    proposals: tuple[Proposal, ...] = ()
    # Rules considered and not proposed, with their reason (review 23b, N5).
    not_proposed: tuple[NotProposed, ...] = ()
    # One item per field across rules (a proposal keeps its own in `Proposal.missing_data`).
    missing_data: tuple[MissingData, ...] = ()

    def for_lesion(self, lesion_id: str) -> tuple[Proposal, ...]:
        return tuple(p for p in self.proposals if lesion_id in p.lesions)

    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.rule_id for p in self.proposals))


def headline(plan: BonePlan | None) -> Text | None:
    """The plan's first line: the first proposal's title, with the lesion it concerns."""
    if plan is None or not plan.proposals:
        return None
    first = plan.proposals[0]
    labels = {x.id: x.label for x in plan.lesions}
    where = labels.get(first.lesions[0]) if first.lesions else None
    urgent = first.priority == "urgent"
    en = ("Urgent: " if urgent else "") + first.title.en + (f" ({where.en})" if where else "")
    fr = ("Urgent : " if urgent else "") + first.title.fr + (f" ({where.fr})" if where else "")
    return Text(en=en, fr=fr)
