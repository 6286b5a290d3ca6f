"""BT-06: one zoledronic acid or denosumab order checked against the case (issue 24, the CDS Hooks
order-select / order-sign check). Pure and deterministic, like the plan.

The order is read by the adapter (agent, dose in mg or why not, date); this module says what the
knowledge base says of it, with the plan's own readings (core/plan_bone_agents.py): the creatinine
clearance as BT-03 computes it (Cockcroft-Gault or as entered, the lower of both), the zoledronic
acid band from plan.yaml's BT-03 params (core/plan_renal.py), BT-02's calcium limit, VD-01's
vitamin D levels, DN-01's dental review, BT-04's denosumab dose and hypocalcaemia risk.

Safety properties (tests/plan/test_plan_bone_orders.py):
- a zoledronic acid dose above the band of the clearance is never silent (a warning with the
  band's dose);
- below 30 mL/min no zoledronic acid dose is ever suggested (critical, contraindicated);
- without a clearance no dose is given, and the missing inputs are named;
- osteonecrosis of the jaw and a low calcium are said first (critical).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

from bonemet.base.terms import Analyte, TreatmentType
from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.model import labels
from bonemet.model.case import Case
from bonemet.model.plan_inputs import PlanInputs
from bonemet.model.trace import Fact, MissingData

from .context import view
from .plan_bone_agents import (
    FIELD_WORDS,
    Clearance,
    antiresorptive_courses,
    bone_metastases_known_in,
    calcium_low,
    clearance,
    denosumab_renal,
    latest_calcium,
    latest_lab,
)
from .plan_bone_said import dental_said, dose_text, num_text, vitamin_d_said
from .plan_registry import PlanOutput, joined, need
from .plan_renal import zoledronic_acid_dose

Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK: dict[Severity, int] = {"info": 0, "warning": 1, "critical": 2}
BONE_ORDER_AGENTS = (TreatmentType.zoledronic_acid, TreatmentType.denosumab)


@dataclass(frozen=True, slots=True)
class BoneOrder:
    """One order as the adapter read it. `dose_mg` None: no dose on the order (`dose_problem`
    None) or a dose not read in mg (`dose_problem` says why, `dose_field` where)."""

    agent: TreatmentType
    dose_mg: float | None = None
    dose_problem: str | None = None
    dose_field: str = ""
    date: dt.date | None = None  # the decision date: the order's, else the case's

    def __post_init__(self) -> None:
        if self.agent not in BONE_ORDER_AGENTS:
            raise ValueError(f"{self.agent.value} is not zoledronic acid or denosumab")
        if self.dose_mg is not None and not self.dose_mg > 0:
            raise ValueError("dose_mg must be positive")


@dataclass(frozen=True, slots=True)
class OrderFinding:
    rule_id: str
    key: str
    severity: Severity
    text: Text
    statement_ids: tuple[str, ...]
    facts: tuple[Fact, ...] = ()
    missing: tuple[MissingData, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderCheck:
    agent: TreatmentType
    in_scope: bool  # a confirmed lung primary: outside it the adapters say nothing (HZ-AD-09)
    ordered_mg: float | None
    band_mg: float | None  # zoledronic acid: the dose of the clearance's band; denosumab: BT-04's
    clearance: float | None
    clearance_text: Text | None
    contraindicated: bool  # no dose of this agent is suggested (ONJ; zoledronic acid < 30 mL/min)
    suggested_mg: float | None  # the one-click dose: only for a zoledronic acid dose above its band
    findings: tuple[OrderFinding, ...]

    @property
    def severity(self) -> Severity:
        return max((f.severity for f in self.findings), key=SEVERITY_RANK.__getitem__,
                   default="info")

    @property
    def missing(self) -> tuple[MissingData, ...]:
        seen: dict[str, MissingData] = {}
        for f in self.findings:
            for m in f.missing:
                seen.setdefault(m.field, m)
        return tuple(seen.values())

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.rule_id for f in self.findings))


def _capital(t: Text) -> Text:
    return Text(en=t.en[:1].upper() + t.en[1:], fr=t.fr[:1].upper() + t.fr[1:])


def _sentence(t: Text) -> Text:
    t = _capital(t)
    return Text(en=t.en if t.en.endswith(".") else t.en + ".",
                fr=t.fr if t.fr.endswith(".") else t.fr + ".")


def check_order(case: Case, kb: KnowledgeBase, order: BoneOrder) -> OrderCheck:
    """What the knowledge base says of one order for this case (findings most severe first)."""
    plan = kb.plan
    if plan is None:
        raise ValueError("the knowledge base has no plan section (plan.yaml)")
    out = PlanOutput(plan=plan)
    v = view(case)
    if order.date is not None:
        v = dataclasses.replace(v, as_of=order.date)
    pi = case.plan_inputs or PlanInputs()
    found: list[OrderFinding] = []

    def say(rule_id: str, key: str, severity: Severity, text: Text, facts: tuple[Fact, ...] = (),
            missing: tuple[MissingData, ...] = ()) -> None:
        found.append(OrderFinding(rule_id, key, severity, text, plan.rule(rule_id).statements,
                                  facts, missing))

    bt02, bt04, bt06 = (plan.rule(r) for r in ("BT-02", "BT-04", "BT-06"))
    za = order.agent is TreatmentType.zoledronic_acid
    onj = pi.osteonecrosis_jaw is True
    if onj:
        say("BT-02", "onj", "critical", _sentence(bt02.message("onj")),
            (Fact(path="plan_inputs.osteonecrosis_jaw", value=True),))
    calcium = latest_calcium(v)
    if calcium is not None and calcium_low(out, calcium[1]):
        i, lab = calcium
        kind = "corrected" if lab.analyte is Analyte.calcium_corrected else "total"
        value = Text(en=f"{num_text(lab.value).en} {lab.unit}", fr=f"{num_text(lab.value).fr} {lab.unit}")
        say("BT-02", "calcium_low", "critical", _sentence(bt02.message(
            "calcium", value=value, date=labels.day(lab.date),
            calcium_kind=bt02.message(f"{kind}_kind"), calcium_how=bt02.message(f"{kind}_how"),
            calcium_low_mmol_l=num_text(float(bt02.param("calcium_low_mmol_l"))))),
            (Fact(path=f"labs[{i}].value", value=lab.value),))
    cl = clearance(v, out, pi)
    band: float | None = None
    contraindicated = onj
    suggested: float | None = None
    ordered = order.dose_mg
    if za:
        band, contraindicated, suggested = _zoledronic_acid(cl, order, out, say, onj)
    else:
        band = float(bt04.param("dose_mg"))
        _denosumab(cl.value, order, out, say)
    running, _ = antiresorptive_courses(v)
    if running is not None and running[1].type is not order.agent:
        i, t = running
        say("BT-06", "double", "warning", bt06.message(
            "double", other=plan.rule("BT-05").message(t.type.value),
            start=labels.day(t.start) if t.start else plan.rule("BT-05").message("start_unknown")),
            (Fact(path=f"treatments[{i}].type", value=t.type.value),))
    if calcium is None:
        say("BT-06", "calcium_missing", "info" if za else "warning", bt06.message("calcium_missing"),
            missing=(need("BT-06", "labs.calcium", "Calcium before the dose.",
                          "Calcémie avant la dose."),))
    vd = vitamin_d_said(out, latest_lab(v, Analyte.vitamin_d_25oh), pi.osteonecrosis_jaw is True)
    if vd.key != "sufficient":
        say("VD-01", f"vitamin_d_{vd.key}", "info", vd.text(out, "VD-01"), vd.facts, vd.missing)
    if not onj:
        dn = dental_said(out, pi, running is not None and running[1].type is order.agent, v.as_of)
        needs_care = dn.key in ("delay", "review_missing") or dn.values.get("overdue") is True or (
            dn.key == "before" and dn.values.get("cleared") is not True)
        if needs_care:
            say("DN-01", f"dental_{dn.key}", "warning", dn.text(out, "DN-01"), dn.facts, dn.missing)
    if not bone_metastases_known_in(v):
        say("BT-06", "not_established", "info", bt06.message("not_established"))
    findings = tuple(sorted(found, key=lambda f: -SEVERITY_RANK[f.severity]))
    return OrderCheck(agent=order.agent, in_scope=v.is_lung, ordered_mg=ordered, band_mg=band,
                      clearance=cl.value, clearance_text=cl.text, contraindicated=contraindicated,
                      suggested_mg=suggested, findings=findings)


class _Say(Protocol):
    def __call__(self, rule_id: str, key: str, severity: Severity, text: Text,
                 facts: tuple[Fact, ...] = (), missing: tuple[MissingData, ...] = ()) -> None: ...


def _zoledronic_acid(cl: Clearance, order: BoneOrder, out: PlanOutput, say: _Say,
                     onj: bool) -> tuple[float | None, bool, float | None]:
    """The dose against the band: (band dose, contraindicated, suggested dose)."""
    bt03, bt06 = out.rule("BT-03"), out.rule("BT-06")
    minutes = bt03.param("infusion_minutes")
    ordered = order.dose_mg
    if cl.value is None or cl.text is None:
        what = joined([FIELD_WORDS.get(m.field, Text(en=m.field, fr=m.field)) for m in cl.missing])
        shown = bt06.message("ordered_mg", ordered=dose_text(ordered)) if ordered is not None else ""
        say("BT-06", "unchecked", "warning", bt06.message("unchecked", ordered=shown, what=what),
            missing=cl.missing)
        return None, onj, None
    band = zoledronic_acid_dose(cl.value, bt03.params)
    if band is None:
        say("BT-06", "contraindicated", "critical", bt06.message(
            "contraindicated", clearance=cl.text, min_clearance=bt03.param("min_clearance")),
            cl.facts)
        return None, True, None
    dose = dose_text(band)
    if order.dose_problem is not None:
        say("BT-06", "unreadable", "warning", bt06.message("unreadable", clearance=cl.text, dose=dose),
            cl.facts, (_dose_missing(order),))
        return band, onj, None
    if ordered is None:
        say("BT-06", "no_dose", "info", bt06.message("no_dose", clearance=cl.text, dose=dose), cl.facts)
        return band, onj, None
    # Compared at the precision shown (one decimal): 3.25 ordered is shown as 3.2 or 3.3, but it is
    # compared as given, so a dose a hair above the band is still above it.
    facts = (*cl.facts, Fact(path="order.dose_mg", value=ordered))
    if ordered > band:
        say("BT-06", "above", "warning", bt06.message("above", ordered=_shown(ordered), dose=dose,
                                                      clearance=cl.text), facts)
        return band, onj, None if onj else band
    if ordered < band:
        say("BT-06", "below", "info", bt06.message("below", ordered=_shown(ordered), dose=dose,
                                                   clearance=cl.text), facts)
        return band, onj, None
    say("BT-06", "matches", "info", bt06.message("matches", ordered=_shown(ordered),
                                                 clearance=cl.text, infusion_minutes=minutes), facts)
    return band, onj, None


def _shown(mg: float) -> Text:
    """An ordered dose as written: one decimal at least, more when the order has more (3.25)."""
    s = f"{mg:.1f}" if round(mg, 1) == mg else f"{mg:g}"
    return Text(en=s, fr=s.replace(".", ","))


def _denosumab(value: float | None, order: BoneOrder, out: PlanOutput, say: _Say) -> None:
    bt04, bt06 = out.rule("BT-04"), out.rule("BT-06")
    dose_mg, weeks = bt04.param("dose_mg"), bt04.param("interval_weeks")
    renal = denosumab_renal(out, value)
    high = value is not None and value < float(bt04.param("high_risk_below"))
    # Review 24b F12: under the boxed-warning clearance the card's summary names the risk.
    say("BT-04", "hypocalcaemia_high" if high else "hypocalcaemia", "warning" if high else "info",
        bt04.message("standard", dose_mg=dose_mg, interval_weeks=weeks, renal=renal))
    if order.dose_problem is not None:
        say("BT-06", "unreadable", "warning", bt06.message("unreadable_any"),
            missing=(_dose_missing(order),))
    elif order.dose_mg is None:
        say("BT-06", "denosumab_no_dose", "info", bt06.message(
            "denosumab_no_dose", dose_mg=dose_mg, interval_weeks=weeks))
    elif order.dose_mg != float(dose_mg):
        say("BT-06", "denosumab_dose", "warning" if order.dose_mg > float(dose_mg) else "info",
            bt06.message("denosumab_dose", ordered=_shown(order.dose_mg), dose_mg=dose_mg,
                         interval_weeks=weeks),
            (Fact(path="order.dose_mg", value=order.dose_mg),))


def _dose_missing(order: BoneOrder) -> MissingData:
    """The order's dose field and why it was not read (the reader's reason is English only)."""
    return MissingData(field=order.dose_field or "order.dose", rule_id="BT-06", reason=Text(
        en=f"The dose in mg: {order.dose_problem}.",
        fr="La dose en mg : non lue (volume, plage, unité absente ou plusieurs doses)."))
