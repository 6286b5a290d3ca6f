"""The synthetic cohort's choices: sites, case mix, practice, deviation rates and data faults.

SYNTHETIC CHOICES, plausible orders of magnitude for a thoracic-oncology department, not estimates
from data (docs/audit.md lists them). Read by the patient generator, `bonemet.audit.synth_story`.
"""


from __future__ import annotations

import datetime as dt

from bonemet.model.case import (
    Gene,
    Histology,
    PrimarySite,
    SkeletalSite,
)

# --- organisations (sites) and their local practice ----------------------------------------------
# (id, name, share of patients, P(staging PET cuts the femurs), P(follow-up scan requested as routine))
SITES: tuple[tuple[str, str, float, float, float], ...] = (
    ("org-01", "Synthetic University Hospital North", 0.28, 0.10, 0.35),
    ("org-02", "Synthetic University Hospital South", 0.22, 0.15, 0.45),
    ("org-03", "Synthetic General Hospital East", 0.16, 0.45, 0.55),
    ("org-04", "Synthetic Cancer Centre West", 0.14, 0.05, 0.25),
    ("org-05", "Synthetic Private Clinic Centre", 0.12, 0.30, 0.60),
    ("org-06", "Synthetic Community Hospital Coast", 0.08, 0.35, 0.50),
)

# --- case mix -------------------------------------------------------------------------------------
P_NON_LUNG = 0.03  # breast, prostate or kidney primaries: out of the chapter's scope
NON_LUNG = (PrimarySite.breast, PrimarySite.prostate, PrimarySite.kidney)
HISTOLOGY = (  # share among lung cancers
    (Histology.adenocarcinoma, 0.55),
    (Histology.squamous_cell_carcinoma, 0.22),
    (Histology.sclc, 0.13),
    (Histology.nsclc_nos, 0.05),
    (Histology.large_cell_carcinoma, 0.03),
    (Histology.large_cell_neuroendocrine, 0.02),
)
DRIVERS_ADENO = (
    (Gene.EGFR, "exon 19 deletion", 0.14),
    (Gene.ALK, "EML4-ALK", 0.05),
    (Gene.KRAS, "G12C", 0.13),
    (Gene.KRAS, "G12V", 0.15),
)
P_BONE_METS_AT_DIAGNOSIS = 0.30
P_ISOLATED_LESION = 0.07  # staging shows a single bone lesion (isolated-lesion work-up, NM-09)
FIRST_DIAGNOSIS = dt.date(2019, 1, 1)
LAST_DIAGNOSIS = dt.date(2024, 6, 30)

# --- practice and deviations (rates among the patients the step applies to) -------------------------
P_STAGING_PET = 0.88  # else staging by bone scan
P_PET_COVERAGE_NOT_RECORDED = 0.03
P_BONE_SCAN_AFTER_PET = {2019: 0.18, 2020: 0.16, 2021: 0.14, 2022: 0.12, 2023: 0.10, 2024: 0.08}  # NM-01
P_BONE_SCAN_BEFORE_PET = 0.04  # a staging bone scan done before the PET: not a deviation
P_TARGETED_OF_SITE = 0.55  # isolated lesion: MRI/CT of the lesion's site (compliant)
P_TARGETED_OTHER_SITE = 0.08  # … of another site only (deviation: the lesion was not imaged)
P_FIRST_LINE = 0.95
P_SECOND_LINE = 0.55
P_RESPONSE_SCAN_L1 = 0.70  # bone-metastatic patients: response bone scan on line 1
P_RESPONSE_SCAN_L2 = 0.40
P_EARLY_CONTROL = 0.30  # response scan before month 6 of the line (NM-05)
P_ON_ANNIVERSARY = 0.05  # of the late scans: the first late day, just after the anniversary (boundary)
P_RESPONDER = 0.55
P_FLARE_IN_RESPONDERS = 0.30  # early scan of a responder shows more foci (flare)
P_EVIDENCE_CLINICAL = 0.5  # early increase: clinical course recorded near the scan
P_EVIDENCE_CEA = 0.5  # early increase: CEA measured near the scan
P_SWITCH = {"flare_likely": 0.15, "indeterminate": 0.35, "progression_likely": 0.80}  # within 8 weeks
P_LATE_SWITCH = 0.30  # of the non-switches: new line 57-120 days after the scan (outside the window)
P_BONE_AGENT = 0.50  # bone-metastatic patients on denosumab or zoledronic acid
P_PALLIATIVE_RT = 0.25
P_FOLLOW_UP_SCANS = 0.45  # after the last line ended: 1-3 follow-up bone scans
P_INDICATION = {"new_bone_pain": 0.35, "specific_question": 0.15, "unrecorded": 0.05}  # rest: site's routine
SWITCH_WITHIN_DAYS = 56

# --- data-quality faults --------------------------------------------------------------------------
P_MALFORMED_AFTER_LINE = 0.001  # a truncated copy of the line just written (malformed JSON)
P_UNKNOWN_CODE = 0.01  # patient gets one Observation with a code bonemet does not know
UNKNOWN_CODE = {"system": "http://loinc.org", "code": "99999-9", "display": "Unknown local test"}

_LESION_SITES = (
    SkeletalSite.thoracic_spine,
    SkeletalSite.lumbar_spine,
    SkeletalSite.pelvis,
    SkeletalSite.ribs,
    SkeletalSite.femur_proximal,
    SkeletalSite.sacrum,
    SkeletalSite.humerus,
    SkeletalSite.sternum,
)


# --- systemic bone treatment (issue 24; synth_bone.py) ---------------------------------------------
# Drawn from a stream of their own (`{seed}:{index}:bone`), so the stories and the figures of the
# imaging indicators above are unchanged. Rates among the patients a step applies to.
P_WEIGHT_RECORDED = 0.92  # bone-metastatic patients with a weight (plan inputs)
WEIGHT_KG = {"male": (76.0, 12.0), "female": (63.0, 11.0)}  # normal(mean, sd), clipped 40-130 kg
P_VITAMIN_D_MEASURED = 0.60  # bone-metastatic patients with a 25-OH vitamin D, 0-60 days after the diagnosis
P_VITAMIN_D_NMOL = 0.30  # … reported in nmol/L (else ng/mL)
P_SHORT_LIFE = 0.06  # bone-metastatic lung patients with a life expectancy under 3 months recorded
P_LATE_START = 0.25  # antiresorptive started after the window (days within_days+1 … +300): a deviation
P_START_ON_LAST_DAY = 0.05  # of the timely starts: on the window's last day (compliant: the boundary)
P_CREATININE_MG_DL = 0.20  # creatinine reported in mg/dL (else µmol/L)
P_NO_CREATININE = 0.05  # patient on an antiresorptive without any creatinine (no clearance: set aside)
P_CREATININE_AFTER_START = 0.04  # … with a creatinine only after the start (no clearance: set aside)
# Clearance at the zoledronic acid start, drawn in one of the label's bands (share of courses); each
# range stays 2 mL/min inside its band's edges (> 60, 50-60, 40-49, 30-39, < 30), so no rounding of
# the creatinine moves it across one.
RENAL_BANDS = (((62.0, 100.0), 0.70), ((52.0, 58.0), 0.12), ((42.0, 48.0), 0.08),
               ((32.0, 38.0), 0.06), ((12.0, 28.0), 0.04))
# The label's zoledronic acid dose per band (clinical-reference.md §10.1), the generator's own copy:
# its ground truth must not come from the code it checks.
LABEL_DOSE_MG = ((60.0, 4.0), (50.0, 3.5), (40.0, 3.3), (30.0, 3.0))  # (clearance above/at, mg)
P_FULL_DOSE_DESPITE_RENAL = 0.35  # clearance ≤ 60: 4 mg given anyway (a deviation)
P_ZA_DOSE_NOT_RECORDED = 0.05  # zoledronic acid course without its dose (set aside)
DENOSUMAB_MG = 120.0
# The latest dental evaluation: 7-60 days before the first dose, on its day, exactly the review
# interval (6 calendar months) before it (both compliant: the boundaries), older than that (possibly
# before the cancer: a deviation), after the start (a deviation); the rest: none recorded.
P_DENTAL = {"before": 0.59, "on_start_day": 0.05, "at_review_limit": 0.03, "old": 0.05, "after": 0.15}
P_DENTAL_CARE_NEEDED = 0.10  # of the evaluations: care needed (still an evaluation)
