"""The editor's rows and the shape of a submitted form: "+ row" and "remove" buttons, and the
values no form can send (a row or a list where one value belongs), dropped and said next to their
field, so that a forged or broken form is answered with its problems and never a 500 (issue 22).
"""

from __future__ import annotations

import itertools
from typing import Any

from bonemet.web.forms import CHOICE_LISTS, LIST_FIELDS, SECTIONS, Section, parse_name


def add_row(doc: dict[str, Any], list_path: str) -> dict[str, Any]:
    """Append an empty row to a list (`exams`, `exams[0].lesions`); a marker keeps it drawn.

    The rows on the way may not exist in the document: a new exam row left empty is dropped when
    the form is read, and "+ Lesion" on it must still work (create the row, then its lesion).
    """
    tokens = parse_name(list_path)
    if not is_list_path(tokens):  # checked before anything is created on the way
        raise ValueError(f"not a list of the form: {list_path!r}")
    node: Any = doc
    for here, after in itertools.pairwise(tokens):
        empty: Any = [] if isinstance(after, int) else {}
        if isinstance(here, int):
            if not isinstance(node, list) or here > len(node) or here > 1000:
                raise ValueError(f"no row {here} in {list_path!r}")
            if here == len(node):
                node.append({"__new__": True})
            child = node[here]
        else:
            if not isinstance(node, dict):
                raise ValueError(f"not a list of the form: {list_path!r}")
            child = node.setdefault(here, empty)
        if not isinstance(child, type(empty)):
            raise ValueError(f"not a list of the form: {list_path!r}")
        node = child
    rows = node.setdefault(tokens[-1], [])
    if not isinstance(rows, list):
        raise ValueError(f"not a list of the form: {list_path!r}")
    rows.append({"__new__": True})
    return doc


def shape_problems(doc: dict[str, Any]) -> list[Any]:
    """Drop values whose shape no form can produce (`exams=x`: a text where rows belong) and say so.

    Only a forged or broken form sends them; the editor could not draw them.
    """
    from bonemet.api import Problem

    problems: list[Any] = []

    def walk(prefix: str, section: Section, parent: dict[str, Any]) -> None:
        value = parent.get(section.key)
        if value is None:
            return
        name = f"{prefix}{section.key}"
        if section.repeated:
            if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
                problems.append(Problem(name, "expected rows of the form"))
                del parent[section.key]
                return
            for i, row in enumerate(value):
                fields(f"{name}[{i}].", section, row)
                for child in section.children:
                    walk(f"{name}[{i}].", child, row)
        else:
            if not isinstance(value, dict):
                problems.append(Problem(name, "expected the fields of the form"))
                del parent[section.key]
                return
            fields(f"{name}.", section, value)
            for child in section.children:
                walk(f"{name}.", child, value)

    def fields(prefix: str, section: Section, node: dict[str, Any]) -> None:
        # `exams[0].modality.x=…` or `case_id[0]=…` makes a row or a list where one value belongs.
        for f in section.fields:
            if f.name in node and not _one_value(f.name, node[f.name]):
                problems.append(Problem(f"{prefix}{f.name}", "expected one value of the form"))
                del node[f.name]

    for key in ("case_id", "schema_version"):
        if key in doc and not _one_value(key, doc[key]):
            problems.append(Problem(key, "expected one value of the form"))
            del doc[key]
    for section in SECTIONS:
        if "." not in section.key:
            walk("", section, doc)
    return problems


def _one_value(name: str, value: Any) -> bool:
    """A value an input can send: a text (or a number or yes/no kept from an import), or for the
    lists typed as "a, b" a list of them; never a row or a list where one value belongs."""
    def scalar(v: Any) -> bool:
        return v is None or isinstance(v, str | int | float | bool)

    if name in LIST_FIELDS | CHOICE_LISTS and isinstance(value, list):
        return all(scalar(v) for v in value)
    return scalar(value)


def is_list_path(tokens: list[str | int]) -> bool:
    """Whether `tokens` name a list of the form (`exams`, `exams[0].lesions`, `cancer.driver_alterations`):
    a repeated section reached through its parents, an index after every list on the way."""
    level: tuple[Section, ...] = SECTIONS
    section: Section | None = None
    want_index = False
    for token in tokens:
        if want_index:
            if not isinstance(token, int) or token > 1000:
                return False
            want_index = False
            continue
        section = next((s for s in level if s.key == token), None)
        if section is None:
            return False
        level = section.children
        want_index = section.repeated
    return section is not None and section.repeated and want_index


def remove_row(doc: dict[str, Any], row_path: str) -> dict[str, Any]:
    tokens = parse_name(row_path)
    if not tokens or not isinstance(tokens[-1], int) or not is_list_path(tokens[:-1]):
        raise ValueError(f"not a row of the form: {row_path!r}")  # `_remove=case_id` is not a row
    node: Any = doc
    try:
        for t in tokens[:-1]:
            node = node[t]
        del node[tokens[-1]]
    except (KeyError, IndexError, TypeError):
        pass
    return doc
