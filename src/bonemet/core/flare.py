"""Follow-up bone scans under treatment: flare or progression (rules NM-05..NM-08). Pure.

For each follow-up bone scan (planar or SPECT-CT) the interpreter finds the systemic line covering
the scan (latest start on or before it; an undated line that may cover it makes the scan not
classifiable), the comparator (the previous scan; one from before a change of line makes the reading
indeterminate: "obtain a new baseline"), the 6-month anniversary, and the change. An increase strictly
after the anniversary is progression (NM-06) unless it is confined to recently irradiated sites; up
to it, the body of evidence decides against the project's threshold (NM-07), and flare is never a
reason to switch on the scan alone (NM-08). Every number is in flare.yaml (docs/flare.md).

Everything is ordered by date then id, never by input position, so the reading does not depend on
the order of the case's lists. Only data dated on or before the decision date is used.

Three modules, by concept: `flare_timeline.py` (the case's dated lines and the line covering a scan),
`flare_evidence.py` (one argument per finding, and how they are weighed), and this one (the
comparator, the timing against the 6-month anniversary, and the reading of each scan).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from bonemet.base.text import Text
from bonemet.kb.flare import FlareParams
from bonemet.kb.loader import KnowledgeBase
from bonemet.model.assessment import Action
from bonemet.model.case import (
    Case,
    Change,
    Result,
    SkeletalSite,
)
from bonemet.model.followup import (
    Advice,
    Argument,
    ArgumentName,
    ChangeSource,
    Classification,
    ComparatorRole,
    Direction,
    FollowUpSection,
    MissingArgument,
    MissingItem,
    NotComparable,
    ScanReading,
    Timing,
)
from bonemet.model.labels import TREATMENT_TYPE
from bonemet.model.labels import day as _day
from bonemet.model.labels import treatment as treatment_words

from .context import IndexedExam
from .flare_context import (
    _caveat,
    _context_caveats,
    _de,
    _fracture_risk,
    _Irradiation,
    _irradiation,
    _is_egfr,
    _site_list,
    _sites,
)
from .flare_ct import read_ct_sclerosis
from .flare_evidence import (
    _evidence,
    _spec,
)

# The interpreter's public names, wherever they are defined (bonemet.audit reads them here).
from .flare_evidence import weigh as weigh

# The reader's outputs live in flare_output.py (the CT reader builds them too); re-exported here.
from .flare_output import Emission as Emission
from .flare_output import FollowUpResult as FollowUpResult
from .flare_output import _Reading
from .flare_timeline import (
    _FOLLOW_UP_PURPOSES,
    NAF,
    _fill,
    _join,
    _kind,
    _Line,
    _line_at,
    _line_changes,
    _line_label,
    _text,
    _Timeline,
    _timeline,
    _timing,
)
from .flare_timeline import BONE_SCANS as BONE_SCANS
from .flare_timeline import INCREASE as INCREASE
from .flare_timeline import covering_line as covering_line

# Fixed texts, built once (immutable): what a reading needs.
_NEED_LINE_START = Text(en="start date of the systemic treatment line",
                        fr="date de début de la ligne de traitement systémique")
_NEED_LINE = Text(en="the systemic treatment line and its start date",
                  fr="la ligne de traitement systémique et sa date de début")
_NEED_COMPARATOR = Text(en="an earlier bone scan to compare with (baseline)",
                        fr="une scintigraphie antérieure de référence")
_NEED_CHANGE = Text(en="change versus the previous scan (new foci, more intense, stable, fewer)",
                    fr="évolution par rapport à la scintigraphie précédente (nouveaux foyers, plus "
                       "intenses, stable, moins nombreux)")


# --- one scan -----------------------------------------------------------------------------------

def _change(
    scan: IndexedExam, comparator: IndexedExam
) -> tuple[Change | None, ChangeSource | None, tuple[Text, ...]]:
    reported = scan.exam.change_vs_previous
    now, before = scan.exam.hot_spot_count, comparator.exam.hot_spot_count
    counted: Change | None = None
    if now is not None and before is not None and now != before:
        counted = Change.more_foci if now > before else Change.fewer_or_less_intense
    if reported is None:
        return counted, ChangeSource.derived_from_hot_spot_counts if counted else None, ()
    warnings: tuple[Text, ...] = ()
    if counted is Change.more_foci and reported not in INCREASE:
        # The reader's description wins, but a rising count is the chapter's main criterion (F13).
        warnings = (Text(
            en=f"The hot-spot count rose from {before} to {now} but the change is reported as "
               f"'{reported.value}': check the report.",
            fr=f"Le nombre de foyers est passé de {before} à {now} mais l'évolution est notée "
               f"« {reported.value} » : vérifier le compte rendu."),)
    return reported, ChangeSource.reported, warnings


def _exam_words(params: FlareParams, scan: IndexedExam) -> tuple[Text, Text]:
    """How the reading's sentences name the exam ("Bone scan", "NaF-PET"): a SPECT-CT is read as
    the bone scan it refines."""
    key = "exam_naf_pet_ct" if scan.exam.modality is NAF else "exam_bone_scan"
    return params.labels.values[key], params.labels.values[f"{key}_lc"]


def _not_comparable(scan: IndexedExam, reason: NotComparable, kb: KnowledgeBase, params: FlareParams,
                    needs: Sequence[tuple[str, Text]] = (), **fields: object) -> _Reading:
    text = _fill(kb.rule("NM-07").messages["not_comparable"], scan_date=_day(scan.exam.date),
                 reason=params.labels.not_comparable[reason], exam_lc=_exam_words(params, scan)[1])
    reading = ScanReading(
        scan_id=scan.exam.id, scan_date=scan.exam.date, modality=scan.exam.modality.value,
        hot_spot_count=scan.exam.hot_spot_count, status="not_comparable", not_comparable=reason,
        missing_data=tuple(MissingItem(field=f, reason=r) for f, r in needs),
        advice=(Advice(rule_id="NM-07", text=text),), rule_ids=("NM-07",),
        **fields,
    )
    # A duplicate, or a negative scan (nothing that could be flare), needs no recommendation.
    quiet = reason is NotComparable.same_day_duplicate or scan.exam.result is Result.negative
    if quiet:
        return _Reading(reading, (), ())
    return _Reading(reading, (Emission(scan.exam.id, "NM-07", Action.note, text),),
                    tuple(("NM-07", f, r) for f, r in needs))


def _undated_caution(scan: IndexedExam, previous: IndexedExam | None, kb: KnowledgeBase,
                     base: _Reading) -> _Reading:
    """An unclassifiable scan on a line of unknown start may still be early: NM-08's caution
    against changing treatment on it alone (review C16), unless nothing on it could be flare."""
    if scan.exam.result is Result.negative or previous is None:
        return base  # nothing that could be flare, or nothing to compare with
    change = _change(scan, previous)[0]
    if change is not None and change not in INCREASE:
        return base
    low, high = (str(n) for n in _frequency(kb))
    text = _fill(kb.rule("NM-08").messages["undated_line"], scan_date=_day(scan.exam.date),
                 low=low, high=high, exam_lc=_exam_words(kb.flare, scan)[1] if kb.flare else "")
    reading = base.reading.model_copy(update={
        "advice": (*base.reading.advice, Advice(rule_id="NM-08", text=text, interpretation=True)),
        "rule_ids": (*base.reading.rule_ids, "NM-08"),
    })
    return _Reading(reading, (*base.emissions, Emission(scan.exam.id, "NM-08", Action.note, text, True)),
                    base.missing)


def _read_scan(tl: _Timeline, kb: KnowledgeBase, params: FlareParams, months: int, scan: IndexedExam,
               previous: IndexedExam | None, other: IndexedExam | None = None) -> _Reading:
    """Read `scan` against `previous`, the earlier scan of its kind; `other`, an earlier scan of the
    other kind (NaF-PET versus planar), makes it a follow-up scan without a comparator."""
    line, unknown = _line_at(tl, scan.exam.date)
    if unknown:
        # Never anchor the clock to another line when the one in course may be undated (item 1).
        needs = [(f"treatments[{i}].start", _NEED_LINE_START) for i in unknown]
        return _undated_caution(scan, previous or other, kb, _not_comparable(
            scan, NotComparable.line_start_unknown, kb, params, needs))
    if line is None:
        if tl.lines:
            return _not_comparable(scan, NotComparable.before_treatment, kb, params)
        needs = [("treatments[]", _NEED_LINE)]
        return _not_comparable(scan, NotComparable.no_treatment_start, kb, params, needs)
    timing, anniversary = _timing(params, months, line.start, scan.exam.date)
    line_fields: dict[str, object] = {
        "line_id": line.treatment.id, "line_label": _line_label(line, tl.case), "line_start": line.start,
        "anniversary": anniversary, "timing": timing,
    }
    if previous is None and other is not None:
        return _other_kind(tl, kb, params, scan, line, line_fields, timing)
    if previous is None:
        needs = [("exams[]", _NEED_COMPARATOR)]
        return _not_comparable(scan, NotComparable.no_comparator, kb, params, needs, **line_fields)
    changed = _line_changes(tl, params, previous.exam.date, line)
    role = (ComparatorRole.same_line if previous.exam.date >= line.start
            else ComparatorRole.before_line_change if changed
            else ComparatorRole.baseline_before_line)
    compared: dict[str, object] = {
        **line_fields, "comparator_id": previous.exam.id, "comparator_date": previous.exam.date,
        "comparator_role": role, "comparator_hot_spot_count": previous.exam.hot_spot_count,
        "changed_lines": changed,
    }
    change, source, change_warnings = _change(scan, previous)
    if change is None:
        needs = [(f"{scan.path}.change_vs_previous", _NEED_CHANGE)]
        return _not_comparable(scan, NotComparable.change_unknown, kb, params, needs, **compared)

    labels = params.labels
    line_words = _line_words(line, tl.case)  # never the type's code in a sentence
    values: dict[str, str | Text] = {
        "scan_date": _day(scan.exam.date), "comparator_date": _day(previous.exam.date),
        "line": line_words, "anniversary": _day(anniversary),
        "de_line": _text(line_words.en, _de(line_words.fr)),
        "change": labels.change[change], "timing": labels.timing[timing],
        "exam": _exam_words(params, scan)[0], "exam_lc": _exam_words(params, scan)[1],
    }
    advice: list[Advice] = []
    emissions: list[Emission] = []
    warnings: list[Text] = list(change_warnings)
    missing: list[MissingItem] = []
    interpretation = False

    def say(rule_id: str, key: str, action: Action = Action.note, interpretation: bool = False,
            rate_mri: bool = False, **extra: str | Text) -> None:
        text = _fill(kb.rule(rule_id).messages[key], **{**values, **extra})
        badge = interpretation or kb.rule(rule_id).basis == "derived"
        advice.append(Advice(rule_id=rule_id, text=text, interpretation=badge))
        emissions.append(Emission(scan.exam.id, rule_id, action, text, interpretation, rate_mri))

    def warn(caveats: Iterable[tuple[Text, bool]]) -> None:
        nonlocal interpretation
        for text, badge in caveats:
            if text not in warnings:
                warnings.append(text)
            interpretation = interpretation or badge

    arguments: tuple[Argument, ...] = ()
    missing_args: tuple[MissingArgument, ...] = ()
    control: dt.date | None = None
    leaning: Direction | None = None
    irradiated: tuple[str, ...] = ()
    rule_ids: tuple[str, ...]
    rt: _Irradiation | None = None
    increase = change in INCREASE
    type_label = labels.values.get(line.treatment.type.value)
    line_type = type_label if type_label is not None else TREATMENT_TYPE[line.treatment.type]
    if increase:
        warn([_caveat(params, "project_reading")])
        if scan.exam.date == anniversary and timing is Timing.early:
            # The boundary choice decides this very scan: say so on its reading (review C15).
            warn([_caveat(params, "anniversary_day", anniversary=_day(anniversary))])
        rt = _irradiation(tl, params, scan)
        if rt is not None:
            irradiated = rt.sites
            missing += [MissingItem(field=f, reason=r) for f, r in rt.needs]
            dated = [d for d in rt.dates if d]
            key = "radiotherapy_healing" if len(dated) == len(rt.dates) else "radiotherapy_undated"
            days = [_day(dt.date.fromisoformat(d)) for d in dated]
            warn([_caveat(params, key, sites=_site_list(params, rt.sites),
                          date=_text(", ".join(d.en for d in days), ", ".join(d.fr for d in days))
                          if days else "")])

    if role is ComparatorRole.before_line_change:
        # A comparator from another line cannot tell flare from the progression that ended it.
        classification = Classification.indeterminate
        say("NM-07", "new_baseline", changed=", ".join(changed))
        rule_ids = ("NM-07",)
        if increase and timing is Timing.early:
            low, high = (str(n) for n in _frequency(kb))
            say("NM-08", "do_not_switch", low=low, high=high)
            rule_ids = ("NM-07", "NM-08")
        interpretation = True
    elif not increase:
        classification = Classification.no_progression
        rule_ids = ("NM-06",) if timing is Timing.late else ("NM-07",)
        say(rule_ids[0], "no_increase")
    elif timing is Timing.late:
        if _is_egfr(line.treatment):
            warn([_caveat(params, "egfr_osteoblastic")])
        if rt is not None and rt.explains_all:
            classification = Classification.indeterminate
            say("NM-06", "late_irradiated")
            say("NM-07", "mri_after_radiotherapy", action=Action.targeted_imaging, rate_mri=True,
                sites=_sites(scan, params, only={SkeletalSite(x) for x in rt.sites}))
        else:
            classification = Classification.progression
            say("NM-06", "late_increase")
        rule_ids = ("NM-06",) if classification is Classification.progression else ("NM-06", "NM-07")
    else:
        warn(_context_caveats(tl, params, line, previous, line_type))
        arguments, missing_args = _evidence(tl, params, scan, previous, line, role, months)
        classification, leaning = weigh(arguments, params)
        against = [a for a in arguments if a.direction is Direction.favours_progression]
        # A direct observation for progression (clinical course, radiographs, MRI, outside bone:
        # F21, F22) calls for reassessment now; a marker alone (the project's reading) does not.
        strong_against = [a for a in against if a.name in params.evidence_threshold.strong]
        warn(_fracture_risk(params, arguments, tl.case))
        interpretation = interpretation or any(
            a.interpretation for a in arguments if a.direction is not Direction.neutral)
        summary = _join([a.explanation for a in arguments]) if arguments else labels.values["none"]
        say("NM-07", "early_increase", interpretation=interpretation, summary=summary,
            classification=labels.classification[classification])
        if classification is Classification.indeterminate:
            if leaning is not None:
                say("NM-07", "indeterminate_leaning", interpretation=interpretation,
                    leaning=labels.leaning[leaning])
            else:
                key = "indeterminate_conflicting" if arguments else "indeterminate_absent"
                say("NM-07", key, interpretation=interpretation)
            if strong_against:
                # A deteriorating patient is not left waiting for the control scan (review C13).
                say("NM-07", "reassess_now", action=Action.targeted_imaging, rate_mri=True,
                    interpretation=interpretation, sites=_sites(scan, params),
                    against=_join([_spec(params, a.name).label for a in strong_against], ", "))
            if missing_args:
                wanted = _join(_dedupe_texts(m.reason for m in missing_args))
                say("NM-07", "obtain", missing=wanted)
            if not strong_against and ArgumentName.mri not in {a.name for a in arguments}:
                say("NM-07", "mri_of_site", action=Action.targeted_imaging, rate_mri=True,
                    sites=_sites(scan, params))
            control = _control_date(params, anniversary, scan.exam.date)
            say("NM-05", "control_after_reassessment" if strong_against else "control_after_flare",
                action=Action.schedule_after,
                control=_day(control), interval=str(params.control_scan_min_interval.days))
            rule_ids = ("NM-05", "NM-07", "NM-08")
        else:
            say("NM-07", classification.value, interpretation=interpretation)
            rule_ids = ("NM-07", "NM-08")
        low, high = (str(n) for n in _frequency(kb))
        # "Confirm the response" only where a response is plausible (review C13).
        key = ("do_not_switch_reassess" if strong_against else "do_not_switch_no_response" if against
               else "do_not_switch")
        say("NM-08", key, interpretation=bool(against), low=low, high=high)
        if not against:
            # F18's outlook only where flare is possible and nothing argues against it (item 6).
            say("NM-08", "prognosis")
    reading = ScanReading(
        scan_id=scan.exam.id, scan_date=scan.exam.date, modality=scan.exam.modality.value,
        hot_spot_count=scan.exam.hot_spot_count, status="compared", change=change,
        change_source=source, classification=classification, leaning=leaning, arguments=arguments,
        missing_arguments=missing_args, missing_data=tuple(missing), control_scan_from=control,
        irradiated_sites=irradiated, advice=tuple(advice), warnings=tuple(warnings),
        rule_ids=rule_ids, interpretation=interpretation or any(a.interpretation for a in advice),
        **compared,
    )
    return _Reading(reading, tuple(emissions), tuple(("NM-07", m.field, m.reason) for m in missing))


def _other_kind(tl: _Timeline, kb: KnowledgeBase, params: FlareParams, scan: IndexedExam, line: _Line,
                line_fields: dict[str, object], timing: Timing) -> _Reading:
    """A NaF-PET after planar scans only (or the reverse): no comparator, since a NaF-PET shows
    more foci than a planar scan; early in a line, NM-08's caution still applies when the exam
    may show more foci (flare adds foci whatever the count is compared with)."""
    base = _not_comparable(scan, NotComparable.different_modality, kb, params, (), **line_fields)
    change = scan.exam.change_vs_previous
    if (timing is Timing.late or scan.exam.result is Result.negative
            or (change is not None and change not in INCREASE)):
        return base
    low, high = (str(n) for n in _frequency(kb))
    anniversary = line_fields["anniversary"]
    assert isinstance(anniversary, dt.date)
    label = _line_words(line, tl.case)
    text = _fill(kb.rule("NM-08").messages["different_modality"], scan_date=_day(scan.exam.date),
                 exam_lc=_exam_words(params, scan)[1], line=label,
                 de_line=_text(label.en, _de(label.fr)), anniversary=_day(anniversary), low=low,
                 high=high)
    reading = base.reading.model_copy(update={
        "advice": (*base.reading.advice, Advice(rule_id="NM-08", text=text, interpretation=True)),
        "rule_ids": (*base.reading.rule_ids, "NM-08"), "interpretation": True,
    })
    return _Reading(reading, (*base.emissions, Emission(scan.exam.id, "NM-08", Action.note, text, True)),
                    base.missing)


def _line_words(line: _Line, case: Case | None) -> Text:
    """The line in a sentence: its rows in start order, each by its agents or its type in words
    ("carboplatin+pemetrexed → pemetrexed (L1)"), never a type's code (issue 21, classes 4, 9)."""
    if case is None or len(line.rows) < 2:
        return treatment_words(line.treatment)
    names: list[Text] = []
    for i in line.rows:
        t = case.treatments[i]
        name = Text(en="+".join(t.agents), fr="+".join(t.agents)) if t.agents \
            else TREATMENT_TYPE[t.type]
        if not names or names[-1] != name:
            names.append(name)
    suffix = f" (L{line.number})"
    return Text(en=" → ".join(n.en for n in names) + suffix,
                fr=" → ".join(n.fr for n in names) + suffix)


def _fdg_not_read(kb: KnowledgeBase, scan: IndexedExam) -> _Reading:
    """An FDG-PET under treatment: said not to be read for flare, with what answers the question
    instead (issue 21, class 5); a recommendation only when it may show more disease in bone."""
    text = _fill(kb.rule("NM-07").messages["fdg_not_read"], scan_date=_day(scan.exam.date))
    e = scan.exam
    reading = ScanReading(
        scan_id=e.id, scan_date=e.date, modality=e.modality.value, hot_spot_count=e.hot_spot_count,
        status="not_comparable", not_comparable=NotComparable.not_read_fdg,
        advice=(Advice(rule_id="NM-07", text=text, interpretation=True),), rule_ids=("NM-07",),
        interpretation=True,
    )
    quiet = (e.result not in (Result.positive, Result.equivocal)
             or (e.change_vs_previous is not None and e.change_vs_previous not in INCREASE))
    return _Reading(reading, () if quiet else (Emission(e.id, "NM-07", Action.note, text, True),), ())


def _fdg_follow_up(tl: _Timeline, scan: IndexedExam) -> bool:
    """An FDG-PET read for response: declared a follow-up, or undeclared and under treatment (a
    staging or restaging PET is another question)."""
    purpose = scan.exam.purpose
    if purpose in _FOLLOW_UP_PURPOSES:
        return bool(tl.lines or tl.undated_lines)
    return purpose is None and any(ln.start <= scan.exam.date for ln in tl.lines)


def _labelled_naf(params: FlareParams, r: _Reading) -> _Reading:
    """Every NaF-PET reading says that reading it as a bone scan is the project's reading of F28."""
    if r.reading.modality != NAF.value:
        return r
    caveat = params.caveats["naf_f28"].text
    warnings = r.reading.warnings if caveat in r.reading.warnings else (caveat, *r.reading.warnings)
    return _Reading(r.reading.model_copy(update={"warnings": warnings, "interpretation": True}),
                    r.emissions, r.missing)


def _control_date(params: FlareParams, anniversary: dt.date, scan_date: dt.date) -> dt.date:
    """After the anniversary (strictly, when the anniversary day is early) and a meaningful time
    after the early scan (item 5)."""
    first_late = anniversary + dt.timedelta(days=1 if params.anniversary_day_is_early.value else 0)
    return max(first_late, scan_date + dt.timedelta(days=params.control_scan_min_interval.days))


def _dedupe_texts(texts: Iterable[Text]) -> list[Text]:
    out: list[Text] = []
    for t in texts:
        if t not in out:
            out.append(t)
    return out


def _frequency(kb: KnowledgeBase) -> tuple[int, int]:
    raw = kb.rule("NM-08").params["flare_frequency_pct"]
    assert isinstance(raw, list) and len(raw) == 2  # shape checked by the base's tests
    return int(raw[0]), int(raw[1])


def _months(kb: KnowledgeBase) -> int:
    months = {int(str(kb.rule(r).params["months"])) for r in ("NM-05", "NM-06", "NM-07")}
    if len(months) != 1:
        raise ValueError(f"NM-05..NM-07 disagree on the month threshold: {sorted(months)}")
    return months.pop()


def _is_follow_up(tl: _Timeline, scan: IndexedExam, previous: IndexedExam | None) -> bool:
    """A scan to read against the timeline: with an earlier scan, under treatment, or declared as a
    follow-up in a case that records a systemic treatment (without one there is nothing to weigh)."""
    if previous is not None or any(ln.start <= scan.exam.date for ln in tl.lines):
        return True
    return scan.exam.purpose in _FOLLOW_UP_PURPOSES and bool(tl.lines or tl.undated_lines)


# --- the case -----------------------------------------------------------------------------------

def interpret_follow_up(case: Case, as_of: dt.date | None, kb: KnowledgeBase) -> FollowUpResult:
    """Read every follow-up bone scan of the case; `section` is None when there is none."""
    params = kb.flare
    if params is None:
        return FollowUpResult(None, (), ())
    months = _months(kb)
    tl = _timeline(case, as_of)
    readings: list[_Reading] = []
    read: set[str] = set()
    # Each kind of exam (planar, NaF-PET) has its own time points and comparators.
    primary_of_day: dict[tuple[str, dt.date], IndexedExam] = {}
    previous: dict[str, IndexedExam] = {}
    for scan in tl.scans:
        kind = _kind(scan)
        primary = primary_of_day.get((kind, scan.exam.date))
        if primary is not None:
            if primary.exam.id in read:  # a duplicate matters only beside a scan being read
                readings.append(_not_comparable(scan, NotComparable.same_day_duplicate, kb, params,
                                                duplicate_of=primary.exam.id))
            continue
        primary_of_day[(kind, scan.exam.date)] = scan
        same = previous.get(kind)
        other = next((p for k, p in previous.items() if k != kind), None)
        if _is_follow_up(tl, scan, same or other):
            readings.append(_labelled_naf(params, _read_scan(tl, kb, params, months, scan, same, other)))
            read.add(scan.exam.id)
        previous[kind] = scan
    readings += [_fdg_not_read(kb, x) for x in tl.fdg if _fdg_follow_up(tl, x)]
    readings += read_ct_sclerosis(tl, kb, params, months)
    readings.sort(key=lambda r: r.reading.scan_date)  # stable: same-day order kept
    if not readings:
        return FollowUpResult(None, (), ())
    section = FollowUpSection(
        months=months, params_version=params.version,
        marker_thresholds=params.thresholds_used(),
        scans=tuple(r.reading for r in readings),
    )
    return FollowUpResult(section, tuple(e for r in readings for e in r.emissions),
                          tuple(m for r in readings if not _superseded(r, readings)
                                for m in r.missing))


def _superseded(r: _Reading, readings: list[_Reading]) -> bool:
    """A scan without a comparator when a later scan has one (this scan or another): the
    decision rests on the later reading, and no baseline can be obtained for the past any more, so
    "an earlier bone scan to compare with" is not asked (review 13, m2). Its own reading still
    says it was not comparable."""
    return (r.reading.not_comparable is NotComparable.no_comparator
            and any(o.reading.comparator_id is not None
                    and o.reading.scan_date > r.reading.scan_date for o in readings))
