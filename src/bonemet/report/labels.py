"""Interface words (web app, MDT summary) in English and French, read from labels.yaml.

Refused whole at load time when an entry lacks a language, like the knowledge base: a page must never
show half a translation.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from bonemet.base.text import Text
from bonemet.errors import LabelsError


class Labels:
    def __init__(self, ui: dict[str, Text], enums: dict[str, dict[str, Text]]) -> None:
        self.ui = ui
        self.enums = enums

    def __call__(self, key: str, lang: str) -> str:
        try:
            return self.ui[key](lang)  # type: ignore[arg-type]
        except KeyError:
            raise KeyError(f"no interface label {key!r}") from None

    def enum(self, kind: str, value: Any, lang: str) -> str:
        """The label of a vocabulary value; the code itself when there is none (never fails)."""
        if value is None:
            return ""
        code = value.value if isinstance(value, Enum) else str(value)
        text = self.enums.get(kind, {}).get(code)
        return text(lang) if text is not None else code  # type: ignore[arg-type]


def _text(where: str, raw: Any, problems: list[str]) -> Text | None:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) and raw[k] for k in ("en", "fr")):
        problems.append(f"{where}: needs non-empty 'en' and 'fr'")
        return None
    return Text(en=raw["en"], fr=raw["fr"])


def parse_labels(data: Any) -> Labels:
    problems: list[str] = []
    ui: dict[str, Text] = {}
    enums: dict[str, dict[str, Text]] = {}
    for key, raw in (data.get("ui") or {}).items():
        text = _text(f"ui.{key}", raw, problems)
        if text is not None:
            ui[str(key)] = text
    for kind, values in (data.get("enums") or {}).items():
        enums[kind] = {}
        for code, raw in values.items():
            text = _text(f"enums.{kind}.{code}", raw, problems)
            if text is not None:
                enums[kind][str(code)] = text
    if problems:
        raise LabelsError(problems)
    return Labels(ui, enums)


@lru_cache(maxsize=1)
def labels() -> Labels:
    raw = (resources.files("bonemet.report") / "labels.yaml").read_text(encoding="utf-8")
    return parse_labels(yaml.safe_load(raw))
