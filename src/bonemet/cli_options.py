"""Options shared by every `bonemet` command, so that --format and --lang mean the same everywhere."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from bonemet.kb.models import Lang


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
