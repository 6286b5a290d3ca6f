"""The examples of README.md and docs/*.md as data: found, run and compared (or rewritten).

Two kinds of fenced block are examples:

- ```console: lines starting with `$ ` are shell commands (a trailing `\\` continues one); the lines
  after a command, up to the next `$ `, are its output (stdout and stderr together). A command shown
  without output must exit 0; one shown with output must print exactly that, except that a line
  holding only `...` stands for any number of lines (an abbreviation the reader sees).
- ```python: run as a script; it must not raise. When the block is followed directly by a ```text
  block, that block is its expected stdout (same `...` rule).

A block is not run when the line just before its fence is `<!-- doc-test: skip REASON -->`; the
reason is required (a server, the network, a long run). Everything runs in a private temporary
directory holding links to the repository's top-level entries, so files the examples write stay
there; `/tmp/` in a command is replaced by that directory. `.venv/bin/` and a bare `bonemet` mean
the virtualenv running the tests; COLUMNS is fixed and colour is off, so the output is stable.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COLUMNS = "100"
TIMEOUT = 120
SKIP = re.compile(r"^<!-- doc-test: skip(?P<reason>.*?)-->\s*$")
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")
ELLIPSIS = "..."
UPDATE_HINT = ("if the new output is right (review it: a changed output may be a clinical change), "
               "rewrite the docs with `.venv/bin/python scripts/update_doc_examples.py`")


@dataclass
class Command:
    text: str  # the command as shown, continuation lines joined with newlines
    expected: list[str]  # output lines as shown; [] = not shown
    line: int  # 1-based line of the `$ ` in the file
    output_span: tuple[int, int] = (0, 0)  # [start, end) of the output lines (0-based)


@dataclass
class Block:
    path: Path
    lang: str
    line: int  # 1-based line of the opening fence
    body: list[str]
    skip: str | None = None  # the reason, when skipped
    commands: list[Command] = field(default_factory=list)
    expected: list[str] | None = None  # python: the following ```text block
    expected_span: tuple[int, int] = (0, 0)

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Every console and python block of a Markdown file, with what it is expected to print."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match or not match["lang"]:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        skip = SKIP.match(lines[i - 1]) if i else None
        block = Block(path, match["lang"], i + 1, lines[i + 1:end],
                      skip=skip["reason"].strip() if skip else None)
        if block.lang == "console":
            block.commands = _commands(block.body, i + 1)
        if block.lang == "python":
            nxt = end + 1
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            if nxt < len(lines) and lines[nxt].rstrip() == "```text":
                close = nxt + 1
                while close < len(lines) and lines[close].rstrip() != "```":
                    close += 1
                block.expected = lines[nxt + 1:close]
                block.expected_span = (nxt + 1, close)
        if block.lang in ("console", "python"):
            found.append(block)
        i = end + 1
    return found


def _commands(body: list[str], offset: int) -> list[Command]:
    out: list[Command] = []
    i = 0
    while i < len(body):
        if not body[i].startswith("$ "):
            i += 1
            continue
        start = i
        text = [body[i][2:]]
        while text[-1].rstrip().endswith("\\") and i + 1 < len(body):
            i += 1
            text.append(body[i])
        j = i + 1
        while j < len(body) and not body[j].startswith("$ "):
            j += 1
        out.append(Command("\n".join(text), body[i + 1:j], offset + start + 1,
                           (offset + i + 1, offset + j)))
        i = j
    return out


def environment(workdir: Path) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    return {"PATH": f"{venv_bin}:/usr/bin:/bin", "COLUMNS": COLUMNS, "NO_COLOR": "1",
            "TERM": "dumb", "LANG": "C.UTF-8", "HOME": str(workdir), "PYTHONHASHSEED": "0",
            "TZ": "UTC"}


def workdir(base: Path) -> Path:
    """A directory that looks like the repository but keeps what the examples write."""
    base.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.name not in (".git", ".venv") and not (base / entry.name).exists():
            (base / entry.name).symlink_to(entry)
    if not (base / ".venv").exists():  # the virtualenv running the tests, whichever it is
        (base / ".venv").symlink_to(Path(sys.prefix))
    (base / "tmp").mkdir(exist_ok=True)
    return base


def run_command(command: Command, cwd: Path) -> tuple[int, list[str]]:
    script = command.text.replace("/tmp/", f"{cwd / 'tmp'}/")
    result = subprocess.run(["bash", "-c", script], cwd=cwd, env=environment(cwd),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=TIMEOUT)
    return result.returncode, normalise(result.stdout.splitlines())


def run_python(block: Block, cwd: Path) -> tuple[int, list[str], str]:
    result = subprocess.run([sys.executable, "-c", "\n".join(block.body)], cwd=cwd,
                            env=environment(cwd), capture_output=True, text=True, timeout=TIMEOUT)
    return result.returncode, normalise(result.stdout.splitlines()), result.stderr


def normalise(lines: list[str]) -> list[str]:
    out = [line.rstrip() for line in lines]
    while out and not out[-1]:
        out.pop()
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line-by-line equality, a `...` line matching any number of lines."""
    pattern = "".join(
        r"(?:.*\n)*?" if line.strip() == ELLIPSIS else re.escape(line) + r"\n"
        for line in normalise(expected))
    return re.fullmatch(pattern, "".join(f"{line}\n" for line in actual)) is not None


def rewritten(expected: list[str], actual: list[str]) -> list[str]:
    """The new output to show: all of it, or the same excerpt windows as the old abbreviation.

    Shown lines between `...` lines form windows. A leading window is re-taken from the start of
    the new output, a trailing one from its end, a middle one from the line where it started (its
    first line, found in order), each with as many lines as before. A middle window whose first
    line is gone makes the whole output shown: the reviewer trims it again.
    """
    expected = normalise(expected)
    items: list[str | list[str]] = []  # a `...` line, or a window of shown lines
    for line in expected:
        if line.strip() == ELLIPSIS:
            items.append(line)
        elif items and isinstance(items[-1], list):
            items[-1].append(line)
        else:
            items.append([line])
    if not any(isinstance(item, str) for item in items):
        return actual
    out: list[str] = []
    position = 0
    for index, item in enumerate(items):
        if isinstance(item, str):
            out.append(item)
            continue
        if index == 0:
            found = 0
        elif index == len(items) - 1:
            found = max(position, len(actual) - len(item))
        else:
            found = next((i for i in range(position, len(actual)) if actual[i] == item[0]), -1)
            if found < 0:
                return actual
        out.extend(actual[found:found + len(item)])
        position = found + len(item)
    return out


def all_blocks() -> list[Block]:
    return [b for path in DOCS for b in blocks(path)]
