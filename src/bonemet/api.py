"""The Python API that every adapter (CLI, HTTP, web, audit) calls: read a case, assess it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError

from bonemet.core import assess as _core_assess
from bonemet.kb import KnowledgeBase, default_kb
from bonemet.model import Assessment, Case


@dataclass(frozen=True)
class Problem:
    """One reason an input was refused: where (a dotted path) and why."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InputError(ValueError):
    """Bad input; carries every problem found so the user can fix them in one go."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + "; ".join(str(p) for p in problems))


def problems_from(exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] in ("enum", "literal_error") and "expected" in err.get("ctx", {}):
            message = f"{message} (got {err['input']!r})"
        out.append(Problem(path.replace(".[", "["), message))
    return out


def parse_case(data: Any, source: str = "") -> Case:
    """Validate a decoded JSON/YAML document as a case."""
    if not isinstance(data, dict):
        raise InputError([Problem("", "a case must be a mapping (JSON object)")], source)
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from(exc), source) from None


class _CaseYamlLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay strings so pydantic validates them and names
    the field (PyYAML would raise its own error for 2025-13-01, or turn a date into a datetime)."""


_CaseYamlLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def decode(raw: bytes | str, fmt: str) -> Any:
    """Decode JSON or YAML text; raises InputError naming the format on malformed content."""
    try:
        if fmt == "json":
            return orjson.loads(raw)
        return yaml.load(raw, Loader=_CaseYamlLoader)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError([Problem("", f"malformed {fmt}: {first}")]) from None


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


def to_json(model: Assessment | Case, indent: bool = True) -> bytes:
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(model.model_dump(mode="json"), option=option)
