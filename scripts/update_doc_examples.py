"""Rewrite, in place, the outputs shown by the examples of README.md and docs/*.md.

    .venv/bin/python scripts/update_doc_examples.py            # every file
    .venv/bin/python scripts/update_doc_examples.py README.md  # some files

Runs every example as tests/test_doc_examples.py does (tests/doc_examples.py) and replaces each
output that differs; an abbreviated output (a `...` line) keeps as many head and tail lines as
before. Commands shown without output stay without output. Review the diff before committing: an
output that changed may be a clinical change (a rating, a text, the knowledge-base version).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from doc_examples import (  # noqa: E402
    DOCS,
    blocks,
    matches,
    rewritten,
    run_command,
    run_python,
    workdir,
)


def update(path: Path, cwd: Path) -> int:
    """Rewrite the outputs of one file; return how many changed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    edits: list[tuple[tuple[int, int], list[str]]] = []
    for block in blocks(path):
        if block.skip is not None:
            continue
        for command in block.commands:
            if not command.expected:
                continue
            _, actual = run_command(command, cwd)
            if not matches(command.expected, actual):
                edits.append((command.output_span, rewritten(command.expected, actual)))
        if block.lang == "python" and block.expected is not None:
            code, actual, stderr = run_python(block, cwd)
            if code != 0:
                print(f"{block.id}: the example raised, not rewritten:\n{stderr}", file=sys.stderr)
            elif not matches(block.expected, actual):
                edits.append((block.expected_span, rewritten(block.expected, actual)))
    for (start, end), new in sorted(edits, reverse=True):  # bottom first: spans stay valid
        lines[start:end] = new
    if edits:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(edits)} output(s) rewritten")
    return len(edits)


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or DOCS
    with tempfile.TemporaryDirectory() as tmp:
        cwd = workdir(Path(tmp))
        changed = sum(update(path, cwd) for path in paths)
    print(f"{changed} output(s) rewritten; review the diff (git diff -- README.md docs)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
