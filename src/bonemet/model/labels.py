"""Bilingual names of sites, exams and results as they appear inside the core's sentences.

The core cannot import report/ (layers), so the few names its messages need live here; they are the
in-sentence forms of the display labels of the interface catalogue (bonemet/locale;
tests/model/test_labels.py checks that they agree). Raw codes ("femur_shaft", "ct") never reach a
clinician's sentence (review, item 7).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bonemet.base import format_day, format_number
from bonemet.base.text import Text

from .case import (
    BiopsyResult,
    Histology,
    Modality,
    PetCoverage,
    Result,
    Side,
    SkeletalSite,
    Treatment,
    TreatmentType,
)

SITE: dict[SkeletalSite, Text] = {
    SkeletalSite.skull: Text(en="skull", fr="crâne"),
    SkeletalSite.cervical_spine: Text(en="cervical spine", fr="rachis cervical"),
    SkeletalSite.thoracic_spine: Text(en="thoracic spine", fr="rachis thoracique"),
    SkeletalSite.lumbar_spine: Text(en="lumbar spine", fr="rachis lombaire"),
    SkeletalSite.sacrum: Text(en="sacrum", fr="sacrum"),
    SkeletalSite.pelvis: Text(en="pelvis", fr="bassin"),
    SkeletalSite.acetabulum: Text(en="acetabulum", fr="cotyle"),
    SkeletalSite.ribs: Text(en="ribs", fr="côtes"),
    SkeletalSite.sternum: Text(en="sternum", fr="sternum"),
    SkeletalSite.scapula: Text(en="scapula", fr="omoplate"),
    SkeletalSite.clavicle: Text(en="clavicle", fr="clavicule"),
    SkeletalSite.humerus: Text(en="humerus", fr="humérus"),
    SkeletalSite.forearm: Text(en="forearm", fr="avant-bras"),
    SkeletalSite.femur_proximal: Text(en="proximal femur", fr="fémur proximal"),
    SkeletalSite.femur_shaft: Text(en="femoral shaft", fr="diaphyse fémorale"),
    SkeletalSite.femur_distal: Text(en="distal femur", fr="fémur distal"),
    SkeletalSite.tibia_fibula: Text(en="tibia / fibula", fr="tibia / fibula"),
    SkeletalSite.other: Text(en="other site", fr="autre site"),
}

# Exam names inside a sentence; French with its article where the sentence needs one (`THE`).
EXAM: dict[Modality, Text] = {
    Modality.bone_scan: Text(en="bone scan", fr="scintigraphie osseuse"),
    Modality.spect_ct: Text(en="SPECT-CT", fr="TEMP-TDM"),
    Modality.fdg_pet_ct: Text(en="FDG-PET/CT", fr="TEP-TDM au FDG"),
    Modality.naf_pet_ct: Text(en="NaF-PET/CT", fr="TEP-TDM au NaF"),
    Modality.ct: Text(en="CT", fr="scanner (TDM)"),
    Modality.mri: Text(en="MRI", fr="IRM"),
    Modality.wb_mri: Text(en="whole-body MRI", fr="IRM corps entier"),
    Modality.radiograph: Text(en="radiograph", fr="radiographie"),
}
THE: dict[Modality, Text] = {
    m: Text(en=f"the {t.en}", fr=("l'" if t.fr[0] in "IA" else "le " if m is Modality.ct else "la ")
            + t.fr)
    for m, t in EXAM.items()
}
# A PET's result in French agrees with "la TEP" (feminine).
PET_RESULT: dict[Result, Text] = {
    Result.positive: Text(en="positive", fr="positive"),
    Result.negative: Text(en="negative", fr="négative"),
    Result.equivocal: Text(en="equivocal", fr="douteuse"),
}


# The sweep of a PET inside a sentence (NM-03: "FDG-PET of DATE (COVERAGE) leaves part of the femurs out").
PET_COVERAGE: dict[PetCoverage, Text] = {
    PetCoverage.skull_base_to_mid_thigh: Text(en="skull base to mid-thigh", fr="base du crâne – mi-cuisse"),
    PetCoverage.skull_base_to_knees: Text(en="skull base to knees", fr="base du crâne – genoux"),
    PetCoverage.vertex_to_mid_thigh: Text(en="vertex to mid-thigh", fr="vertex – mi-cuisse"),
    PetCoverage.vertex_to_feet: Text(en="vertex to feet", fr="vertex – pieds"),
    PetCoverage.other: Text(en="other field of view", fr="autre champ"),
}
# A treatment's type inside a sentence ("la ligne chimiothérapie (L1)"), when no agent is recorded.
TREATMENT_TYPE: dict[TreatmentType, Text] = {
    TreatmentType.chemotherapy: Text(en="chemotherapy", fr="chimiothérapie"),
    TreatmentType.hormone_therapy: Text(en="hormone therapy", fr="hormonothérapie"),
    TreatmentType.immunotherapy: Text(en="immunotherapy", fr="immunothérapie"),
    TreatmentType.chemo_immunotherapy: Text(en="chemo-immunotherapy", fr="chimio-immunothérapie"),
    TreatmentType.egfr_tki: Text(en="EGFR TKI", fr="ITK anti-EGFR"),
    TreatmentType.alk_tki: Text(en="ALK TKI", fr="ITK anti-ALK"),
    TreatmentType.other_targeted: Text(en="other targeted therapy", fr="autre thérapie ciblée"),
    TreatmentType.radiotherapy: Text(en="radiotherapy", fr="radiothérapie"),
    TreatmentType.zoledronic_acid: Text(en="zoledronic acid", fr="acide zolédronique"),
    TreatmentType.denosumab: Text(en="denosumab", fr="dénosumab"),
    TreatmentType.surgery: Text(en="surgery", fr="chirurgie"),
}


def treatment(t: Treatment) -> Text:
    """A treatment inside a sentence: its agents ('carboplatin+pemetrexed (L1)'), else its type in
    words ('chimiothérapie (L1)'), never the type's code (issue 21, class 9)."""
    name = Text(en="+".join(t.agents), fr="+".join(t.agents)) if t.agents else TREATMENT_TYPE[t.type]
    suffix = f" (L{t.line_number})" if t.line_number else ""
    return Text(en=name.en + suffix, fr=name.fr + suffix)


def line_ordinal(n: int) -> Text:
    """A line of treatment by its rank, '1st line' / '1re ligne': in the bone plan, "(L1)" would
    read as the first lumbar vertebra (third clinical review, minor 10). `treatment` keeps "(L1)"
    for the flare timeline, where no vertebra is named."""
    tens = n % 100
    suffix = "th" if 11 <= tens <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return Text(en=f"{n}{suffix} line", fr=f"{n}{'re' if n == 1 else 'e'} ligne")


# A bone biopsy's result as the object of "the biopsy found …" (NM-09), with its article.
BIOPSY_RESULT: dict[BiopsyResult, Text] = {
    BiopsyResult.metastasis: Text(en="a bone metastasis", fr="une métastase osseuse"),
    BiopsyResult.paget: Text(en="Paget's disease of bone", fr="une maladie de Paget osseuse"),
    BiopsyResult.fracture: Text(en="a fracture without tumour", fr="une fracture sans tumeur"),
    BiopsyResult.other_benign: Text(en="another benign lesion", fr="une autre lésion bénigne"),
    BiopsyResult.non_diagnostic: Text(en="no diagnosis (non-diagnostic sample)",
                                      fr="une absence de diagnostic (prélèvement non contributif)"),
}

# The histology inside a sentence (ADV-02's scope reason), never its code.
HISTOLOGY: dict[Histology, Text] = {
    Histology.adenocarcinoma: Text(en="adenocarcinoma", fr="adénocarcinome"),
    Histology.squamous_cell_carcinoma: Text(en="squamous cell carcinoma",
                                            fr="carcinome épidermoïde"),
    Histology.large_cell_carcinoma: Text(en="large cell carcinoma", fr="carcinome à grandes cellules"),
    Histology.nsclc_nos: Text(en="non-small cell lung cancer (not otherwise specified)",
                              fr="cancer bronchique non à petites cellules (sans autre précision)"),
    Histology.sclc: Text(en="small cell lung cancer", fr="cancer bronchique à petites cellules"),
    Histology.large_cell_neuroendocrine: Text(en="large cell neuroendocrine carcinoma",
                                              fr="carcinome neuroendocrine à grandes cellules"),
    Histology.carcinoid: Text(en="carcinoid tumour", fr="tumeur carcinoïde"),
    Histology.mesothelioma: Text(en="mesothelioma", fr="mésothéliome"),
    Histology.metastasis_from_other_primary: Text(en="metastasis to the lung from another primary",
                                                  fr="métastase pulmonaire d'un autre primitif"),
    Histology.other: Text(en="other histology", fr="autre histologie"),
}

FEMURS_NOT_INCLUDED = Text(en="femurs not included in full", fr="fémurs non inclus en entier")

# A treatment inside a sentence (NM-02: "the staging PET predates a treatment of the cancer (...)"):
# the same words as a line's type.
TREATMENT = TREATMENT_TYPE


# French grammar of each site's name: gender and number, so that its side agrees
# ("côtes gauches", "omoplate droite", "fémur distal droit").
_FEMININE = frozenset({SkeletalSite.ribs, SkeletalSite.scapula, SkeletalSite.clavicle,
                       SkeletalSite.femur_shaft})
_PLURAL = frozenset({SkeletalSite.ribs, SkeletalSite.tibia_fibula})
_SIDE_FR = {Side.left: "gauche", Side.right: "droit", Side.midline: "médian"}


def side_of(site: SkeletalSite, side: Side) -> Text:
    """The side as an adjective of the site: 'left' / 'gauches' for the ribs, 'droite' for a scapula."""
    word = _SIDE_FR[side]
    if site in _FEMININE and not word.endswith("e"):
        word += "e"
    if site in _PLURAL:
        word += "s"
    return Text(en=side.value, fr=word)


def day(value: dt.date) -> Text:
    """A date inside a sentence: ISO in English, 27/11/2026 in French (never ISO in a French sentence)."""
    return Text(en=value.isoformat(), fr=format_day(value, "fr"))


def number(value: float, pattern: str = "#,##0.##") -> Text:
    """A number inside a sentence: 0.3 in English, 0,3 in French."""
    return Text(en=format_number(value, "en", pattern), fr=format_number(value, "fr", pattern))


def sites(items: Iterable[SkeletalSite]) -> Text | None:
    """'thoracic spine, ribs' / 'rachis thoracique, côtes'; None when there is none."""
    names = [SITE[s] for s in items]
    if not names:
        return None
    return Text(en=", ".join(n.en for n in names), fr=", ".join(n.fr for n in names))
