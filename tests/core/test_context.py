"""Facts derived once per case (core/context.py): current line, raised questions, scope."""

from __future__ import annotations

import pytest

from bonemet.api import parse_case
from bonemet.core.context import current_systemic_line, view
from bonemet.model.case import Question
from factories import case_doc, exam


def _line(start: str, end: str | None = None, id: str = "l1") -> dict[str, object]:
    return {"id": id, "type": "chemotherapy", "start": start, "end": end, "line_number": 1}


@pytest.mark.parametrize(
    ("lines", "current"),
    [
        ([_line("2025-01-01")], "l1"),
        ([_line("2025-01-01", end="2025-05-31")], None),           # ended the day before as_of
        ([_line("2025-01-01", end="2025-06-01")], "l1"),           # ends on as_of: still current
        ([_line("2025-06-01")], "l1"),                             # starts on as_of
        ([_line("2024-01-01", end="2024-06-01"), {**_line("2025-01-01", id="l2"), "line_number": 2}], "l2"),
        # Maintenance continues line 1 (same number): the line is returned by the row that began it.
        ([_line("2025-01-01", end="2025-03-31"), _line("2025-04-01", id="l1m")], "l1"),
    ],
    ids=["open", "ended", "ends-on-as-of", "starts-on-as-of", "second-line", "maintenance"],
)
def test_current_line_excludes_ended_and_future_lines(lines: list[dict[str, object]],
                                                      current: str | None) -> None:
    case = parse_case(case_doc("on_treatment", treatments=lines))
    found = current_systemic_line(case, case.context.as_of)
    assert (found[1].id if found else None) == current


@pytest.mark.parametrize(
    ("doc", "questions"),
    [
        (case_doc("staging"), [Question.staging]),
        (case_doc("follow_up", context={"question": "occult_disease"}),
         [Question.occult_disease, Question.follow_up]),
        (case_doc("follow_up", context={"new_bone_pain": True}),
         [Question.follow_up, Question.new_bone_pain]),
        (case_doc("follow_up", exams=[exam("bone_scan", "2025-05-01", result="equivocal")]),
         [Question.follow_up, Question.equivocal_finding]),
        # Once characterised (SPECT-CT on the same day), the equivocal finding raises no question.
        (case_doc("follow_up", exams=[exam("bone_scan", "2025-05-01", result="equivocal"),
                                      exam("spect_ct", "2025-05-01", result="negative")]),
         [Question.follow_up]),
        (case_doc("staging", exams=[exam("fdg_pet_ct", "2025-05-01", result="positive",
                                         lesions=[{"site": "ribs"}])]),
         [Question.staging, Question.isolated_lesion]),
    ],
    ids=["phase", "stated-adds", "pain", "equivocal", "equivocal-characterised", "isolated"],
)
def test_questions_come_from_the_whole_case(doc: dict[str, object],
                                            questions: list[Question]) -> None:
    assert [q.question for q in view(parse_case(doc)).questions] == questions
