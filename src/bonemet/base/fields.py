"""Refusals a model's own check raises at a named field (issue 21).

pydantic reports an error raised in a model validator on the whole model; a check that knows which
field is wrong (`exams[3].date` is after the decision date) raises `FieldErrors`, and
`bonemet.errors.problems_from` (and the web editor) place each problem at its own path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """A refusal found by a model's own check, at a path below the checked model (`exams[0].date`
    from the case, `result` from an exam): pydantic would report it on the whole model."""

    path: str
    message: str
    code: str = ""  # a stable name of the reason, for adapters that reword it (web editor)
    detail: str = ""  # the value the reason names (a date), for the reworded sentence


class FieldErrors(ValueError):
    """Raised inside a model validator to name the fields at fault; `problems_from` (and the web
    editor) place each problem at the model's path plus its own."""

    def __init__(self, problems: Iterable[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in self.problems))


def join_path(head: str, tail: str) -> str:
    """`exams[0]` + `lesions[1].date` -> `exams[0].lesions[1].date` (either may be empty)."""
    if not head or not tail:
        return head or tail
    return f"{head}{tail}" if tail.startswith("[") else f"{head}.{tail}"
