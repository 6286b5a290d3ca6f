"""The systemic bone indicators agree with the single-patient bone plan (issue 24): one source of
truth. On generated patients, the bone plan is asked as the record stood on the day that matters
(the course start for the dose, the first dose for the dental check, the window's last day for the
start, the end of the record for vitamin D) and must read what the indicator reads."""

from __future__ import annotations

import datetime as dt
import re

from bonemet.api import assess
from bonemet.audit.definitions import default_definitions
from bonemet.audit.indicators import patient_indicators
from bonemet.audit.indicators_bone import bone_metastasis_diagnosis, clearance_at_start
from bonemet.audit.synth import build_patient
from bonemet.core.plan_renal import zoledronic_acid_dose
from bonemet.kb import default_kb
from bonemet.model.case import BONE_AGENTS, Case, TreatmentType
from bonemet.model.plan import BonePlan, Proposal

KB = default_kb()
DEFS = default_definitions()
WITHIN = DEFS.get("antiresorptive_within_days").params["within_days"]
_DOSE = re.compile(r"\b(\d\.\d) mg\b")


def _as_on(case: Case, day: dt.date) -> Case:
    """The record as it stood on `day`, asked that day (what a clinician would have entered)."""
    doc = case.model_dump(mode="json")
    doc["exams"] = [e for e in doc["exams"] if dt.date.fromisoformat(e["date"]) <= day]
    doc["treatments"] = [t for t in doc["treatments"]
                         if t["start"] is None or dt.date.fromisoformat(t["start"]) <= day]
    for key in ("labs", "clinical_status", "response_outside_bone"):
        doc[key] = [x for x in doc[key] if dt.date.fromisoformat(x["date"]) <= day]
    doc["context"] = {"phase": "on_treatment", "as_of": day.isoformat()}
    return Case.model_validate(doc)


def _plan(case: Case, day: dt.date) -> BonePlan:
    plan = assess(_as_on(case, day)).plan
    assert plan is not None
    return plan


def _one(plan: BonePlan, rule_id: str) -> Proposal | None:
    found = [p for p in plan.proposals if p.rule_id == rule_id]
    assert len(found) <= 1
    return found[0] if found else None


def test_indicators_agree_with_the_bone_plan_on_generated_patients() -> None:
    checked = {"BT-03": 0, "BT-03 aside": 0, "DN-01": 0, "BT-01": 0, "VD-01": 0}
    bands = KB.plan.rules["BT-03"].params if KB.plan else {}
    for index in range(1, 260):
        case = build_patient(43, index)[0]
        verdict = patient_indicators(case, KB, DEFS)
        if not verdict.in_scope:
            continue
        dx = bone_metastasis_diagnosis(case)
        courses = sorted((t for t in case.treatments if t.type in BONE_AGENTS and t.start),
                         key=lambda t: (t.start, t.id))
        # BT-03: the dose band at each zoledronic acid start is the plan's; no clearance, no dose.
        for t in courses:
            if t.type is not TreatmentType.zoledronic_acid or t.dose_mg is None:
                continue
            assert t.start is not None
            bt03 = _one(_plan(case, t.start), "BT-03")
            assert bt03 is not None
            cl = clearance_at_start(case, t.start, KB)
            if cl.value is None:
                assert not _DOSE.findall(bt03.text.en) and bt03.missing_data, case.case_id
                checked["BT-03 aside"] += 1
                continue
            band = zoledronic_acid_dose(cl.value, bands)
            assert f"{cl.value:g}" in bt03.text.en, (case.case_id, bt03.text.en)
            if band is None:
                assert "not given" in bt03.text.en, case.case_id
            else:
                # The band's dose; a recorded dose above it is named beside it (review 24 B2).
                said = set(_DOSE.findall(bt03.text.en))
                allowed = {f"{band:.1f}"} | ({f"{t.dose_mg:.1f}"} if t.dose_mg else set())
                assert f"{band:.1f}" in said and said <= allowed, (case.case_id, bt03.text.en)
            checked["BT-03"] += 1
        # DN-01 at the first dose: an evaluation on or before it counts when DN-01 does not call
        # the review overdue that day.
        dental = verdict.member("dental_before_first_dose")
        pi = case.plan_inputs
        if courses and pi is not None and pi.dental_date is not None and courses[0].start \
                and pi.dental_date <= courses[0].start:
            dn01 = _one(_plan(case, courses[0].start), "DN-01")
            assert dn01 is not None
            assert ("overdue" not in dn01.text.en) is dental.numerator, (case.case_id, dn01.text.en)
            checked["DN-01"] += 1
        elif courses:
            assert not dental.numerator
        # BT-01/BT-05 on the window's last day: a course running then is the numerator.
        start = verdict.member("antiresorptive_within_days")
        if start.denominator and dx is not None and dx.date is not None:
            plan = _plan(case, dx.date + dt.timedelta(days=WITHIN))
            assert (_one(plan, "BT-05") is not None) is start.numerator, case.case_id
            checked["BT-01"] += 1
        elif dx is not None and case.plan_inputs and case.plan_inputs.life_expectancy:
            assert dx.date is not None
            bt01 = _one(_plan(case, dx.date + dt.timedelta(days=WITHIN)), "BT-01")
            assert bt01 is None or "not proposed" in bt01.text.en, case.case_id
        # VD-01 at the end of the record: measured unless it names the missing 25-OH vitamin D.
        vd = verdict.member("vitamin_d_measured")
        if vd.denominator:
            last = case.latest_date()
            assert last is not None
            vd01 = _one(_plan(case, last), "VD-01")
            if vd01 is not None:
                missing = any(m.field == "labs.vitamin_d_25oh" for m in vd01.missing_data)
                assert missing is not vd.numerator, case.case_id
                checked["VD-01"] += 1
    assert min(checked.values()) >= 3, checked
