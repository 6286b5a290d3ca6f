"""The bone plan's knowledge (kb/data/plan.yaml), validated at load time with the rest of the base.

Management statements (PL-xx) in the project's own words, each with its source (an AURA chapter
page, another named guideline labelled "outside the référentiel", or the project's reading) and a
caveat where the research notes say verify / truncated / [M]; and the plan's rule catalogue (SX-,
SP-, RT-, CC-; BT-/VD-/DN- for issue 24), each rule with its statements, the thresholds the core
reads (`params`) and every sentence it emits (`messages`). The loader refuses a message that types
a number which is also one of its rule's params: that number must be filled from the param, or a
threshold changed in the data would leave a stale number in the text (issue 23).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from bonemet.base import Frozen as _Frozen
from bonemet.base.text import Text
from bonemet.kb.score_tables import ScoreTable

Basis = Literal["referentiel", "external", "derived"]
RuleKind = Literal["surgery", "spine", "radiotherapy", "sbrt", "vertebroplasty", "cord_compression",
                   "prognosis", "drug_interaction", "check",
                   # issue 24 (systemic bone treatment), same catalogue
                   "bone_targeted_agent", "vitamin_d", "dental"]


class PlanSource(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    kind: Basis
    label: str = Field(min_length=5)
    url: str | None = None

    @property
    def outside_referentiel(self) -> bool:
        return self.kind != "referentiel"


class PlanStatement(_Frozen):
    id: str = Field(pattern=r"^PL-\d{2}$")
    basis: Basis
    source: str
    refs: tuple[int, ...] = ()  # the seed's reference numbers
    text: Text
    caveat: Text | None = None  # what the notes mark verify / truncated / [M]
    # Caveats a score calculator already states ("<score>:<note id>"): cited, never copied, so the
    # plan and the calculator cannot drift apart (review 23b N7). Resolved at load time.
    score_notes: tuple[str, ...] = ()
    linked_caveats: tuple[Text, ...] = ()  # filled by parse_plan from score_notes

    @property
    def caveats(self) -> tuple[Text, ...]:
        return ((self.caveat,) if self.caveat is not None else ()) + self.linked_caveats


class PlanRule(_Frozen):
    id: str = Field(pattern=r"^(SX|SP|RT|CC|BT|VD|DN)-\d{2}$")
    kind: RuleKind
    basis: Basis
    statements: tuple[str, ...] = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    title: Text
    messages: dict[str, Text] = Field(min_length=1)
    # Harrington class -> the reconstruction it points to (SX-05); other rules leave it empty.
    reconstruction: dict[str, Text] = Field(default_factory=dict)

    def param(self, name: str) -> Any:
        try:
            return self.params[name]
        except KeyError:
            raise KeyError(f"plan rule {self.id} has no param {name!r}") from None

    def message(self, key: str, **values: object) -> Text:
        try:
            template = self.messages[key]
        except KeyError:
            raise KeyError(f"plan rule {self.id} has no message {key!r}") from None
        return template.format(**values)


class PlanFile(_Frozen):
    version: int = Field(ge=1)
    sources: tuple[PlanSource, ...] = Field(min_length=1)
    statements: tuple[PlanStatement, ...] = Field(min_length=1)
    rules: tuple[PlanRule, ...] = Field(min_length=1)
    # Why a rule was considered and not proposed (review 23b, N5): rule id -> key -> sentence.
    # A sentence fills its rule's params like a message (never types them).
    not_proposed: dict[str, dict[str, Text]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> PlanFile:
        for what, ids in (("source", [s.id for s in self.sources]),
                          ("statement", [s.id for s in self.statements]),
                          ("rule", [r.id for r in self.rules])):
            dup = [i for i, n in Counter(ids).items() if n > 1]
            if dup:
                raise ValueError(f"duplicate {what} id(s): {', '.join(dup)}")
        return self


@dataclass(frozen=True)
class PlanKnowledge:
    """The validated plan file, indexed by id."""

    version: int
    sources: dict[str, PlanSource]
    statements: dict[str, PlanStatement]
    rules: dict[str, PlanRule]
    not_proposed: dict[str, dict[str, Text]] = field(default_factory=dict)
    # What the core derives once per rule (sources, references, caveats as output records).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def rule(self, rule_id: str) -> PlanRule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise KeyError(f"unknown plan rule {rule_id!r}; known: {', '.join(self.rules)}") from None

    def declined(self, rule_id: str, key: str, **values: object) -> Text:
        """The sentence saying why `rule_id` was not proposed (plan.yaml `not_proposed`)."""
        try:
            template = self.not_proposed[rule_id][key]
        except KeyError:
            raise KeyError(f"plan.yaml not_proposed has no {rule_id}.{key}") from None
        return template.format(**values)

    def refs_for(self, rule_id: str) -> tuple[int, ...]:
        rule = self.rule(rule_id)
        return tuple(sorted({n for s in rule.statements for n in self.statements[s].refs}))

    def sources_for(self, rule_id: str) -> tuple[PlanSource, ...]:
        ids = dict.fromkeys(self.statements[s].source for s in self.rule(rule_id).statements)
        return tuple(self.sources[i] for i in ids)

    def outside_referentiel(self, rule_id: str) -> bool:
        """A rule rests outside the référentiel when it is not itself `referentiel`-based."""
        return self.rule(rule_id).basis != "referentiel"


_NUMBER = re.compile(r"(?<![\w{.])(\d+(?:\.\d+)?)(?![\w}])")


def _param_numbers(params: dict[str, Any]) -> set[str]:
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            found.add(str(value))
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    for v in params.values():
        walk(v)
    return found


def typed_param_numbers(rule: PlanRule, messages: dict[str, Text] | None = None) -> list[str]:
    """Numbers a message types although they are params of its rule (must be {filled})."""
    numbers = _param_numbers(rule.params)
    out: list[str] = []
    for key, text in (rule.messages if messages is None else messages).items():
        for lang, template in (("en", text.en), ("fr", text.fr)):
            out.extend(f"message {key} ({lang}) types {n}, a param: fill it"
                       for n in _NUMBER.findall(template) if n in numbers)
    return out


def _score_note(ref: str, scores: Mapping[str, ScoreTable]) -> Text | None:
    score, _, note = ref.partition(":")
    table = scores.get(score)
    found = [n.text for n in table.notes if n.id == note] if table is not None else []
    return found[0] if found else None


def parse_plan(raw: Any, known_refs: Iterable[int], problems: list[str],
               scores: Mapping[str, ScoreTable] | None = None) -> PlanKnowledge | None:
    """Validate plan.yaml; every problem is appended to `problems` (the base is refused whole).
    `scores` (the score tables) resolve the statements' `score_notes`."""
    try:
        data = PlanFile.model_validate(raw)
    except ValidationError as exc:
        problems.extend(f"plan.yaml: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                        for e in exc.errors())
        return None
    refs = set(known_refs)
    sources = {s.id: s for s in data.sources}
    statements: dict[str, PlanStatement] = {}
    for s in data.statements:
        linked = [(ref, _score_note(ref, scores or {})) for ref in s.score_notes]
        problems.extend(f"plan.yaml: statement {s.id}: unknown score note {ref!r}"
                        for ref, text in linked if text is None)
        statements[s.id] = s.model_copy(update={"linked_caveats": tuple(
            text for _, text in linked if text is not None)})
    for s in data.statements:
        if s.source not in sources:
            problems.append(f"plan.yaml: statement {s.id}: unknown source {s.source!r}")
        elif sources[s.source].kind != s.basis:
            problems.append(f"plan.yaml: statement {s.id}: basis {s.basis} but source "
                            f"{s.source} is {sources[s.source].kind}")
        problems.extend(f"plan.yaml: statement {s.id}: unknown reference {n}"
                        for n in s.refs if n not in refs)
    for r in data.rules:
        problems.extend(f"plan.yaml: rule {r.id}: unknown statement {s!r}"
                        for s in r.statements if s not in statements)
        problems.extend(f"plan.yaml: rule {r.id}: {p}" for p in typed_param_numbers(r))
    rules = {r.id: r for r in data.rules}
    for rule_id, texts in data.not_proposed.items():
        if rule_id not in rules:
            problems.append(f"plan.yaml: not_proposed: unknown rule {rule_id!r}")
            continue
        problems.extend(f"plan.yaml: not_proposed {rule_id}: {p}"
                        for p in typed_param_numbers(rules[rule_id], texts))
    return PlanKnowledge(version=data.version, sources=sources, statements=statements,
                         rules=rules, not_proposed=data.not_proposed)


def load_plan(path: Path, known_refs: Iterable[int]) -> PlanKnowledge:
    """Read plan.yaml alone (tools and tests); refuses it with every problem listed."""
    from bonemet.errors import KnowledgeBaseError
    from bonemet.kb import strict_yaml
    from bonemet.kb.score_tables import load_score_tables

    problems: list[str] = []
    scores = load_score_tables(path.parent / "scores", None, problems)
    plan = parse_plan(strict_yaml.load_path(path), known_refs, problems, scores)
    if problems or plan is None:
        raise KnowledgeBaseError(problems)
    return plan
