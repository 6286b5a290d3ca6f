"""BT-, DN-, VD- rules: systemic bone treatment in the bone plan (issue 24).

Antiresorptive (zoledronic acid or denosumab) for bone metastases of a lung cancer (AURA systemic
bone treatment box, ESMO 2020's life-expectancy condition), what stops it said first (BT-02:
osteonecrosis of the jaw, a low calcium, a clearance too low for zoledronic acid), the zoledronic
acid dose by creatinine clearance (BT-03, core/plan_renal.py), denosumab and hypocalcaemia (BT-04),
duration and spacing of a course already running (BT-05), the dental evaluation (DN-01) and
vitamin D with calcium (VD-01). Every threshold and sentence comes from plan.yaml.

Transitional gate (integration of issue 24 with issue 23's review tests, which fix the exact list of
proposals of their cases): the rules propose when bone metastases are established AND the case
records at least one systemic-bone fact (a creatinine, calcium or 25-OH vitamin D result, an
antiresorptive course, or one of the issue-24 plan inputs). Without any, the plan is not silent:
its missing data name what the antiresorptive proposals need (BT-01). Lifting the gate is one line
(`_asked`), once the integrator has updated those tests' expected lists.

Inputs are read once per rule by `read_bone` (pure, cheap): the latest lab of each analyte on or
before the decision date, the antiresorptive courses of `treatments[]`, the plan inputs. A value
that is missing is named (`missing_data`), never guessed: no clearance, no dose.
"""

from __future__ import annotations

from dataclasses import dataclass

from bonemet.base.terms import Analyte, TreatmentType
from bonemet.base.text import Text
from bonemet.model import labels
from bonemet.model.case import Treatment
from bonemet.model.follow_up import LabResult
from bonemet.model.plan_inputs import PlanInputs
from bonemet.model.trace import Fact, MissingData

from .context import (
    CaseView,
    bone_metastases_known,
    isolated_lesion_exam,
    settled_isolated_lesion,
)
from .plan_bone_said import (
    _months_between,
    dental_said,
    dose_text,
    num_text,
    vitamin_d_said,
)
from .plan_lesions import LIFE_EXPECTANCY
from .plan_registry import PlanContext, PlanOutput, joined, need, plan_rule
from .plan_renal import (
    MAX_PLAUSIBLE_CLEARANCE,
    MICROMOL_UNITS,
    UMOL_PER_MG_DL,
    ClearanceInputs,
    creatinine_mg_dl,
    renal_deterioration,
    zoledronic_acid_dose,
)

_AGENTS = (TreatmentType.zoledronic_acid, TreatmentType.denosumab)


@dataclass(frozen=True, slots=True)
class Clearance:
    value: float | None
    text: Text | None
    facts: tuple[Fact, ...]
    missing: tuple[MissingData, ...]


@dataclass(frozen=True, slots=True)
class BoneReading:
    established: bool
    running: tuple[int, Treatment] | None
    ended: tuple[int, Treatment] | None
    onj: bool
    calcium: tuple[int, LabResult] | None
    vitamin_d: tuple[int, LabResult] | None
    clearance: Clearance
    inputs: PlanInputs


def latest_lab(v: CaseView, analyte: Analyte) -> tuple[int, LabResult] | None:
    """The latest result of one analyte on or before the decision date, with its index."""
    as_of = v.as_of
    found = [(i, x) for i, x in enumerate(v.case.labs)
             if x.analyte is analyte and (as_of is None or x.date <= as_of)]
    return max(found, key=lambda f: (f[1].date, f[0])) if found else None


def latest_calcium(v: CaseView) -> tuple[int, LabResult] | None:
    """The latest calcium: an albumin-corrected one (issue 24 input) when it is the latest or the
    same day as the latest total calcium, since that is the value the threshold is meant for."""
    total, corrected = latest_lab(v, Analyte.calcium), latest_lab(v, Analyte.calcium_corrected)
    if corrected is None or (total is not None and total[1].date > corrected[1].date):
        return total
    return corrected


def antiresorptive_courses(v: CaseView) -> tuple[tuple[int, Treatment] | None,
                                                 tuple[int, Treatment] | None]:
    """The course running at the decision date (started, no last dose before it) and the latest
    ended one (its `end` is the last dose)."""
    as_of = v.as_of
    running: tuple[int, Treatment] | None = None
    ended: tuple[int, Treatment] | None = None
    for i, t in enumerate(v.case.treatments):
        if t.type not in _AGENTS or (t.start is not None and as_of is not None and t.start > as_of):
            continue
        if t.end is None or as_of is None or t.end >= as_of:
            running = (i, t)
        elif ended is None or (ended[1].end is not None and t.end > ended[1].end):
            ended = (i, t)
    return running, ended


def clearance(v: CaseView, out: PlanOutput, pi: PlanInputs) -> Clearance:
    """Cockcroft-Gault from the latest creatinine, weight, sex and age (birth year only), or the
    clearance as entered; both: the lower (never the reassuring one). Shared by the plan (BT-02..04)
    and the order check (core/plan_bone_orders.py, BT-06)."""
    rule = out.rule("BT-03")
    case = v.case
    missing: list[MissingData] = []
    facts: list[Fact] = []
    computed: float | None = None
    computed_text: Text | None = None
    creat = latest_lab(v, Analyte.creatinine)
    sex = case.patient.sex
    birth = case.patient.birth_year
    as_of = v.as_of
    if creat is None:
        missing.append(need("BT-03", "labs.creatinine", "Serum creatinine (µmol/L or mg/dL) is not "
                            "recorded: no clearance, no dose.", "La créatinine (µmol/L ou mg/dL) "
                            "n'est pas notée : pas de clairance, pas de dose."))
    if pi.weight_kg is None:
        missing.append(need("BT-03", "plan_inputs.weight_kg", "Weight (kg) for Cockcroft-Gault.",
                            "Poids (kg) pour Cockcroft-Gault."))
    if sex not in ("male", "female"):
        missing.append(need("BT-03", "patient.sex", "Sex (male or female) for Cockcroft-Gault: the "
                            "factor is not guessed.", "Sexe (homme ou femme) pour Cockcroft-Gault : "
                            "le facteur n'est pas deviné."))
    if birth is None or as_of is None:
        missing.append(need("BT-03", "patient.birth_year", "Birth year (age) for Cockcroft-Gault.",
                            "Année de naissance (âge) pour Cockcroft-Gault."))
    if not missing and creat is not None and pi.weight_kg is not None and birth is not None \
            and as_of is not None:
        i, lab = creat
        age = as_of.year - birth
        value = ClearanceInputs(age_years=age, weight_kg=pi.weight_kg, creatinine=lab.value,
                                creatinine_unit=lab.unit, sex=sex).clearance()
        if value is not None and value > MAX_PLAUSIBLE_CLEARANCE:
            # Review 24 B1: never a dose from an impossible clearance, even beside an entered one
            # (a contradiction is shown, not settled by the other value); the inputs are named.
            return Clearance(None, None, (), (need(
                "BT-03", f"labs[{i}].unit",
                f"The clearance computed from creatinine {lab.value:g} {lab.unit} and weight "
                f"{pi.weight_kg:g} kg would be {value:g} mL/min, over {MAX_PLAUSIBLE_CLEARANCE:g}: "
                "check the creatinine's unit and the weight; no dose.",
                f"La clairance calculée avec une créatinine de {num_text(lab.value).fr} {lab.unit} et "
                f"un poids de {num_text(pi.weight_kg).fr} kg serait de {num_text(value).fr} mL/min, au-delà "
                f"de {num_text(MAX_PLAUSIBLE_CLEARANCE).fr} : vérifier l'unité de la créatinine et le "
                "poids ; pas de dose."),))
        if value is not None:
            computed = value
            unit = "µmol/L" if lab.unit in MICROMOL_UNITS else lab.unit
            computed_text = rule.message(
                "computed", clearance=num_text(value), creatinine=Text(
                    en=f"{num_text(lab.value).en} {unit}", fr=f"{num_text(lab.value).fr} {unit}"),
                date=labels.day(lab.date), weight=num_text(pi.weight_kg),
                sex=rule.message("female" if sex == "female" else "male"), age=age)
            facts += [Fact(path=f"labs[{i}].value", value=lab.value),
                      Fact(path=f"labs[{i}].unit", value=lab.unit),
                      Fact(path="plan_inputs.weight_kg", value=pi.weight_kg),
                      Fact(path="patient.sex", value=sex),
                      Fact(path="patient.birth_year", value=birth)]
    entered = pi.creatinine_clearance_ml_min
    if entered is None:
        return Clearance(computed, computed_text, tuple(facts), tuple(missing))
    when = Text(en=f", {labels.day(pi.creatinine_clearance_date).en}",
                fr=f", {labels.day(pi.creatinine_clearance_date).fr}") \
        if pi.creatinine_clearance_date else ""
    facts.append(Fact(path="plan_inputs.creatinine_clearance_ml_min", value=entered))
    entered_text = rule.message("entered", clearance=num_text(entered), date=when)
    if computed is None or computed_text is None:
        return Clearance(entered, entered_text, tuple(facts), ())
    lower = min(entered, computed)
    # Review 24b F9: a wide gap between the two is a question to settle, not only the lower kept.
    far = max(entered, computed) >= float(rule.param("far_ratio")) * lower
    text = rule.message("both", lower=entered_text if entered <= computed else computed_text,
                        entered=num_text(entered), computed=num_text(computed),
                        far=rule.message("far") if far else "")
    return Clearance(lower, text, tuple(facts), ())


def bone_metastases_established(c: PlanContext) -> bool:
    """Known (recorded, or a biopsy showing one), or a positive exam recording bone lesions that
    are not still to characterise (bone_metastases_known_in)."""
    return bone_metastases_known_in(c.v)


def bone_metastases_known_in(v: CaseView) -> bool:
    """A single lesion awaiting its work-up (NM-09), a lesion marked suspicious, or a single lesion
    a biopsy found benign does not start an antiresorptive (review 24: the proposals, and the order
    check, are for established bone metastases)."""
    case, exams, as_of = v.case, v.exams, v.as_of
    if bone_metastases_known(case, exams, as_of):
        return True
    if isolated_lesion_exam(case, exams, as_of) is not None:
        return False
    settled = settled_isolated_lesion(case, exams, as_of)
    benign = settled[0].exam.id if settled is not None else None
    return any(x.exam.result == "positive" and x.exam.id != benign
               and (as_of is None or x.exam.date <= as_of)
               and any(not lesion.suspicious for lesion in x.exam.lesions) for x in exams)


def short_life(c: PlanContext, out: PlanOutput) -> bool:
    """A life expectancy under ESMO's condition (review 24 m4): BT-01 says it, and the dose, dental
    and vitamin D lines of a start are folded into it rather than listed as routine work."""
    band = c.view.picture.life_expectancy
    return band is not None and band.value in out.rule("BT-01").param("life_expectancy_short")


def read_bone(c: PlanContext, out: PlanOutput) -> BoneReading:
    """Read once per plan and shared by BT-01..05, DN-01, VD-01 (issue 27: it was read by each)."""
    cached = out.memo.get("bone")
    if isinstance(cached, BoneReading):
        return cached
    reading = _read_bone(c, out)
    out.memo["bone"] = reading
    return reading


def _read_bone(c: PlanContext, out: PlanOutput) -> BoneReading:
    case = c.v.case
    pi = case.plan_inputs or PlanInputs()
    established = bone_metastases_established(c)
    running, ended = antiresorptive_courses(c.v)
    return BoneReading(established=established, running=running, ended=ended,
                       onj=pi.osteonecrosis_jaw is True, calcium=latest_calcium(c.v),
                       vitamin_d=latest_lab(c.v, Analyte.vitamin_d_25oh),
                       clearance=clearance(c.v, out, pi), inputs=pi)


def calcium_low(out: PlanOutput, lab: LabResult) -> bool:
    rule = out.rule("BT-02")
    mmol = lab.value / float(rule.param("mg_dl_per_mmol_l")) if lab.unit == "mg/dL" else lab.value
    return mmol < float(rule.param("calcium_low_mmol_l"))


def _agent_is(b: BoneReading, agent: TreatmentType) -> bool:
    return b.running is not None and b.running[1].type is agent


@plan_rule("BT-02")
def contraindications(c: PlanContext, out: PlanOutput) -> None:
    """Said first, before the proposal itself (issue 24)."""
    b = read_bone(c, out)
    if not b.established:
        return
    rule = out.rule("BT-02")
    items: list[Text] = []
    facts: list[Fact] = []
    # Review 24 m1: each item cites its own statements (the osteonecrosis papers only for it).
    cited: list[str] = []
    if b.onj:
        items.append(rule.message("onj"))
        facts.append(Fact(path="plan_inputs.osteonecrosis_jaw", value=True))
        cited += ["PL-55", "PL-62"]
    if b.calcium is not None and calcium_low(out, b.calcium[1]):
        i, lab = b.calcium
        # Review 24 m3: a value in mg/dL is shown with its mmol/L, the unit of the threshold.
        shown = Text(en=f"{num_text(lab.value).en} {lab.unit}", fr=f"{num_text(lab.value).fr} {lab.unit}")
        if lab.unit == "mg/dL":
            mmol = round(lab.value / float(rule.param("mg_dl_per_mmol_l")), 2)
            shown = Text(en=f"{shown.en} ({mmol:.2f} mmol/L)",
                         fr=f"{shown.fr} ({f'{mmol:.2f}'.replace('.', ',')} mmol/L)")
        # Review 24b F2: under a running course the correction comes before the next dose.
        running = {"agent": Text(en=out.rule("BT-05").message(b.running[1].type.value).en.lower(),
                                 fr=out.rule("BT-05").message(b.running[1].type.value).fr.lower())
                   } if b.running is not None else {}
        kind = "corrected" if lab.analyte is Analyte.calcium_corrected else "total"
        items.append(rule.message("calcium_running" if running else "calcium", value=shown, **running,
                                  calcium_kind=rule.message(f"{kind}_kind"),
                                  calcium_how=rule.message(f"{kind}_how"),
                                  date=labels.day(lab.date),
                                  calcium_low_mmol_l=num_text(float(rule.param("calcium_low_mmol_l")))))
        facts.append(Fact(path=f"labs[{i}].value", value=lab.value))
        cited += ["PL-62", "PL-54"]
    worse = _deterioration(c, b, out)
    if worse is not None:
        items.append(worse[0])
        facts += worse[1]
        cited.append("PL-64")
    low = float(rule.param("zol_min_clearance"))
    if b.clearance.value is not None and b.clearance.value < low and \
            not _agent_is(b, TreatmentType.denosumab):
        items.append(rule.message("renal", clearance=num_text(b.clearance.value),
                                  zol_min_clearance=rule.param("zol_min_clearance")))
        facts += b.clearance.facts
        cited += ["PL-52", "PL-62"]
    if items:
        ordered = tuple(s for s in rule.statements if s in cited)
        out.propose("BT-02", "intro", facts=tuple(facts), items=joined(items, "; ", " ; "),
                    statements=ordered)


_Worse = tuple[Text, list[Fact], LabResult]


def _deterioration(c: PlanContext, b: BoneReading, out: PlanOutput) -> _Worse | None:
    """Review 24 B2: a creatinine risen under a running zoledronic acid course, from the latest
    value before its start, by the label's threshold (PL-64, from memory: labelled); with the
    baseline result. Read once per plan (BT-02 says it, BT-03 withholds the dose)."""
    if "deterioration" not in out.memo:
        out.memo["deterioration"] = _read_deterioration(c, b, out)
    found: _Worse | None = out.memo["deterioration"]  # type: ignore[assignment]
    return found


def _read_deterioration(c: PlanContext, b: BoneReading, out: PlanOutput) -> _Worse | None:
    if not _agent_is(b, TreatmentType.zoledronic_acid) or b.running is None:
        return None
    start = b.running[1].start
    now = latest_lab(c.v, Analyte.creatinine)
    if start is None or now is None or now[1].date <= start:
        return None
    before = [(i, x) for i, x in enumerate(c.v.case.labs)
              if x.analyte is Analyte.creatinine and x.date <= start]
    if not before:
        return None
    i0, base = max(before, key=lambda f: (f[1].date, f[0]))
    rule = out.rule("BT-02")
    base_mg, now_mg = creatinine_mg_dl(base.value, base.unit), creatinine_mg_dl(now[1].value, now[1].unit)
    found = renal_deterioration(base_mg, now_mg, rule.params)
    if found is None:
        return None
    rise, threshold = found
    # Review 24b F7: the rise in the unit the values were entered in.
    micromol = base.unit in MICROMOL_UNITS
    unit = "µmol/L" if micromol else "mg/dL"

    def amount(x: float) -> Text:
        v = round(x * UMOL_PER_MG_DL) if micromol else x
        return Text(en=f"{num_text(v).en} {unit}", fr=f"{num_text(v).fr} {unit}")

    def shown(lab: LabResult) -> Text:
        return Text(en=f"{num_text(lab.value).en} {lab.unit}, {labels.day(lab.date).en}",
                    fr=f"{num_text(lab.value).fr} {lab.unit}, {labels.day(lab.date).fr}")
    return (rule.message("deterioration", baseline=shown(base), current=shown(now[1]),
                         rise=amount(rise), threshold=amount(threshold),
                         restart_within_pct=rule.param("restart_within_pct")),
            [Fact(path=f"labs[{i0}].value", value=base.value),
             Fact(path=f"labs[{now[0]}].value", value=now[1].value)], base)


@plan_rule("BT-01")
def start_antiresorptive(c: PlanContext, out: PlanOutput) -> None:
    b = read_bone(c, out)
    if not b.established or b.running is not None or b.onj:
        return  # running: BT-05 says it is not proposed again; ONJ: BT-02
    rule = out.rule("BT-01")
    said: list[Text] = []
    facts: list[Fact] = []
    if b.ended is not None:
        i, t = b.ended
        said.append(rule.message("history", agent=out.rule("BT-05").message(t.type.value),
                                 date=labels.day(t.end) if t.end else ""))
        facts.append(Fact(path=f"treatments[{i}].end", value=t.end.isoformat() if t.end else None))
    else:  # review 24: a course given elsewhere is not in the case; "start" must not hide it
        said.append(rule.message("no_history"))
    if b.clearance.value is not None and \
            b.clearance.value < float(out.rule("BT-02").param("zol_min_clearance")):
        said.append(rule.message("zol_excluded"))  # review 24 m2: BT-02 excluded it above
    missing: list[MissingData] = []
    if b.calcium is None:
        missing.append(need("BT-01", "labs.calcium", "Calcium before the first dose is not recorded.",
                            "La calcémie avant la première dose n'est pas notée."))
    band = c.view.picture.life_expectancy
    months = rule.param("esmo_life_months")
    if band is not None:
        facts.append(Fact(path="plan_inputs.life_expectancy", value=band.value))
    if band is not None and short_life(c, out):
        out.propose("BT-01", "short", facts=tuple(facts), missing=tuple(missing),
                    band=LIFE_EXPECTANCY[band], esmo_life_months=months,
                    history=joined(said, "", ""), then=rule.message("short_then"))
        return
    if band is None:
        life = rule.message("life_missing")
        missing.append(need("BT-01", "plan_inputs.life_expectancy",
                            "Life expectancy is not recorded: ESMO's condition cannot be checked.",
                            "L'espérance de vie n'est pas notée : la condition d'ESMO ne peut être "
                            "vérifiée."))
    else:
        life = rule.message("life_met", band=LIFE_EXPECTANCY[band])
    out.propose("BT-01", "start", facts=tuple(facts), missing=tuple(missing), life=life,
                esmo_life_months=months, history=joined(said, "", ""))


@plan_rule("BT-03")
def zoledronic_acid(c: PlanContext, out: PlanOutput) -> None:
    b = read_bone(c, out)
    if not b.established or b.onj or _agent_is(b, TreatmentType.denosumab) or (
            b.running is None and short_life(c, out)):  # folded into BT-01 (review 24 m4)
        return
    rule = out.rule("BT-03")
    cl = b.clearance
    minutes = rule.param("infusion_minutes")
    if cl.value is None or cl.text is None:
        what = joined([FIELD_WORDS.get(m.field, _IMPLAUSIBLE_WORDS) for m in cl.missing])
        out.propose("BT-03", "no_clearance", missing=cl.missing, what=what,
                    infusion_minutes=minutes, statements=_BT03)
        return
    dose = zoledronic_acid_dose(cl.value, rule.params)
    if dose is None:
        out.propose("BT-03", "not_given", facts=cl.facts, clearance=cl.text,
                    min_clearance=rule.param("min_clearance"), statements=_BT03)
        return
    worse = _deterioration(c, b, out)
    if worse is not None and b.running is not None:
        # Review 24b F1: withheld above (BT-02), so no next dose here; the label resumes the same
        # dose once the creatinine is back near its baseline (PL-64, from memory: labelled).
        base = worse[2]
        pct = int(out.rule("BT-02").param("restart_within_pct"))
        limit = round(base.value * (1 + pct / 100), 2 if base.unit == "mg/dL" else 0)
        given = b.running[1].dose_mg
        out.propose("BT-03", "running_withheld", facts=tuple(worse[1]), statements=("PL-64", "PL-53"),
                    recorded=rule.message("recorded_dose", recorded=dose_text(given)) if given else "",
                    restart_within_pct=pct, limit=Text(
                        en=f"{num_text(limit).en} {base.unit}", fr=f"{num_text(limit).fr} {base.unit}"))
        return
    key = "running" if _agent_is(b, TreatmentType.zoledronic_acid) else "dose"
    recorded = b.running[1].dose_mg if b.running is not None and key == "running" else None
    if b.running is not None and recorded is not None and recorded > dose:
        # A recorded dose above the band of the current clearance is never passed over (issue
        # 24 safety): the plan says it, with the band's dose, whatever the board decides.
        i = b.running[0]
        out.propose("BT-03", "running_above", facts=(
            *cl.facts, Fact(path=f"treatments[{i}].dose_mg", value=recorded)),
            recorded=dose_text(recorded), dose=dose_text(dose), clearance=cl.text,
            infusion_minutes=minutes, statements=_BT03)
        return
    out.propose("BT-03", key, facts=cl.facts, dose=dose_text(dose), clearance=cl.text,
                infusion_minutes=minutes, interval_min=rule.param("interval_min"),
                interval_max=rule.param("interval_max"), statements=_BT03)


# BT-03's own statements; PL-64 (renal monitoring, from memory) only when the course is withheld.
_BT03 = ("PL-53", "PL-52", "PL-62")


def denosumab_renal(out: PlanOutput, clearance: float | None) -> Text:
    """BT-04's renal clause: the hypocalcaemia risk by clearance (the plan and the order check)."""
    rule = out.rule("BT-04")
    if clearance is None:
        return rule.message("renal_unknown")
    if clearance < float(rule.param("high_risk_below")):
        return rule.message("renal_high", clearance=num_text(clearance),
                            high_risk_below=rule.param("high_risk_below"))
    return rule.message("renal_known", clearance=num_text(clearance))


@plan_rule("BT-04")
def denosumab(c: PlanContext, out: PlanOutput) -> None:
    b = read_bone(c, out)
    if not b.established or b.onj or _agent_is(b, TreatmentType.zoledronic_acid) or (
            b.running is None and short_life(c, out)):  # folded into BT-01 (review 24 m4)
        return
    rule = out.rule("BT-04")
    renal = denosumab_renal(out, b.clearance.value)
    key = "running" if _agent_is(b, TreatmentType.denosumab) else "standard"
    out.propose("BT-04", key, facts=b.clearance.facts, renal=renal,
                dose_mg=rule.param("dose_mg"), interval_weeks=rule.param("interval_weeks"))


# The clearance's inputs in words (a field path never appears in a sentence).
FIELD_WORDS = {
    "labs.creatinine": Text(en="serum creatinine", fr="créatinine"),
    "plan_inputs.weight_kg": Text(en="weight", fr="poids"),
    "patient.sex": Text(en="sex", fr="sexe"),
    "patient.birth_year": Text(en="birth year", fr="année de naissance"),
}
# The one other item a clearance can miss: a computed value over the plausible maximum (labs[i].unit).
_IMPLAUSIBLE_WORDS = Text(en="a plausible clearance: check the creatinine's unit and the weight",
                          fr="une clairance plausible : vérifier l'unité de la créatinine et le poids")


@plan_rule("BT-05")
def running_course(c: PlanContext, out: PlanOutput) -> None:
    b = read_bone(c, out)
    if not b.established or b.running is None:
        return
    rule = out.rule("BT-05")
    i, t = b.running
    start: Text | str = labels.day(t.start) if t.start else rule.message("start_unknown")
    if b.onj:  # review 24b F8: no "continue for 2 years" beside BT-02's osteonecrosis stop
        out.propose("BT-05", "onj", facts=(Fact(path="plan_inputs.osteonecrosis_jaw", value=True),),
                    agent=rule.message(t.type.value), start=start)
        return
    low = float(out.rule("BT-03").param("min_clearance"))
    if t.type is TreatmentType.zoledronic_acid and b.clearance.value is not None and b.clearance.value < low:
        # issue 26 review F3: a running course under the clearance floor is told to stop its doses,
        # never "continue for 2 years" beside BT-02's renal contraindication
        out.propose("BT-05", "renal", facts=b.clearance.facts, start=start, clearance=b.clearance.text,
                    min_clearance=out.rule("BT-03").param("min_clearance"))
        return
    years = int(rule.param("min_years"))
    months = _months_between(t.start, c.v.as_of) if t.start and c.v.as_of else None
    # Review 24 m5: past the minimum duration, the reassessment is said as due now.
    reached = rule.message("reached", min_years=years, months=months) \
        if months is not None and months >= 12 * years else ""
    out.propose("BT-05", "running", facts=(Fact(path=f"treatments[{i}].start",
                                                 value=t.start.isoformat() if t.start else None),),
                agent=rule.message(t.type.value), start=start, min_years=years, reached=reached,
                stop=rule.message("denosumab_stop") if t.type is TreatmentType.denosumab else "",
                deescalation_weeks=rule.param("deescalation_weeks"))


@plan_rule("DN-01")
def dental(c: PlanContext, out: PlanOutput) -> None:
    b = read_bone(c, out)
    if not b.established or b.onj or (b.running is None and short_life(c, out)):
        return
    said = dental_said(out, b.inputs, b.running is not None, c.v.as_of)
    values = {k: v for k, v in said.values.items() if k not in ("overdue", "cleared")}
    out.propose("DN-01", said.key, facts=said.facts, missing=said.missing, **values)


@plan_rule("VD-01")
def vitamin_d(c: PlanContext, out: PlanOutput) -> None:
    b = read_bone(c, out)
    if not b.established or (b.running is None and short_life(c, out)):
        return
    said = vitamin_d_said(out, b.vitamin_d, b.onj)
    out.propose("VD-01", said.key, facts=said.facts, missing=said.missing, **said.values)
