"""Options shared by every `bonemet` command, so that --format and --lang mean the same everywhere."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from bonemet.base.text import Lang


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
