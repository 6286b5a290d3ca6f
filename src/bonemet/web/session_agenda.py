"""The agenda of a board meeting (issue 25): each patient's headline in a line, and the meeting's
progress.

Nothing clinical is decided here: each row is the `Headline` of the case's assessment
(report/headline.py: urgent alerts first, the exam to do now, the bone plan's first line, the
follow-up reading), as the case page shows it, cut down to what the board reads at a glance.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Any

from bonemet.kb import default_kb
from bonemet.model import Case
from bonemet.model.board import Session, SessionCase, SessionStatus
from bonemet.report import summary as mdt
from bonemet.report.headline import Headline, build_headline

# Headlines computed lately, by the case as JSON: a meeting page reloaded, or the meetings list,
# does not assess the same twelve patients again. The knowledge base is fixed for a process.
_HEADLINES: OrderedDict[str, Headline] = OrderedDict()
_KEPT = 512
_LOCK = Lock()


def headline_of(case: Case) -> Headline:
    key = case.model_dump_json()
    with _LOCK:
        found = _HEADLINES.get(key)
        if found is not None:
            _HEADLINES.move_to_end(key)
            return found
    kb = default_kb()
    made = build_headline(mdt.assess_case(case, kb), kb)
    with _LOCK:
        _HEADLINES[key] = made
        while len(_HEADLINES) > _KEPT:
            _HEADLINES.popitem(last=False)
    return made


@dataclass(frozen=True)
class AgendaRow:
    """One patient of the meeting: the session's record and, when the case is readable, its
    headline (None when the case was deleted from the store since it was added)."""

    item: SessionCase
    label: str | None
    headline: Headline | None
    case: Case | None = None  # for a readable title when the patient has no label (issue 25, item 8)

    @property
    def urgent(self) -> bool:
        return self.headline is not None and bool(self.headline.alerts)

    @property
    def state(self) -> str:
        """decided / pending / postponed: what the board still has to do for this patient."""
        return {SessionStatus.discussed: "decided", SessionStatus.postponed: "postponed"}.get(
            self.item.status, "pending")

    @property
    def reading_date(self) -> dt.date | None:
        flare = self.headline.flare if self.headline else None
        return dt.date.fromisoformat(flare.scan_date) if flare else None


@dataclass(frozen=True)
class Progress:
    cases: int
    decided: int
    urgent: int


def agenda(session: Session, find: Any) -> list[AgendaRow]:
    """The rows of a meeting in its order; `find(case_id)` gives the case (store, then demo)."""
    rows = []
    for item in session.cases:
        case: Case | None = find(item.case_id)
        label = case.patient.label if case is not None and case.patient else None
        rows.append(AgendaRow(item, label, headline_of(case) if case is not None else None, case))
    return rows


def progress(rows: list[AgendaRow]) -> Progress:
    return Progress(cases=len(rows), decided=sum(r.state == "decided" for r in rows),
                    urgent=sum(r.urgent for r in rows))
