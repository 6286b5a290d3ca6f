"""The bilingual text of every user-facing sentence: knowledge base, models and adapters share it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bonemet.base import Frozen as _Frozen

Lang = Literal["en", "fr"]


LANGS: tuple[Lang, ...] = ("en", "fr")


class Text(_Frozen):
    """A user-facing sentence in both languages; neither may be empty."""

    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)

    def __call__(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.fr

    def format(self, **values: object) -> Text:
        return Text(en=self.en.format(**values), fr=self.fr.format(**values))

