"""The follow-up reader's view of a case: dated lines, the line covering a scan, line changes.

Part of the flare interpreter (`bonemet.core.flare`); pure, ordered by date then id.

A line is what the oncologist numbers (issue 21, class 4): rows that share a `line_number`
(induction then maintenance, a dose change, a re-challenge) are one line, started on the earliest
start among them, so continuing a line never restarts its 6-month clock. A row without a line number
is a line of its own (the reading before line numbers were read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bonemet.base.terms import Timing
from bonemet.base.text import Text
from bonemet.kb.flare import FlareParams, Window
from bonemet.model.case import (
    Case,
    Change,
    Modality,
    Purpose,
    Treatment,
    TreatmentType,
)

from .context import IndexedExam
from .dates import add_months

BONE_SCANS = frozenset({Modality.bone_scan, Modality.spect_ct})
# Bone-tracer exams the reader reads: the planar scan (and the SPECT-CT that refines it) and the
# 18F-NaF PET, whose tracer goes where bone forms like the diphosphonate (F28; issue 21, class 5).
NAF = Modality.naf_pet_ct
BONE_TRACER = BONE_SCANS | {NAF}
INCREASE = frozenset({Change.more_foci, Change.more_intense})
_ANTIRESORPTIVES = frozenset({TreatmentType.zoledronic_acid, TreatmentType.denosumab})
_FOLLOW_UP_PURPOSES = frozenset({Purpose.follow_up, Purpose.response_assessment})


@dataclass(frozen=True, slots=True)
class _Line:
    """A systemic line as the clock sees it: `index`/`treatment` are the row that started it (its
    start is the line's start), `rows` every dated row of the line started on or before the date it
    was looked up for, in start order (the label names them)."""

    index: int
    treatment: Treatment
    start: dt.date
    rows: tuple[int, ...] = ()

    @property
    def number(self) -> int | None:
        return self.treatment.line_number

    def holds(self, t: Treatment, i: int) -> bool:
        """Whether row `i` belongs to this line: the row itself, or one with the same number."""
        return i == self.index or i in self.rows or (
            self.number is not None and t.line_number == self.number)


@dataclass(frozen=True, slots=True)
class _Timeline:
    """The dated, decision-date-filtered parts of a case the interpreter reads."""

    case: Case
    as_of: dt.date | None
    scans: tuple[IndexedExam, ...]
    lines: tuple[_Line, ...]
    undated_lines: tuple[int, ...]
    fdg: tuple[IndexedExam, ...] = ()  # FDG-PETs, answered "not read" when they are follow-ups

    def usable(self, date: dt.date) -> bool:
        return self.as_of is None or date <= self.as_of


# --- helpers ------------------------------------------------------------------------------------

def _text(en: str, fr: str) -> Text:
    return Text(en=en, fr=fr)


def _fill(template: Text, **values: str | Text) -> Text:
    """Fill a bilingual template with values that may themselves be bilingual."""
    en = {k: v.en if isinstance(v, Text) else v for k, v in values.items()}
    fr = {k: v.fr if isinstance(v, Text) else v for k, v in values.items()}
    return _text(template.en.format(**en), template.fr.format(**fr))


def _join(parts: Sequence[Text], sep: str = "; ") -> Text:
    return _text(sep.join(p.en for p in parts), sep.join(p.fr for p in parts))


def _in_window(date: dt.date, centre: dt.date, window: Window) -> bool:
    return -window.days_before <= (date - centre).days <= window.days_after


def _nearest(candidates: list[tuple[dt.date, str, int]], centre: dt.date) -> int | None:
    """Index of the candidate closest to `centre`; ties go to the earlier date, then the content
    (never the input position, so the choice does not depend on the order of the case's lists)."""
    if not candidates:
        return None
    return min(candidates, key=lambda c: (abs((c[0] - centre).days), c[0], c[1]))[2]


def _line_label(line: _Line, case: Case | None = None) -> str:
    """The line's rows in start order ("carboplatin+pemetrexed → pemetrexed (L1)"), a repeated
    name once (a dose change or a re-challenge of the same drug)."""
    if case is None or len(line.rows) < 2:
        return line.treatment.label()
    names: list[str] = []
    for i in line.rows:
        t = case.treatments[i]
        name = "+".join(t.agents) if t.agents else t.type.value
        if not names or names[-1] != name:
            names.append(name)
    return f"{' → '.join(names)} (L{line.number})"


def _timing(params: FlareParams, months: int, start: dt.date, date: dt.date) -> tuple[Timing, dt.date]:
    """Early or late against the line's anniversary (the anniversary day is early when
    `anniversary_day_is_early`), and the anniversary."""
    anniversary = add_months(start, months)
    late = date > anniversary if params.anniversary_day_is_early.value else date >= anniversary
    return (Timing.late if late else Timing.early), anniversary


def _kind(exam: IndexedExam) -> str:
    """The exams a scan is compared with: a NaF-PET with a NaF-PET, a planar scan or SPECT-CT with
    those (a NaF-PET shows more foci than a planar scan of the same day: F29, F30)."""
    return "naf" if exam.exam.modality is NAF else "planar"


def _timeline(case: Case, as_of: dt.date | None) -> _Timeline:
    def usable(date: dt.date) -> bool:
        return as_of is None or date <= as_of

    scans = sorted(
        (IndexedExam(i, e) for i, e in enumerate(case.exams)
         if e.done and e.modality in BONE_TRACER and usable(e.date)),  # never a booked scan
        # Planar first on a given day: a same-day SPECT-CT refines it and is not a new time point.
        key=lambda s: (s.exam.date, s.exam.modality is not Modality.bone_scan, s.exam.id),
    )
    lines = tuple(
        _Line(i, t, t.start) for i, t in enumerate(case.treatments)
        if t.is_systemic_line and t.start is not None and usable(t.start)
    )
    undated = tuple(i for i, t in enumerate(case.treatments) if t.is_systemic_line and t.start is None)
    fdg = sorted((IndexedExam(i, e) for i, e in enumerate(case.exams)
                  if e.done and e.modality is Modality.fdg_pet_ct and usable(e.date)),
                 key=lambda x: (x.exam.date, x.exam.id))
    return _Timeline(case, as_of, tuple(scans), lines, undated, tuple(fdg))


def _whole_line(rows: Sequence[_Line], row: _Line) -> _Line:
    """The line `row` belongs to: itself without a line number, else every row of its number, the
    earliest start (then the lowest input index) being the line's start."""
    if row.treatment.line_number is None:
        return _Line(row.index, row.treatment, row.start, (row.index,))
    same = sorted((ln for ln in rows if ln.treatment.line_number == row.treatment.line_number),
                  key=lambda ln: (ln.start, ln.index))
    first = same[0]
    return _Line(first.index, first.treatment, first.start, tuple(ln.index for ln in same))


def _line_at(tl: _Timeline, date: dt.date) -> tuple[_Line | None, tuple[int, ...]]:
    """The dated line covering `date` (the line of the row with the latest start on or before it;
    an ended line still counts, its flare window runs on), and the undated lines that might cover it
    instead. The line starts on its first row's start (rows of the same `line_number`).

    An undated line is ruled out only when the case proves it is not the one in course: it ended
    before the date, or a later-numbered line had already started. Any other undated line makes the
    covering line unknown, and the scan is not classifiable (issue 11, item 1).
    """
    candidates = [ln for ln in tl.lines if ln.start <= date]
    row = (max(candidates, key=lambda ln: (ln.start, ln.treatment.line_number or 0, ln.treatment.id))
           if candidates else None)
    line = _whole_line(candidates, row) if row is not None else None
    unknown = []
    for i in tl.undated_lines:
        t = tl.case.treatments[i]
        if t.end is not None and t.end < date:
            continue
        if t.line_number is not None and any(
                ln.treatment.line_number is not None and ln.treatment.line_number > t.line_number
                for ln in candidates):
            continue
        unknown.append(i)
    return line, tuple(unknown)


def covering_line(case: Case, date: dt.date) -> tuple[tuple[int, Treatment] | None, tuple[int, ...]]:
    """The systemic line whose 6-month window covers `date`, ended or not, as (index, row) of the
    row that started it (its start is the line's start: a maintenance row of the same line number
    does not restart the clock), and the undated lines that make it unknown (NM-05 reads this for
    the decision date)."""
    line, unknown = _line_at(_timeline(case, date), date)
    return (None if line is None else (line.index, line.treatment)), unknown


def rows_starting_a_line(case: Case) -> frozenset[str]:
    """Ids of the dated systemic rows that start a line: the first row of each line number (earliest
    start, then input order) and every row without a number. A maintenance or dose-change row
    continues its line and starts no 6-month window (the timeline figure shades these only)."""
    first: dict[int, tuple[dt.date, int, str]] = {}
    out: set[str] = set()
    for i, t in enumerate(case.treatments):
        if not t.is_systemic_line or t.start is None:
            continue
        if t.line_number is None:
            out.add(t.id)
        elif t.line_number not in first or (t.start, i) < first[t.line_number][:2]:
            first[t.line_number] = (t.start, i, t.id)
    return frozenset(out | {v[2] for v in first.values()})


def _line_changes(tl: _Timeline, params: FlareParams, since: dt.date, line: _Line) -> tuple[str, ...]:
    """Other systemic lines between the comparator and the current line's start: the comparator
    then shows another treatment's disease, and new foci may be what ended it (issue 11, item 3).

    A line that started after the comparator always counts (the comparator predates a whole line).
    A line running at the comparator's date counts unless the comparator is the restaging scan just
    before the switch (within `previous_line_comparator`, the project's choice). An undated line
    that may lie in between counts (the safe side).
    """
    if since >= line.start:
        return ()
    recent = (line.start - since).days <= params.previous_line_comparator.days
    changed = []
    for i, t in enumerate(tl.case.treatments):
        if not t.is_systemic_line or line.holds(t, i):
            continue  # a row of the current line (maintenance, dose change) is no change of line
        if t.end is not None and t.end < since:
            continue  # over before the comparator: the comparator is a fresh baseline
        if t.start is None:
            if (t.line_number is not None and line.treatment.line_number is not None
                    and t.line_number > line.treatment.line_number):
                continue  # an undated later line
            changed.append(t.label())
            continue
        if t.start >= line.start or not tl.usable(t.start):
            continue  # started with or after the current line: not between
        if t.start > since or not recent:
            changed.append(t.label())
    return tuple(changed)

