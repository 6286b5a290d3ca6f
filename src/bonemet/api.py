"""The Python API that every adapter (CLI, HTTP, web, audit) calls: read a case, assess it.

Its errors are those of `bonemet.errors` (re-exported here, where callers long found them).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import yaml
from pydantic import BaseModel, ValidationError

from bonemet.base.fields import join_path
from bonemet.core import assess as _core_assess
from bonemet.errors import InputError, Problem, problems_from
from bonemet.kb import KnowledgeBase, default_kb, strict_yaml
from bonemet.model import Assessment, Case
from bonemet.model.case import booking_hint
from bonemet.model.plan import BonePlan

if TYPE_CHECKING:
    from bonemet.report.board_proposal import BoardProposal


def parse_case(data: Any, source: str = "") -> Case:
    """Validate a decoded JSON/YAML document as a case.

    The document's lists are bounded first (`check_document_size`), so that no work is spent on a
    list no case may hold; then each item of the case's lists is validated on its own and at most
    `MAX_PROBLEMS` problems are collected. A server validates in a worker thread: one pydantic call
    holds the interpreter lock for its whole length (100,000 empty exams: 2 s of the event loop
    lost), one item at a time lets the server's other requests in between, and a flood of errors
    stops early instead of being built in full.
    """
    if not isinstance(data, dict):
        raise InputError([Problem("", "a case must be a mapping (JSON object)")], source)
    check_document_size(data, source)
    problems: list[Problem] = []
    staged = dict(data)
    for name, model in _ITEM_MODELS.items():
        items = data.get(name)
        if not isinstance(items, list):
            continue  # not a list: the case's own validation names it
        checked: list[Any] = []
        for index, item in enumerate(items):
            try:
                checked.append(model.model_validate(item))
            except ValidationError as exc:
                problems += [Problem(join_path(f"{name}[{index}]", p.field), p.message)
                             for p in problems_from(exc)]
                if len(problems) >= MAX_PROBLEMS:
                    raise InputError(_stopped(problems), source) from None
        # An invalid list is left out of the case's own checks (its problems are listed already).
        staged[name] = checked if len(checked) == len(items) else []
    try:
        case = Case.model_validate(staged)
    except ValidationError as exc:
        problems += problems_from(exc)
    if problems:
        raise InputError(_stopped(sorted(problems, key=_field_rank)), source)
    return case


# The case's lists whose items are validated one by one (see parse_case), with their item model.
_ITEM_MODELS: dict[str, type[BaseModel]] = {
    name: Case.model_fields[name].annotation.__args__[0]  # type: ignore[union-attr]
    for name in ("exams", "treatments", "labs", "clinical_status", "response_outside_bone")}
_FIELD_ORDER = {name: rank for rank, name in enumerate(Case.model_fields)}

# Enough to show what is wrong with any real document; a hostile one gets these and a note.
MAX_PROBLEMS = 100


def _field_rank(problem: Problem) -> int:
    """pydantic's order (the case's fields in declaration order) for problems found in stages."""
    head = problem.field.split(".", 1)[0].split("[", 1)[0]
    return _FIELD_ORDER.get(head, len(_FIELD_ORDER))


def _stopped(problems: list[Problem]) -> list[Problem]:
    if len(problems) < MAX_PROBLEMS:
        return problems
    return [*problems[:MAX_PROBLEMS], Problem("", f"validation stopped after {MAX_PROBLEMS} "
                                                  "problems: correct these and submit again")]


# A case is a few levels deep (case > exams > lesions > score inputs); 64 leaves room for any real
# document while a hostile one cannot reach Python's recursion limit in the parser or pydantic.
MAX_DEPTH = strict_yaml.MAX_DEPTH

# A repeated field is refused, never resolved: the parsers keep the last value, and silently losing
# the first one (an exam's result, a date) changes what the clinician is told.
DUPLICATE_KEY_MESSAGE = ("duplicate key {key!r}: the field is given twice, "
                         "the first value would be silently lost")


def decode(raw: bytes | str, fmt: str) -> Any:
    """Decode JSON or YAML text; raises InputError naming the format on malformed content."""
    try:
        # orjson itself refuses nesting deeper than 1024; the strict YAML loader refuses aliases,
        # timestamps, nesting over MAX_DEPTH and duplicate keys.
        if fmt == "json":
            data = orjson.loads(raw)
            repeated = strict_yaml.json_duplicate_key(raw)
            if repeated:
                raise InputError([Problem(repeated[0], DUPLICATE_KEY_MESSAGE.format(key=repeated[1]))])
        else:
            data = strict_yaml.load_text(raw, "case")
    except strict_yaml.DuplicateKeyError as exc:
        raise InputError([Problem(exc.path, DUPLICATE_KEY_MESSAGE.format(key=exc.key)
                                  + f" (line {exc.line}; first at line {exc.first_line})")]) from None
    except strict_yaml.StrictYamlError as exc:
        raise InputError([Problem(exc.path, f"malformed {fmt}: line {exc.line}: {exc.reason}")]) from None
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        text = " ".join(str(exc).split())
        raise InputError([Problem("", f"malformed {fmt}: {text[:300] or type(exc).__name__}")]) from None
    except RecursionError:
        raise InputError([Problem("", f"malformed {fmt}: nested too deeply")]) from None
    if _depth(data) > MAX_DEPTH:
        raise InputError([Problem("", f"malformed {fmt}: nested more than {MAX_DEPTH} levels deep")])
    return data


def _depth(data: Any) -> int:
    """Nesting depth, iteratively (a deep document must not exhaust the stack here either)."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((child, level + 1) for child in node)
    return deepest


# Work per case is bounded where cases arrive from outside (HTTP, web forms): a patient's real
# history has tens of exams, not thousands, and each item costs time in rendering (PDF, timeline).
CASE_LIMITS = {"exams": 200, "treatments": 100, "labs": 1000, "clinical_status": 500,
               "response_outside_bone": 200}
MAX_LESIONS_PER_EXAM = 200
# The short lists inside a case: a handful in any real case (there are 10 driver genes and 20-odd
# skeletal sites).
NESTED_LIMITS = {"cancer.driver_alterations": 20, "context.pain_sites": 50,
                 "treatments[].agents": 20, "exams[].lesions": MAX_LESIONS_PER_EXAM}


def check_case_size(case: Case) -> Case:
    """InputError naming the list that exceeds its bound (the caller answers 422)."""
    problems = [Problem(name, f"{len(getattr(case, name))} items; at most {limit} per case")
                for name, limit in CASE_LIMITS.items() if len(getattr(case, name)) > limit]
    problems += [Problem(f"exams[{i}].lesions", f"{len(e.lesions)} lesions; at most "
                                                f"{MAX_LESIONS_PER_EXAM} per exam")
                 for i, e in enumerate(case.exams) if len(e.lesions) > MAX_LESIONS_PER_EXAM]
    if problems:
        raise InputError(problems)
    return case


def check_document_size(data: dict[str, Any], source: str = "") -> dict[str, Any]:
    """The same bounds as `check_case_size`, and those of the short lists, on the decoded document,
    before any validation: a list over its bound is refused by its length alone (its items are
    never looked at), naming the field and the bound."""
    problems = [Problem(name, f"{len(data[name])} items; at most {limit} per case")
                for name, limit in CASE_LIMITS.items()
                if isinstance(data.get(name), list) and len(data[name]) > limit]
    for path, limit in NESTED_LIMITS.items():
        head, _, tail = path.partition(".")
        owner = data.get(head.removesuffix("[]"))
        rows = owner if head.endswith("[]") and isinstance(owner, list) else [owner]
        for index, row in enumerate(rows[:CASE_LIMITS.get(head.removesuffix("[]"), 1)]):
            found = row.get(tail) if isinstance(row, dict) else None
            if isinstance(found, list) and len(found) > limit:
                where = path.replace("[]", f"[{index}]")
                problems.append(Problem(where, f"{len(found)} items; at most {limit}"))
                if len(problems) >= MAX_PROBLEMS:
                    break
    if problems:
        raise InputError(_stopped(problems), source)
    return data


def check_dates_not_future(case: Case, today: dt.date, source: str = "") -> Case:
    """InputError naming every date of the case later than `today` (the adapter's clock; the core
    has none). A booked exam (status: planned) may be in the future; a treatment's end too, unless
    it would become the decision date (no context.as_of): a typing slip such as 2027 for 2025 must
    not move the decision date in silence (issue 21, class 7)."""
    when = f"is after today ({today.isoformat()})"
    problems = [Problem(path, f"{day.isoformat()} {when}: a fact cannot be in the future; correct "
                              "the date" + booking_hint(path))
                for path, day in case.done_dates() if day > today]
    as_of = case.context.as_of
    if as_of is not None and as_of > today:
        problems.insert(0, Problem("context.as_of", f"the decision date {as_of.isoformat()} {when}"))
    if as_of is None:
        problems += [Problem(f"treatments[{i}].end",
                             f"{t.end.isoformat()} {when} and context.as_of is not given, so it "
                             "would become the decision date: give context.as_of (today)")
                     for i, t in enumerate(case.treatments) if t.end and t.end > today]
    if problems:
        raise InputError(problems, source)
    return case


def read_document(path: Path) -> Any:
    """Decode a JSON or YAML file, with a clear error for unreadable or malformed content."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem("", f"cannot read file: {exc.strerror}")], str(path)) from None
    try:
        return decode(raw, "json" if path.suffix.lower() == ".json" else "yaml")
    except InputError as exc:
        raise InputError(exc.problems, str(path)) from None


def load_case(path: str | Path) -> Case:
    path = Path(path)
    return parse_case(read_document(path), str(path))


def assess(case: Case, kb: KnowledgeBase | None = None) -> Assessment:
    """Assess a validated case with the shipped knowledge base (or the one given)."""
    return _core_assess(case, kb or default_kb())


def bone_plan(case: Case, kb: KnowledgeBase | None = None) -> BonePlan | None:
    """The bone plan of a case (issue 23): `Assessment.plan`, None when the case holds nothing it
    is about (no bone lesion, no plan input, no cord-compression picture). docs/plan.md."""
    return assess(case, kb).plan


def to_json(model: Assessment | Case, indent: bool = True) -> bytes:
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(model.model_dump(mode="json"), option=option)


__all__ = [
    "CASE_LIMITS",
    "MAX_DEPTH",
    "MAX_LESIONS_PER_EXAM",
    "MAX_PROBLEMS",
    "NESTED_LIMITS",
    "InputError",
    "Problem",
    "assess",
    "bone_plan",
    "check_case_size",
    "check_dates_not_future",
    "check_document_size",
    "decode",
    "load_case",
    "parse_case",
    "problems_from",
    "read_document",
    "to_json",
]


def board_proposal(case: Case, kb: KnowledgeBase | None = None) -> BoardProposal:
    """bonemet's proposal for the tumour-board decision form (issue 25): the headline (urgent alerts
    first), the recommendations and the bone plan's lines with their rule ids, and the text the
    board may take over. The web layer shows it; it derives nothing of its own."""
    from bonemet.report.board_proposal import build_proposal

    kb = kb or default_kb()
    return build_proposal(case, assess(case, kb), kb)
