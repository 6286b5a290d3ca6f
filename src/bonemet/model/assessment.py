"""The output of the core: recommendations and ratings, each traceable to rule, statements and refs."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import Field

from bonemet.base import Frozen as _Frozen
from bonemet.base.provenance import KnowledgeBaseInfo
from bonemet.base.terms import SkeletalSite
from bonemet.base.text import Text
from bonemet.model.case import Question
from bonemet.model.followup import FollowUpSection
from bonemet.model.plan import BonePlan
from bonemet.model.probability import ResidualProbability
from bonemet.model.scores import CaseScores
from bonemet.model.trace import Fact as Fact  # re-exported: the vocabulary of every section
from bonemet.model.trace import MissingData as MissingData

# 1.1: optional `follow_up` section (follow-up bone scans, flare vs progression; docs/flare.md).
# 1.2: optional `plan` section (the bone plan for the tumour board; docs/plan.md).
ASSESSMENT_SCHEMA_VERSION: Literal["1.2"] = "1.2"




class Rating(StrEnum):
    """ACR-style appropriateness, best first."""

    usually_appropriate = "usually_appropriate"
    may_be_appropriate = "may_be_appropriate"
    usually_not_appropriate = "usually_not_appropriate"
    no_criteria_apply = "no_criteria_apply"


class RatedModality(StrEnum):
    bone_scan = "bone_scan"
    spect_ct = "spect_ct"
    fdg_pet_ct = "fdg_pet_ct"
    naf_pet_ct = "naf_pet_ct"
    targeted_ct = "targeted_ct"
    targeted_mri = "targeted_mri"
    wb_mri = "wb_mri"
    radiograph = "radiograph"


class Action(StrEnum):
    not_indicated = "not_indicated"
    prefer = "prefer"
    acceptable_alternative = "acceptable_alternative"
    extend_field_of_view = "extend_field_of_view"
    check_field_of_view = "check_field_of_view"
    schedule_after = "schedule_after"
    targeted_imaging = "targeted_imaging"
    specialist_opinion = "specialist_opinion"
    refine_with_spect_ct = "refine_with_spect_ct"
    negative_not_exclusive = "negative_not_exclusive"
    consider_pet = "consider_pet"
    option = "option"
    note = "note"
    already_done = "already_done"  # an exam of this kind answers the question already (ADV-01)
    urgent_alert = "urgent_alert"  # safety net outside the chapter (SAFE-xx)
    # Two sections of the case disagree on a fact; the safe reading was kept (core/patient.py).
    contradiction = "contradiction"
    booked = "booked"  # an exam recorded as planned: shown, never read as done (issue 21)


class Recommendation(_Frozen):
    rule_id: str
    basis: Literal["explicit", "derived"]
    action: Action
    subject: str
    rating: Rating | None = None
    title: Text
    text: Text
    facts: tuple[Fact, ...] = ()
    statement_ids: tuple[str, ...]
    references: tuple[int, ...]
    interpretation: bool = False
    missing_data: tuple[MissingData, ...] = ()
    kb_version: str
    outside_chapter: bool = False  # rests on sources outside the chapter (named in `sources`)
    sources: tuple[str, ...] = ()
    # "urgent": an emergency alert (SAFE-xx) shown before everything else (review C10, HZ-AD-09).
    priority: Literal["urgent", "routine"] = "routine"


class ModalityRating(_Frozen):
    modality: RatedModality
    rating: Rating
    rule_id: str | None
    reason: Text
    preferred_alternative: RatedModality | None = None
    statement_ids: tuple[str, ...] = ()
    references: tuple[int, ...] = ()
    missing_data: tuple[MissingData, ...] = ()
    priority: Literal["urgent", "routine"] = "routine"  # as Recommendation.priority
    # Review 25 F3/F4: an exam a rule defers (NM-05, the flare window) is rated for now (usually
    # not appropriate) and carries its first day, so no adapter offers it as doable now. Left out
    # of the JSON when absent (older outputs and goldens unchanged).
    not_before: dt.date | None = Field(None, exclude_if=lambda v: v is None)
    # Review 25 F13: the site a targeted exam aims at (NM-09's isolated lesion, NM-15's painful
    # site), so "targeted MRI" is never shown without its site.
    target_site: SkeletalSite | None = Field(None, exclude_if=lambda v: v is None)


class Scope(_Frozen):
    """Whether the chapter applies: only to a confirmed lung primary. `unknown` names what is missing."""

    in_scope: bool
    status: Literal["in_scope", "out_of_scope", "unknown"] = "in_scope"
    reason: Text | None = None
    missing_data: tuple[MissingData, ...] = ()


class Assessment(_Frozen):
    schema_version: Literal["1.2"] = ASSESSMENT_SCHEMA_VERSION
    case_id: str
    as_of: dt.date | None
    question: Question
    question_source: Literal["explicit", "derived_from_phase"]
    # Every question the case raises (phase, findings, new pain) plus the stated one (issue 17).
    questions: tuple[Question, ...] = ()
    scope: Scope
    knowledge_base: KnowledgeBaseInfo
    engine_version: str
    recommendations: tuple[Recommendation, ...]
    ratings: tuple[ModalityRating, ...]
    missing_data: tuple[MissingData, ...]
    disclaimer: Text
    follow_up: FollowUpSection | None = None  # schema 1.1
    scores: CaseScores | None = None  # schema 1.1: tumour-board scores the case asks for (docs/scores.md)
    probability: ResidualProbability | None = None  # schema 1.1: residual probability (docs/probability.md)
    plan: BonePlan | None = None  # schema 1.2: the bone plan for the board (docs/plan.md)

    def rating_of(self, modality: RatedModality | str) -> ModalityRating:
        """The rating of one exam, given as the enum or its value (`"bone_scan"`, as in the JSON).

        A value that names no exam raises ValueError; an exam without a rating, KeyError.
        """
        wanted = RatedModality(modality)
        for rating in self.ratings:
            if rating.modality is wanted:
                return rating
        raise KeyError(f"{wanted.value} is not rated in this assessment")

    def rule_ids(self) -> tuple[str, ...]:
        return tuple(sorted({r.rule_id for r in self.recommendations}))
