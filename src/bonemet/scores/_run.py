"""Shared plumbing of the per-score modules: pick the table from the knowledge base and evaluate."""

from __future__ import annotations

from collections.abc import Mapping

from bonemet.kb import KnowledgeBase, default_kb
from bonemet.model.scores import ScoreResult
from bonemet.scores.engine import Value, compute, resolve


def run(
    score_id: str,
    inputs: Mapping[str, Value],
    *,
    kb: KnowledgeBase | None = None,
    grade: Value = None,
    measures: Mapping[str, float | None] | None = None,
    facts: Mapping[str, tuple[Value, str]] | None = None,
) -> ScoreResult:
    base = kb or default_kb()
    table = base.scores[score_id]
    values, derived = resolve(table, inputs, facts or {})
    return compute(table, values, kb_version=base.version, tables=base.scores, grade=grade,
                   measures=measures, derived_from=derived)
