"""New or increasing sclerosis on a CT under treatment, read on its own (issue 21).

Under EGFR and ALK inhibitors, lytic metastases often turn sclerotic and sclerotic foci appear that
were unseen before: the osteoblastic reaction of healing (reference 34), the CT face of the bone
scan's flare. Patients on these drugs are often followed by CT alone, so a CT recording
`ct_finding: sclerosis_new_or_increasing` gets a reading of its own, with the bone scan's timing
(the project's reading, labelled): up to the line's 6-month anniversary, compatible with healing and
never a reason to switch on its own (NM-08); after it, not read as progression (NM-06): on CT,
sclerosis filling a lytic lesion is a response at any time (MD Anderson criteria) while an enlarging
blastic lesion is progression, so the CT is compared with its predecessor and the tumour board
decides (review of issue 21, C1). Within a bone-scan reading the same finding is an argument
(`flare_evidence._ct`).
"""

from __future__ import annotations

from bonemet.base.text import Text
from bonemet.kb.flare import FlareParams
from bonemet.kb.loader import KnowledgeBase
from bonemet.model.assessment import Action
from bonemet.model.case import CtFinding, Modality
from bonemet.model.followup import (
    Advice,
    Classification,
    Direction,
    MissingItem,
    NotComparable,
    ScanReading,
    Timing,
)
from bonemet.model.labels import day as _day

from .context import IndexedExam
from .flare_context import _de
from .flare_output import Emission, _Reading
from .flare_timeline import _fill, _line_at, _line_label, _text, _Timeline, _timing

_NEED_LINE_START = Text(en="start date of the systemic treatment line",
                        fr="date de début de la ligne de traitement systémique")


def _sclerosis_cts(tl: _Timeline) -> list[IndexedExam]:
    """CTs (alone, not the CT of a PET or SPECT, whose own reading covers them) recording new or
    increasing sclerosis, dated on or before the decision date, by date then id."""
    return sorted(
        (IndexedExam(i, e) for i, e in enumerate(tl.case.exams)
         if e.modality is Modality.ct and e.ct_finding is CtFinding.sclerosis_new_or_increasing
         and tl.usable(e.date)),
        key=lambda x: (x.exam.date, x.exam.id))


def _undated(kb: KnowledgeBase, params: FlareParams, ct: IndexedExam,
             unknown: tuple[int, ...]) -> _Reading:
    text = _fill(kb.rule("NM-07").messages["not_comparable"], scan_date=_day(ct.exam.date),
                 reason=params.labels.not_comparable[NotComparable.line_start_unknown],
                 exam_lc=params.labels.values["exam_ct_lc"])
    needs = tuple((f"treatments[{i}].start", _NEED_LINE_START) for i in unknown)
    reading = ScanReading(
        scan_id=ct.exam.id, scan_date=ct.exam.date, modality=ct.exam.modality.value,
        status="not_comparable", not_comparable=NotComparable.line_start_unknown,
        missing_data=tuple(MissingItem(field=f, reason=r) for f, r in needs),
        advice=(Advice(rule_id="NM-07", text=text),), rule_ids=("NM-07",), interpretation=True)
    return _Reading(reading, (Emission(ct.exam.id, "NM-07", Action.note, text, True),),
                    tuple(("NM-07", f, r) for f, r in needs))


def read_ct_sclerosis(tl: _Timeline, kb: KnowledgeBase, params: FlareParams,
                      months: int) -> list[_Reading]:
    """One reading per CT with new or increasing sclerosis under a systemic line; none before any
    line (a staging finding is another question)."""
    out: list[_Reading] = []
    for ct in _sclerosis_cts(tl):
        line, unknown = _line_at(tl, ct.exam.date)
        if unknown:
            out.append(_undated(kb, params, ct, unknown))
            continue
        if line is None:
            continue
        timing, anniversary = _timing(params, months, line.start, ct.exam.date)
        label = _line_label(line, tl.case)
        early = timing is Timing.early
        rule_id, key = ("NM-08", "ct_sclerosis_early") if early else ("NM-06", "ct_sclerosis_late")
        text = _fill(kb.rule(rule_id).messages[key], scan_date=_day(ct.exam.date), line=label,
                     de_line=_text(label, _de(label)), anniversary=_day(anniversary))
        caveat = params.caveats["project_reading"].text
        reading = ScanReading(
            scan_id=ct.exam.id, scan_date=ct.exam.date, modality=ct.exam.modality.value,
            status="compared", line_id=line.treatment.id, line_label=label, line_start=line.start,
            anniversary=anniversary, timing=timing,
            classification=Classification.indeterminate,
            leaning=Direction.favours_flare if early else None,
            advice=(Advice(rule_id=rule_id, text=text, interpretation=True),),
            warnings=(caveat,), rule_ids=(rule_id,), interpretation=True)
        out.append(_Reading(reading, (Emission(ct.exam.id, rule_id, Action.note, text, True),), ()))
    return out
