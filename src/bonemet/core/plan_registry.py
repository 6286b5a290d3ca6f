"""The bone plan's rule registry: one small pure function per rule, registered by its id.

Parallel to core/findings.py's `@rule` (the imaging rules): a plan rule reads the `PlanContext`
(the case view, the plan's reading of the patient and lesions, the plan knowledge) and adds
proposals through `PlanOutput.propose`, which fills the rule's title, statements, seed reference
numbers, sources, caveats and the outside-the-référentiel flag from plan.yaml, so a rule function
only chooses the message and its values. Adding a rule: its entry in plan.yaml, one function here
decorated `@plan_rule("XX-nn")`, its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.kb.plan import PlanKnowledge, PlanRule
from bonemet.model.plan import PlanCheck, PlanSourceRef, Proposal, ProposalKind
from bonemet.model.trace import Fact, MissingData

from .context import CaseView
from .plan_lesions import PlanView


@dataclass(frozen=True, slots=True)
class PlanContext:
    v: CaseView
    kb: KnowledgeBase
    plan: PlanKnowledge
    view: PlanView
    in_scope: bool  # a confirmed lung primary: only the CC- rules run outside it


@dataclass(slots=True)
class PlanOutput:
    plan: PlanKnowledge
    proposals: list[Proposal] = field(default_factory=list)
    # A question a rule asks without proposing anything (e.g. RT-05 "oligometastatic?").
    missing: list[MissingData] = field(default_factory=list)
    # Readings several rules share within one plan (read once: issue 27), keyed by their reader.
    memo: dict[str, object] = field(default_factory=dict)

    def rule(self, rule_id: str) -> PlanRule:
        return self.plan.rule(rule_id)

    def propose(self, rule_id: str, message: str | Text, *, lesions: tuple[str, ...] = (),
                priority: Literal["urgent", "routine"] = "routine", surgical: bool = False,
                kind: ProposalKind | None = None, checks: tuple[PlanCheck, ...] = (),
                facts: tuple[Fact, ...] = (), missing: tuple[MissingData, ...] = (),
                statements: tuple[str, ...] | None = None, **values: Any) -> Proposal:
        """`statements`: the subset of the rule's statements this proposal rests on, when it says
        only part of what the rule can say (review 24 m1: BT-02 cites the osteonecrosis papers only
        when osteonecrosis is the item); its references, sources and caveats follow that subset."""
        rule = self.plan.rule(rule_id)
        text = _capitalised(message if isinstance(message, Text) else rule.message(message, **values))
        kind_ = kind or rule.kind
        assert kind_ != "check", f"{rule_id} is a check, not a proposal"
        proposal = Proposal(
            rule_id=rule_id, kind=kind_, basis=rule.basis, lesions=lesions,
            priority=priority, surgical=surgical, title=rule.title, text=text, checks=checks,
            facts=facts, statement_ids=statements or rule.statements, missing_data=missing,
            **self._traced(rule_id, statements),
        )
        self.proposals.append(proposal)
        return proposal

    def _traced(self, rule_id: str, subset: tuple[str, ...] | None = None) -> dict[str, Any]:
        """References, sources, flag and caveats of a rule (or of a subset of its statements):
        derived from plan.yaml once."""
        ids = subset or self.plan.rule(rule_id).statements
        unknown = set(ids) - set(self.plan.rule(rule_id).statements)
        assert not unknown, f"{rule_id} does not rest on {sorted(unknown)}"
        key = f"traced:{rule_id}:{','.join(ids)}"
        if key not in self.plan.memo:
            statements = [self.plan.statements[s] for s in ids]
            self.plan.memo[key] = {
                "references": tuple(sorted({n for s in statements for n in s.refs})),
                "sources": tuple(PlanSourceRef(label=src.label, url=src.url,
                                               outside_referentiel=src.outside_referentiel)
                                 for src in (self.plan.sources[i] for i in
                                             dict.fromkeys(s.source for s in statements))),
                "outside_referentiel": self.plan.outside_referentiel(rule_id),
                "caveats": tuple(dict.fromkeys(c for s in statements for c in s.caveats)),
            }
        traced: dict[str, Any] = self.plan.memo[key]
        return traced

    def check(self, rule_id: str, lesion: str, kind: Literal["fracture_risk", "spinal_stability"],
              status: Literal["to_check", "reassuring", "at_risk"], message: str,
              evidence: tuple[Fact, ...] = (), **values: Any) -> PlanCheck:
        return PlanCheck(rule_id=rule_id, lesion=lesion, kind=kind, status=status,
                         text=self.plan.rule(rule_id).message(message, **values), evidence=evidence)


def _capitalised(text: Text) -> Text:
    """A proposal is a sentence: it starts with a capital even when its message opens on a filled
    value ("{reasons}: ...", review 23b: RT-03 began "espérance de vie ...")."""
    def cap(s: str) -> str:
        return s[:1].upper() + s[1:] if s[:1].islower() else s
    return Text(en=cap(text.en), fr=cap(text.fr))


PlanRuleFn = Callable[[PlanContext, PlanOutput], None]

# Filled by @plan_rule, in registration order (the order of the core/plan_*.py imports).
PLAN_RULES: dict[str, PlanRuleFn] = {}


def plan_rule(rule_id: str) -> Callable[[PlanRuleFn], PlanRuleFn]:
    def register(fn: PlanRuleFn) -> PlanRuleFn:
        if rule_id in PLAN_RULES:
            raise ValueError(f"plan rule {rule_id} registered twice")
        PLAN_RULES[rule_id] = fn
        return fn
    return register


@lru_cache(maxsize=512)
def need(rule_id: str, path: str, en: str, fr: str) -> MissingData:
    """A missing input of a rule (cached: the same sentence is built once per process)."""
    return MissingData(field=path, reason=Text(en=en, fr=fr), rule_id=rule_id)


def joined(items: list[Text], sep_en: str = ", ", sep_fr: str = ", ") -> Text:
    return Text(en=sep_en.join(t.en for t in items), fr=sep_fr.join(t.fr for t in items))
