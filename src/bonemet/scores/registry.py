"""The score registry: each tumour-board score is one data file (kb/data/scores/<id>.yaml) plus one
function (`bonemet.scores.<id>.score`), listed here once (issue 23, the OpenFisca shape).

The command line (`bonemet score <id>`), the HTTP path enum (`/api/scores/{name}`), the web
calculators and the tests read this list instead of repeating it; `problems(kb)` says when a table
has no function or a function no table, and the knowledge-base tests run it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bonemet.base.text import Text
from bonemet.kb import KnowledgeBase
from bonemet.model.scores import ScoreResult
from bonemet.scores import asia, bilsky, frankel, harrington, mirels, sins, tokuhashi, tomita


@dataclass(frozen=True, slots=True)
class ScoreEntry:
    """One score: its id (the table's id and file stem), and the function computing it."""

    id: str
    function: Callable[..., ScoreResult]

    @property
    def data_file(self) -> str:
        """The table's file, relative to kb/data."""
        return f"scores/{self.id}.yaml"

    def title(self, kb: KnowledgeBase) -> Text:
        """The score's name, from its table (no title is typed twice)."""
        return kb.scores[self.id].name

    def parameters(self) -> tuple[str, ...]:
        """The function's keyword inputs (the names the CLI options and the HTTP body use)."""
        return tuple(p for p in inspect.signature(self.function).parameters if p != "kb")

    def __call__(self, **inputs: Any) -> ScoreResult:
        return self.function(**inputs)


# The order is the order of `bonemet score --help`, of the API path enum and of the docs.
SCORES: dict[str, ScoreEntry] = {
    entry.id: entry for entry in (
        ScoreEntry("mirels", mirels.score),
        ScoreEntry("sins", sins.score),
        ScoreEntry("tokuhashi", tokuhashi.score),
        ScoreEntry("tomita", tomita.score),
        ScoreEntry("frankel", frankel.score),
        ScoreEntry("asia", asia.score),
        ScoreEntry("bilsky", bilsky.score),
        ScoreEntry("harrington", harrington.score),
    )
}
SCORE_IDS: tuple[str, ...] = tuple(SCORES)


def problems(kb: KnowledgeBase) -> list[str]:
    """A table without a registered function, a function without a table, or a function that does
    not name an input of its table: each one a line (empty when the registry and the data agree)."""
    out = [f"score table {sid}.yaml has no function in bonemet.scores.registry.SCORES"
           for sid in kb.scores if sid not in SCORES]
    out += [f"score {sid}: registered without a table kb/data/{SCORES[sid].data_file}"
            for sid in SCORES if sid not in kb.scores]
    for sid, entry in SCORES.items():
        table = kb.scores.get(sid)
        if table is None:
            continue
        names = set(entry.parameters())
        items = [i.id for i in table.items]
        missing = [i for i in items if i not in names]
        out += [f"score {sid}: the function takes no input {i!r} of its table" for i in missing]
        if not items and not names & {"grade", "classification"}:
            out.append(f"score {sid}: a grade table whose function takes no grade")
    return out
