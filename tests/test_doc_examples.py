"""The examples of README.md and docs/*.md run and print what the docs show (tests/doc_examples.py).

A failure names the file and line of the example and shows the expected and actual output; if the
new output is right, `.venv/bin/python scripts/update_doc_examples.py` rewrites the docs (review the
diff: an output that changed may be a clinical change).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from doc_examples import (
    UPDATE_HINT,
    Block,
    all_blocks,
    matches,
    rewritten,
    run_command,
    run_python,
    workdir,
)

BLOCKS = all_blocks()
RUN = [b for b in BLOCKS if b.skip is None]


@pytest.fixture(scope="module")
def cwd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return workdir(tmp_path_factory.mktemp("docs"))


def _diff(expected: list[str], actual: list[str]) -> str:
    return "\n".join(["--- shown in the docs", *expected, "--- printed now", *actual])


@pytest.mark.parametrize("block", [b for b in RUN if b.lang == "console"], ids=lambda b: b.id)
def test_console_example(block: Block, cwd: Path) -> None:
    assert block.commands, f"{block.id}: a console block without a `$ ` command"
    for command in block.commands:
        code, actual = run_command(command, cwd)
        where = f"{block.path.name}:{command.line} `$ {command.text}`"
        if not command.expected:
            assert code == 0, f"{where} exited {code}:\n" + "\n".join(actual)
            continue
        assert matches(command.expected, actual), (
            f"{where}: output differs; {UPDATE_HINT}\n{_diff(command.expected, actual)}")


@pytest.mark.parametrize("block", [b for b in RUN if b.lang == "python"], ids=lambda b: b.id)
def test_python_example(block: Block, cwd: Path) -> None:
    code, actual, stderr = run_python(block, cwd)
    assert code == 0, f"{block.id} raised:\n{stderr[-2000:]}"
    if block.expected is not None:
        assert matches(block.expected, actual), (
            f"{block.id}: output differs; {UPDATE_HINT}\n{_diff(block.expected, actual)}")


def test_skipped_blocks_give_their_reason() -> None:
    skipped = [b for b in BLOCKS if b.skip is not None]
    assert all(b.skip for b in skipped), [b.id for b in skipped if not b.skip]
    # Used sparingly: a server, the network or a long run only.
    assert len(skipped) <= 4, [b.id for b in skipped]


def test_the_readme_and_the_knowledge_base_doc_are_covered() -> None:
    names = {b.path.name for b in RUN}
    assert {"README.md", "knowledge-base.md", "scores.md"} <= names
    assert sum(len(b.commands) for b in RUN) >= 20


@pytest.mark.parametrize(("expected", "actual", "ok"), [
    (["a", "b"], ["a", "b"], True),
    (["a", "b  "], ["a", "b"], True),  # trailing spaces do not count
    (["a", "..."], ["a", "b", "c"], True),
    (["a", "...", "c"], ["a", "c"], True),  # zero lines
    (["a", "...", "c"], ["a", "b", "d"], False),
    (["a"], ["a", "b"], False),  # nothing is abbreviated without `...`
    (["x"], ["a"], False),
])
def test_matching_rule(expected: list[str], actual: list[str], ok: bool) -> None:
    assert matches(expected, actual) is ok


def test_rewrite_keeps_the_abbreviation() -> None:
    actual = ["h1", "h2", "m1", "m2", "t1"]
    assert rewritten(["old1", "  ...", "old2"], actual) == ["h1", "  ...", "t1"]
    assert rewritten(["old"], actual) == actual
    assert rewritten([], actual) == actual  # an empty ```text block gets the whole output
    assert rewritten(["...", "m1"], actual) == ["...", "t1"]  # a trailing window: the end
