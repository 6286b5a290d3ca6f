"""The bilingual text of every user-facing sentence: knowledge base, models and adapters share it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bonemet.base import Frozen as _Frozen
from bonemet.base import french_typography

Lang = Literal["en", "fr"]


LANGS: tuple[Lang, ...] = ("en", "fr")


class Text(_Frozen):
    """A user-facing sentence in both languages; neither may be empty."""

    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)

    @field_validator("fr")
    @classmethod
    def _french_typography(cls, value: str) -> str:
        # Every French sentence, from the KB, the catalogue or built by the core, gets its
        # non-breaking space before « : ; ? ! » here, once, rather than in each template.
        return french_typography(value)

    def __call__(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.fr

    def format(self, **values: object) -> Text:
        """Fill both templates; a bilingual value (a date, a name) gives each language its own form."""
        if not values and _no_field(self.en) and _no_field(self.fr) and \
                french_typography(self.fr) == self.fr:
            # Nothing to fill (issue 27: ~4 of the ~10 messages of an assessment): formatting would
            # give the same sentence back, so it is returned as is instead of validated again.
            return self
        en = {k: v.en if isinstance(v, Text) else v for k, v in values.items()}
        fr = {k: v.fr if isinstance(v, Text) else v for k, v in values.items()}
        return Text(en=self.en.format(**en), fr=self.fr.format(**fr))


def _no_field(template: str) -> bool:
    """`template.format()` is `template` itself: no replacement field, no escaped brace."""
    return "{" not in template and "}" not in template
