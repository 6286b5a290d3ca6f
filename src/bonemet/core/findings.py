"""The small vocabulary rules use to report back: recommendations, rating proposals, missing data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from bonemet.base.terms import SkeletalSite
from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.model.assessment import (
    Action,
    Fact,
    MissingData,
    RatedModality,
    Rating,
    Recommendation,
)

from .context import CaseView


@dataclass(frozen=True, slots=True)
class Proposal:
    """One rule's opinion on one modality; the advisor keeps the most cautious opinion."""

    modality: RatedModality
    rating: Rating
    rule_id: str
    reason: Text
    alternative: RatedModality | None = None
    missing: tuple[MissingData, ...] = ()
    not_before: dt.date | None = None  # deferred: not now, from this day (NM-05; review 25 F3)
    target_site: SkeletalSite | None = None  # where a targeted exam aims (review 25 F13)


@dataclass(slots=True)
class RuleOutput:
    """What the rules of one assessment emit, in emission order."""

    kb: KnowledgeBase
    recommendations: list[Recommendation] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    missing: list[MissingData] = field(default_factory=list)
    # Results several rules share within one assessment (computed once by the first rule needing them).
    memo: dict[str, object] = field(default_factory=dict)

    def recommend(
        self, rule_id: str, action: Action, subject: str, message: str | Text, *,
        rating: Rating | None = None, facts: tuple[Fact, ...] = (),
        missing: tuple[MissingData, ...] = (), priority: Literal["urgent", "routine"] = "routine",
        **values: Any,
    ) -> Text:
        rule = self.kb.rule(rule_id)
        # A message key is filled from the rule's data; a Text is already rendered by the caller.
        text = message if isinstance(message, Text) else rule.message(message, **values)
        added = isinstance(message, str) and message in rule.interpretive_messages
        self.recommendations.append(
            Recommendation(
                rule_id=rule_id, basis=rule.basis, action=action, subject=subject,
                rating=rating, title=rule.title, text=text, facts=facts,
                statement_ids=rule.statements, references=self.kb.refs_for(rule_id),
                interpretation=rule.interpretation or added, missing_data=missing,
                kb_version=self.kb.version, outside_chapter=rule.outside_chapter,
                sources=tuple(src.citation for src in rule.sources), priority=priority,
            )
        )
        self.missing.extend(missing)
        return text

    def rate(
        self, modality: RatedModality, rating: Rating, rule_id: str, reason: Text,
        alternative: RatedModality | None = None, missing: tuple[MissingData, ...] = (),
        not_before: dt.date | None = None, target_site: SkeletalSite | None = None,
    ) -> None:
        self.proposals.append(Proposal(modality, rating, rule_id, reason, alternative, missing,
                                       not_before, target_site))

    def need(self, rule_id: str, field_path: str, en: str, fr: str) -> MissingData:
        return MissingData(field=field_path, reason=Text(en=en, fr=fr), rule_id=rule_id)


RuleFn = Callable[[CaseView, RuleOutput], None]

# Registry filled by @rule: adding a rule is adding its data to rules.yaml and one function.
RULES: dict[str, RuleFn] = {}


def rule(rule_id: str) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        RULES[rule_id] = fn
        return fn
    return register


def registry_problems(kb: KnowledgeBase, controls: Iterable[str] = ()) -> list[str]:
    """A rule of the data without a function, or a function without its rule in the data (issue 23:
    one YAML entry plus one function). `controls`: the rules the advisor applies itself over every
    rule (ADV-xx) rather than through @rule."""
    declared = set(controls)
    out = [f"rule {rid}: in rules.yaml but no function is registered (@rule) and it is no advisor "
           "control" for rid in kb.rules if rid not in RULES and rid not in declared]
    out += [f"rule {rid}: a function is registered (@rule) but rules.yaml has no entry"
            for rid in RULES if rid not in kb.rules]
    out += [f"rule {rid}: declared an advisor control but rules.yaml has no entry"
            for rid in sorted(declared) if rid not in kb.rules]
    return out
