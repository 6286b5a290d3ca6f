"""The Python API that every adapter (CLI, HTTP, web, audit) calls: read a case, assess it.

Its errors are those of `bonemet.errors` (re-exported here, where callers long found them).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from bonemet.core import assess as _core_assess
from bonemet.errors import InputError, Problem, problems_from
from bonemet.kb import KnowledgeBase, default_kb, strict_yaml
from bonemet.model import Assessment, Case
from bonemet.model.case import booking_hint
from bonemet.model.plan import BonePlan


def parse_case(data: Any, source: str = "") -> Case:
    """Validate a decoded JSON/YAML document as a case."""
    if not isinstance(data, dict):
        raise InputError([Problem("", "a case must be a mapping (JSON object)")], source)
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from(exc), source) from None


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
CASE_LIMITS = {"exams": 200, "treatments": 100, "labs": 1000, "clinical_status": 500}
MAX_LESIONS_PER_EXAM = 200


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
    "InputError",
    "Problem",
    "assess",
    "bone_plan",
    "check_case_size",
    "check_dates_not_future",
    "decode",
    "load_case",
    "parse_case",
    "problems_from",
    "read_document",
    "to_json",
]
