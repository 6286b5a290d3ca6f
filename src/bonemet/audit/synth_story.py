"""One synthetic patient's story: diagnosis, staging, lines, scans, markers, and its ground truth.

Built from its own `random.Random((seed, index))`; the deviations it injects decide the ground truth,
never the audit code. Rates: `bonemet.audit.synth_rates`. Part of `bonemet.audit.synth`.
"""


from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from bonemet.audit.definitions import default_definitions
from bonemet.audit.synth_bone import bone_care, draw_days, draw_from
from bonemet.audit.synth_rates import (
    _LESION_SITES,
    DRIVERS_ADENO,
    FIRST_DIAGNOSIS,
    HISTOLOGY,
    LAST_DIAGNOSIS,
    NON_LUNG,
    P_BONE_AGENT,
    P_BONE_METS_AT_DIAGNOSIS,
    P_BONE_SCAN_AFTER_PET,
    P_BONE_SCAN_BEFORE_PET,
    P_EARLY_CONTROL,
    P_EVIDENCE_CEA,
    P_EVIDENCE_CLINICAL,
    P_FIRST_LINE,
    P_FLARE_IN_RESPONDERS,
    P_FOLLOW_UP_SCANS,
    P_INDICATION,
    P_ISOLATED_LESION,
    P_LATE_SWITCH,
    P_NON_LUNG,
    P_ON_ANNIVERSARY,
    P_PALLIATIVE_RT,
    P_PET_COVERAGE_NOT_RECORDED,
    P_RESPONDER,
    P_RESPONSE_SCAN_L1,
    P_RESPONSE_SCAN_L2,
    P_SECOND_LINE,
    P_STAGING_PET,
    P_SWITCH,
    P_TARGETED_OF_SITE,
    P_TARGETED_OTHER_SITE,
    P_UNKNOWN_CODE,
    SITES,
    SWITCH_WITHIN_DAYS,
)
from bonemet.core.dates import add_months
from bonemet.kb import default_kb
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
    Treatment,
    TreatmentType,
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
    # Records the audit must set aside, not judge (issue 24): {"indicator": id, "record": course id}.
    set_aside: list[dict[str, str]] = field(default_factory=list)

    def mark(self, indicator: str, denominator: bool, numerator: bool) -> None:
        assert denominator or not numerator, indicator
        old = self.indicators.get(indicator, {"denominator": False, "numerator": False})
        self.indicators[indicator] = {
            "denominator": old["denominator"] or denominator,
            "numerator": old["numerator"] or numerator,
        }


def _lesions(rng: random.Random, n: int) -> tuple[Lesion, ...]:
    return tuple(Lesion(site=s) for s in rng.sample(_LESION_SITES, n))


class _Story:
    """One patient's timeline, built in date order."""

    def __init__(self, seed: int, index: int) -> None:
        self.rng = random.Random(f"{seed}:{index}")
        self.seed = seed
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
    return draw_from(
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
    site = draw_from(rng, tuple(((sid, cov, rout), share) for sid, _, share, cov, rout in SITES))
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
    histology = draw_from(rng, HISTOLOGY) if lung else None
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
        pet_day = dx + draw_days(rng, 3, 14)
        if rng.random() < P_BONE_SCAN_BEFORE_PET:
            baseline = s.exam(
                id="bs-before-pet",
                date=pet_day - draw_days(rng, 1, 5),
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
                date=pet_day + draw_days(rng, 2, 9),
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
                date=pet_day + draw_days(rng, 2, 9),
                modality=Modality.bone_scan,
                purpose=Purpose.other,
                result=result,
                lesions=lesions,
                hot_spot_count=n_lesions,
            )
    else:
        baseline = s.exam(
            id="bs-staging",
            date=dx + draw_days(rng, 3, 14),
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
                date=surveyed + draw_days(rng, 3, 25),
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
    start1 = max(dx + draw_days(rng, 14, 42), surveyed + dt.timedelta(days=1))
    if bone_mets and rng.random() < P_BONE_AGENT:
        drug = rng.choice((TreatmentType.denosumab, TreatmentType.zoledronic_acid))
        s.treatments.append(Treatment(id="bone-agent", type=drug, agents=(drug.value,), start=start1))
    if bone_mets and rng.random() < P_PALLIATIVE_RT:
        rt_day = start1 + draw_days(rng, 5, 40)
        s.treatments.append(
            Treatment(
                id="rt-1",
                type=TreatmentType.radiotherapy,
                start=rt_day,
                end=rt_day + draw_days(rng, 0, 12),
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
            day = start1 + draw_days(rng, 60, 150)
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
                    s.statuses.append(ClinicalStatus(date=day + draw_days(rng, -7, 7), state=state))
                if rng.random() < P_EVIDENCE_CEA:
                    cea = True
                    base = s.labs[0].value
                    factor = rng.uniform(0.3, 0.6) if responder else rng.uniform(1.4, 2.2)
                    s.labs.append(
                        LabResult(
                            date=day + draw_days(rng, -3, 3),
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
                    start2 = day + draw_days(rng, 3, SWITCH_WITHIN_DAYS)
                elif rng.random() < P_LATE_SWITCH:
                    start2 = day + draw_days(rng, SWITCH_WITHIN_DAYS + 1, 120)
                else:
                    start2 = None
                end1 = start2 if start2 else day + draw_days(rng, 121, 400)
                truth.mark(
                    "switch_after_early_increase", True, switch and classification != "progression_likely"
                )
            else:
                end1 = max(end1, day + draw_days(rng, 30, 200))
        else:
            anniversary = add_months(start1, 6)
            # The first late day is the day after the anniversary (the anniversary itself is early).
            first_late = anniversary + dt.timedelta(days=1)
            day = first_late if rng.random() < P_ON_ANNIVERSARY else start1 + draw_days(rng, 190, 260)
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
            end1 = max(end1, day + draw_days(rng, 14, 200))
    if start2 is None and end1 is not None and rng.random() < P_SECOND_LINE:
        start2 = end1 + draw_days(rng, 0, 21)
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
            day = start2 + (draw_days(rng, 60, 150) if early else draw_days(rng, 190, 260))
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
            end2 = max(end2, day + draw_days(rng, 14, 120))
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
            day = day + draw_days(rng, 90, 180)
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
    # Systemic bone treatment (issue 24), from a stream of its own: the story above is unchanged.
    defs = default_definitions()
    kb = default_kb()
    assert kb.plan is not None
    bone = bone_care(s.seed, s.index, s.exams, s.treatments, patient, bone_mets, truth,
                     within_days=defs.get("antiresorptive_within_days").params["within_days"],
                     review_months=int(str(kb.plan.rules["DN-01"].params["review_months"])))
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
        treatments=bone.treatments,
        labs=(*s.labs, *bone.labs),
        clinical_status=tuple(s.statuses),
        plan_inputs=bone.plan_inputs,
    )
    if truth.in_scope:
        for name in defs.ids:  # every indicator of the data, none typed here
            truth.indicators.setdefault(name, {"denominator": False, "numerator": False})
    truth.unknown_code = s.rng.random() < P_UNKNOWN_CODE
    return case, truth, site_id

