"""What a clinician knows about one patient: the input of every bonemet capability.

Frozen pydantic models with closed vocabularies, ISO dates and explicit units: an error names the
field and the reason. `CASE_SCHEMA_VERSION` changes with a field's meaning, not with an addition.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from bonemet.base import CaseDate
from bonemet.base import Frozen as _Frozen
from bonemet.base.fields import FieldErrors, FieldProblem

# The terms the knowledge base names too live in bonemet.base.terms; re-exported here, the case's vocabulary.
from bonemet.base.terms import (
    Analyte as Analyte,
)
from bonemet.base.terms import (
    Change as Change,
)
from bonemet.base.terms import (
    ClinicalState as ClinicalState,
)
from bonemet.base.terms import (
    CtFinding as CtFinding,
)
from bonemet.base.terms import (
    Modality as Modality,
)
from bonemet.base.terms import (
    MriFinding as MriFinding,
)
from bonemet.base.terms import (
    OutsideBoneStatus as OutsideBoneStatus,
)
from bonemet.base.terms import (
    RadiographFinding as RadiographFinding,
)
from bonemet.base.terms import (
    SkeletalSite as SkeletalSite,
)
from bonemet.base.terms import (
    TreatmentType as TreatmentType,
)
from bonemet.model.follow_up import LAB_CATALOGUE as LAB_CATALOGUE
from bonemet.model.follow_up import ClinicalStatus as ClinicalStatus
from bonemet.model.follow_up import LabResult as LabResult
from bonemet.model.follow_up import OutsideBoneResponse as OutsideBoneResponse
from bonemet.model.follow_up import Patient as Patient
from bonemet.model.oncology import OncologyRecord
from bonemet.model.plan_inputs import LesionComplications, PlanInputs
from bonemet.model.score_inputs import (
    BilskyGrade,
    HarringtonInputs,
    MirelsInputs,
    PatientScoreInputs,
    SinsInputs,
    score_site_problems,
)

CASE_SCHEMA_VERSION: Literal["1.0"] = "1.0"


class PrimarySite(StrEnum):
    lung = "lung"
    kidney = "kidney"
    thyroid = "thyroid"
    breast = "breast"
    prostate = "prostate"
    other = "other"


class Histology(StrEnum):
    adenocarcinoma = "adenocarcinoma"
    squamous_cell_carcinoma = "squamous_cell_carcinoma"
    large_cell_carcinoma = "large_cell_carcinoma"
    nsclc_nos = "nsclc_nos"
    sclc = "sclc"
    large_cell_neuroendocrine = "large_cell_neuroendocrine"
    carcinoid = "carcinoid"  # typical or atypical: a well-differentiated neuroendocrine tumour
    mesothelioma = "mesothelioma"  # pleural, not bronchial
    metastasis_from_other_primary = "metastasis_from_other_primary"  # a lung metastasis
    other = "other"


# The chapter's "lung cancer" is a lung carcinoma: NSCLC (adenocarcinoma, squamous, large cell, NOS),
# SCLC and large-cell neuroendocrine carcinoma (high grade, FDG-avid, staged like SCLC). These tumours
# are not (docs/scope.md): a carcinoid is often FDG-negative and staged with somatostatin-receptor
# imaging; a mesothelioma is pleural; a metastasis to the lung is staged as its own primary.
OUTSIDE_CHAPTER_HISTOLOGY = frozenset(
    {Histology.carcinoid, Histology.mesothelioma, Histology.metastasis_from_other_primary}
)


class Gene(StrEnum):
    EGFR = "EGFR"
    ALK = "ALK"
    KRAS = "KRAS"
    ROS1 = "ROS1"
    BRAF = "BRAF"
    MET = "MET"
    RET = "RET"
    NTRK = "NTRK"
    HER2 = "HER2"
    other = "other"


class DriverAlteration(_Frozen):
    gene: Gene
    detail: str | None = Field(None, description="e.g. 'exon 19 deletion', 'G12C', 'EML4-ALK'")


class DiagnosisStatus(StrEnum):
    """How certain the cancer diagnosis is; the chapter applies to a confirmed lung primary only."""

    confirmed = "confirmed"
    suspected = "suspected"
    none = "none"  # no cancer diagnosed (e.g. a bone scan ordered outside oncology)


ScopeStatus = Literal["in_scope", "out_of_scope", "unknown"]


class Cancer(_Frozen):
    # No default site: a case that does not say which cancer it is must not be read as lung cancer
    # (issue 17, hazard HZ-AD-01).
    primary_site: PrimarySite | None = Field(None, description="Site of the primary; None: not recorded")
    diagnosis: DiagnosisStatus | None = Field(
        None, description="Certainty of the diagnosis; None: confirmed when primary_site is recorded"
    )
    histology: Histology | None = None
    diagnosis_date: CaseDate | None = None
    driver_alterations: tuple[DriverAlteration, ...] = ()
    bone_metastases_known: bool | None = Field(
        None, description="Bone metastases already established before the current question"
    )
    # Issue 26 review F7: the out-of-scope reason names the cancer read (a leukaemia is "other").
    recorded_as: str | None = Field(None, max_length=200, description=(
        "The cancer as the record names it (e.g. 'Chronic lymphoid leukemia'), when not a lung cancer"))

    @model_validator(mode="after")
    def _no_site_without_cancer(self) -> Cancer:
        if self.diagnosis is DiagnosisStatus.none and (self.primary_site or self.histology):
            raise ValueError("diagnosis 'none' (no cancer) contradicts a recorded primary_site/histology")
        return self

    def scope(self) -> tuple[ScopeStatus, tuple[str, ...]]:
        """Whether the chapter applies (confirmed lung primary), and the fields that would decide it.

        A recorded site counts as a diagnosis unless it is marked suspected; histology alone never
        implies a lung primary (an adenocarcinoma may be of any organ), and a histology outside the
        chapter (OUTSIDE_CHAPTER_HISTOLOGY) excludes it whatever the site.
        """
        if self.diagnosis is DiagnosisStatus.none:
            return "out_of_scope", ()
        if self.histology in OUTSIDE_CHAPTER_HISTOLOGY:
            return "out_of_scope", ()  # whatever the site typed: the tumour is not a lung carcinoma
        if self.primary_site is None:
            return "unknown", ("cancer.primary_site",)
        if self.primary_site is not PrimarySite.lung:
            return "out_of_scope", ()
        if self.diagnosis is DiagnosisStatus.suspected:
            return "unknown", ("cancer.diagnosis",)
        return "in_scope", ()


class Phase(StrEnum):
    staging = "staging"
    on_treatment = "on_treatment"
    follow_up = "follow_up"


class Question(StrEnum):
    """A clinical question the advisor answers: stated by the user, or raised by the case itself
    (phase, findings, new pain; core/context.py)."""

    staging = "staging"
    follow_up = "follow_up"
    response_assessment = "response_assessment"
    isolated_lesion = "isolated_lesion"
    equivocal_finding = "equivocal_finding"
    occult_disease = "occult_disease"
    new_bone_pain = "new_bone_pain"


class ClinicalContext(_Frozen):
    phase: Phase
    as_of: CaseDate | None = Field(
        None, description="Date of the decision; default: the latest date found in the case"
    )
    question: Question | None = None
    question_text: str | None = Field(
        None, description="A specific clinical question in free text (justifies a follow-up scan)"
    )
    new_bone_pain: bool | None = None
    pain_sites: tuple[SkeletalSite, ...] = Field(
        (), description="Where the new bone pain is (targeted imaging of the painful site)"
    )
    neurological_deficit: bool | None = Field(
        None, description="Neurological symptoms or signs (weakness, sensory loss, sphincter "
                          "disturbance, radicular pain): with spinal pain, suspected cord compression"
    )


class Availability(_Frozen):
    """Which modalities the centre can offer; None means not recorded."""

    fdg_pet: bool | None = None
    naf_pet: bool | None = None
    spect_ct: bool | None = None
    mri: bool | None = None


class Purpose(StrEnum):
    staging = "staging"
    follow_up = "follow_up"
    response_assessment = "response_assessment"
    characterisation = "characterisation"
    other = "other"


class PetCoverage(StrEnum):
    skull_base_to_mid_thigh = "skull_base_to_mid_thigh"
    skull_base_to_knees = "skull_base_to_knees"
    vertex_to_mid_thigh = "vertex_to_mid_thigh"
    vertex_to_feet = "vertex_to_feet"
    other = "other"


# Sweeps that, by their definition, stop above the knees and so cut the femurs.
PARTIAL_FEMUR_COVERAGE = frozenset(
    {PetCoverage.skull_base_to_mid_thigh, PetCoverage.vertex_to_mid_thigh}
)
FULL_FEMUR_COVERAGE = frozenset({PetCoverage.skull_base_to_knees, PetCoverage.vertex_to_feet})


class Result(StrEnum):
    positive = "positive"
    negative = "negative"
    equivocal = "equivocal"


class Phenotype(StrEnum):
    lytic = "lytic"
    blastic = "blastic"
    mixed = "mixed"


class Side(StrEnum):
    left = "left"
    right = "right"
    midline = "midline"


class BiopsyResult(StrEnum):
    """The histology of a bone biopsy of one lesion."""

    metastasis = "metastasis"
    paget = "paget"  # Paget's disease of bone
    fracture = "fracture"  # fracture (insufficiency or traumatic), no tumour
    other_benign = "other_benign"
    non_diagnostic = "non_diagnostic"  # settles nothing: the lesion is still to be characterised


class Biopsy(_Frozen):
    """A bone biopsy of the lesion it is recorded on."""

    date: CaseDate
    result: BiopsyResult

    @property
    def settles(self) -> bool:
        """The lesion's nature is known (a non-diagnostic biopsy leaves it open)."""
        return self.result is not BiopsyResult.non_diagnostic

    @property
    def benign(self) -> bool:
        return self.settles and self.result is not BiopsyResult.metastasis


class Lesion(_Frozen):
    site: SkeletalSite
    side: Side | None = None
    level: str | None = Field(None, description="Vertebral level or detail, e.g. 'T8'")
    phenotype: Phenotype | None = None
    irradiated: bool = Field(False, description="The site received radiotherapy")
    irradiated_on: dt.date | None = Field(
        None, description="Last day of the radiotherapy to this site (flare reader: healing window)"
    )
    change_vs_previous: Change | None = Field(
        None, description="This lesion's change versus the previous scan (more_foci: a new focus)"
    )
    suspicious: bool | None = Field(None, description="Read as suspicious on this exam")
    # Tumour-board score inputs (bonemet.scores), each only for the sites its score applies to.
    mirels: MirelsInputs | None = Field(None, description="Long-bone lesion: Mirels inputs")
    sins: SinsInputs | None = Field(None, description="Spinal lesion: SINS inputs")
    bilsky: BilskyGrade | None = Field(None, description="Spinal lesion: Bilsky ESCC grade")
    harrington: HarringtonInputs | None = Field(None, description="Acetabular lesion: Harrington")
    biopsy: Biopsy | None = Field(None, description="Bone biopsy of this lesion and its result")
    complications: LesionComplications | None = Field(None, description="Bone plan (docs/plan.md)")

    @model_validator(mode="after")
    def _scores_fit_site(self) -> Lesion:
        problems = score_site_problems(self.site.value, mirels=self.mirels, sins=self.sins,
                                       bilsky=self.bilsky, harrington=self.harrington)
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Indication(StrEnum):
    """Why an exam was requested, as recorded at its own date (cohort audit of NM-04; docs/audit.md).

    `context.new_bone_pain`/`question_text` describe the decision being made now; this field keeps
    the reason of each past exam so that an audit can judge every exam at its own date.
    """

    routine = "routine"  # scheduled surveillance: no new bone pain, no specific question
    new_bone_pain = "new_bone_pain"
    specific_question = "specific_question"


# Exams that include a CT of the bones (`ImagingExam.ct_finding`).
WITH_CT = frozenset({Modality.ct, Modality.spect_ct, Modality.fdg_pet_ct, Modality.naf_pet_ct})


def booking_hint(path: str) -> str:
    """Only an exam can be booked (status: planned); the hint is not given for a treatment or a lab
    (review of issue 21, m6)."""
    return ", or record a booked exam with status: planned" if path.startswith("exams[") and \
        path.endswith("].date") else ""


class ExamStatus(StrEnum):
    """A booked exam is kept as planned: shown, never read as done (issue 21, class 7)."""

    done = "done"
    planned = "planned"


# What only a performed exam can hold: a planned exam with one of these is a contradiction.
_FINDINGS = ("result", "change_vs_previous", "hot_spot_count", "isolated_lesion", "ct_finding",
             "radiograph_finding", "mri_finding")


class ImagingExam(_Frozen):
    id: str = Field(min_length=1)
    date: CaseDate
    status: ExamStatus = Field(
        ExamStatus.done, description="planned: booked, not performed (never read as done)")
    modality: Modality
    purpose: Purpose | None = None
    result: Result | None = Field(None, description="None while the report is pending")
    pet_coverage: PetCoverage | None = Field(None, description="Axial field of view (PET only)")
    femurs_included: bool | None = Field(
        None, description="Both femurs included in full (PET only); overrides the coverage label"
    )
    hot_spot_count: int | None = Field(None, ge=0)
    change_vs_previous: Change | None = None
    isolated_lesion: bool | None = Field(
        None, description="A single bone lesion; default: result positive with exactly one lesion"
    )
    lesions: tuple[Lesion, ...] = ()
    target_site: SkeletalSite | None = Field(None, description="Region imaged by a targeted exam")
    radiograph_finding: RadiographFinding | None = None
    mri_finding: MriFinding | None = None
    ct_finding: CtFinding | None = Field(
        None, description="Bone lesions on the CT (or the CT of a PET-CT/SPECT-CT) versus the previous "
                          "one: new or increasing sclerosis, worsening osteolysis, stable (flare reader)"
    )
    indication: Indication | None = Field(
        None, description="Reason recorded with the request (audit of past exams); None: not recorded"
    )

    @model_validator(mode="after")
    def _modality_specific_fields(self) -> ImagingExam:
        pet = {Modality.fdg_pet_ct, Modality.naf_pet_ct}
        if self.modality not in pet and (self.pet_coverage or self.femurs_included is not None):
            raise ValueError("pet_coverage/femurs_included apply to PET exams only")
        if self.radiograph_finding and self.modality is not Modality.radiograph:
            raise ValueError("radiograph_finding applies to radiographs only")
        if self.mri_finding and self.modality not in {Modality.mri, Modality.wb_mri}:
            raise ValueError("mri_finding applies to MRI only")
        if self.ct_finding and self.modality not in WITH_CT:
            raise ValueError("ct_finding applies to exams with a CT (ct, spect_ct, fdg_pet_ct, naf_pet_ct)")
        return self

    @model_validator(mode="after")
    def _planned_holds_no_finding(self) -> ImagingExam:
        if self.status is not ExamStatus.planned:
            return self
        problems = [FieldProblem(name, "a planned exam has no finding yet; record it once done "
                                       "(status: done)", "planned_finding")
                    for name in _FINDINGS if getattr(self, name) is not None]
        if self.lesions:
            problems.append(FieldProblem("lesions", "a planned exam has no lesion yet; record them "
                                                    "once done (status: done)", "planned_finding"))
        if problems:
            raise FieldErrors(problems)
        return self

    @property
    def done(self) -> bool:
        """Performed (its report may still be pending); a planned exam is never read as done."""
        return self.status is ExamStatus.done

    @property
    def is_isolated_lesion(self) -> bool:
        if self.isolated_lesion is not None:
            return self.isolated_lesion
        if self.hot_spot_count is not None and self.hot_spot_count != 1:
            return False  # a planar count of several foci is not a single lesion
        return self.result is Result.positive and len(self.lesions) == 1

    @property
    def covers_femurs(self) -> bool | None:
        if self.femurs_included is not None:
            return self.femurs_included
        if self.pet_coverage in FULL_FEMUR_COVERAGE:
            return True
        if self.pet_coverage in PARTIAL_FEMUR_COVERAGE:
            return False
        return None


SYSTEMIC_ANTICANCER = frozenset(
    {
        TreatmentType.chemotherapy,
        TreatmentType.hormone_therapy,
        TreatmentType.immunotherapy,
        TreatmentType.chemo_immunotherapy,
        TreatmentType.egfr_tki,
        TreatmentType.alk_tki,
        TreatmentType.other_targeted,
    }
)
# Antiresorptive (bone-targeted) agents: not a line of anticancer treatment (issue 24's bone plan).
BONE_AGENTS = frozenset({TreatmentType.zoledronic_acid, TreatmentType.denosumab})


class StopReason(StrEnum):
    """Why a line ended: a line stopped for progression makes older scans a poor comparator."""

    progression = "progression"
    toxicity = "toxicity"
    completed = "completed"
    other = "other"


class StoppedAgent(_Frozen):
    """An agent stopped while the rest of its line goes on (carboplatin stopped for toxicity,
    osimertinib and pemetrexed continued: issue 26 review F6)."""

    agent: str = Field(min_length=1)
    end: CaseDate
    stop_reason: StopReason | None = None


class Treatment(_Frozen):
    id: str = Field(min_length=1)
    type: TreatmentType
    agents: tuple[str, ...] = ()
    start: CaseDate | None = Field(None, description="Needed for the 6-month rule")
    end: CaseDate | None = None
    line_number: int | None = Field(None, ge=1)
    site: SkeletalSite | None = Field(None, description="Target site (radiotherapy, surgery)")
    # Which lesion of the site it treated (issue 23, review N1): without them, a site with several
    # lesions leaves the lesion unknown and bonemet says so rather than guessing.
    level: str | None = Field(None, max_length=40, description=(
        "Vertebral level(s) treated (radiotherapy, surgery), e.g. 'T8' or 'T7-T9'"))
    side: Side | None = Field(None, description="Side treated (radiotherapy, surgery)")
    stop_reason: StopReason | None = Field(None, description="Why the line ended (with `end`)")
    driver: Gene | None = Field(
        None, description="Targeted therapy: the driver alteration it targets (e.g. EGFR)"
    )
    dose_gy: float | None = Field(None, gt=0, le=100, description="Radiotherapy: total dose (Gy)")
    fractions: int | None = Field(None, ge=1, le=50, description="Radiotherapy: number of fractions")
    # The last dose given (issue 24): the zoledronic acid dose is checked against the clearance.
    # Bounds refuse a unit slip (a dose in µg or g typed as mg), not a wrong dose: that is warned.
    dose_mg: float | None = Field(None, gt=0, le=500, description=(
        "Bone-targeted agent: the dose given per administration, in mg"))
    # Issue 26 review F6: a component stopped before the line, kept with when and why.
    stopped_agents: tuple[StoppedAgent, ...] = Field((), description=(
        "Agents of the line stopped before the line ended, with their end and reason"))

    @model_validator(mode="after")
    def _stopped_agents_of_the_line(self) -> Treatment:
        for s in self.stopped_agents:
            if s.agent not in self.agents or (self.start and s.end < self.start) or (
                    self.end and s.end > self.end):
                raise ValueError(f"stopped agent {s.agent!r} ({s.end}): not an agent of the line, or "
                                 "its end is outside the line's dates")
        return self

    @model_validator(mode="after")
    def _end_after_start(self) -> Treatment:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if (self.dose_gy or self.fractions) and self.type is not TreatmentType.radiotherapy:
            raise ValueError("dose_gy/fractions apply to radiotherapy only")
        if (self.level or self.side) and self.type not in (TreatmentType.radiotherapy,
                                                           TreatmentType.surgery):
            raise ValueError("level/side apply to radiotherapy and surgery only")
        if self.dose_mg is not None and self.type not in BONE_AGENTS:
            raise ValueError("dose_mg applies to zoledronic acid and denosumab only")
        return self

    @property
    def is_systemic_line(self) -> bool:
        return self.type in SYSTEMIC_ANTICANCER

    def label(self) -> str:
        name = "+".join(self.agents) if self.agents else self.type.value
        return f"{name} (L{self.line_number})" if self.line_number else name


class Case(_Frozen):
    schema_version: Literal["1.0"] = CASE_SCHEMA_VERSION
    case_id: str = Field(min_length=1, max_length=128)
    patient: Patient = Patient()
    cancer: Cancer = Cancer()
    context: ClinicalContext
    availability: Availability = Availability()
    exams: tuple[ImagingExam, ...] = ()
    treatments: tuple[Treatment, ...] = ()
    labs: tuple[LabResult, ...] = ()
    clinical_status: tuple[ClinicalStatus, ...] = ()
    response_outside_bone: tuple[OutsideBoneResponse, ...] = ()
    score_inputs: PatientScoreInputs | None = Field(
        None, description="Patient-level inputs of Tokuhashi, Tomita, Frankel/ASIA (asks for these scores)"
    )
    plan_inputs: PlanInputs | None = Field(None, description="Bone plan: life expectancy, ECOG")
    # Issue 26 (mCODE in): staging, disease status, Karnofsky, cancer surgery, recorded bone sites.
    oncology: OncologyRecord | None = Field(None, description="Oncology record facts (mCODE)")

    @model_validator(mode="after")
    def _unique_ids(self) -> Case:
        for what, ids in (("exam", [e.id for e in self.exams]),
                          ("treatment", [t.id for t in self.treatments])):
            seen: set[str] = set()
            for i in ids:
                if i in seen:
                    raise ValueError(f"duplicate {what} id {i!r}")
                seen.add(i)
        return self

    @model_validator(mode="after")
    def _nothing_done_after_the_decision_date(self) -> Case:
        """A fact dated after an explicit decision date is refused (it used to vanish in silence):
        a typing slip must be corrected, and a booked exam recorded with status: planned."""
        as_of = self.context.as_of
        if as_of is None:
            return self
        late = [(path, day) for path, day in self.done_dates() if day > as_of]
        if late:
            raise FieldErrors(FieldProblem(
                path, f"{day.isoformat()} is after the decision date context.as_of "
                      f"({as_of.isoformat()}): correct the date" + booking_hint(path),
                "after_as_of", as_of.isoformat()) for path, day in late)
        return self

    def done_dates(self) -> list[tuple[str, dt.date]]:
        """Every date of something that happened, with its path. Not the planned exams, nor a
        treatment's end (a course may have a planned end)."""
        out: list[tuple[str, dt.date]] = []
        if self.cancer.diagnosis_date:
            out.append(("cancer.diagnosis_date", self.cancer.diagnosis_date))
        for i, e in enumerate(self.exams):
            if e.done:
                out.append((f"exams[{i}].date", e.date))
            for j, lesion in enumerate(e.lesions):
                if lesion.irradiated_on:
                    out.append((f"exams[{i}].lesions[{j}].irradiated_on", lesion.irradiated_on))
                if lesion.biopsy:
                    out.append((f"exams[{i}].lesions[{j}].biopsy.date", lesion.biopsy.date))
        out += [(f"treatments[{i}].start", t.start) for i, t in enumerate(self.treatments) if t.start]
        for name in ("labs", "clinical_status", "response_outside_bone"):
            out += [(f"{name}[{i}].date", x.date) for i, x in enumerate(getattr(self, name))]
        return out

    def latest_date(self) -> dt.date | None:
        """The default decision date; a booked exam's date never moves it."""
        dates = [day for path, day in self.done_dates() if not path.endswith("irradiated_on")]
        dates += [t.end for t in self.treatments if t.end]
        # measured or assessed facts move the default too (issue 26 review F2: a record whose last
        # weight, performance status or staging was after its last lab was assessed too early)
        pi = self.plan_inputs
        if pi is not None:
            dates += [d for d in (pi.ecog_date, pi.weight_date, pi.creatinine_clearance_date,
                                  pi.dental_date, pi.life_expectancy_date) if d]
        if self.oncology is not None:
            o = self.oncology
            dates += [d for d in (*(x.date for x in o.staging), *(x.date for x in o.performance),
                                  *(x.date for x in o.surgeries)) if d]
        return max(dates) if dates else None
