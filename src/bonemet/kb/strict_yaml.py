"""One strict YAML reader for every knowledge file and every case file.

PyYAML's `safe_load` keeps the LAST of two equal keys without a word: a knowledge file with two
`en:` texts, or a case file with two `result:` lines, would silently lose the first value. A lost
threshold or a lost exam result changes what a clinician is told, so both are refused here:

- duplicate keys, at any depth (mappings nested in mappings or in lists), naming the source, the
  line of the repeat and of the first occurrence, the key and its field path (`exams[0].result`);
- aliases (`*name`): no knowledge or case file needs them, a reader cannot see what an alias
  expands to, and nested aliases expand a few hundred bytes into gigabytes (an anchor `&name`
  that nothing refers to changes nothing and is let through);
- merge keys (`<<`) and non-scalar keys, which only make sense with aliases or hide a typo;
- implicit timestamps: a date stays a string, so the model validates it and names the field
  (PyYAML would raise its own error for 2025-13-01 or turn a date into a datetime);
- nesting deeper than MAX_DEPTH, so that a hostile document cannot exhaust the stack.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# A case is a few levels deep (case > exams > lesions > score inputs), a knowledge file a little
# more (rules > messages > text); 64 leaves room for any real document.
MAX_DEPTH = 64

_MERGE_TAG = "tag:yaml.org,2002:merge"


class StrictYamlError(yaml.YAMLError):
    """A document refused by the strict reader; `path` is the field path ('' for the whole file).

    A subclass of yaml.YAMLError, so that a caller that already reports malformed YAML reports
    these too.
    """

    def __init__(self, source: str, line: int, path: str, reason: str) -> None:
        self.source, self.line, self.path, self.reason = source, line, path, reason
        where = f" at {path}" if path else ""
        super().__init__(f"{source}, line {line}: {reason}{where}")


class DuplicateKeyError(StrictYamlError):
    """The same key twice in one mapping: PyYAML would keep the last value and drop the first."""

    def __init__(self, source: str, line: int, path: str, key: object, first_line: int) -> None:
        self.key, self.first_line = key, first_line
        super().__init__(source, line, path,
                         f"duplicate key {key!r} (first at line {first_line})")


class StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases, merge keys, timestamps or duplicate keys."""

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent):
            raise StrictYamlError(self.name, line, "",
                                  f"alias *{event.anchor} refused (aliases are not accepted)")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise StrictYamlError(self.name, line, "",
                                      f"nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: Node) -> Any:
        self._check_keys(node)
        return super().construct_document(node)

    def _check_keys(self, root: Node) -> None:
        """Walk the composed tree (iteratively: depth is capped, but the stack need not be used)."""
        stack: list[tuple[Node, str]] = [(root, "")]
        while stack:
            node, path = stack.pop()
            if isinstance(node, SequenceNode):
                stack.extend((child, f"{path}[{i}]") for i, child in enumerate(node.value))
            elif isinstance(node, MappingNode):
                seen: dict[object, int] = {}
                for key_node, value_node in node.value:
                    line = key_node.start_mark.line + 1
                    if not isinstance(key_node, ScalarNode):
                        raise StrictYamlError(self.name, line, path,
                                              "a key must be a plain value, not a list or mapping")
                    if key_node.tag == _MERGE_TAG:
                        raise StrictYamlError(self.name, line, path,
                                              "merge key << refused (merge keys are not accepted)")
                    key = self.construct_scalar_key(key_node)
                    child = f"{path}.{key}" if path else str(key)
                    if key in seen:
                        raise DuplicateKeyError(self.name, line, child, key, seen[key])
                    seen[key] = line
                    stack.append((value_node, child))

    def construct_scalar_key(self, node: ScalarNode) -> object:
        """The key as the constructor will build it (so `1` and `"1"` differ, `1` and `0x1` do not)."""
        key = self.construct_object(node)
        try:
            hash(key)
        except TypeError:  # pragma: no cover - scalars are hashable; kept for a custom tag
            raise StrictYamlError(self.name, node.start_mark.line + 1, "",
                                  "a key must be a plain value") from None
        return key


_CBase: Any = getattr(yaml, "CSafeLoader", None)


if _CBase is not None:
    class _StrictCLoader(_CBase):  # type: ignore[misc]
        """libyaml's parser and composer, then the strict checks on the composed tree."""

        construct_scalar_key = StrictLoader.construct_scalar_key
        _check_keys = StrictLoader._check_keys

        def construct_document(self, node: Node) -> Any:
            self._check_tree(node)
            self._check_keys(node)
            return super().construct_document(node)

        def _check_tree(self, root: Node) -> None:
            """Aliases (a node reached twice) and depth, walked iteratively."""
            seen: set[int] = set()
            stack: list[tuple[Node, int]] = [(root, 1)]
            while stack:
                node, depth = stack.pop()
                line = node.start_mark.line + 1 if node.start_mark else 0
                if id(node) in seen:
                    raise StrictYamlError(self.name, line, "",
                                          "alias refused (aliases are not accepted)")
                seen.add(id(node))
                if depth > MAX_DEPTH:
                    raise StrictYamlError(self.name, line, "",
                                          f"nested more than {MAX_DEPTH} levels deep")
                if isinstance(node, SequenceNode):
                    stack.extend((child, depth + 1) for child in node.value)
                elif isinstance(node, MappingNode):
                    for key_node, value_node in node.value:
                        stack.extend(((key_node, depth + 1), (value_node, depth + 1)))

    _CLoader: Any = _StrictCLoader
else:  # pragma: no cover
    _CLoader = None


StrictLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
if _CLoader is not None:
    _CLoader.yaml_implicit_resolvers = StrictLoader.yaml_implicit_resolvers


def load_text(text: str | bytes, source: str = "<text>") -> Any:
    """Parse one YAML document strictly; errors name `source` (a file name, or what was read)."""
    loader = StrictLoader(text)
    loader.name = source  # the marks and this module's errors name the file, not "<unicode string>"
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_path(path: Path) -> Any:
    """Read a UTF-8 YAML file strictly; errors name the file.

    Files (the knowledge base, value sets, indicator definitions: the operator's, never a request's)
    are parsed by libyaml when PyYAML has it, six times faster (issue 27: every CLI call and test
    loads 17 files), with the same refusals: the C composer resolves an alias to the node it names,
    so a node met twice in the tree is an alias; depth is checked on the tree. Case documents from
    users keep the pure-Python reader (`load_text`), which refuses aliases and depth while parsing.
    """
    text = path.read_text(encoding="utf-8")
    if _CLoader is None:  # pragma: no cover - PyYAML built without libyaml
        return load_text(text, str(path))
    loader = _CLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


class _Repeated(dict[str, Any]):
    """A JSON object in which `key` appeared twice (the hook cannot know its path; the walk can)."""

    key: str


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):  # no key repeated: the common case, in C
        return out
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            marked = _Repeated(pairs)
            marked.key = key
            return marked
        seen.add(key)
    return out  # pragma: no cover - lengths differ only when a key repeats


def json_duplicate_key(raw: str | bytes) -> tuple[str, str] | None:
    """(field path, key) of the first key repeated in one JSON object, or None.

    JSON parsers (orjson, the stdlib, Starlette) keep the last of two equal keys like PyYAML does;
    case documents arriving as JSON get the same refusal as YAML ones. Call it on text that
    already parsed (the caller reports syntax errors with its own parser).
    """
    repeated = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        out = _pairs(items)
        repeated = repeated or isinstance(out, _Repeated)
        return out

    tree = json.loads(raw, object_pairs_hook=pairs)
    if not repeated:  # the walk that names the path only when there is one to name
        return None
    stack: list[tuple[Any, str]] = [(tree, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _Repeated):
            return (f"{path}.{node.key}" if path else node.key), node.key
        if isinstance(node, dict):
            stack.extend((v, f"{path}.{k}" if path else k) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))
    return None
