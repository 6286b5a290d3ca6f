"""Oncology facts an mCODE record carries beyond the bone questions (issue 26): TNM staging, performance
scores other than ECOG, cancer surgery, and the skeletal sites of bone metastases recorded as diagnoses
(SecondaryCancerCondition) rather than seen on an exam. mCODE's CancerDiseaseStatus has its place
already: `clinical_status` (improving / stable / deteriorating), which the follow-up rules read.

Additive and optional (`Case.oncology`): no rule reads staging yet; it is kept and shown so that a
clinician sees what the record says. Values are kept as the record codes
them (a stage group "IIIC", a category "cT3") and never recomputed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bonemet.base import CaseDate
from bonemet.base import Frozen as _Frozen
from bonemet.base.terms import SkeletalSite

StagingKind = Literal["clinical", "pathologic", "post_therapy", "unspecified"]
TnmElement = Literal["stage_group", "T", "N", "M"]


class TnmFinding(_Frozen):
    """One mCODE TNM observation: a stage group or a T, N or M category, clinical or pathologic."""

    kind: StagingKind
    element: TnmElement
    value: str = Field(min_length=1, max_length=80, description="As coded, e.g. 'cT3', 'Stage IIIC'")
    code: str | None = Field(None, max_length=40, description="Its SNOMED CT code, when coded")
    date: CaseDate | None = None


class PerformanceScore(_Frozen):
    """A performance scale that is not ECOG (ECOG goes to plan_inputs / clinical_status). Kept on its
    own scale: a Karnofsky score is never converted to ECOG here."""

    scale: Literal["karnofsky", "lansky"]
    value: int = Field(ge=0, le=100)
    date: CaseDate | None = None


class CancerSurgery(_Frozen):
    """mCODE CancerRelatedSurgicalProcedure that is not bone surgery (a lobectomy, a mastectomy)."""

    name: str = Field(min_length=1, max_length=160)
    code: str | None = Field(None, max_length=40)
    date: CaseDate | None = None


class RecordedBoneSite(_Frozen):
    """A skeletal site of bone metastasis recorded as a diagnosis (mCODE SecondaryCancerCondition
    bodySite), not as an exam finding: the skeleton map and the plan show it as a known site."""

    site: SkeletalSite
    side: Literal["left", "right", "midline"] | None = None  # case.Side's values (no import cycle)
    since: CaseDate | None = Field(None, description="Onset of the secondary cancer condition")
    level: str | None = Field(None, max_length=40, description=(
        "Vertebral level, when the body site's code or text names it (issue 26 review F4)"))


class OncologyRecord(_Frozen):
    staging: tuple[TnmFinding, ...] = ()
    performance: tuple[PerformanceScore, ...] = ()
    surgeries: tuple[CancerSurgery, ...] = ()
    bone_metastasis_sites: tuple[RecordedBoneSite, ...] = ()

    def summary(self) -> list[str]:
        """Plain lines for the case as text (English; the values as the record codes them)."""
        out: list[str] = []
        for kind in ("clinical", "pathologic", "post_therapy", "unspecified"):
            parts = [f.value for f in self.staging if f.kind == kind]
            if parts:
                out.append(f"{kind.replace('_', '-').capitalize()} TNM: {', '.join(parts)}")
        for p in self.performance:
            when = f" ({p.date.isoformat()})" if p.date else ""
            out.append(f"{p.scale.capitalize()} {p.value}{when}")
        for s in self.surgeries:
            out.append(f"Surgery: {s.name}" + (f" ({s.date.isoformat()})" if s.date else ""))
        if self.bone_metastasis_sites:
            out.append(
                "Recorded bone metastasis sites: "
                + ", ".join(b.site.value.replace("_", " ") for b in self.bone_metastasis_sites)
            )
        return out
