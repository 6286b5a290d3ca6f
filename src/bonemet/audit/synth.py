"""Synthetic cohort: FHIR R4 bulk NDJSON with deliberate guideline deviations and their ground truth.

Every patient is built from its own `random.Random((seed, index))`, so the output is identical for a
seed whatever the number of worker processes, and files are written as patients are made (memory
does not grow with N). The distributions and deviation rates below are SYNTHETIC CHOICES, plausible
orders of magnitude for a thoracic-oncology department, not estimates from data; docs/audit.md lists
them. The ground truth is decided here, from the deviations the generator injects, never by the
audit code, so comparing the two checks the audit.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bonemet.core.dates import add_months
from bonemet.fhir import case_to_bundle
from bonemet.model.case import (
    Cancer,
    Case,
    Change,
    ClinicalContext,
    ClinicalState,
    ClinicalStatus,
    DriverAlteration,
    Gene,
    Histology,
    ImagingExam,
    Indication,
    LabResult,
    Lesion,
    Modality,
    Patient,
    PetCoverage,
    Phase,
    PrimarySite,
    Purpose,
    Result,
    SkeletalSite,
    Treatment,
    TreatmentType,
)

GROUND_TRUTH = "ground_truth.ndjson"
EXPORT_NAME = "bonemet synthetic cohort"

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


@dataclass
class Truth:
    """What the generator made this patient: indicator memberships and injected faults."""

    patient_id: str
    site: str
    in_scope: bool
    primary_site: str
    indicators: dict[str, dict[str, bool]] = field(default_factory=dict)
    unknown_code: bool = False

    def mark(self, indicator: str, denominator: bool, numerator: bool) -> None:
        assert denominator or not numerator, indicator
        old = self.indicators.get(indicator, {"denominator": False, "numerator": False})
        self.indicators[indicator] = {
            "denominator": old["denominator"] or denominator,
            "numerator": old["numerator"] or numerator,
        }


def _days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(low, high))


def _pick(rng: random.Random, table: tuple[tuple[Any, float], ...]) -> Any:
    x, acc = rng.random(), 0.0
    for value, p in table:
        acc += p
        if x < acc:
            return value
    return table[-1][0]


def _lesions(rng: random.Random, n: int) -> tuple[Lesion, ...]:
    return tuple(Lesion(site=s) for s in rng.sample(_LESION_SITES, n))


class _Story:
    """One patient's timeline, built in date order."""

    def __init__(self, seed: int, index: int) -> None:
        self.rng = random.Random(f"{seed}:{index}")
        self.index = index
        self.exams: list[ImagingExam] = []
        self.treatments: list[Treatment] = []
        self.labs: list[LabResult] = []
        self.statuses: list[ClinicalStatus] = []

    def exam(self, **kw: Any) -> ImagingExam:
        e = ImagingExam(**kw)
        self.exams.append(e)
        return e


def _regimen(
    rng: random.Random,
    histology: Histology | None,
    gene: Gene | None,
) -> tuple[TreatmentType, tuple[str, ...]]:
    if gene is Gene.EGFR:
        return TreatmentType.egfr_tki, ("osimertinib",)
    if gene is Gene.ALK:
        return TreatmentType.alk_tki, ("alectinib",)
    if histology in (Histology.sclc, Histology.large_cell_neuroendocrine):
        return TreatmentType.chemo_immunotherapy, ("carboplatin", "etoposide", "atezolizumab")
    if histology is Histology.squamous_cell_carcinoma:
        return TreatmentType.chemo_immunotherapy, ("carboplatin", "paclitaxel", "pembrolizumab")
    return _pick(
        rng,
        (
            ((TreatmentType.chemo_immunotherapy, ("carboplatin", "pemetrexed", "pembrolizumab")), 0.7),
            ((TreatmentType.immunotherapy, ("pembrolizumab",)), 0.2),
            ((TreatmentType.chemotherapy, ("carboplatin", "pemetrexed")), 0.1),
        ),
    )


def build_patient(seed: int, index: int) -> tuple[Case, Truth, str]:
    """One synthetic patient: its case, its ground truth and its organisation id."""
    s = _Story(seed, index)
    rng = s.rng
    site = _pick(rng, tuple(((sid, cov, rout), share) for sid, _, share, cov, rout in SITES))
    site_id, p_cut, p_routine = site
    case_id = f"P{index:07d}"
    span = (LAST_DIAGNOSIS - FIRST_DIAGNOSIS).days
    dx = FIRST_DIAGNOSIS + dt.timedelta(days=rng.randint(0, span))
    age = max(40, min(90, round(rng.gauss(67, 9))))
    patient = Patient(
        label=case_id, sex="male" if rng.random() < 0.62 else "female", birth_year=dx.year - age
    )
    lung = rng.random() >= P_NON_LUNG
    primary = PrimarySite.lung if lung else rng.choice(NON_LUNG)
    truth = Truth(patient_id=f"{case_id}-patient", site=site_id, in_scope=lung, primary_site=primary.value)
    histology = _pick(rng, HISTOLOGY) if lung else None
    drivers: tuple[DriverAlteration, ...] = ()
    gene: Gene | None = None
    if histology is Histology.adenocarcinoma:
        x, acc = rng.random(), 0.0
        for g, detail, p in DRIVERS_ADENO:
            acc += p
            if x < acc:
                drivers, gene = (DriverAlteration(gene=g, detail=detail),), g
                break
    bone_mets = rng.random() < (P_BONE_METS_AT_DIAGNOSIS if lung else 0.6)
    isolated = (not bone_mets) and lung and rng.random() < P_ISOLATED_LESION

    # Markers at diagnosis (lognormal; medians 6 ng/mL CEA, 4 ng/mL CYFRA 21-1).
    if lung:
        s.labs.append(
            LabResult(date=dx, analyte="cea", value=round(rng.lognormvariate(1.8, 0.9), 1), unit="ng/mL")
        )
        if histology is Histology.squamous_cell_carcinoma:
            s.labs.append(
                LabResult(
                    date=dx, analyte="cyfra_21_1", value=round(rng.lognormvariate(1.4, 0.8), 1), unit="ng/mL"
                )
            )
    s.statuses.append(ClinicalStatus(date=dx, state=ClinicalState.stable, ecog=rng.choice((0, 1, 1, 2))))

    # ---- staging
    n_lesions = rng.randint(2, 5) if bone_mets else (1 if isolated else 0)
    lesions = _lesions(rng, n_lesions)
    result = Result.positive if n_lesions else Result.negative
    baseline: ImagingExam | None = None  # the bone scan later scans are compared with
    if lung and rng.random() < P_STAGING_PET:
        pet_day = dx + _days(rng, 3, 14)
        if rng.random() < P_BONE_SCAN_BEFORE_PET:
            baseline = s.exam(
                id="bs-before-pet",
                date=pet_day - _days(rng, 1, 5),
                modality=Modality.bone_scan,
                purpose=Purpose.staging,
                result=result,
                lesions=lesions,
                hot_spot_count=n_lesions,
                isolated_lesion=isolated or None,
            )
        cut = rng.random() < p_cut
        recorded = rng.random() >= P_PET_COVERAGE_NOT_RECORDED
        coverage = (
            PetCoverage.skull_base_to_mid_thigh
            if cut
            else rng.choice((PetCoverage.skull_base_to_knees, PetCoverage.vertex_to_feet))
        )
        s.exam(
            id="pet-staging",
            date=pet_day,
            modality=Modality.fdg_pet_ct,
            purpose=Purpose.staging,
            result=result,
            lesions=lesions,
            pet_coverage=coverage if recorded else None,
            isolated_lesion=isolated or None,
        )
        truth.mark("bone_scan_after_pet", True, False)
        truth.mark("pet_femurs_not_covered", recorded, recorded and cut)
        if rng.random() < P_BONE_SCAN_AFTER_PET[dx.year]:
            baseline = s.exam(
                id="bs-staging",
                date=pet_day + _days(rng, 2, 9),
                modality=Modality.bone_scan,
                purpose=Purpose.staging,
                result=result,
                lesions=lesions,
                hot_spot_count=n_lesions,
                isolated_lesion=isolated or None,
            )
            truth.mark("bone_scan_after_pet", True, True)
        elif bone_mets and baseline is None:
            # Baseline scan for later comparison, recorded as such (purpose other): not a staging exam.
            baseline = s.exam(
                id="bs-baseline",
                date=pet_day + _days(rng, 2, 9),
                modality=Modality.bone_scan,
                purpose=Purpose.other,
                result=result,
                lesions=lesions,
                hot_spot_count=n_lesions,
            )
    else:
        baseline = s.exam(
            id="bs-staging",
            date=dx + _days(rng, 3, 14),
            modality=Modality.bone_scan,
            purpose=Purpose.staging,
            result=result,
            lesions=lesions,
            hot_spot_count=n_lesions,
            isolated_lesion=isolated or None,
        )
    surveyed = max(e.date for e in s.exams)
    if isolated:
        lesion_site = lesions[0].site
        x = rng.random()
        if x < P_TARGETED_OF_SITE + P_TARGETED_OTHER_SITE:
            other = (
                lesion_site
                if x < P_TARGETED_OF_SITE
                else next(t for t in _LESION_SITES if t is not lesion_site)
            )
            s.exam(
                id="mri-target",
                date=surveyed + _days(rng, 3, 25),
                modality=rng.choice((Modality.mri, Modality.ct)),
                purpose=Purpose.characterisation,
                result=Result.positive,
                target_site=other,
            )
        truth.mark("isolated_lesion_without_targeted_imaging", True, x >= P_TARGETED_OF_SITE)

    # ---- systemic treatment
    if not (rng.random() < P_FIRST_LINE):
        return _finish(s, case_id, patient, primary, histology, dx, drivers, bone_mets, truth, site_id)
    ttype, agents = _regimen(rng, histology, gene) if lung else (TreatmentType.chemotherapy, ("paclitaxel",))
    start1 = max(dx + _days(rng, 14, 42), surveyed + dt.timedelta(days=1))
    if bone_mets and rng.random() < P_BONE_AGENT:
        drug = rng.choice((TreatmentType.denosumab, TreatmentType.zoledronic_acid))
        s.treatments.append(Treatment(id="bone-agent", type=drug, agents=(drug.value,), start=start1))
    if bone_mets and rng.random() < P_PALLIATIVE_RT:
        rt_day = start1 + _days(rng, 5, 40)
        s.treatments.append(
            Treatment(
                id="rt-1",
                type=TreatmentType.radiotherapy,
                start=rt_day,
                end=rt_day + _days(rng, 0, 12),
                site=lesions[0].site,
            )
        )
    end1: dt.date | None = start1 + dt.timedelta(days=int(min(900, max(45, rng.expovariate(1 / 260)))))
    start2: dt.date | None = None
    previous = baseline
    if lung and bone_mets and previous is not None and rng.random() < P_RESPONSE_SCAN_L1:
        early = rng.random() < P_EARLY_CONTROL
        responder = rng.random() < P_RESPONDER
        count = previous.hot_spot_count or n_lesions
        if early:
            day = start1 + _days(rng, 60, 150)
            increase = (not responder) or rng.random() < P_FLARE_IN_RESPONDERS
            change = (
                Change.more_foci if increase else rng.choice((Change.stable, Change.fewer_or_less_intense))
            )
            new_count = (
                count + rng.randint(1, 3)
                if increase
                else (count if change is Change.stable else max(0, count - 1))
            )
            s.exam(
                id="bs-response-1",
                date=day,
                modality=Modality.bone_scan,
                purpose=Purpose.response_assessment,
                result=Result.positive,
                hot_spot_count=new_count,
                change_vs_previous=change,
            )
            truth.mark("early_control_scan", True, True)
            if increase:
                favours = "flare_likely" if responder else "progression_likely"
                clinical = cea = False
                if rng.random() < P_EVIDENCE_CLINICAL:
                    clinical = True
                    state = ClinicalState.improving if responder else ClinicalState.deteriorating
                    s.statuses.append(ClinicalStatus(date=day + _days(rng, -7, 7), state=state))
                if rng.random() < P_EVIDENCE_CEA:
                    cea = True
                    base = s.labs[0].value
                    factor = rng.uniform(0.3, 0.6) if responder else rng.uniform(1.4, 2.2)
                    s.labs.append(
                        LabResult(
                            date=day + _days(rng, -3, 3),
                            analyte="cea",
                            value=round(base * factor, 1),
                            unit="ng/mL",
                        )
                    )
                # The reader's evidence threshold (flare.yaml): two concordant arguments, one of
                # them strong (here the clinical course); CEA alone or the clinic alone is too thin.
                classification = favours if (clinical and cea) else "indeterminate"
                switch = rng.random() < P_SWITCH[classification]
                if switch:
                    start2 = day + _days(rng, 3, SWITCH_WITHIN_DAYS)
                elif rng.random() < P_LATE_SWITCH:
                    start2 = day + _days(rng, SWITCH_WITHIN_DAYS + 1, 120)
                else:
                    start2 = None
                end1 = start2 if start2 else day + _days(rng, 121, 400)
                truth.mark(
                    "switch_after_early_increase", True, switch and classification != "progression_likely"
                )
            else:
                end1 = max(end1, day + _days(rng, 30, 200))
        else:
            anniversary = add_months(start1, 6)
            # The first late day is the day after the anniversary (the anniversary itself is early).
            first_late = anniversary + dt.timedelta(days=1)
            day = first_late if rng.random() < P_ON_ANNIVERSARY else start1 + _days(rng, 190, 260)
            day = max(day, first_late)
            change = (
                rng.choice((Change.stable, Change.fewer_or_less_intense)) if responder else Change.more_foci
            )
            new_count = count + (2 if change is Change.more_foci else 0)
            s.exam(
                id="bs-response-1",
                date=day,
                modality=Modality.bone_scan,
                purpose=Purpose.response_assessment,
                result=Result.positive,
                hot_spot_count=new_count,
                change_vs_previous=change,
            )
            truth.mark("early_control_scan", True, False)
            end1 = max(end1, day + _days(rng, 14, 200))
    if start2 is None and end1 is not None and rng.random() < P_SECOND_LINE:
        start2 = end1 + _days(rng, 0, 21)
    if start2 is not None:
        end1 = start2
    s.treatments.append(
        Treatment(id="line-1", type=ttype, agents=agents, start=start1, end=end1, line_number=1)
    )
    last_end = end1
    if start2 is not None:
        type2, agents2 = (
            (TreatmentType.chemotherapy, ("carboplatin", "pemetrexed"))
            if gene in (Gene.EGFR, Gene.ALK)
            else (TreatmentType.chemotherapy, ("docetaxel",))
        )
        ongoing = rng.random() < 0.5
        end2: dt.date | None = start2 + dt.timedelta(days=int(min(700, max(42, rng.expovariate(1 / 160)))))
        if lung and bone_mets and rng.random() < P_RESPONSE_SCAN_L2:
            early = rng.random() < P_EARLY_CONTROL
            day = start2 + (_days(rng, 60, 150) if early else _days(rng, 190, 260))
            s.exam(
                id="bs-response-2",
                date=day,
                modality=Modality.bone_scan,
                purpose=Purpose.response_assessment,
                result=Result.positive,
                change_vs_previous=rng.choice((Change.stable, Change.fewer_or_less_intense)),
            )
            truth.mark("early_control_scan", True, early)
            assert end2 is not None
            end2 = max(end2, day + _days(rng, 14, 120))
        end2 = None if ongoing else end2
        s.treatments.append(
            Treatment(id="line-2", type=type2, agents=agents2, start=start2, end=end2, line_number=2)
        )
        last_end = end2

    # ---- follow-up after the last line
    if last_end is not None and rng.random() < P_FOLLOW_UP_SCANS:
        day = last_end
        has_previous = any(e.modality is Modality.bone_scan for e in s.exams)
        for k in range(rng.randint(1, 3)):
            day = day + _days(rng, 90, 180)
            x = rng.random()
            if x < P_INDICATION["unrecorded"]:
                indication = None
            elif x < P_INDICATION["unrecorded"] + P_INDICATION["new_bone_pain"]:
                indication = Indication.new_bone_pain
            elif (
                x
                < P_INDICATION["unrecorded"]
                + P_INDICATION["new_bone_pain"]
                + P_INDICATION["specific_question"]
            ):
                indication = Indication.specific_question
            else:
                indication = Indication.routine if rng.random() < p_routine else Indication.new_bone_pain
            s.exam(
                id=f"bs-follow-up-{k + 1}",
                date=day,
                modality=Modality.bone_scan,
                purpose=Purpose.follow_up,
                result=Result.positive if bone_mets else Result.negative,
                indication=indication,
                change_vs_previous=Change.stable if has_previous else None,
            )
            has_previous = True
            if lung:
                truth.mark("routine_follow_up_scan", indication is not None, indication is Indication.routine)
    return _finish(s, case_id, patient, primary, histology, dx, drivers, bone_mets, truth, site_id)


def _finish(
    s: _Story,
    case_id: str,
    patient: Patient,
    primary: PrimarySite,
    histology: Histology | None,
    dx: dt.date,
    drivers: tuple[DriverAlteration, ...],
    bone_mets: bool,
    truth: Truth,
    site_id: str,
) -> tuple[Case, Truth, str]:
    ongoing = any(
        t.end is None and t.type not in (TreatmentType.denosumab, TreatmentType.zoledronic_acid)
        for t in s.treatments
    )
    case = Case(
        case_id=case_id,
        patient=patient,
        cancer=Cancer(
            primary_site=primary,
            histology=histology,
            diagnosis_date=dx,
            driver_alterations=drivers,
            bone_metastases_known=True if bone_mets else None,
        ),
        context=ClinicalContext(phase=Phase.on_treatment if ongoing else Phase.follow_up),
        exams=tuple(s.exams),
        treatments=tuple(s.treatments),
        labs=tuple(s.labs),
        clinical_status=tuple(s.statuses),
    )
    if truth.in_scope:
        for name in (
            "bone_scan_after_pet",
            "pet_femurs_not_covered",
            "routine_follow_up_scan",
            "early_control_scan",
            "switch_after_early_increase",
            "isolated_lesion_without_targeted_imaging",
        ):
            truth.indicators.setdefault(name, {"denominator": False, "numerator": False})
    truth.unknown_code = s.rng.random() < P_UNKNOWN_CODE
    return case, truth, site_id


# --- FHIR bulk lines -----------------------------------------------------------------------------------


@dataclass
class PatientLines:
    """One patient's NDJSON lines: (resource type, line, write a malformed copy after it?)."""

    lines: list[tuple[str, bytes, bool]]
    truth: Truth
    unknown_code_type: str | None


def patient_lines(seed: int, index: int) -> PatientLines:
    case, truth, site_id = build_patient(seed, index)
    bundle = case_to_bundle(case, include_context=False)
    entries = bundle["entry"]
    patient_entry = next(e for e in entries if e["resource"]["resourceType"] == "Patient")
    pid = patient_entry["resource"]["id"]
    refs = {
        e["fullUrl"].encode(): f"{e['resource']['resourceType']}/{e['resource']['id']}".encode()
        for e in entries
    }
    patient_entry["resource"]["managingOrganization"] = {"reference": f"Organization/{site_id}"}
    rng = random.Random(f"{seed}:{index}:lines")
    out: list[tuple[str, bytes, bool]] = []
    for e in entries:
        res = e["resource"]
        line = orjson.dumps(res)
        if b"urn:uuid:" in line:
            for url, ref in refs.items():
                line = line.replace(url, ref)
        out.append((res["resourceType"], line, rng.random() < P_MALFORMED_AFTER_LINE))
    unknown = None
    if truth.unknown_code:
        obs = {
            "resourceType": "Observation",
            "id": f"{pid}-unknown-test",
            "status": "final",
            "code": {"coding": [UNKNOWN_CODE], "text": UNKNOWN_CODE["display"]},
            "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": case.cancer.diagnosis_date.isoformat()
            if case.cancer.diagnosis_date
            else None,
            "valueQuantity": {"value": 1.0, "unit": "U/L"},
        }
        out.append(("Observation", orjson.dumps(obs), False))
        unknown = "Observation"
    return PatientLines(out, truth, unknown)


def _payload(args: tuple[int, int]) -> PatientLines:
    return patient_lines(*args)


def _iter_patients(seed: int, patients: int, workers: int) -> Iterator[PatientLines]:
    jobs = ((seed, i) for i in range(1, patients + 1))
    if workers <= 1 or patients < 500:
        yield from map(_payload, jobs)
        return
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ctx.Pool(workers) as pool:
        yield from pool.imap(_payload, jobs, chunksize=64)  # imap keeps the order: same bytes


def write_cohort(
    directory: Path, patients: int, seed: int, workers: int = 1, progress: Any = None
) -> dict[str, int]:
    """Write the cohort as one NDJSON file per resource type plus ground_truth.ndjson; returns the
    number of lines per file. `progress(n)` is called after each patient (for a progress bar)."""
    directory.mkdir(parents=True, exist_ok=True)
    handles: dict[str, Any] = {}
    counts: dict[str, int] = {}

    def write(rtype: str, line: bytes) -> tuple[str, int]:
        name = f"{rtype}.ndjson"
        if name not in handles:
            handles[name] = (directory / name).open("wb", buffering=1 << 20)
            counts[name] = 0
        handles[name].write(line + b"\n")
        counts[name] += 1
        return name, counts[name]

    try:
        for sid, name, *_ in SITES:
            write(
                "Organization",
                orjson.dumps({"resourceType": "Organization", "id": sid, "name": name, "active": True}),
            )
        truth_file = (directory / GROUND_TRUTH).open("wb", buffering=1 << 20)
        with truth_file:
            for p in _iter_patients(seed, patients, workers):
                malformed: list[dict[str, Any]] = []
                unknown: list[dict[str, Any]] = []
                for i, (rtype, line, broken) in enumerate(p.lines):
                    fname, lineno = write(rtype, line)
                    if p.unknown_code_type and i == len(p.lines) - 1:
                        unknown.append({"file": fname, "line": lineno})
                    if broken:
                        fname, lineno = write(rtype, line[: len(line) // 2])
                        malformed.append({"file": fname, "line": lineno})
                t = p.truth
                truth_file.write(
                    orjson.dumps(
                        {
                            "patient_id": t.patient_id,
                            "site": t.site,
                            "in_scope": t.in_scope,
                            "primary_site": t.primary_site,
                            "indicators": t.indicators,
                            "unknown_code_lines": unknown,
                            "malformed_lines": malformed,
                        },
                        option=orjson.OPT_SORT_KEYS,
                    )
                    + b"\n"
                )
                if progress is not None:
                    progress(1)
    finally:
        for h in handles.values():
            h.close()
    return counts
