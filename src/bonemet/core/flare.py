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
from dataclasses import dataclass

from bonemet.base.text import Text
from bonemet.kb.flare import FlareParams
from bonemet.kb.loader import KnowledgeBase
from bonemet.model.assessment import Action
from bonemet.model.case import (
    Case,
    Change,
    Gene,
    Phenotype,
    RadiographFinding,
    Result,
    SkeletalSite,
    Treatment,
    TreatmentType,
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
from bonemet.model.labels import day as _day

from .context import IndexedExam
from .dates import add_months
from .flare_evidence import (
    _evidence,
    _spec,
)

# The interpreter's public names, wherever they are defined (bonemet.audit reads them here).
from .flare_evidence import weigh as weigh
from .flare_timeline import (
    _FOLLOW_UP_PURPOSES,
    _fill,
    _join,
    _Line,
    _line_at,
    _line_changes,
    _line_label,
    _text,
    _Timeline,
    _timeline,
)
from .flare_timeline import BONE_SCANS as BONE_SCANS
from .flare_timeline import INCREASE as INCREASE
from .flare_timeline import covering_line as covering_line


@dataclass(frozen=True, slots=True)
class Emission:
    """A recommendation the rules module turns into a `Recommendation` (same text as the advice)."""

    scan_id: str
    rule_id: str
    action: Action
    text: Text
    interpretation: bool = False
    rate_targeted_mri: bool = False


@dataclass(frozen=True, slots=True)
class FollowUpResult:
    section: FollowUpSection | None
    emissions: tuple[Emission, ...]
    missing: tuple[tuple[str, str, Text], ...]  # (rule id, field, reason)



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

@dataclass(frozen=True, slots=True)
class _Reading:
    reading: ScanReading
    emissions: tuple[Emission, ...]
    missing: tuple[tuple[str, str, Text], ...]


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


def _not_comparable(scan: IndexedExam, reason: NotComparable, kb: KnowledgeBase, params: FlareParams,
                    needs: Sequence[tuple[str, Text]] = (), **fields: object) -> _Reading:
    text = _fill(kb.rule("NM-07").messages["not_comparable"], scan_date=_day(scan.exam.date),
                 reason=params.labels.not_comparable[reason])
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


_SITES_UNRECORDED = Text(en=" (which foci increased is not recorded; sites on the scan: {names})",
                         fr=" (les foyers majorés ne sont pas précisés ; sites décrits : {names})")


def _site_label(params: FlareParams, site: SkeletalSite, level: str | None = None) -> Text:
    label = params.labels.sites[site]
    if not level:
        return label
    return _text(f"{label.en} {level}", f"{label.fr} {level}")


def _site_list(params: FlareParams, sites: Iterable[str]) -> Text:
    """Site codes (flare.yaml `labels.sites`) as words, in both languages (never raw codes)."""
    return _join([_site_label(params, SkeletalSite(x)) for x in sites], ", ")


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
                 low=low, high=high)
    reading = base.reading.model_copy(update={
        "advice": (*base.reading.advice, Advice(rule_id="NM-08", text=text, interpretation=True)),
        "rule_ids": (*base.reading.rule_ids, "NM-08"),
    })
    return _Reading(reading, (*base.emissions, Emission(scan.exam.id, "NM-08", Action.note, text, True)),
                    base.missing)


def _sites(scan: IndexedExam, params: FlareParams,
           only: Iterable[SkeletalSite] | None = None) -> str | Text:
    """The sites whose foci increased, in words: when the per-lesion change is recorded, only the
    lesions that increased (review C18); otherwise every lesion, said to be unsorted (review C11)."""
    keep = set(only) if only is not None else None
    lesions = [x for x in scan.exam.lesions if keep is None or x.site in keep]
    recorded = any(x.change_vs_previous is not None for x in scan.exam.lesions)
    if recorded:
        lesions = [x for x in lesions if x.change_vs_previous in INCREASE]
    names: list[Text] = []
    for lesion in lesions:
        name = _site_label(params, lesion.site, lesion.level)
        if name not in names:
            names.append(name)
    if not names:
        return ""
    listed = _join(names, ", ")
    if recorded:
        return _text(f" ({listed.en})", f" ({listed.fr})")
    return _fill(_SITES_UNRECORDED, names=listed)


def _de(label: str) -> str:
    """French "de" before a treatment name, elided before a vowel or mute h ("d'osimertinib")."""
    return f"d'{label}" if label[:1].lower() in "aâàeéèêëiîïoôuûùyh" else f"de {label}"


def _caveat(params: FlareParams, key: str, **values: str | Text) -> tuple[Text, bool]:
    c = params.caveats[key]
    return _fill(c.text, **values), c.interpretation


@dataclass(frozen=True, slots=True)
class _Irradiation:
    sites: tuple[str, ...]  # increased (or candidate) sites irradiated within the window
    dates: tuple[str, ...]  # their last radiotherapy dates ("" when unrecorded)
    explains_all: bool  # every increased site is such a site (or which increased is unknown)
    needs: tuple[tuple[str, Text], ...]


_NEED_RT_DATE = Text(en="date of the radiotherapy to this site", fr="date de la radiothérapie de ce site")
_NEED_WHICH_FOCI = Text(en="which foci increased (lesions[].change_vs_previous)",
                        fr="quels foyers se sont majorés (lesions[].change_vs_previous)")


def _irradiation(tl: _Timeline, params: FlareParams, scan: IndexedExam) -> _Irradiation | None:
    """Sites irradiated within the healing window that may carry the increase (issue 11, item 4).

    Radiotherapy heals a lytic site like an effective drug does (F14); an irradiation without a date
    counts as possibly recent (the safe side). Without per-lesion changes, any listed lesion at such a
    site may be the one that increased; without any lesion listed, any recent irradiation may be.
    """
    date, window = scan.exam.date, params.radiotherapy_healing_window.days
    recent: dict[SkeletalSite, str] = {}
    needs: list[tuple[str, Text]] = []
    for i, t in enumerate(tl.case.treatments):
        if t.type is not TreatmentType.radiotherapy or t.site is None:
            continue
        if t.start is not None and t.start > date:
            continue
        last = t.end if t.end is not None and t.end <= date else (t.start if t.end is None else date)
        if last is None:
            recent.setdefault(t.site, "")
            needs.append((f"treatments[{i}].start", _NEED_RT_DATE))
        elif (date - last).days <= window:
            recent[t.site] = max(recent.get(t.site, ""), last.isoformat())
    for j, lesion in enumerate(scan.exam.lesions):
        if not lesion.irradiated:
            continue
        if lesion.irradiated_on is None:
            recent.setdefault(lesion.site, "")
            needs.append((f"{scan.path}.lesions[{j}].irradiated_on", _NEED_RT_DATE))
        elif lesion.irradiated_on <= date and (date - lesion.irradiated_on).days <= window:
            recent[lesion.site] = max(recent.get(lesion.site, ""), lesion.irradiated_on.isoformat())
    if not recent:
        return None
    lesions = scan.exam.lesions
    increased = {x.site for x in lesions if x.change_vs_previous in INCREASE}
    if increased:
        hit = sorted(increased & set(recent), key=lambda x: x.value)
        explains_all = increased <= set(recent)
    else:
        candidates = {x.site for x in lesions} or set(recent)
        hit = sorted(candidates & set(recent), key=lambda x: x.value)
        explains_all = bool(hit)
        if hit:
            needs.append((f"{scan.path}.lesions[].change_vs_previous", _NEED_WHICH_FOCI))
    if not hit:
        return None
    return _Irradiation(tuple(x.value for x in hit), tuple(recent[x] for x in hit), explains_all,
                        tuple(needs))


def _is_egfr(t: Treatment) -> bool:
    return t.type is TreatmentType.egfr_tki or t.driver is Gene.EGFR


def _context_caveats(tl: _Timeline, params: FlareParams, line: _Line, comparator: IndexedExam,
                     line_type: Text) -> list[tuple[Text, bool]]:
    """Line type and baseline phenotype: context the chapter names, never counted as arguments."""
    out: list[tuple[Text, bool]] = []
    t = line.treatment
    if t.type in params.flare_reference_line_types:
        # F16's list is one of examples and ref. 34 concerns an EGFR TKI: a reading, not an extension.
        out.append(_caveat(params, "targeted_line_type", line_type=line_type))
    elif t.type not in params.flare_described_for:
        out.append(_caveat(params, "extension_line_type", line_type=line_type))
    if _is_egfr(t):
        out.append(_caveat(params, "egfr_osteoblastic"))
    phenotypes: dict[Phenotype, list[SkeletalSite]] = {}
    for e in tl.case.exams:  # the baseline: lesions described up to the comparator
        if e.date > comparator.exam.date:
            continue
        for lesion in e.lesions:
            if lesion.phenotype is not None and lesion.site not in phenotypes.setdefault(
                    lesion.phenotype, []):
                phenotypes[lesion.phenotype].append(lesion.site)
    lytic = phenotypes.get(Phenotype.lytic, []) + phenotypes.get(Phenotype.mixed, [])
    if lytic:
        out.append(_caveat(params, "phenotype_lytic", sites=_site_list(params, lytic)))
    elif phenotypes.get(Phenotype.blastic):
        out.append(_caveat(params, "phenotype_blastic",
                           sites=_site_list(params, phenotypes[Phenotype.blastic])))
    return out


def _fracture_risk(params: FlareParams, arguments: Sequence[Argument],
                   case: Case) -> list[tuple[Text, bool]]:
    """Worsening osteolysis of a weight-bearing long bone: a labelled pointer to the fracture-risk
    score (outside the chapter; review C13), never an argument of the reading."""
    radiograph = next((a for a in arguments if a.name is ArgumentName.radiograph), None)
    if radiograph is None or radiograph.direction is not Direction.favours_progression:
        return []
    sites: list[SkeletalSite] = []
    for obs in radiograph.observations:
        e = case.exams[int(obs.path.removeprefix("exams[").rstrip("]"))]
        if (e.radiograph_finding is RadiographFinding.worsening_osteolysis and e.target_site is not None
                and e.target_site in params.weight_bearing_long_bones and e.target_site not in sites):
            sites.append(e.target_site)
    return [_caveat(params, "fracture_risk", sites=_site_list(params, sites))] if sites else []


def _read_scan(tl: _Timeline, kb: KnowledgeBase, params: FlareParams, months: int, scan: IndexedExam,
               previous: IndexedExam | None) -> _Reading:
    line, unknown = _line_at(tl, scan.exam.date)
    if unknown:
        # Never anchor the clock to another line when the one in course may be undated (item 1).
        needs = [(f"treatments[{i}].start", _NEED_LINE_START) for i in unknown]
        return _undated_caution(scan, previous, kb, _not_comparable(
            scan, NotComparable.line_start_unknown, kb, params, needs))
    if line is None:
        if tl.lines:
            return _not_comparable(scan, NotComparable.before_treatment, kb, params)
        needs = [("treatments[]", _NEED_LINE)]
        return _not_comparable(scan, NotComparable.no_treatment_start, kb, params, needs)
    anniversary = add_months(line.start, months)
    strict = params.anniversary_day_is_early.value
    late = scan.exam.date > anniversary if strict else scan.exam.date >= anniversary
    timing = Timing.late if late else Timing.early
    line_fields: dict[str, object] = {
        "line_id": line.treatment.id, "line_label": _line_label(line), "line_start": line.start,
        "anniversary": anniversary, "timing": timing,
    }
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
    values: dict[str, str | Text] = {
        "scan_date": _day(scan.exam.date), "comparator_date": _day(previous.exam.date),
        "line": _line_label(line), "anniversary": _day(anniversary),
        "de_line": _text(_line_label(line), _de(_line_label(line))),
        "change": labels.change[change], "timing": labels.timing[timing],
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
    line_type = type_label if type_label is not None else Text(
        en=line.treatment.type.value.replace("_", " "), fr=line.treatment.type.value.replace("_", " "))
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
        arguments, missing_args = _evidence(tl, params, scan, previous, line, role)
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
    primary_of_day: dict[dt.date, IndexedExam] = {}
    previous: IndexedExam | None = None
    for scan in tl.scans:
        primary = primary_of_day.get(scan.exam.date)
        if primary is not None:
            if primary.exam.id in read:  # a duplicate matters only beside a scan being read
                readings.append(_not_comparable(scan, NotComparable.same_day_duplicate, kb, params,
                                                duplicate_of=primary.exam.id))
            continue
        primary_of_day[scan.exam.date] = scan
        if _is_follow_up(tl, scan, previous):
            readings.append(_read_scan(tl, kb, params, months, scan, previous))
            read.add(scan.exam.id)
        previous = scan
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
