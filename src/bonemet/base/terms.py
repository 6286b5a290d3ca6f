"""The clinical terms that the knowledge base and the models both name.

The knowledge base keys its thresholds, windows and labels by these terms (`kb/flare.yaml` names
an analyte, a treatment type, an argument of the flare reader); the case and assessment models use
them as field types. They live below both so that neither imports the other. `bonemet.model.case`
and `bonemet.model.followup` re-export them: a reader of a case finds its vocabulary there.
"""

from __future__ import annotations

from enum import StrEnum


class SkeletalSite(StrEnum):
    skull = "skull"
    cervical_spine = "cervical_spine"
    thoracic_spine = "thoracic_spine"
    lumbar_spine = "lumbar_spine"
    sacrum = "sacrum"
    pelvis = "pelvis"
    acetabulum = "acetabulum"
    ribs = "ribs"
    sternum = "sternum"
    scapula = "scapula"
    clavicle = "clavicle"
    humerus = "humerus"
    forearm = "forearm"
    femur_proximal = "femur_proximal"
    femur_shaft = "femur_shaft"
    femur_distal = "femur_distal"
    tibia_fibula = "tibia_fibula"
    other = "other"


class Modality(StrEnum):
    bone_scan = "bone_scan"
    spect_ct = "spect_ct"
    fdg_pet_ct = "fdg_pet_ct"
    naf_pet_ct = "naf_pet_ct"
    ct = "ct"
    mri = "mri"
    wb_mri = "wb_mri"
    radiograph = "radiograph"


class Change(StrEnum):
    more_foci = "more_foci"
    more_intense = "more_intense"
    stable = "stable"
    fewer_or_less_intense = "fewer_or_less_intense"


class RadiographFinding(StrEnum):
    recalcification = "recalcification"
    worsening_osteolysis = "worsening_osteolysis"
    stable = "stable"


class CtFinding(StrEnum):
    """What a CT (or the CT of a PET-CT or SPECT-CT) shows of the bone lesions versus the previous
    one. New or increasing sclerosis under treatment is the osteoblastic reaction described under
    EGFR/ALK inhibitors (reference 34): the flare reader reads it with the bone scan's timing."""

    sclerosis_new_or_increasing = "sclerosis_new_or_increasing"
    worsening_osteolysis = "worsening_osteolysis"
    stable = "stable"


class MriFinding(StrEnum):
    infiltration_regressing = "infiltration_regressing"
    infiltration_progressing = "infiltration_progressing"
    stable = "stable"


class TreatmentType(StrEnum):
    chemotherapy = "chemotherapy"
    hormone_therapy = "hormone_therapy"
    immunotherapy = "immunotherapy"
    chemo_immunotherapy = "chemo_immunotherapy"
    egfr_tki = "egfr_tki"
    alk_tki = "alk_tki"
    other_targeted = "other_targeted"
    radiotherapy = "radiotherapy"
    zoledronic_acid = "zoledronic_acid"
    denosumab = "denosumab"
    surgery = "surgery"


class Analyte(StrEnum):
    bone_alp = "bone_alp"
    ctx = "ctx"
    cea = "cea"
    cyfra_21_1 = "cyfra_21_1"
    calcium = "calcium"
    calcium_corrected = "calcium_corrected"  # albumin-corrected, as the laboratory reports it
    creatinine = "creatinine"
    vitamin_d_25oh = "vitamin_d_25oh"


class ClinicalState(StrEnum):
    improving = "improving"
    stable = "stable"
    deteriorating = "deteriorating"


class OutsideBoneStatus(StrEnum):
    responding = "responding"
    stable = "stable"
    progressing = "progressing"



class Classification(StrEnum):
    no_progression = "no_progression"
    progression = "progression"
    flare_likely = "flare_likely"
    progression_likely = "progression_likely"
    indeterminate = "indeterminate"


class Timing(StrEnum):
    """Relative to the 6-month anniversary of the line's start: `late` is strictly after it.

    The chapter says "after" / "beyond" the sixth month; the anniversary day itself is therefore
    still early (the project's reading of the boundary, docs/flare.md)."""

    early = "early"
    late = "late"


class Direction(StrEnum):
    favours_flare = "favours_flare"
    favours_progression = "favours_progression"
    neutral = "neutral"


class ArgumentName(StrEnum):
    """The body of evidence of the chapter (clinical course, radiographs, MRI, markers)."""

    clinical_status = "clinical_status"
    radiograph = "radiograph"
    mri = "mri"
    cea = "cea"
    cyfra_21_1 = "cyfra_21_1"
    bone_marker_kinetics = "bone_marker_kinetics"
    response_outside_bone = "response_outside_bone"
    ct = "ct"  # bone lesions on CT: new or increasing sclerosis, worsening osteolysis (project reading)


class NotComparable(StrEnum):
    no_comparator = "no_comparator"
    no_treatment_start = "no_treatment_start"
    line_start_unknown = "line_start_unknown"
    before_treatment = "before_treatment"
    same_day_duplicate = "same_day_duplicate"
    change_unknown = "change_unknown"
    # A NaF-PET is compared with a NaF-PET only (issue 21, class 5): it shows more foci than a
    # planar scan, so a count against a planar comparator is no change.
    different_modality = "different_modality"
    # FDG shows tumour glucose uptake, not the osteoblastic reaction: not read as flare or not.
    not_read_fdg = "not_read_fdg"

