"""The layers of ARCHITECTURE.md, enforced: no import goes up, none goes sideways unless declared,
no cycle between modules, no module over 600 lines.

Read from the source with the standard library's `ast` (every `import`, at module level or inside a
function, relative imports resolved), so a late import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "bonemet"

# Bottom to top. A module belongs to the longest unit naming it; a unit may import its own layer's
# units only when SIDEWAYS says so, and any unit of a lower layer.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("bonemet._version", "bonemet.base", "bonemet.errors", "bonemet.demo")),
    ("knowledge and models", ("bonemet.kb", "bonemet.model")),
    ("core", ("bonemet.core", "bonemet.scores")),
    ("formats", ("bonemet.fhir", "bonemet.report")),
    ("python api", ("bonemet.api", "bonemet.workload")),
    ("stores", ("bonemet.stores",)),
    ("access", ("bonemet.access",)),
    ("adapters", ("bonemet.service", "bonemet.web", "bonemet.audit")),
    ("http application", ("bonemet.http",)),
    ("command line", ("bonemet.cli", "bonemet", "bonemet.__main__")),
]
SIDEWAYS = {
    ("bonemet.errors", "bonemet.base"): "problems_from places the fields a model check names "
                                        "(base/fields.py, issue 21)",
    ("bonemet.core", "bonemet.scores"): "the advisor computes the case's tumour-board scores",
    ("bonemet.__main__", "bonemet.cli"): "`python -m bonemet` runs the command line",
}
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def imports_of(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported bonemet module, line) for every import in the file, however deep in a function."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from bonemet.cli import render` imports the module bonemet.cli.render
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target not in MODULES and "." in target:
                target = target.rpartition(".")[0]
            if target in MODULES and target != module:
                yield target, node.lineno


def unit_of(module: str) -> tuple[int, str]:
    best: tuple[int, str] | None = None
    for rank, (_, units) in enumerate(LAYERS):
        for unit in units:
            if (module == unit or module.startswith(unit + ".")) and (
                    best is None or len(unit) > len(best[1])):
                best = (rank, unit)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS and to ARCHITECTURE.md")
    return best


def layer_violations(edges: dict[str, list[tuple[str, int]]]) -> list[str]:
    out = []
    for module, targets in sorted(edges.items()):
        rank, unit = unit_of(module)
        for target, line in targets:
            t_rank, t_unit = unit_of(target)
            if t_unit == unit or t_rank < rank or (t_rank == rank and (unit, t_unit) in SIDEWAYS):
                continue
            way = "up" if t_rank > rank else "sideways"
            out.append(f"{MODULES[module].relative_to(SRC.parent)}:{line}: {module} imports {target} "
                       f"({way}: {LAYERS[rank][0]} -> {LAYERS[t_rank][0]})")
    return out


def cycles(edges: dict[str, list[tuple[str, int]]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph = {m: sorted({t for t, _ in ts}) for m, ts in edges.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            children = graph.get(node, [])
            if i < len(children):
                work.append((node, i + 1))
                child = children[i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            for child in children:
                if child in on_stack:
                    low[node] = min(low[node], low[child])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


@pytest.fixture(scope="module")
def edges() -> dict[str, list[tuple[str, int]]]:
    return {m: list(imports_of(m, p)) for m, p in MODULES.items()}


def test_every_module_sits_in_a_layer() -> None:
    for module in MODULES:
        unit_of(module)


def test_no_import_goes_up_or_sideways(edges: dict[str, list[tuple[str, int]]]) -> None:
    problems = layer_violations(edges)
    assert not problems, "imports against the layers (ARCHITECTURE.md):\n" + "\n".join(problems)


def test_no_import_cycle_between_modules(edges: dict[str, list[tuple[str, int]]]) -> None:
    found = cycles(edges)
    assert not found, f"import cycles: {found}"


def test_kb_and_model_are_peers(edges: dict[str, list[tuple[str, int]]]) -> None:
    crossing = [(m, t) for m, ts in edges.items() for t, _ in ts
                if {unit_of(m)[1], unit_of(t)[1]} == {"bonemet.kb", "bonemet.model"}]
    assert not crossing


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_over_600_lines(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module}: {lines} lines; split it by concept (ARCHITECTURE.md)"


def test_architecture_md_names_every_layer_unit() -> None:
    doc = (SRC.parents[1] / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for _, units in LAYERS:
        for unit in units:
            short = unit.removeprefix("bonemet.").replace(".", "/") if unit != "bonemet" else "bonemet"
            assert short in doc, f"ARCHITECTURE.md does not place {unit}"


# The checker itself, on small graphs: each rule must be able to fail.
def test_checker_reports_an_upward_import() -> None:
    found = layer_violations({"bonemet.kb.loader": [("bonemet.core.advisor", 3)]})
    assert len(found) == 1 and "up: knowledge and models -> core" in found[0]


def test_checker_reports_an_undeclared_sideways_import() -> None:
    assert layer_violations({"bonemet.kb.loader": [("bonemet.model.case", 3)]})
    assert not layer_violations({"bonemet.core.advisor": [("bonemet.scores.from_case", 3)]})


def test_checker_finds_a_cycle() -> None:
    graph = {"a": [("b", 1)], "b": [("c", 1)], "c": [("a", 1)], "d": [("a", 1)]}
    assert cycles(graph) == [["a", "b", "c"]]
