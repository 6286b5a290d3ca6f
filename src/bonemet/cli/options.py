"""What every `bonemet` command shares: the --format/--lang options, stdout/stderr writing, and the
one mapping of `bonemet.errors` to the terminal (`fail`: one line per problem, exit code 2)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from bonemet.base.text import Lang
from bonemet.errors import BonemetError, OptionError


class Format(StrEnum):
    text = "text"
    json = "json"


class LangOpt(StrEnum):
    en = "en"
    fr = "fr"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="text or json")]
LangOption = Annotated[LangOpt, typer.Option("--lang", "-l", help="en or fr")]


def as_lang(lang: LangOpt) -> Lang:
    """Narrow the CLI enum to the core's literal language type."""
    return "fr" if lang is LangOpt.fr else "en"


def error_console() -> Console:
    """Console for messages on stderr: soft-wrapped, so that a message piped to a file or read by
    a test is one line however long (a long path once wrapped "not a directory" over two lines)."""
    return Console(stderr=True, soft_wrap=True, highlight=False)


_err = error_console()


def error(head: str, lines: list[str] | tuple[str, ...] = ()) -> None:
    """`error: head` then one line per problem; user text is never read as Rich markup."""
    _err.print(Text.assemble(("error", "bold red"), f": {head}"))
    for line in lines:
        _err.print(Text(f"  - {line}"))


def fail(exc: BonemetError | KeyError) -> NoReturn:
    """Print every problem and exit 2: the one convention for a refusal across bonemet.

    `error: <headline>` then `  - <problem>` per problem; an error without a headline (an option
    value, a setting) puts its single problem on the first line: `error: --pretest: not a number`.
    """
    if isinstance(exc, KeyError):  # a lookup by id (kb rule NM-99): its message names what is known
        exc = OptionError([str(exc.args[0])])
    problems = [str(p) for p in exc.problems]
    if exc.headline or not problems:
        error(exc.headline or str(exc), problems)
    else:
        error(problems[0], problems[1:])
    raise typer.Exit(2)


def write(data: bytes) -> None:
    sys.stdout.buffer.write(data + b"\n")
    sys.stdout.flush()


def file_errors(command: Callable[..., None]) -> Callable[..., None]:
    """A file that cannot be written or read (permissions, a directory, a full disk) is bad input
    like any other: one line naming it, exit 2, no traceback."""

    @functools.wraps(command)
    def guarded(*args: object, **kwargs: object) -> None:
        try:
            command(*args, **kwargs)
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            fail(OptionError([f"cannot use{where}: {exc.strerror or exc}"]))

    return guarded
