"""Quick checks kept in a patient's file, as the case page and the RCP fiche list them (review 25
F15: a check « enregistrée dans le dossier du patient » was listed only on /check).

The web's quick check (web/check_file.py) appends each saved answer to the store's dated record of
the case's assessments as `{"kind": "request_check", ...}`; this module reads those records back
into the few facts a reader needs: when it was saved, the request's question as typed, the exam
asked for and its rating with the rule, the better alternative, the date it was rated for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

KIND = "request_check"
SHOWN = 5  # the newest; the full list stays on /check


class AssessmentRecords(Protocol):
    def assessments_of(self, case_id: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class SavedCheck:
    saved_on: dt.date
    question_text: str  # the request's words, as typed ("" when none)
    requested: str  # a rated-modality code, shown through its label
    rating: str
    rule_id: str
    alternative: str | None
    rated_on: dt.date | None


def _day(raw: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw)[:10])
    except ValueError:
        return None


def saved_checks(store: AssessmentRecords, case_id: str, shown: int = SHOWN) -> tuple[SavedCheck, ...]:
    """The checks kept in this patient's file, newest first; a record that cannot be read whole
    is left out rather than shown in part."""
    out: list[SavedCheck] = []
    for r in reversed(store.assessments_of(case_id)):
        if r.get("kind") != KIND:
            continue
        saved_on = _day(r.get("saved_at"))
        if saved_on is None or not r.get("requested") or not r.get("rating"):
            continue
        out.append(SavedCheck(saved_on=saved_on, question_text=str(r.get("question_text") or ""),
                              requested=str(r["requested"]), rating=str(r["rating"]),
                              rule_id=str(r.get("rule_id") or ""),
                              alternative=str(r["alternative"]) if r.get("alternative") else None,
                              rated_on=_day(r.get("rated_on"))))
        if len(out) == shown:
            break
    return tuple(out)
