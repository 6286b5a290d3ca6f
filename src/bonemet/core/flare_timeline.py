"""The follow-up reader's view of a case: dated lines, the line covering a scan, line changes.

Part of the flare interpreter (`bonemet.core.flare`); pure, ordered by date then id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

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

BONE_SCANS = frozenset({Modality.bone_scan, Modality.spect_ct})
INCREASE = frozenset({Change.more_foci, Change.more_intense})
_ANTIRESORPTIVES = frozenset({TreatmentType.zoledronic_acid, TreatmentType.denosumab})
_FOLLOW_UP_PURPOSES = frozenset({Purpose.follow_up, Purpose.response_assessment})


@dataclass(frozen=True, slots=True)
class _Line:
    index: int
    treatment: Treatment
    start: dt.date



@dataclass(frozen=True, slots=True)
class _Timeline:
    """The dated, decision-date-filtered parts of a case the interpreter reads."""

    case: Case
    as_of: dt.date | None
    scans: tuple[IndexedExam, ...]
    lines: tuple[_Line, ...]
    undated_lines: tuple[int, ...]

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


def _line_label(line: _Line) -> str:
    return line.treatment.label()


def _timeline(case: Case, as_of: dt.date | None) -> _Timeline:
    def usable(date: dt.date) -> bool:
        return as_of is None or date <= as_of

    scans = sorted(
        (IndexedExam(i, e) for i, e in enumerate(case.exams)
         if e.done and e.modality in BONE_SCANS and usable(e.date)),  # never a booked scan
        # Planar first on a given day: a same-day SPECT-CT refines it and is not a new time point.
        key=lambda s: (s.exam.date, s.exam.modality is not Modality.bone_scan, s.exam.id),
    )
    lines = tuple(
        _Line(i, t, t.start) for i, t in enumerate(case.treatments)
        if t.is_systemic_line and t.start is not None and usable(t.start)
    )
    undated = tuple(i for i, t in enumerate(case.treatments) if t.is_systemic_line and t.start is None)
    return _Timeline(case, as_of, tuple(scans), lines, undated)


def _line_at(tl: _Timeline, date: dt.date) -> tuple[_Line | None, tuple[int, ...]]:
    """The dated line covering `date` (latest start on or before it; an ended line still counts,
    its flare window runs on), and the undated lines that might cover it instead.

    An undated line is ruled out only when the case proves it is not the one in course: it ended
    before the date, or a later-numbered line had already started. Any other undated line makes the
    covering line unknown, and the scan is not classifiable (issue 11, item 1).
    """
    candidates = [ln for ln in tl.lines if ln.start <= date]
    line = (max(candidates, key=lambda ln: (ln.start, ln.treatment.line_number or 0, ln.treatment.id))
            if candidates else None)
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
    """The systemic line (index, treatment) whose 6-month window covers `date`, ended or not, and
    the undated lines that make it unknown (NM-05 reads this for the decision date)."""
    line, unknown = _line_at(_timeline(case, date), date)
    return (None if line is None else (line.index, line.treatment)), unknown


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
        if not t.is_systemic_line or i == line.index:
            continue
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

