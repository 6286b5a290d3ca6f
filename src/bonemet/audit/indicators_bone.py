"""Systemic bone treatment indicators (issue 24): antiresorptive started in time, dental evaluation
before the first dose, 25-OH vitamin D measured, zoledronic acid dose consistent with the clearance.

The predicates are the bone plan's (core/plan_bone_agents.py), read through the same functions and
the same numbers of kb/data/plan.yaml, so the audit and `bonemet plan` cannot drift apart:
- the clearance: `core.plan_renal.ClearanceInputs` (Cockcroft-Gault, never recomputed here) from the
  latest creatinine on or before the course start, the weight, sex and birth year (age from the birth
  year only), or the clearance as entered; both: the lower, as BT-03 reads them;
- the dose: `core.plan_renal.zoledronic_acid_dose` with BT-03's bands (none below its minimum);
- the withheld proposal: BT-01's `life_expectancy_short` bands, BT-02's osteonecrosis of the jaw;
- the dental review interval: DN-01's `review_months`, counted by `core.dates.add_months` (the same
  calendar as DN-01's "overdue");
- established bone metastases: `core.context.bone_metastases_known` (recorded, or a biopsy showing a
  metastasis), or a done positive exam recording bone lesions (BT-01's reading) that is not a single
  lesion still to characterise (NM-09's `is_isolated_lesion`: an isolated lesion is not yet a
  metastasis; docs/audit.md says where this departs from the bone plan's gate).
tests/audit/test_indicators_bone_plan.py runs the bone plan at each course start (and at the end of
each window) on generated patients and checks it gives the same reading.

Each function returns a `Verdict`: a record that cannot be judged (no start date, no clearance) is
set aside and reported (issue kind `set_aside`), never dropped in silence nor guessed.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bonemet.audit.registry import Item, SetAside, Verdict, indicator
from bonemet.base.terms import Analyte, TreatmentType
from bonemet.core.context import IndexedExam, bone_metastases_known, proven_metastasis
from bonemet.core.dates import add_months
from bonemet.core.plan_renal import MAX_PLAUSIBLE_CLEARANCE, ClearanceInputs, zoledronic_acid_dose
from bonemet.kb.loader import KnowledgeBase
from bonemet.model.case import BONE_AGENTS, Case, Result, Treatment
from bonemet.model.plan_inputs import DentalStatus, PlanInputs

# A dose equal to the band's, read back from FHIR in another unit (g, µg), may differ in the last bit.
_DOSE_TOLERANCE_MG = 1e-6


def _plan_params(kb: KnowledgeBase, rule_id: str) -> dict[str, Any]:
    if kb.plan is None or rule_id not in kb.plan.rules:
        raise ValueError(f"the bone plan's rule {rule_id} is not in the knowledge base: the systemic "
                         "bone indicators read their numbers from it")
    return dict(kb.plan.rules[rule_id].params)


def _done_exams(case: Case) -> tuple[IndexedExam, ...]:
    done = [IndexedExam(i, e) for i, e in enumerate(case.exams) if e.done]
    return tuple(sorted(done, key=lambda x: (x.exam.date, x.exam.id)))


def bone_metastasis_diagnosis(case: Case) -> Item | None:
    """The diagnosis of bone metastases, None when they are not established. Its date: the first
    done exam showing bone metastases (positive, with lesions, not a single lesion to characterise)
    or the first biopsy showing one, whichever is first; else, when they are recorded as known, the
    cancer's diagnosis date (the only date the record gives them); else undated (date None)."""
    exams = _done_exams(case)
    showing = [Item(x.exam.id, x.exam.date) for x in exams
               if x.exam.result is Result.positive and x.exam.lesions and not x.exam.is_isolated_lesion]
    biopsy = proven_metastasis(exams, None)
    if biopsy is not None:
        showing.append(Item(biopsy.exam.exam.id, biopsy.biopsy.date))
    if showing:
        return min(showing, key=lambda x: (x.date or dt.date.max, x.id))
    if bone_metastases_known(case, exams, None):
        return Item("bone-metastases-recorded", case.cancer.diagnosis_date)
    return None


def _courses(case: Case, *agents: TreatmentType) -> list[Treatment]:
    wanted = frozenset(agents) or BONE_AGENTS
    return [t for t in case.treatments if t.type in wanted]


def _undated(courses: list[Treatment], what: str) -> tuple[SetAside, ...]:
    return tuple(SetAside(t.id, f"{t.type.value.replace('_', ' ')} course without a start date: "
                                f"{what} cannot be judged") for t in courses if t.start is None)


def antiresorptive_within_days(case: Case, kb: KnowledgeBase, within_days: int) -> Verdict:
    """Denominator: established and dated bone metastases, unless BT-01 withholds the proposal (a
    short life expectancy recorded by the end of the window, or undated; osteonecrosis of the jaw
    with no antiresorptive at all, BT-02). Numerator: a course running at the diagnosis or starting
    within `within_days` days after it (the last day counts)."""
    dx = bone_metastasis_diagnosis(case)
    if dx is None:
        return Verdict()
    if dx.date is None:
        return Verdict(set_aside=(SetAside("", "bone metastases recorded as known without a date (no "
                                              "exam showing them, no cancer diagnosis date): the "
                                              "delay cannot be measured"),))
    courses = _courses(case)
    pi = case.plan_inputs or PlanInputs()
    last_day = dx.date + dt.timedelta(days=within_days)
    short = _plan_params(kb, "BT-01")["life_expectancy_short"]
    if pi.life_expectancy is not None and pi.life_expectancy.value in short and (
            pi.life_expectancy_date is None or pi.life_expectancy_date <= last_day):
        return Verdict()  # BT-01 does not propose on ESMO's condition: not a missed start
    if pi.osteonecrosis_jaw is True and not courses:
        return Verdict()  # BT-02: the contraindication explains it
    timely = sorted((t for t in courses if t.start is not None and t.start <= last_day
                     and (t.end is None or t.end >= dx.date)), key=lambda t: (t.start, t.id))
    if timely:
        return Verdict((dx,), tuple(Item(t.id, t.start) for t in timely), dx.date)
    undated = _undated(courses, "whether it started in time")
    if undated:
        return Verdict(set_aside=undated)
    return Verdict((dx,), (), dx.date)


def dental_before_first_dose(case: Case, kb: KnowledgeBase) -> Verdict:
    """Denominator: a dated antiresorptive course (the first dose: the earliest start). Numerator: a
    dental evaluation (`plan_inputs.dental_date`, its status not `not_assessed`) on or before the
    first dose and not older than DN-01's review interval then (DN-01 would call it overdue on the
    day of the first dose). The record keeps the latest evaluation only: a review after the start
    hides an earlier one (docs/audit.md, limits)."""
    courses = _courses(case)
    if not courses:
        return Verdict()
    undated = _undated(courses, "the first dose")
    if undated:
        return Verdict(set_aside=undated)
    first = min(courses, key=lambda t: (t.start or dt.date.max, t.id))
    assert first.start is not None
    start = first.start
    pi = case.plan_inputs or PlanInputs()
    months = int(_plan_params(kb, "DN-01")["review_months"])
    day = pi.dental_date
    evaluated = (day is not None and pi.dental_status is not DentalStatus.not_assessed
                 and day <= start and add_months(day, months) >= start)
    den = (Item(first.id, start),)
    num = (Item("dental-evaluation", day),) if evaluated else ()
    return Verdict(den, num, start)


def vitamin_d_measured(case: Case) -> Verdict:
    """Denominator: established bone metastases (VD-01's trigger: the AURA box screens every
    patient with bone metastases, not only those on an antiresorptive). Numerator: a 25-OH vitamin D
    result, whatever its unit and date (VD-01 reads the latest one, whatever its age)."""
    dx = bone_metastasis_diagnosis(case)
    if dx is None:
        return Verdict()
    labs = sorted((x for x in case.labs if x.analyte is Analyte.vitamin_d_25oh), key=lambda x: x.date)
    items = tuple(Item(f"lab-vitamin-d-{x.date.isoformat()}", x.date) for x in labs)
    return Verdict((dx,), items, dx.date or (labs[0].date if labs else None))


@dataclass(frozen=True, slots=True)
class ClearanceAtStart:
    """The clearance BT-03 would read on a day (mL/min), or None with what is missing, in words."""

    value: float | None
    missing: tuple[str, ...]


def clearance_at_start(case: Case, day: dt.date, kb: KnowledgeBase) -> ClearanceAtStart:
    """As BT-03 at the decision date `day`: the latest creatinine on or before it, the weight, the sex
    and the age from the birth year (`ClearanceInputs`: Cockcroft-Gault, the sex never guessed), or
    the clearance entered; both: the lower; a computed one over the plausible maximum gives none.
    Weight and entered clearance are read as recorded, as the bone plan reads them (their dates are
    not compared)."""
    del kb  # the formula's constants live in core/plan_renal.py; kept for a uniform signature
    pi = case.plan_inputs or PlanInputs()
    creatinine = max(((x.date, i, x) for i, x in enumerate(case.labs)
                      if x.analyte is Analyte.creatinine and x.date <= day),
                     key=lambda f: (f[0], f[1]), default=None)
    sex, birth = case.patient.sex, case.patient.birth_year
    missing = [word for word, absent in (
        ("serum creatinine on or before the start", creatinine is None),
        ("weight", pi.weight_kg is None),
        ("sex (male or female)", sex not in ("male", "female")),
        ("birth year", birth is None)) if absent]
    computed: float | None = None
    if not missing and creatinine is not None and pi.weight_kg is not None and birth is not None:
        lab = creatinine[2]
        try:
            computed = ClearanceInputs(age_years=day.year - birth, weight_kg=pi.weight_kg,
                                       creatinine=lab.value, creatinine_unit=lab.unit,
                                       sex=sex).clearance()
        except ValueError as exc:  # an age or a unit the formula refuses
            missing.append(str(exc))
        if computed is not None and computed > MAX_PLAUSIBLE_CLEARANCE:
            # As BT-03 (review 24 B1): no dose from an impossible clearance, even beside an entered one.
            return ClearanceAtStart(None, (f"a plausible clearance (computed {computed:g} mL/min, over "
                                           f"{MAX_PLAUSIBLE_CLEARANCE:g}: check the creatinine's unit "
                                           "and the weight)",))
    entered = pi.creatinine_clearance_ml_min
    if entered is None:
        return ClearanceAtStart(computed, () if computed is not None else tuple(missing))
    return ClearanceAtStart(entered if computed is None else min(entered, computed), ())


def zoledronic_acid_dose_within_band(case: Case, kb: KnowledgeBase) -> Verdict:
    """Denominator: zoledronic acid courses with a start, a dose and a clearance at the start.
    Numerator (the patient): every such course's dose at most its band's (BT-03's bands; below the
    minimum clearance no dose is consistent). Courses without a start, a dose or a clearance are
    set aside with what is missing."""
    params = _plan_params(kb, "BT-03")
    assessed: list[tuple[Item, bool]] = []
    aside: list[SetAside] = []
    courses = _courses(case, TreatmentType.zoledronic_acid)
    for t in sorted(courses, key=lambda t: (t.start or dt.date.max, t.id)):
        if t.start is None:
            aside.append(SetAside(t.id, "zoledronic acid course without a start date: no clearance "
                                        "at its start"))
            continue
        if t.dose_mg is None:
            aside.append(SetAside(t.id, "zoledronic acid course with no dose recorded"))
            continue
        cl = clearance_at_start(case, t.start, kb)
        if cl.value is None:
            aside.append(SetAside(t.id, "zoledronic acid course without a clearance at its start "
                                        f"({t.start.isoformat()}): missing {', '.join(cl.missing)}"))
            continue
        band = zoledronic_acid_dose(cl.value, params)
        assessed.append((Item(t.id, t.start), band is not None and t.dose_mg <= band + _DOSE_TOLERANCE_MG))
    den = tuple(item for item, _ in assessed)
    num = den if den and all(ok for _, ok in assessed) else ()
    return Verdict(den, num, den[0].date if den else None, tuple(aside))


# The registry (bonemet.audit.indicators): one line per indicator, its parameters from its definition.
indicator("antiresorptive_within_days")(lambda case, kb, d: antiresorptive_within_days(
    case, kb, d.params["within_days"]))
indicator("dental_before_first_dose")(lambda case, kb, d: dental_before_first_dose(case, kb))
indicator("vitamin_d_measured")(lambda case, kb, d: vitamin_d_measured(case))
indicator("zoledronic_acid_dose_within_band")(lambda case, kb, d: zoledronic_acid_dose_within_band(case, kb))
