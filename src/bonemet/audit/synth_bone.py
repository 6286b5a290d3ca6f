"""One synthetic patient's systemic bone treatment (issue 24): weight, creatinine, 25-OH vitamin D,
life expectancy, the antiresorptive's start and dose, the dental evaluation, and their ground truth.

Drawn from the patient's own stream `{seed}:{index}:bone`, after the rest of the story, so the
imaging stories (and their figures) do not move. The deviations are injected at the rates of
`synth_rates` and the ground truth is decided here from what was injected, never by the audit code:
the renal band is chosen first and the creatinine worked back from it (inverse Cockcroft-Gault, the
generator's own arithmetic), the dose then set against the label's table the generator holds.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import Any

from bonemet.audit.synth_rates import (
    DENOSUMAB_MG,
    LABEL_DOSE_MG,
    P_CREATININE_AFTER_START,
    P_CREATININE_MG_DL,
    P_DENTAL,
    P_DENTAL_CARE_NEEDED,
    P_FULL_DOSE_DESPITE_RENAL,
    P_LATE_START,
    P_NO_CREATININE,
    P_SHORT_LIFE,
    P_START_ON_LAST_DAY,
    P_VITAMIN_D_MEASURED,
    P_VITAMIN_D_NMOL,
    P_WEIGHT_RECORDED,
    P_ZA_DOSE_NOT_RECORDED,
    RENAL_BANDS,
    WEIGHT_KG,
)
from bonemet.core.dates import add_months
from bonemet.model.case import ImagingExam, LabResult, Patient, Result, Treatment, TreatmentType
from bonemet.model.plan_inputs import PlanInputs

_UMOL_PER_MG_DL = 88.4
_NMOL_PER_NG = 2.496


@dataclass
class BoneCare:
    plan_inputs: PlanInputs | None
    labs: tuple[LabResult, ...]
    treatments: tuple[Treatment, ...]


def draw_days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    """A delay of `low` to `high` days (both included); shared with synth_story.py."""
    return dt.timedelta(days=rng.randint(low, high))


def draw_from(rng: random.Random, table: tuple[tuple[Any, float], ...]) -> Any:
    """A value of a (value, probability) table; shared with synth_story.py."""
    x, acc = rng.random(), 0.0
    for value, p in table:
        acc += p
        if x < acc:
            return value
    return table[-1][0]


def _label_dose(clearance: float) -> float | None:
    """The label's table (the generator's own copy): 4 mg above 60 mL/min, none below 30."""
    for above, mg in LABEL_DOSE_MG:
        if clearance > above or (above < 60 and clearance >= above):
            return mg
    return None


def _creatinine(rng: random.Random, day: dt.date, clearance: float, age: int, weight: float,
                female: bool) -> LabResult:
    """The creatinine that gives `clearance` for this patient (Cockcroft-Gault solved for it)."""
    mg_dl = (140 - age) * weight * (0.85 if female else 1.0) / (72 * clearance)
    if rng.random() < P_CREATININE_MG_DL:
        return LabResult(date=day, analyte="creatinine", value=round(mg_dl, 2), unit="mg/dL")
    return LabResult(date=day, analyte="creatinine", value=float(round(mg_dl * _UMOL_PER_MG_DL)),
                     unit="µmol/L")


def bone_care(seed: int, index: int, exams: list[ImagingExam], treatments: list[Treatment],
              patient: Patient, bone_mets: bool, truth: Any, within_days: int,
              review_months: int) -> BoneCare:
    """The systemic bone facts of a patient with bone metastases (none for the others), and the
    ground truth of the four indicators for a patient in scope (`truth.in_scope`)."""
    if not bone_mets:
        return BoneCare(None, (), tuple(treatments))
    rng = random.Random(f"{seed}:{index}:bone")
    scope = truth.in_scope
    dx = min(e.date for e in exams if e.result is Result.positive and e.lesions)
    female = patient.sex == "female"
    mean, sd = WEIGHT_KG["female" if female else "male"]
    weight = float(max(40, min(130, round(rng.gauss(mean, sd)))))
    weight_recorded = rng.random() < P_WEIGHT_RECORDED
    inputs: dict[str, Any] = {}
    labs: list[LabResult] = []

    short = rng.random() < P_SHORT_LIFE
    if short:
        inputs.update(life_expectancy="6_weeks_to_3_months", life_expectancy_date=dx + draw_days(rng, 0, 20))
    if rng.random() < P_VITAMIN_D_MEASURED:
        ng = min(120.0, max(4.0, rng.lognormvariate(math.log(18.0), 0.5)))
        nmol = rng.random() < P_VITAMIN_D_NMOL
        labs.append(LabResult(date=dx + draw_days(rng, 0, 60), analyte="vitamin_d_25oh",
                              value=round(ng * _NMOL_PER_NG) if nmol else round(ng, 1),
                              unit="nmol/L" if nmol else "ng/mL"))
        if scope:
            truth.mark("vitamin_d_measured", True, True)
    elif scope:
        truth.mark("vitamin_d_measured", True, False)

    agent = next((t for t in treatments if t.type in (TreatmentType.zoledronic_acid,
                                                       TreatmentType.denosumab)), None)
    timely = False
    out = list(treatments)
    if agent is not None:
        assert agent.start is not None
        start = agent.start  # the story's: before the first line, within 45 days of the diagnosis
        if rng.random() < P_LATE_START:
            start = dx + dt.timedelta(days=within_days) + draw_days(rng, 1, 300)
        elif rng.random() < P_START_ON_LAST_DAY:
            start = dx + dt.timedelta(days=within_days)
        timely = start <= dx + dt.timedelta(days=within_days)
        dose, aside = _renal(rng, agent, start, patient, weight, weight_recorded, female, labs, truth)
        out[out.index(agent)] = agent.model_copy(update={"start": start, "dose_mg": dose})
        _dental(rng, start, inputs, truth, review_months)
        if aside and scope:
            truth.set_aside.append({"indicator": "zoledronic_acid_dose_within_band", "record": agent.id})
    if scope:
        truth.mark("antiresorptive_within_days", not short, not short and timely)
    if weight_recorded:
        inputs.update(weight_kg=weight, weight_date=dx)
    return BoneCare(PlanInputs(**inputs) if inputs else None, tuple(labs), tuple(out))


def _renal(rng: random.Random, agent: Treatment, start: dt.date, patient: Patient, weight: float,
           weight_recorded: bool, female: bool, labs: list[LabResult],
           truth: Any) -> tuple[float | None, bool]:
    """The creatinine before the start (or none, or only after it) and the dose; for zoledronic
    acid, its ground truth. Returns (dose, set aside?)."""
    assert patient.birth_year is not None
    age = start.year - patient.birth_year  # the age from the birth year only, as the record allows
    low, high = draw_from(rng, RENAL_BANDS)
    clearance = rng.uniform(low, high)
    x = rng.random()
    before = x >= P_NO_CREATININE + P_CREATININE_AFTER_START
    if x >= P_NO_CREATININE:
        day = start - draw_days(rng, 0, 14) if before else start + draw_days(rng, 1, 30)
        labs.append(_creatinine(rng, day, clearance, age, weight, female))
    if agent.type is TreatmentType.denosumab:
        return DENOSUMAB_MG, False
    band = _label_dose(clearance)
    if rng.random() < P_ZA_DOSE_NOT_RECORDED:
        dose = None
    elif band is None:
        dose = rng.choice((4.0, 3.0))  # given below 30 mL/min: never consistent
    elif band < 4.0 and rng.random() < P_FULL_DOSE_DESPITE_RENAL:
        dose = 4.0
    else:
        dose = band
    judged = dose is not None and before and weight_recorded  # sex and birth year: always recorded
    if truth.in_scope and dose is not None and judged:
        truth.mark("zoledronic_acid_dose_within_band", True, band is not None and dose <= band)
    return dose, not judged


def _dental(rng: random.Random, start: dt.date, inputs: dict[str, Any], truth: Any,
            review_months: int) -> None:
    """The latest dental evaluation: before the first dose (compliant), on its day or exactly the
    review interval before it (compliant: the boundaries), older than the interval (possibly before
    the whole history), after the start, or none."""
    kind = draw_from(rng, (*((k, p) for k, p in P_DENTAL.items()), ("none", 1.0 - sum(P_DENTAL.values()))))
    if kind == "at_review_limit" and start.day > 28:
        kind = "before"  # a month end has no same day six months before: keep the boundary exact
    day: dt.date | None = None
    if kind == "before":
        day = start - draw_days(rng, 7, 60)
    elif kind == "on_start_day":
        day = start
    elif kind == "at_review_limit":
        day = add_months(start, -review_months)
    elif kind == "old":
        day = add_months(start, -(review_months + 1)) - draw_days(rng, 1, 700)
    elif kind == "after":
        day = start + draw_days(rng, 10, 120)
    if day is not None:
        inputs.update(dental_status="care_needed" if rng.random() < P_DENTAL_CARE_NEEDED else "cleared",
                      dental_date=day)
    if truth.in_scope:
        truth.mark("dental_before_first_dose", True, kind in ("before", "on_start_day", "at_review_limit"))
