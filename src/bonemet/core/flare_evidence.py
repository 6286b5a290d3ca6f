"""The body of evidence of a follow-up scan: one argument per finding, and how they are weighed.

Clinical course, radiograph, MRI, response outside bone, tumour and bone-turnover markers (F21, F22;
thresholds and windows in flare.yaml), weighed against the project's evidence threshold (NM-07).
Part of the flare interpreter (`bonemet.core.flare`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bonemet.base.text import Text
from bonemet.kb.flare import ArgumentSpec, FlareParams, MarkerThreshold
from bonemet.model.case import (
    Analyte,
    ClinicalState,
    CtFinding,
    ImagingExam,
    LabResult,
    MriFinding,
    OutsideBoneStatus,
    RadiographFinding,
    Treatment,
)
from bonemet.model.followup import (
    Argument,
    ArgumentName,
    Classification,
    ComparatorRole,
    Direction,
    MissingArgument,
    Observation,
    Timing,
)
from bonemet.model.labels import day as _day
from bonemet.model.labels import number as _number

from .context import IndexedExam
from .flare_timeline import (
    _ANTIRESORPTIVES,
    _fill,
    _in_window,
    _join,
    _Line,
    _line_at,
    _line_label,
    _nearest,
    _text,
    _Timeline,
    _timing,
)

# Which way each recorded finding points (F21, F22; MRI progression and markers: see flare.yaml).
_CLINICAL = {ClinicalState.improving: Direction.favours_flare,
             ClinicalState.deteriorating: Direction.favours_progression,
             ClinicalState.stable: Direction.neutral}
_RADIOGRAPH = {RadiographFinding.recalcification: Direction.favours_flare,
               RadiographFinding.worsening_osteolysis: Direction.favours_progression,
               RadiographFinding.stable: Direction.neutral}
_MRI = {MriFinding.infiltration_regressing: Direction.favours_flare,
        MriFinding.infiltration_progressing: Direction.favours_progression,
        MriFinding.stable: Direction.neutral}
_CT_FIXED = {CtFinding.worsening_osteolysis: Direction.favours_progression,
             CtFinding.stable: Direction.neutral}
_OUTSIDE = {OutsideBoneStatus.responding: Direction.favours_flare,
            OutsideBoneStatus.progressing: Direction.favours_progression,
            OutsideBoneStatus.stable: Direction.neutral}
_TREND_DIRECTION = {"falling": Direction.favours_flare, "rising": Direction.favours_progression,
                    "stable": Direction.neutral}
_MISSING_FIELD = {
    ArgumentName.clinical_status: "clinical_status[]",
    ArgumentName.radiograph: "exams[].radiograph_finding",
    ArgumentName.mri: "exams[].mri_finding",
    ArgumentName.cea: "labs[].cea",
    ArgumentName.cyfra_21_1: "labs[].cyfra_21_1",
    ArgumentName.bone_marker_kinetics: "labs[].ctx",
    ArgumentName.response_outside_bone: "response_outside_bone[]",
}



@dataclass(frozen=True, slots=True)
class _Trend:
    analyte: Analyte
    before: tuple[int, LabResult]
    after: tuple[int, LabResult]
    change_pct: float | None  # None when the baseline is zero
    trend: str  # rising / falling / stable
    threshold: MarkerThreshold



# Fixed texts, built once (immutable): templates of the explanations and what a reading needs.
_DATED_LABEL = Text(en="{label} on {date}: {value}", fr="{label} le {date} : {value}")
_DATED_VALUE = Text(en="{date}: {value}", fr="{date} : {value}")
_MIXED = Text(en="{body} ({mixed})", fr="{body} ({mixed})")
_LABELLED = Text(en="{label}: {body}", fr="{label} : {body}")
_CONFOUNDED = Text(en="{why} ({drug}, {date})", fr="{why} ({drug}, {date})")


# --- arguments ----------------------------------------------------------------------------------

def _spec(params: FlareParams, name: ArgumentName) -> ArgumentSpec:
    return params.argument(name)


def _argument(params: FlareParams, name: ArgumentName, direction: Direction,
              observations: tuple[Observation, ...], explanation: Text, *,
              change_pct: dict[str, float] | None = None,
              threshold_pct: dict[str, float] | None = None, force_interpretation: bool = False,
              ) -> Argument:
    spec = _spec(params, name)
    return Argument(
        name=name, direction=direction, observations=observations,
        change_pct=change_pct or {}, threshold_pct=threshold_pct or {},
        interpretation=force_interpretation or spec.is_interpretation(direction),
        statement_ids=spec.statements, explanation=explanation,
    )


def _clinical(
    tl: _Timeline, params: FlareParams, scan: IndexedExam, comparator: IndexedExam
) -> Argument | None:
    window = params.windows.clinical_status
    candidates = [
        (s.date, f"{s.state.value}|{s.ecog}|{s.note}", i) for i, s in enumerate(tl.case.clinical_status)
        if tl.usable(s.date) and s.date > comparator.exam.date
        and _in_window(s.date, scan.exam.date, window)
    ]
    chosen = _nearest(candidates, scan.exam.date)
    if chosen is None:
        return None
    status = tl.case.clinical_status[chosen]
    labels = params.labels
    obs = Observation(path=f"clinical_status[{chosen}]", date=status.date, value=status.state.value)
    direction = _CLINICAL[status.state]
    explanation = _fill(_DATED_LABEL,
                        label=_spec(params, ArgumentName.clinical_status).label,
                        date=_day(status.date), value=labels.values[status.state.value])
    return _argument(params, ArgumentName.clinical_status, direction, (obs,), explanation)


def _imaging_argument(tl: _Timeline, params: FlareParams, scan: IndexedExam, comparator: IndexedExam,
                      name: ArgumentName) -> Argument | None:
    """Radiographs or MRI after the comparator: concordant findings point one way, mixed ones not."""
    window = params.windows.radiograph if name is ArgumentName.radiograph else params.windows.mri
    found: list[tuple[int, ImagingExam, str, Direction]] = []
    for i, e in enumerate(tl.case.exams):
        if not tl.usable(e.date) or e.date <= comparator.exam.date:
            continue
        if not _in_window(e.date, scan.exam.date, window):
            continue
        if name is ArgumentName.radiograph and e.radiograph_finding is not None:
            found.append((i, e, e.radiograph_finding.value, _RADIOGRAPH[e.radiograph_finding]))
        elif name is ArgumentName.mri and e.mri_finding is not None:
            found.append((i, e, e.mri_finding.value, _MRI[e.mri_finding]))
    if not found:
        return None
    found.sort(key=lambda f: (f[1].date, f[1].id))
    pointing = {d for *_, d in found if d is not Direction.neutral}
    direction = pointing.pop() if len(pointing) == 1 else Direction.neutral
    labels = params.labels
    observations = tuple(Observation(path=f"exams[{i}]", date=e.date, value=value)
                         for i, e, value, _ in found)
    parts = [_fill(_DATED_VALUE, date=_day(e.date),
                   value=labels.values[value]) for _, e, value, _ in found]
    body = _join(parts)
    if len(pointing) > 1 or (len(found) > 1 and direction is Direction.neutral and pointing):
        body = _fill(_MIXED, body=body,
                     mixed=labels.values["mixed"])
    explanation = _fill(_LABELLED,
                        label=_spec(params, name).label, body=body)
    return _argument(params, name, direction, observations, explanation)


def _ct(tl: _Timeline, params: FlareParams, scan: IndexedExam, comparator: IndexedExam,
        months: int) -> Argument | None:
    """Bone lesions on CT after the comparator (`ct_finding`, the radiographs' window): new or
    increasing sclerosis read with the bone scan's timing, at the CT's own date against the line
    covering it (up to month 6: the osteoblastic reaction of healing, reference 34; after it: not
    weighed, healing or progression being read on the CT itself); worsening osteolysis favours
    progression. The project's reading (issue 21)."""
    window = params.windows.radiograph
    labels = params.labels
    found: list[tuple[int, ImagingExam, Direction, Text]] = []
    for i, e in enumerate(tl.case.exams):
        if e.ct_finding is None or not tl.usable(e.date) or e.date <= comparator.exam.date:
            continue
        if not _in_window(e.date, scan.exam.date, window):
            continue
        words = labels.values[e.ct_finding.value]
        if e.ct_finding is not CtFinding.sclerosis_new_or_increasing:
            direction = _CT_FIXED[e.ct_finding]
        else:
            line, unknown = _line_at(tl, e.date)
            if line is None or unknown:
                direction = Direction.neutral  # no clock to read it against
                words = _fill(labels.values["ct_sclerosis_timing_unknown"], finding=words)
            else:
                timing, anniversary = _timing(params, months, line.start, e.date)
                label = _line_label(line, tl.case)
                # After month 6 sclerosis is not weighed: on CT it is the healing response at any
                # time (MD Anderson criteria: sclerosis of a lytic lesion is a response), while an
                # enlarging blastic lesion is progression; the CT against its predecessor decides,
                # not the bone scan's 6-month window (review of issue 21, C1).
                direction = (Direction.favours_flare if timing is Timing.early
                             else Direction.neutral)
                words = _fill(labels.values[f"ct_sclerosis_{timing.value}"], finding=words,
                              line=label, anniversary=_day(anniversary))
        found.append((i, e, direction, words))
    if not found:
        return None
    found.sort(key=lambda f: (f[1].date, f[1].id))
    pointing = {d for _, _, d, _ in found if d is not Direction.neutral}
    direction = pointing.pop() if len(pointing) == 1 else Direction.neutral
    observations = tuple(Observation(path=f"exams[{i}]", date=e.date, value=e.ct_finding.value)
                         for i, e, _, _ in found if e.ct_finding is not None)
    body = _join([_fill(_DATED_VALUE, date=_day(e.date), value=words) for _, e, _, words in found])
    if len(pointing) > 1:
        body = _fill(_MIXED, body=body, mixed=labels.values["mixed"])
    explanation = _fill(_LABELLED, label=_spec(params, ArgumentName.ct).label, body=body)
    # Every direction of this argument is the project's reading (flare.yaml `arguments.ct`).
    return _argument(params, ArgumentName.ct, direction, observations, explanation,
                     force_interpretation=True)


def _outside_bone(tl: _Timeline, params: FlareParams, scan: IndexedExam,
                  comparator: IndexedExam) -> Argument | None:
    """Response outside bone since the comparator: concordant readings point one way, mixed not."""
    window = params.windows.response_outside_bone
    found = sorted(
        ((i, r) for i, r in enumerate(tl.case.response_outside_bone)
         if tl.usable(r.date) and r.date > comparator.exam.date
         and _in_window(r.date, scan.exam.date, window)),
        key=lambda f: (f[1].date, f[1].status.value, f[1].modality.value, f[1].site or ""))
    if not found:
        return None
    pointing = {_OUTSIDE[r.status] for _, r in found} - {Direction.neutral}
    direction = pointing.pop() if len(pointing) == 1 else Direction.neutral
    labels = params.labels
    observations = tuple(Observation(path=f"response_outside_bone[{i}]", date=r.date,
                                     value=f"{r.status.value} ({r.modality.value})")
                         for i, r in found)
    parts = [_fill(_DATED_VALUE, date=_day(r.date),
                   value=_fill(Text(en="{s} ({m})", fr="{s} ({m})"), s=labels.values[r.status.value],
                               m=labels.modalities[r.modality]))
             for _, r in found]
    body = _join(parts)
    if len(pointing) > 1 or (direction is Direction.neutral and len(found) > 1
                             and any(_OUTSIDE[r.status] is not Direction.neutral for _, r in found)):
        body = _fill(_MIXED, body=body, mixed=labels.values["mixed"])
    explanation = _fill(_LABELLED, label=_spec(params, ArgumentName.response_outside_bone).label,
                        body=body)
    return _argument(params, ArgumentName.response_outside_bone, direction, observations, explanation)


def _to_common_unit(threshold: MarkerThreshold, a: LabResult, b: LabResult) -> tuple[float, float] | None:
    if a.unit == b.unit:
        return a.value, b.value
    if a.unit in threshold.units and b.unit in threshold.units:
        return a.value * threshold.units[a.unit], b.value * threshold.units[b.unit]
    return None


def _trend(tl: _Timeline, params: FlareParams, analyte: Analyte, scan: IndexedExam, comparator: IndexedExam,
           line: _Line, role: ComparatorRole) -> _Trend | str:
    """The marker's change from the comparator to the scan, or the reason it cannot be computed."""
    threshold = params.marker(analyte)
    labs = [(i, x) for i, x in enumerate(tl.case.labs) if x.analyte is analyte and tl.usable(x.date)]
    baseline_candidates = [
        (x.date, f"{x.unit}|{x.value!r}", i) for i, x in labs
        if _in_window(x.date, comparator.exam.date, params.windows.marker_baseline)
        and (role is ComparatorRole.same_line or x.date <= line.start)
    ]
    b = _nearest(baseline_candidates, comparator.exam.date)
    if b is None:
        return "baseline"
    before = tl.case.labs[b]
    follow_candidates = [
        (x.date, f"{x.unit}|{x.value!r}", i) for i, x in labs
        if x.date > before.date and x.date > comparator.exam.date
        and _in_window(x.date, scan.exam.date, params.windows.marker_follow_up)
    ]
    a = _nearest(follow_candidates, scan.exam.date)
    if a is None:
        return "follow_up"
    after = tl.case.labs[a]
    values = _to_common_unit(threshold, before, after)
    if values is None:
        return "units"
    v0, v1 = values
    lsc = threshold.least_significant_change_pct
    if v0 == 0:
        pct = None if v1 > 0 else 0.0
        trend = "rising" if v1 > 0 else "stable"
    else:
        pct = round((v1 - v0) / v0 * 100, 9)  # rounding keeps exact boundaries exact (25.0 not 25.000…1)
        trend = "rising" if pct > lsc else "falling" if pct < -lsc else "stable"
    return _Trend(analyte, (b, before), (a, after), pct, trend, threshold)



_MARKER_NAMES = {
    Analyte.bone_alp: Text(en="bone ALP", fr="PAL osseuses"),
    Analyte.ctx: Text(en="CTX", fr="CTX"),
    Analyte.cea: Text(en="CEA", fr="ACE"),
    Analyte.cyfra_21_1: Text(en="CYFRA 21-1", fr="CYFRA 21-1"),
}


def _trend_text(trend: _Trend, params: FlareParams) -> Text:
    (_, before), (_, after) = trend.before, trend.after
    pct = "n/a" if trend.change_pct is None else f"{trend.change_pct:+.1f}%"
    # French typography: decimal comma, true minus sign, space before the percent sign.
    pct_fr = "n.d." if trend.change_pct is None else (
        f"{trend.change_pct:+.1f}".replace(".", ",").replace("-", "\u2212") + "\u00a0%")
    lsc = f"{trend.threshold.least_significant_change_pct:g}"
    name, label = _MARKER_NAMES[trend.analyte], params.labels.values[trend.trend]
    values = (f"{before.value:g} {before.unit} ({before.date}) → "
              f"{after.value:g} {after.unit} ({after.date})")
    values_fr = (f"{_number(before.value).fr} {before.unit} ({_day(before.date).fr}) → "
                 f"{_number(after.value).fr} {after.unit} ({_day(after.date).fr})")
    return _text(f"{name.en} {values}, {pct} (least significant change ±{lsc}%): {label.en}",
                 f"{name.fr} {values_fr}, {pct_fr} (variation minimale significative "
                 f"±{lsc.replace('.', ',')}\u00a0%) : {label.fr}")


def _trend_observations(trend: _Trend) -> tuple[Observation, ...]:
    return tuple(Observation(path=f"labs[{i}]", date=x.date, value=x.value, unit=x.unit)
                 for i, x in (trend.before, trend.after))


def _trend_numbers(trends: Sequence[_Trend]) -> tuple[dict[str, float], dict[str, float]]:
    change = {t.analyte.value: t.change_pct for t in trends if t.change_pct is not None}
    threshold = {t.analyte.value: t.threshold.least_significant_change_pct for t in trends}
    return change, threshold


def _tumour_marker(tl: _Timeline, params: FlareParams, analyte: Analyte, scan: IndexedExam,
                   comparator: IndexedExam, line: _Line, role: ComparatorRole) -> Argument | str:
    trend = _trend(tl, params, analyte, scan, comparator, line, role)
    if isinstance(trend, str):
        return trend
    change, threshold = _trend_numbers([trend])
    return _argument(params, ArgumentName(analyte.value), _TREND_DIRECTION[trend.trend],
                     _trend_observations(trend), _trend_text(trend, params),
                     change_pct=change, threshold_pct=threshold)


def _antiresorptive_between(tl: _Timeline, start: dt.date, end: dt.date) -> Treatment | None:
    for t in sorted(tl.case.treatments, key=lambda t: (t.start or dt.date.min, t.id)):
        if t.type in _ANTIRESORPTIVES and t.start is not None and start < t.start <= end:
            return t
    return None


def _bone_markers(tl: _Timeline, params: FlareParams, scan: IndexedExam, comparator: IndexedExam, line: _Line,
                  role: ComparatorRole) -> tuple[Argument | None, bool]:
    """Formation (bone ALP) and resorption (CTX) kinetics; second value: bone ALP pair missing.

    Usual reading (an interpretation, see flare.yaml): resorption rising weighs for progression;
    formation rising while resorption falls weighs for flare; anything else is neutral.
    """
    ctx = _trend(tl, params, Analyte.ctx, scan, comparator, line, role)
    alp = _trend(tl, params, Analyte.bone_alp, scan, comparator, line, role)
    alp_missing = isinstance(alp, str)
    if isinstance(ctx, str):
        return None, alp_missing
    trends = [ctx] if isinstance(alp, str) else [alp, ctx]
    parts = [_trend_text(t, params) for t in trends]
    direction = Direction.neutral
    if ctx.trend == "rising":
        direction = Direction.favours_progression
    elif ctx.trend == "falling" and not isinstance(alp, str) and alp.trend == "rising":
        direction = Direction.favours_flare
        drug = _antiresorptive_between(tl, ctx.before[1].date, ctx.after[1].date)
        if drug is not None and params.antiresorptive_confounds_resorption_fall.value:
            direction = Direction.neutral
            parts.append(_fill(_CONFOUNDED,
                               why=params.labels.values["confounded"], drug=drug.label(),
                               date=_day(drug.start or ctx.after[1].date)))
    change, threshold = _trend_numbers(trends)
    observations = tuple(o for t in trends for o in _trend_observations(t))
    explanation = _fill(_LABELLED,
                        label=_spec(params, ArgumentName.bone_marker_kinetics).label, body=_join(parts))
    # The marker pattern itself is the project's reading, whichever way it points.
    arg = _argument(params, ArgumentName.bone_marker_kinetics, direction, observations, explanation,
                    change_pct=change, threshold_pct=threshold, force_interpretation=True)
    return arg, alp_missing


def _evidence(tl: _Timeline, params: FlareParams, scan: IndexedExam, comparator: IndexedExam, line: _Line,
              role: ComparatorRole, months: int,
              ) -> tuple[tuple[Argument, ...], tuple[MissingArgument, ...]]:
    found: dict[ArgumentName, Argument] = {}
    missing: list[MissingArgument] = []
    clinical = _clinical(tl, params, scan, comparator)
    if clinical:
        found[ArgumentName.clinical_status] = clinical
    for name in (ArgumentName.radiograph, ArgumentName.mri):
        arg = _imaging_argument(tl, params, scan, comparator, name)
        if arg:
            found[name] = arg
    for analyte in (Analyte.cea, Analyte.cyfra_21_1):
        result = _tumour_marker(tl, params, analyte, scan, comparator, line, role)
        if isinstance(result, Argument):
            found[result.name] = result
    bone, alp_missing = _bone_markers(tl, params, scan, comparator, line, role)
    if bone:
        found[ArgumentName.bone_marker_kinetics] = bone
    outside = _outside_bone(tl, params, scan, comparator)
    if outside:
        found[ArgumentName.response_outside_bone] = outside
    ct = _ct(tl, params, scan, comparator, months)
    if ct:
        found[ArgumentName.ct] = ct
    for name in ArgumentName:
        # CT is not among the chapter's arguments (F21, F22): read when recorded, never asked for.
        if name not in found and name is not ArgumentName.ct:
            spec = _spec(params, name)
            missing.append(MissingArgument(name=name, field=_MISSING_FIELD[name], reason=spec.obtain))
    if bone and alp_missing:
        missing.append(MissingArgument(
            name=ArgumentName.bone_marker_kinetics, field="labs[].bone_alp",
            reason=_spec(params, ArgumentName.bone_marker_kinetics).obtain))
    ordered = tuple(found[n] for n in ArgumentName if n in found)
    return ordered, tuple(missing)


def weigh(arguments: Sequence[Argument], params: FlareParams) -> tuple[Classification, Direction | None]:
    """The body of evidence against the project's threshold (flare.yaml `evidence_threshold`).

    `_likely` needs at least `min_concordant` arguments pointing one way, none the other way, and at
    least `min_strong` of them among the direct observations (clinical course, radiographs, MRI,
    response outside bone). Conflicting arguments are indeterminate with no leaning; too few are
    indeterminate, leaning the way they point.
    """
    rule = params.evidence_threshold
    flare = [a for a in arguments if a.direction is Direction.favours_flare]
    progression = [a for a in arguments if a.direction is Direction.favours_progression]
    if flare and progression:
        return Classification.indeterminate, None
    pointing = flare or progression
    if not pointing:
        return Classification.indeterminate, None
    side = Direction.favours_flare if flare else Direction.favours_progression
    strong = sum(1 for a in pointing if a.name in rule.strong)
    if len(pointing) >= rule.min_concordant and strong >= rule.min_strong:
        return (Classification.flare_likely if flare else Classification.progression_likely), None
    return Classification.indeterminate, side

