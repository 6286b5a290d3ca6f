"""The strict YAML reader refuses what safe_load silently resolves, naming file, line and field path.

Before the strict reader, every file below loaded: PyYAML kept the last of two equal keys. Each
knowledge-file load site is exercised on a temporary copy with one line repeated, so that a load
site going back to `yaml.safe_load` fails here.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bonemet.audit.definitions import load_definitions
from bonemet.fhir.valuesets import load_valuesets
from bonemet.kb import load_kb
from bonemet.kb.flare import load_flare_params
from bonemet.kb.performance import load_performance
from bonemet.kb.score_tables import load_score_tables
from bonemet.kb.strict_yaml import (
    MAX_DEPTH,
    DuplicateKeyError,
    StrictYamlError,
    json_duplicate_key,
    load_path,
    load_text,
)
from bonemet.service.texts import load_texts

SRC = Path(__file__).resolve().parents[2] / "src" / "bonemet"
DATA = SRC / "kb" / "data"

# (YAML, field path of the repeat, line of the repeat, line of the first occurrence, key)
DUPLICATES = [
    ("a: 1\nb: 2\na: 3\n", "a", 3, 1, "a"),
    ("outer:\n  x: 1\n  y: 2\n  x: 1\n", "outer.x", 4, 2, "x"),
    ("exams:\n  - id: e1\n    result: positive\n    result: negative\n", "exams[0].result", 4, 3,
     "result"),
    ("exams:\n  - id: e1\n  - id: e2\n    lesions:\n      - site: rib\n      - site: spine\n"
     "        site: pelvis\n", "exams[1].lesions[1].site", 7, 6, "site"),
    ("texts:\n  k:\n    en: one\n    fr: un\n    en: two\n", "texts.k.en", 5, 3, "en"),
    ("{a: 1, b: {c: 2, c: 3}}\n", "b.c", 1, 1, "c"),  # flow style too
    ("1: one\n0x1: also one\n", "1", 2, 1, 1),  # equal once constructed
]


@pytest.mark.parametrize(("text", "path", "line", "first", "key"), DUPLICATES,
                         ids=["top", "nested", "list-of-mappings", "deep-list", "bilingual-text",
                              "flow", "int-spellings"])
def test_duplicate_keys_are_refused_with_path_and_lines(
    text: str, path: str, line: int, first: int, key: object,
) -> None:
    assert yaml.safe_load(text) is not None  # what the strict reader replaces: no complaint at all
    with pytest.raises(DuplicateKeyError) as err:
        load_text(text, "some.yaml")
    exc = err.value
    assert (exc.path, exc.line, exc.first_line, exc.key) == (path, line, first, key)
    assert str(exc).startswith(f"some.yaml, line {line}: duplicate key {key!r} (first at line {first})")
    assert str(exc).endswith(f" at {path}")


@pytest.mark.parametrize(("text", "expected"), [
    ("a: 1\n'1': x\n1: y\n", {"a": 1, "1": "x", 1: "y"}),  # a string and an int are two keys
    ("- {a: 1}\n- {a: 2}\n", [{"a": 1}, {"a": 2}]),  # equal keys in different mappings
    ("date: 2026-11-27\n", {"date": "2026-11-27"}),  # no implicit timestamp
    ("x: &lone 1\n", {"x": 1}),  # an anchor nothing refers to changes nothing
])
def test_valid_documents_load_as_safe_load_would_except_dates(text: str, expected: Any) -> None:
    assert load_text(text) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("a: &x 1\nb: *x\n", "alias *x refused"),
    ("base: {a: 1}\nother:\n  <<: {a: 2}\n", "merge key << refused"),
    ("? [a, b]\n: 1\n", "a key must be a plain value"),
    ("x: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n", "nested more than"),
])
def test_other_constructs_are_refused(text: str, reason: str) -> None:
    with pytest.raises(StrictYamlError, match=re.escape(reason)):
        load_text(text, "f.yaml")


def test_errors_are_yaml_errors_and_name_the_file(tmp_path: Path) -> None:
    target = tmp_path / "rules.yaml"
    target.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(yaml.YAMLError, match=re.escape(f"{target}, line 2: duplicate key 'a'")):
        load_path(target)


@pytest.mark.parametrize(("raw", "found"), [
    (b'{"a": 1, "a": 2}', ("a", "a")),
    (b'{"exams": [{"id": "e1"}, {"id": "e2", "result": "x", "result": "y"}]}',
     ("exams[1].result", "result")),
    (b'{"a": {"b": 1}, "c": [{"b": 2}]}', None),
])
def test_json_duplicate_keys_are_found_with_their_path(
    raw: bytes, found: tuple[str, str] | None,
) -> None:
    assert json_duplicate_key(raw) == found


def test_every_shipped_knowledge_file_reads_strictly() -> None:
    files = [*sorted(DATA.rglob("*.yaml")), SRC / "fhir" / "valuesets.yaml"]
    assert len(files) >= 16
    for path in files:
        assert load_path(path) == yaml.safe_load(path.read_text(encoding="utf-8")), path


# --- each knowledge-file load site, on a temporary copy with one line repeated ---------------

_TOP = re.compile(r"^([A-Za-z_][\w-]*):")
_NESTED = re.compile(r"^( +)([A-Za-z_][\w-]*): (?![|>&*\s#]).+$")


def _repeat_line(path: Path, nested: bool) -> tuple[int, str]:
    """Repeat the first `key: value` line (nested), or give the first top-level key an earlier
    `key: null` twin; return (the line of the second occurrence, key)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    pattern = _NESTED if nested else _TOP
    for index, line in enumerate(lines):
        match = pattern.match(line.rstrip("\n"))
        if match:
            lines.insert(index + (1 if nested else 0), line if nested else f"{match[1]}: null\n")
            path.write_text("".join(lines), encoding="utf-8")
            return index + 2, match.group(match.lastindex or 1)
    raise AssertionError(f"no key line in {path}")


def _kb(tmp: Path) -> object:
    return load_kb(tmp)


def _scores(tmp: Path) -> object:
    problems: list[str] = []
    load_score_tables(tmp / "scores", None, problems)
    if problems:
        raise ValueError("\n".join(problems))
    return None


SITES: list[tuple[str, str, Callable[[Path], object]]] = [
    ("kb.yaml", "load_kb", _kb),
    ("statements.yaml", "load_kb", _kb),
    ("rules.yaml", "load_kb", _kb),
    ("references.yaml", "load_kb", _kb),
    ("flare.yaml", "load_kb", _kb),
    ("performance.yaml", "load_kb", _kb),
    ("scores/sins.yaml", "load_kb", _kb),
    ("flare.yaml", "load_flare_params", lambda tmp: load_flare_params(tmp / "flare.yaml")),
    ("performance.yaml", "load_performance", lambda tmp: load_performance(tmp / "performance.yaml")),
    ("scores/mirels.yaml", "load_score_tables", _scores),
    ("cds_texts.yaml", "load_texts", lambda tmp: load_texts(tmp / "cds_texts.yaml")),
    ("audit/indicators.yaml", "load_definitions",
     lambda tmp: load_definitions(tmp / "audit" / "indicators.yaml")),
    ("valuesets.yaml", "load_valuesets", lambda tmp: load_valuesets(tmp / "valuesets.yaml")),
]


@pytest.mark.parametrize("nested", [False, True], ids=["top-level", "nested"])
@pytest.mark.parametrize(("file", "site", "load"), SITES,
                         ids=[f"{site}:{file}" for file, site, _ in SITES])
def test_each_load_site_refuses_a_repeated_key(
    tmp_path: Path, file: str, site: str, load: Callable[[Path], object], nested: bool,
) -> None:
    tmp = tmp_path / "data"
    shutil.copytree(DATA, tmp)
    shutil.copy(SRC / "fhir" / "valuesets.yaml", tmp / "valuesets.yaml")
    line, key = _repeat_line(tmp / file, nested)
    with pytest.raises(Exception) as err:  # each site keeps its own error type (KB, table, value set)
        load(tmp)
    message = str(err.value)
    assert isinstance(err.value, ValueError | yaml.YAMLError), type(err.value)
    assert f"{Path(file).name}, line {line}: duplicate key {key!r} (first at line {line - 1})" in message


# The file reader parses with libyaml (issue 27): the same documents, the same refusals.
@pytest.mark.parametrize(("text", "path", "line", "first", "key"), DUPLICATES,
                         ids=["top", "nested", "list-of-mappings", "deep-list", "bilingual-text",
                              "flow", "int-spellings"])
def test_file_reader_refuses_duplicates_alike(tmp_path: Path, text: str, path: str, line: int,
                                              first: int, key: object) -> None:
    target = tmp_path / "k.yaml"
    target.write_text(text, encoding="utf-8")
    with pytest.raises(DuplicateKeyError) as err:
        load_path(target)
    assert (err.value.path, err.value.line, err.value.first_line, err.value.key) == (path, line, first, key)


@pytest.mark.parametrize(("text", "reason"), [
    ("a: &x 1\nb: *x\n", "alias"),
    ("a: &x [1, 2]\nb: [*x, *x]\n", "alias"),
    ("base: {a: 1}\nother:\n  <<: {a: 2}\n", "merge key << refused"),
    ("? [a, b]\n: 1\n", "a key must be a plain value"),
    ("x: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n", "nested more than"),
])
def test_file_reader_refuses_the_other_constructs_alike(tmp_path: Path, text: str, reason: str) -> None:
    target = tmp_path / "k.yaml"
    target.write_text(text, encoding="utf-8")
    with pytest.raises(StrictYamlError, match=re.escape(reason)):
        load_path(target)


def test_file_reader_reads_every_shipped_file_as_the_text_reader_does() -> None:
    root = Path(__file__).resolve().parents[2] / "src" / "bonemet"
    files = [*sorted((root / "kb" / "data").rglob("*.yaml")), root / "fhir" / "valuesets.yaml"]
    assert files
    for f in files:
        assert load_path(f) == load_text(f.read_text(encoding="utf-8"), str(f)), f
