"""Inputs of the tumour-board scores, as closed vocabularies that a case or a caller can carry.

The enum values are the option ids of the score tables in kb/data/scores/*.yaml (a test checks
that both stay identical). Every field of an input block is optional: the case records what is
known, and the score reports what is missing instead of guessing it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from bonemet.base import Frozen as _Frozen


class YesNo(StrEnum):
    yes = "yes"
    no = "no"


class BoneLesionType(StrEnum):
    lytic = "lytic"
    mixed = "mixed"
    blastic = "blastic"


class MirelsSite(StrEnum):
    upper_limb = "upper-limb"
    lower_limb = "lower-limb"
    peritrochanteric = "peritrochanteric"


class MirelsPain(StrEnum):
    mild = "mild"
    moderate = "moderate"
    functional = "functional"


class MirelsSize(StrEnum):
    lt_one_third = "lt-1/3"
    one_third_to_two_thirds = "1/3-2/3"
    gt_two_thirds = "gt-2/3"


class SinsLocation(StrEnum):
    junctional = "junctional"
    mobile = "mobile"
    semi_rigid = "semi-rigid"
    rigid = "rigid"


class SinsPain(StrEnum):
    mechanical = "mechanical"
    occasional = "occasional"
    none = "none"


class SinsAlignment(StrEnum):
    subluxation = "subluxation"
    deformity = "deformity"
    normal = "normal"


class SinsCollapse(StrEnum):
    gt_50 = "gt-50"
    lt_50 = "lt-50"
    no_collapse_gt_50_involved = "no-collapse-gt-50-involved"
    none = "none"


class SinsPosterolateral(StrEnum):
    bilateral = "bilateral"
    unilateral = "unilateral"
    none = "none"


class TokuhashiGeneralCondition(StrEnum):
    poor = "poor"
    moderate = "moderate"
    good = "good"


class TokuhashiExtraspinal(StrEnum):
    three_or_more = "3-or-more"
    one_or_two = "1-2"
    none = "0"


class TokuhashiVertebral(StrEnum):
    three_or_more = "3-or-more"
    two = "2"
    one = "1"


class TokuhashiOrganMetastases(StrEnum):
    unremovable = "unremovable"
    removable = "removable"
    none = "none"


class TokuhashiPrimary(StrEnum):
    lung = "lung"
    osteosarcoma = "osteosarcoma"
    stomach = "stomach"
    bladder = "bladder"
    oesophagus = "oesophagus"
    pancreas = "pancreas"
    liver = "liver"
    gallbladder = "gallbladder"
    unidentified = "unidentified"
    other = "other"
    kidney = "kidney"
    uterus = "uterus"
    rectum = "rectum"
    thyroid = "thyroid"
    breast = "breast"
    prostate = "prostate"
    carcinoid = "carcinoid"


class TokuhashiPalsy(StrEnum):
    complete = "complete"
    incomplete = "incomplete"
    none = "none"


class TomitaGrowth(StrEnum):
    slow = "slow"
    moderate = "moderate"
    rapid = "rapid"


class TomitaVisceral(StrEnum):
    none = "none"
    treatable = "treatable"
    untreatable = "untreatable"


class TomitaBone(StrEnum):
    solitary = "solitary"
    multiple = "multiple"


class FrankelGrade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class AsiaGrade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class BilskyGrade(StrEnum):
    g0 = "0"
    g1a = "1a"
    g1b = "1b"
    g1c = "1c"
    g2 = "2"
    g3 = "3"


class WallState(StrEnum):
    intact = "intact"
    deficient = "deficient"


class HarringtonClass(StrEnum):
    I = "I"  # noqa: E741  (the class is named by a Roman numeral)
    II = "II"
    III = "III"
    IV = "IV"


def _yes_no(v: Any) -> Any:
    # YAML reads bare yes/no as booleans; accept both spellings.
    if isinstance(v, bool):
        return YesNo.yes if v else YesNo.no
    return v


class MirelsInputs(_Frozen):
    site: MirelsSite | None = Field(None, description="Default: from the lesion site when unambiguous")
    pain: MirelsPain | None = None
    lesion: BoneLesionType | None = Field(None, description="Default: the lesion phenotype")
    size: MirelsSize | None = Field(None, description="Fraction of the bone diameter on plain film")
    axial_lysis_percent: float | None = Field(
        None, ge=0, le=100, description="CT cortical lysis in the axial plane (%) for the guideline rule"
    )
    circumferential_lysis_percent: float | None = Field(
        None, ge=0, le=100, description="CT cortical lysis of the circumference (%) for the guideline rule"
    )


class SinsInputs(_Frozen):
    location: SinsLocation | None = Field(None, description="Default: from the vertebral level")
    pain: SinsPain | None = None
    lesion: BoneLesionType | None = Field(None, description="Default: the lesion phenotype")
    alignment: SinsAlignment | None = None
    collapse: SinsCollapse | None = None
    posterolateral: SinsPosterolateral | None = None


class HarringtonInputs(_Frozen):
    resectable_for_cure: YesNo | None = None
    medial_wall: WallState | None = None
    lateral_wall_or_roof: WallState | None = None
    classification: HarringtonClass | None = Field(
        None, description="The class when already assigned; give it or the three findings, not both"
    )

    @field_validator("resectable_for_cure", mode="before")
    @classmethod
    def _bool_as_yes_no(cls, v: Any) -> Any:
        return _yes_no(v)

    @model_validator(mode="after")
    def _class_or_findings(self) -> HarringtonInputs:
        findings = (self.resectable_for_cure, self.medial_wall, self.lateral_wall_or_roof)
        if self.classification is not None and any(f is not None for f in findings):
            raise ValueError("give either the Harrington classification or its findings, not both")
        return self


class TokuhashiInputs(_Frozen):
    general_condition: TokuhashiGeneralCondition | None = None
    karnofsky: int | None = Field(None, ge=10, le=100, description="Karnofsky index, a multiple of 10")
    extraspinal_bone_metastases: TokuhashiExtraspinal | None = None
    vertebral_body_metastases: TokuhashiVertebral | None = None
    internal_organ_metastases: TokuhashiOrganMetastases | None = None
    primary_site: TokuhashiPrimary | None = Field(None, description="Default: from cancer.primary_site")
    palsy: TokuhashiPalsy | None = Field(None, description="Default: from the Frankel grade")

    @field_validator("extraspinal_bone_metastases", "vertebral_body_metastases", mode="before")
    @classmethod
    def _count_as_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _karnofsky(self) -> TokuhashiInputs:
        if self.karnofsky is not None and self.karnofsky % 10:
            raise ValueError(f"karnofsky must be a multiple of 10 (got {self.karnofsky})")
        if self.karnofsky is not None and self.general_condition is not None:
            raise ValueError("give either karnofsky or general_condition, not both")
        return self


class TomitaInputs(_Frozen):
    primary_growth: TomitaGrowth | None = Field(None, description="Default: from cancer.primary_site")
    visceral_metastases: TomitaVisceral | None = None
    bone_metastases: TomitaBone | None = None


class PatientScoreInputs(_Frozen):
    """Patient-level inputs of the spine prognosis scores; their presence asks for these scores."""

    tokuhashi: TokuhashiInputs = TokuhashiInputs()
    tomita: TomitaInputs = TomitaInputs()
    frankel: FrankelGrade | None = None
    asia: AsiaGrade | None = None


LONG_BONE_SITES = frozenset(
    {"humerus", "forearm", "femur_proximal", "femur_shaft", "femur_distal", "tibia_fibula"}
)
SPINE_SITES = frozenset({"cervical_spine", "thoracic_spine", "lumbar_spine", "sacrum"})
ACETABULAR_SITES = frozenset({"acetabulum", "pelvis"})


def score_site_problems(site: str, **blocks: object) -> list[str]:
    """Why a lesion's score inputs do not fit its site (Mirels: long bones; SINS/Bilsky: spine;
    Harrington: acetabulum or periacetabular pelvis)."""
    fits = {"mirels": LONG_BONE_SITES, "sins": SPINE_SITES, "bilsky": SPINE_SITES,
            "harrington": ACETABULAR_SITES}
    return [
        f"{name} does not apply to site {site!r} (applies to: {', '.join(sorted(fits[name]))})"
        for name, block in blocks.items() if block is not None and site not in fits[name]
    ]
