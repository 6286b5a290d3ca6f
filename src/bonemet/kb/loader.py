"""Load the knowledge base from YAML and refuse it whole when it is inconsistent.

`KnowledgeBaseError` is defined in `bonemet.errors` and exported by `bonemet.kb`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bonemet.base.provenance import KnowledgeBaseInfo
from bonemet.base.text import Text
from bonemet.errors import KnowledgeBaseError, PerformanceTableError
from bonemet.kb import strict_yaml, templates
from bonemet.kb.flare import FlareParams, parse_flare_params
from bonemet.kb.models import Reference, Rule, Statement
from bonemet.kb.performance import PerformanceTable, load_performance
from bonemet.kb.plan import PlanKnowledge, parse_plan
from bonemet.kb.score_tables import ScoreTable, load_score_tables


@dataclass(frozen=True)
class KnowledgeBase:
    info: KnowledgeBaseInfo
    title: Text
    disclaimer: Text
    statements: dict[str, Statement]
    rules: dict[str, Rule]
    references: dict[int, Reference]
    rule_refs: dict[str, tuple[int, ...]] = field(default_factory=dict)
    flare: FlareParams | None = None  # follow-up scan interpreter (flare.yaml), when listed
    performance: PerformanceTable | None = None  # test-performance table (performance.yaml), when listed
    scores: dict[str, ScoreTable] = field(default_factory=dict)  # tumour-board scores (scores/*.yaml)
    plan: PlanKnowledge | None = None  # the bone plan (plan.yaml, issue 23), when listed

    @property
    def version(self) -> str:
        return self.info.version

    def rule(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise KeyError(f"unknown rule {rule_id!r}; known: {', '.join(self.rules)}") from None

    def statement(self, statement_id: str) -> Statement:
        try:
            return self.statements[statement_id]
        except KeyError:
            raise KeyError(f"unknown statement {statement_id!r}") from None

    def reference(self, number: int) -> Reference:
        try:
            return self.references[number]
        except KeyError:
            raise KeyError(f"unknown reference {number}; known: 1..{max(self.references)}") from None

    def refs_for(self, rule_id: str) -> tuple[int, ...]:
        return self.rule_refs[rule_id]


def _read(path: Path) -> Any:
    try:
        return strict_yaml.load_path(path)
    except yaml.YAMLError as exc:  # duplicate keys, aliases and syntax errors alike
        raise KnowledgeBaseError([str(exc)]) from None


def _validate_list(
    items: list[Any], model: type[Statement] | type[Rule] | type[Reference], what: str,
    key: str, problems: list[str],
) -> list[Any]:
    out: list[Any] = []
    for index, raw in enumerate(items):
        label = raw.get(key, f"#{index}") if isinstance(raw, dict) else f"#{index}"
        try:
            out.append(model.model_validate(raw))
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                problems.append(f"{what} {label}: {loc}: {err['msg']}")
    ids = Counter(getattr(item, key) for item in out)
    problems.extend(f"duplicate {what} id {i!r}" for i, n in ids.items() if n > 1)
    return out


def load_kb(directory: Path | None = None) -> KnowledgeBase:
    """Read and cross-check the base in `directory` (default: the one shipped in the package)."""
    if directory is None:
        directory = Path(str(resources.files("bonemet.kb") / "data"))
    manifest = _read(directory / "kb.yaml")
    problems: list[str] = []
    files = manifest["files"]
    statements = _validate_list(
        _read(directory / files["statements"])["statements"], Statement, "statement", "id", problems
    )
    raw_rules = _read(directory / files["rules"])["rules"]
    # Texts state parameters as {placeholders} filled here from the data (kb/templates.py).
    values = templates.knowledge_values(templates.rule_params_of(raw_rules), problems)
    raw_rules = templates.fill_rules(raw_rules, values)
    rules = _validate_list(raw_rules, Rule, "rule", "id", problems)
    problems.extend(f"rule {r.id}: {where} keeps the placeholder {p} (no such parameter)"
                    for r in rules for where, t in (("title", r.title), ("text", r.text))
                    for lang in ("en", "fr") for p in templates.unfilled(getattr(t, lang)))
    references = _validate_list(
        _read(directory / files["references"])["references"], Reference, "reference", "number",
        problems,
    )
    st = {s.id: s for s in statements}
    refs = {r.number: r for r in references}
    for s in statements:
        problems.extend(
            f"statement {s.id}: unknown reference {n}" for n in s.refs if n not in refs
        )
    for r in references:
        for target in [r.duplicate_of, *(x.number for x in r.related)]:
            if target is not None and target not in refs:
                problems.append(f"reference {r.number}: links to unknown reference {target}")
    rule_refs: dict[str, tuple[int, ...]] = {}
    for rule in rules:
        unknown = [s for s in rule.statements if s not in st]
        problems.extend(f"rule {rule.id}: unknown statement {s!r}" for s in unknown)
        problems.extend(
            f"rule {rule.id}: unknown reference {n}" for n in rule.extra_refs if n not in refs
        )
        numbers = {n for s in rule.statements if s in st for n in st[s].refs} | set(rule.extra_refs)
        rule_refs[rule.id] = tuple(sorted(numbers))
    flare = None
    if "flare" in files:
        flare = parse_flare_params(templates.fill(_read(directory / files["flare"]), values), problems)
        problems.extend(f"flare.yaml: unknown statement {s!r}"
                        for s in sorted(flare.statement_ids() if flare else ()) if s not in st)
    scores = (load_score_tables(directory / "scores", refs, problems)
              if (directory / "scores").is_dir() else {})
    plan = (parse_plan(_read(directory / files["plan"]), refs.keys(), problems, scores)
            if "plan" in files else None)
    performance = None
    if "performance" in files:
        try:
            performance = load_performance(directory / files["performance"], refs.keys(), st.keys())
        except PerformanceTableError as exc:
            problems.extend(f"performance.yaml: {p}" for p in exc.problems)
    try:
        info = KnowledgeBaseInfo(name=manifest["name"], version=str(manifest["version"]))
        title = Text.model_validate(manifest["title"])
        disclaimer = Text.model_validate(manifest["disclaimer"])
    except (KeyError, ValidationError) as exc:
        problems.append(f"kb.yaml: {exc}")
    if problems:
        raise KnowledgeBaseError(problems)
    return KnowledgeBase(
        info=info, title=title, disclaimer=disclaimer, statements=st,
        rules={r.id: r for r in rules}, references=refs, rule_refs=rule_refs, flare=flare,
        scores=scores, performance=performance, plan=plan,
    )


@lru_cache(maxsize=1)
def default_kb() -> KnowledgeBase:
    """The shipped base, loaded and validated once per process."""
    return load_kb()
