"""What the DN-01 and VD-01 rules say of one reading, shared by the bone plan (plan_bone_agents.py)
and the order check (plan_bone_orders.py, BT-06), with the small number formats both use. Split
from plan_bone_agents.py (issue 24) to keep each module readable."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bonemet.base.text import Text
from bonemet.model import labels
from bonemet.model.follow_up import LabResult
from bonemet.model.plan_inputs import DentalStatus, PlanInputs
from bonemet.model.trace import Fact, MissingData

from .plan_registry import PlanOutput, joined, need


def num_text(x: float) -> Text:
    """A number as each language writes it (56.7 / 56,7)."""
    s = f"{x:g}"
    return Text(en=s, fr=s.replace(".", ","))


def dose_text(x: float) -> Text:
    s = f"{x:.1f}"
    return Text(en=s, fr=s.replace(".", ","))


def _iu(n: int) -> Text:
    return Text(en=f"{n:,}", fr=f"{n:,}".replace(",", "\u202f"))


def _months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end` (26 for 2024-10-01 to 2026-12-05)."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def dental_said(out: PlanOutput, pi: PlanInputs, running: bool, as_of: dt.date | None) -> Said:
    """DN-01 for the dental inputs: review during a running course, or before the first dose
    (delay items, cleared, not assessed)."""
    rule = out.rule("DN-01")
    months = int(rule.param("review_months"))
    facts = tuple(Fact(path=f"plan_inputs.{k}", value=v) for k, v in (
        ("dental_status", pi.dental_status.value if pi.dental_status else None),
        ("dental_date", pi.dental_date.isoformat() if pi.dental_date else None),
        ("unhealed_oral_lesions", pi.unhealed_oral_lesions),
        ("planned_extraction", pi.planned_extraction)) if v is not None)
    if running:
        if pi.dental_date is None:
            return Said("review_missing", {"review_months": months}, facts, (need(
                "DN-01", "plan_inputs.dental_date", "Date of the last dental evaluation.",
                "Date du dernier bilan dentaire."),))
        due = _add_months(pi.dental_date, months)
        when = rule.message("overdue" if as_of is not None and due < as_of else "due",
                            due=labels.day(due))
        return Said("review", {"review_months": months, "date": labels.day(pi.dental_date),
                               "when": when, "overdue": as_of is not None and due < as_of}, facts)
    items: list[Text] = []
    if pi.unhealed_oral_lesions:
        items.append(rule.message("unhealed"))
    if pi.planned_extraction:
        items.append(rule.message("extraction"))
    if pi.dental_status is DentalStatus.care_needed:
        items.append(rule.message("care_needed"))
    if items:
        return Said("delay", {"review_months": months, "items": joined(items, ", ", ", ")}, facts)
    if pi.dental_status is DentalStatus.cleared and pi.dental_date is not None and as_of is not None \
            and _add_months(pi.dental_date, months) <= as_of:  # due that day (review 24b F4)
        # Review 24 M1: before a first dose, an evaluation past the review interval is not enough.
        return Said("before", {"review_months": months, "state": rule.message(
            "outdated", date=labels.day(pi.dental_date), review_months=months)}, facts, (need(
                "DN-01", "plan_inputs.dental_date", "A dental evaluation of the last "
                f"{months} months before the first dose.", f"Un bilan dentaire de moins de {months} "
                "mois avant la première dose."),))
    if pi.dental_status is DentalStatus.cleared and pi.dental_date is not None:
        return Said("before", {"review_months": months,
                               "state": rule.message("cleared", date=labels.day(pi.dental_date)),
                               "cleared": True}, facts)
    return Said("before", {"review_months": months, "state": rule.message("not_assessed")}, facts,
                (need("DN-01", "plan_inputs.dental_status", "Dental evaluation before the first "
                      "dose (status and date).", "Bilan dentaire avant la première dose (statut "
                      "et date)."),))


@dataclass(frozen=True, slots=True)
class Said:
    """What a rule says of one reading: its message key and values, facts and missing inputs.
    The plan proposes it; the order check (BT-06) shows the same sentence on the order's card."""

    key: str
    values: dict[str, Any]
    facts: tuple[Fact, ...] = ()
    missing: tuple[MissingData, ...] = ()

    def text(self, out: PlanOutput, rule_id: str) -> Text:
        return out.rule(rule_id).message(self.key, **self.values)


def vitamin_d_said(out: PlanOutput, found: tuple[int, LabResult] | None, onj: bool = False) -> Said:
    """VD-01 for the latest 25-OH vitamin D (or none): the AURA box's loading by level."""
    rule = out.rule("VD-01")
    p = rule.params
    values: dict[str, Any] = {
        "deficiency_below": p["deficiency_below"], "insufficiency_max": p["insufficiency_max"],
        "weeks_deficient": p["weeks_deficient"], "weeks_insufficient": p["weeks_insufficient"],
        "loading_iu": _iu(int(p["loading_iu"]))}
    values["calcium"] = rule.message("calcium", calcium_min_mg=p["calcium_min_mg"],
                                     calcium_max_mg=p["calcium_max_mg"])
    # Review 24 m6: no "during the antiresorptive" when osteonecrosis of the jaw stops it.
    values["during"] = "" if onj else rule.message("during")
    if found is None:
        return Said("missing", values, missing=(need(
            "VD-01", "labs.vitamin_d_25oh", "25-OH vitamin D is not measured.",
            "La 25-OH vitamine D n'est pas dosée."),))
    i, lab = found
    # Review 24b F5: banded on the value shown (75 nmol/L is 30.0 ng/mL, an insufficiency).
    ng = round(lab.value / float(p["nmol_per_ng"]), 1) if lab.unit == "nmol/L" else lab.value
    shown = f"{num_text(lab.value).en} {lab.unit}" + (f" ({ng:.1f} ng/mL)" if lab.unit == "nmol/L" else "")
    shown_fr = shown.replace(".", ",")
    key = "deficient" if ng < float(p["deficiency_below"]) else \
        "insufficient" if ng <= float(p["insufficiency_max"]) else "sufficient"
    return Said(key, {**values, "value": Text(en=shown, fr=shown_fr), "date": labels.day(lab.date)},
                facts=(Fact(path=f"labs[{i}].value", value=lab.value),
                       Fact(path=f"labs[{i}].unit", value=lab.unit)))

