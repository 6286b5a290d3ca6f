"""Tumour-board (RCP) sessions: the meeting, its ordered cases, and what the board decided.

These are records of what people said, not outputs of the advisor: nothing here is computed from
the knowledge base. The decision box of the MDT summary prints them as the board's words.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal, TypeGuard

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from bonemet.model.case import Modality

SHORT = 200
LONG = 4000
MAX_ATTENDEES = 60
MAX_CASES = 200  # a board discusses tens of patients; this stops a runaway script, not a board

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT)]
Words = Annotated[str, StringConstraints(strip_whitespace=True, max_length=LONG)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=SHORT)]
# TNM as boards write it: optional prefixes (c, p, y, r, a), T, N and M with their sub-letters,
# spaces allowed between; "x" when not assessable. Loose on purpose: it catches a slip, it does
# not stage.
TNM_PATTERN = (r"^\s*[cpyraCPYRA]{0,3}T(?:[0-4][a-dA-D]?\d?|is|IS|[xX])(?:\([^)]{0,20}\))?\s*"
               r"[cpyraCPYRA]{0,3}N(?:[0-3][a-cA-C]?|[xX])\s*[cpyraCPYRA]{0,3}M(?:[01][a-cA-C]?|[xX])\s*$")
Tnm = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40, pattern=TNM_PATTERN)]
# A case id: safe in a path and a file name. In pydantic's (Rust) regex and in JSON Schema `$` is
# the end of the text; Python's `re` needs `is_case_id` (fullmatch), as there `$` passes "id\n".
CASE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
CASE_ID_RULE = ("letters, digits, '.', '_' and '-' only (at most 128, starting with a letter or "
                "a digit)")
_CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
CaseRef = Annotated[str, StringConstraints(pattern=CASE_ID_PATTERN)]


def is_case_id(text: object) -> TypeGuard[str]:
    """Whether `text` is a case id, whole: no final newline or other control character (issue 22)."""
    return isinstance(text, str) and _CASE_ID.fullmatch(text) is not None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SessionStatus(StrEnum):
    to_discuss = "to_discuss"
    discussed = "discussed"
    postponed = "postponed"


NO_IMAGING = "none"
ImagingChoice = Literal["none", "bone_scan", "spect_ct", "fdg_pet_ct", "naf_pet_ct", "ct", "mri",
                        "wb_mri", "radiograph"]


class SessionIn(_Strict):
    """A board session as a user enters it, new or edited (issue 25: the attendees are often
    known only on the day, so none is needed at creation; they are completed later)."""

    meeting_date: dt.date
    site: Line
    attendees: list[Name] = Field(default_factory=list, max_length=MAX_ATTENDEES)
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=SHORT)] | None = None


class AddCase(_Strict):
    case_id: CaseRef
    question: Words = ""


class AddCases(_Strict):
    """Several cases added in one action (issue 25): all are added, or none (a duplicate or an
    unknown case names itself and nothing is written)."""

    cases: list[AddCase] = Field(min_length=1, max_length=MAX_CASES)

    @field_validator("cases")
    @classmethod
    def _each_once(cls, value: list[AddCase]) -> list[AddCase]:
        ids = [c.case_id for c in value]
        if len(set(ids)) != len(ids):
            raise ValueError("a case is listed twice")
        return value


class AddAttendee(_Strict):
    """One attendee added on the day (the meeting's other fields untouched)."""

    name: Name


class Move(_Strict):
    direction: Literal["up", "down"]


class RemovedCase(_Strict):
    """A case taken out of a session: who, when, from which place, and the version of its
    decision then (that decision stays in the history)."""

    case_id: str
    position: int
    version: int
    removed_at: str
    removed_by: str | None


class DecisionIn(_Strict):
    """What the board asked, said and decided for one case: free text plus structured fields.

    `imaging_requested`: empty when the board said nothing about imaging, ["none"] when it asked
    for none, else the exams it asked for (the modality vocabulary of the case model).
    """

    status: SessionStatus = SessionStatus.to_discuss
    question: Words = ""
    decision: Words = ""
    proposal: Words = ""
    imaging_requested: list[ImagingChoice] = Field(default_factory=list, max_length=len(Modality) + 1)
    treatment_change: bool | None = None
    next_review: dt.date | None = None
    # ---- the standard fields of the French RCP form (issue 25); None: not stated -------------
    ecog: int | None = Field(None, ge=0, le=4)  # performance status (ECOG / OMS 0-4)
    tnm: Tnm | None = None  # e.g. cT2aN2M1c, read loosely (the board writes the staging it has)
    biomarkers: Short = ""  # e.g. "EGFR L858R, PD-L1 60 %"
    referring_physician: Short = ""
    patient_informed: Literal["yes", "no", "not_yet"] | None = None
    quorum: bool | None = None
    # "Conforme au référentiel": the board says whether its decision follows the guideline;
    # "non" needs its reason (the place to record disagreement with bonemet's proposal).
    conforme: bool | None = None
    conforme_reason: Words = Field("", validate_default=True)
    trial_proposed: bool | None = None
    trial_name: Short = Field("", validate_default=True)
    # The knowledge-base version of bonemet's proposal when the board started from it ("" when
    # not): the fiche says the board's words began as bonemet's, never the reverse.
    proposal_source: Annotated[str, StringConstraints(max_length=80)] = ""
    # True when the recorded decision is bonemet's proposed text, not edited by the board (review 25
    # F6): the fiche then says so, instead of presenting bonemet's words as the board's own.
    decision_is_proposal: bool = False

    @field_validator("imaging_requested")
    @classmethod
    def _none_is_alone(cls, value: list[str]) -> list[str]:
        if NO_IMAGING in value and len(value) > 1:
            raise ValueError("'none' cannot be combined with an exam")
        if len(set(value)) != len(value):
            raise ValueError("an exam is listed twice")
        return value

    @field_validator("conforme_reason", "trial_name")
    @classmethod
    def _reason_given(cls, value: str, info: ValidationInfo) -> str:
        # "non conforme" needs its reason, "essai proposé: oui" the trial's name; the error is the
        # field's own (the form and the API name it).
        asked = {"conforme_reason": info.data.get("conforme") is False,
                 "trial_name": info.data.get("trial_proposed") is True}[str(info.field_name)]
        if asked and not value:
            raise PydanticCustomError("reason_required", "required with this answer")
        return value


class Signature(_Strict):
    """The chair's validation of one decision, or its reopening: who and when (UTC ISO text)."""

    by: str | None
    at: str


class SessionCase(DecisionIn):
    """One case in a session, in its place, with who added it and who last recorded its decision."""

    case_id: str
    position: int
    version: int
    added_at: str
    added_by: str | None
    updated_at: str
    updated_by: str | None
    # The chair's validation: a signed decision is read-only until reopened; the last reopening is
    # kept here and every version in the history (issue 25).
    signed: Signature | None = None
    reopened: Signature | None = None


class Session(_Strict):
    id: int
    meeting_date: dt.date
    site: str
    attendees: list[str]
    title: str | None = None
    created_at: str
    created_by: str | None
    cases: list[SessionCase] = Field(default_factory=list)
    # Issue 25: the meeting is edited like a decision (version, who and when; the replaced
    # version kept), and the cases taken out of it stay listed.
    version: int = 1
    updated_at: str | None = None
    updated_by: str | None = None
    removed: list[RemovedCase] = Field(default_factory=list)


class DecisionBox(_Strict):
    """What the MDT summary prints at the top of page 1 when a case is printed from a session."""

    session_id: int
    meeting_date: dt.date
    site: str
    attendees: list[str]
    title: str | None
    item: SessionCase

    @classmethod
    def of(cls, session: Session, case_id: str) -> DecisionBox | None:
        item = next((c for c in session.cases if c.case_id == case_id), None)
        if item is None:
            return None
        return cls(session_id=session.id, meeting_date=session.meeting_date, site=session.site,
                   attendees=session.attendees, title=session.title, item=item)
