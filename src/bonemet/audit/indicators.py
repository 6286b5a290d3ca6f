"""The audit indicators as pure functions: one patient's case → its membership of each indicator.

Historical reading: every exam is judged at its own date with what the case says about that date
(the exam's purpose and recorded indication, the systemic line current on that day), not with the
case's present clinical context. The predicates are those of the single-patient rules (same model
properties, same knowledge-base thresholds, the same follow-up interpreter for NM-07/NM-08), so the
audit and `bonemet assess` cannot drift apart; tests/audit/test_indicators.py checks them against
`assess()` run at each exam's date. Pure: no I/O, no clock, no globals read.

Registry (issue 23): each indicator is one entry of kb/data/audit/indicators.yaml plus one function
registered with `@indicator("<id>")` (audit/registry.py), taking (case, kb, its definition) and returning its
(denominator, numerator) exams. `patient_indicators` dispatches on the definitions in their order;
`problems` names an entry without a function or a function without an entry, and `checked` refuses
such definitions before an audit runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from bonemet.audit.definitions import IndicatorDefs
from bonemet.audit.registry import (  # noqa: F401  (re-exported: the registry's public names)
    INDICATORS,
    IndicatorFn,
    Item,
    SetAside,
    Split,
    Verdict,
    indicator,
)
from bonemet.core.dates import add_months
from bonemet.core.flare import INCREASE, covering_line, interpret_follow_up
from bonemet.errors import IndicatorDefsError
from bonemet.kb.loader import KnowledgeBase
from bonemet.model.case import (
    Case,
    ImagingExam,
    Indication,
    Modality,
    Purpose,
)
from bonemet.model.followup import Classification, Timing

_BONE_SCANS = frozenset({Modality.bone_scan, Modality.spect_ct})
# Whole-body exams that can show a single lesion (a SPECT-CT field cannot: issue 17, as NM-09).
_LESION_SURVEYS = frozenset({Modality.bone_scan, Modality.fdg_pet_ct, Modality.naf_pet_ct, Modality.wb_mri})
_TARGETED = frozenset({Modality.ct, Modality.mri})
_STAGING = (None, Purpose.staging)  # as NM-01/NM-03: a purpose-less exam counts as staging


@dataclass(frozen=True, slots=True)
class Membership:
    """One patient in one indicator. `exam_ids`: the records that decided it (exams for the imaging
    indicators; courses, labs or the diagnosis for the systemic bone ones), the numerator's when in
    the numerator, else the denominator's; `index_date`: the first of them (gives the year), or the
    indicator's own anchor (`Verdict.index_date`). `set_aside`: what could not be judged."""

    indicator: str
    rule_ids: tuple[str, ...]
    denominator: bool
    numerator: bool
    index_date: dt.date | None
    exam_ids: tuple[str, ...]
    set_aside: tuple[SetAside, ...] = ()


@dataclass(frozen=True, slots=True)
class PatientIndicators:
    in_scope: bool
    memberships: tuple[Membership, ...]

    def member(self, indicator: str) -> Membership:
        return next(m for m in self.memberships if m.indicator == indicator)


def _by_date(exams: Iterable[ImagingExam]) -> list[ImagingExam]:
    return sorted(exams, key=lambda e: (e.date, e.id))


def _membership(
    indicator: str, rule_ids: tuple[str, ...], denominator: list[ImagingExam], numerator: list[ImagingExam]
) -> Membership:
    deciding = _by_date(numerator or denominator)
    return Membership(
        indicator=indicator,
        rule_ids=rule_ids,
        denominator=bool(denominator),
        numerator=bool(numerator),
        index_date=deciding[0].date if deciding else None,
        exam_ids=tuple(e.id for e in deciding),
    )


def staging_pets(case: Case) -> list[ImagingExam]:
    """FDG-PETs for staging with a result (the PETs NM-01 and NM-03 read), by date."""
    return _by_date(
        e
        for e in case.exams
        if e.modality is Modality.fdg_pet_ct and e.purpose in _STAGING and e.result is not None
    )


def bone_scan_after_pet(case: Case) -> tuple[list[ImagingExam], list[ImagingExam]]:
    pets = staging_pets(case)
    if not pets:
        return [], []
    first = pets[0].date
    late = [
        e for e in case.exams if e.modality is Modality.bone_scan and e.purpose in _STAGING and e.date > first
    ]
    return pets, late


def pet_femurs_not_covered(case: Case) -> tuple[list[ImagingExam], list[ImagingExam]]:
    known = [e for e in staging_pets(case) if e.covers_femurs is not None]
    return known, [e for e in known if e.covers_femurs is False]


def routine_follow_up_scan(case: Case) -> tuple[list[ImagingExam], list[ImagingExam]]:
    scans = [
        e
        for e in case.exams
        if e.modality is Modality.bone_scan and e.purpose is Purpose.follow_up and e.indication is not None
    ]
    return scans, [e for e in scans if e.indication is Indication.routine]


def early_control_scan(case: Case, months: int, anniversary_day_is_early: bool = True,
                       ) -> tuple[list[ImagingExam], list[ImagingExam]]:
    denominator: list[ImagingExam] = []
    numerator: list[ImagingExam] = []
    for e in case.exams:
        if e.modality not in _BONE_SCANS or e.purpose is not Purpose.response_assessment:
            continue
        current, unknown = covering_line(case, e.date)  # the line NM-05 reads at the exam's date
        if current is None or unknown:
            continue
        start = current[1].start
        assert start is not None  # covering_line returns dated lines only
        denominator.append(e)
        anniversary = add_months(start, months)
        if e.date < anniversary or (anniversary_day_is_early and e.date == anniversary):
            numerator.append(e)
    return denominator, numerator


def _may_show_increase(case: Case) -> bool:
    """False when no bone scan can read as an increase, so the interpreter need not run (a cheap,
    conservative test: a reported change wins; without one, the interpreter compares hot-spot counts
    with an earlier scan's, so a count above some earlier count is enough to run it)."""
    scans = [e for e in case.exams if e.modality in _BONE_SCANS]
    for e in scans:
        if e.change_vs_previous in INCREASE:
            return True
        if (
            e.change_vs_previous is None
            and e.hot_spot_count is not None
            and any(
                o.date < e.date and o.hot_spot_count is not None and o.hot_spot_count < e.hot_spot_count
                for o in scans
            )
        ):
            return True
    return False


def switch_after_early_increase(
    case: Case,
    kb: KnowledgeBase,
    within_days: int,
) -> tuple[list[ImagingExam], list[ImagingExam]]:
    if not _may_show_increase(case):
        return [], []
    section = interpret_follow_up(case, None, kb).section
    if section is None:
        return [], []
    exams = {e.id: e for e in case.exams}
    starts = [(t.start, t.id) for t in case.treatments if t.is_systemic_line and t.start is not None]
    denominator: list[ImagingExam] = []
    numerator: list[ImagingExam] = []
    for reading in section.scans:
        if (
            reading.status != "compared"
            or reading.timing is not Timing.early
            or reading.change not in INCREASE
        ):
            continue
        scan = exams[reading.scan_id]
        denominator.append(scan)
        if reading.classification is Classification.progression_likely:
            continue  # the body of evidence supported a change
        limit = scan.date + dt.timedelta(days=within_days)
        if any(scan.date < start <= limit and tid != reading.line_id for start, tid in starts):
            numerator.append(scan)
    return denominator, numerator


def _targeted_after(case: Case, exam: ImagingExam) -> bool:
    """As NM-09: a CT or MRI on or after the exam (same day counts) of the lesion's site; an exam
    of another or an unstated region (a staging brain MRI) does not count (issue 17)."""
    wanted = exam.lesions[0].site if len(exam.lesions) == 1 else None
    return any(
        other.modality in _TARGETED
        and other.date >= exam.date
        and (wanted is None or wanted in {other.target_site} | {le.site for le in other.lesions})
        for other in case.exams
    )


def isolated_lesion_without_targeted_imaging(case: Case) -> tuple[list[ImagingExam], list[ImagingExam]]:
    isolated = [
        e
        for e in case.exams
        if e.modality in _LESION_SURVEYS and e.result is not None and e.is_isolated_lesion
    ]
    return isolated, [e for e in isolated if not _targeted_after(case, e)]


def nm05_months(kb: KnowledgeBase) -> int:
    return int(str(kb.rule("NM-05").params["months"]))


# The registry: one line per indicator, binding its definition's parameters to its function.
indicator("bone_scan_after_pet")(lambda case, kb, d: bone_scan_after_pet(case))
indicator("pet_femurs_not_covered")(lambda case, kb, d: pet_femurs_not_covered(case))
indicator("routine_follow_up_scan")(lambda case, kb, d: routine_follow_up_scan(case))
indicator("early_control_scan")(lambda case, kb, d: early_control_scan(
    case, nm05_months(kb), kb.flare.anniversary_day_is_early.value if kb.flare else True))
indicator("switch_after_early_increase")(lambda case, kb, d: switch_after_early_increase(
    case, kb, d.params["switch_within_days"]))
indicator("isolated_lesion_without_targeted_imaging")(
    lambda case, kb, d: isolated_lesion_without_targeted_imaging(case))
# The systemic bone treatment indicators (issue 24) register themselves here, after the imaging ones.
from bonemet.audit import indicators_bone as _bone  # noqa: E402,F401

INDICATOR_IDS: tuple[str, ...] = tuple(INDICATORS)


def problems(defs: IndicatorDefs) -> list[str]:
    """An indicator defined without a function, or a function without a definition."""
    ids = [d.id for d in defs.indicators]
    return ([f"indicator {i}: defined in indicators.yaml but no function is registered "
             "(bonemet.audit.indicators, @indicator)" for i in ids if i not in INDICATORS]
            + [f"indicator {i}: a function is registered but indicators.yaml does not define it"
               for i in INDICATORS if i not in ids])


def checked(defs: IndicatorDefs) -> IndicatorDefs:
    """The definitions, refused whole (IndicatorDefsError) when they and the registry disagree."""
    found = problems(defs)
    if found:
        raise IndicatorDefsError(found)
    return defs


def _decided(indicator_id: str, rule_ids: tuple[str, ...], found: Split | Verdict) -> Membership:
    if not isinstance(found, Verdict):
        return _membership(indicator_id, rule_ids, *found)
    deciding = found.numerator or found.denominator
    return Membership(
        indicator=indicator_id,
        rule_ids=rule_ids,
        denominator=bool(found.denominator),
        numerator=bool(found.numerator),
        index_date=found.index_date,
        exam_ids=tuple(x.id for x in deciding),
        set_aside=found.set_aside,
    )


def patient_indicators(case: Case, kb: KnowledgeBase, defs: IndicatorDefs) -> PatientIndicators:
    """Every indicator for one patient; outside lung cancer the chapter does not apply (no membership)."""
    if case.cancer.scope()[0] != "in_scope":  # no confirmed lung primary: never assumed (issue 17)
        return PatientIndicators(in_scope=False, memberships=())
    return PatientIndicators(
        in_scope=True,
        memberships=tuple(_decided(d.id, d.rule_ids, INDICATORS[d.id](case, kb, d))
                          for d in defs.indicators),
    )
