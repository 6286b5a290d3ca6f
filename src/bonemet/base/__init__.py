"""The base of every bonemet data model: immutable, and strict about unknown fields.

Frozen because a case, a knowledge-base item or an assessment is a value that no code path may alter
after validation; `extra="forbid"` so that a misspelt field is an error naming it, never ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _bounded(value: dt.date) -> dt.date:
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValueError(f"date {value.isoformat()} is outside {DATE_MIN.isoformat()} .. "
                         f"{DATE_MAX.isoformat()}")
    return value


# Dates of a patient's history: bounded so that date arithmetic (months added to a treatment
# start, a timeline's axis) can never overflow on a typo such as 0001-01-01 or 9999-12-31.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2199, 12, 31)
CaseDate = Annotated[dt.date, AfterValidator(_bounded)]


# ---- French typography and dates/numbers per language (pure: Babel's CLDR data, no clock, no I/O
# of the case). English keeps ISO dates (unambiguous, as in JSON); French reads 27/11/2026 and 0,3.
_BEFORE_PUNCT = re.compile(r"[ \u00a0\u202f]+([:;?!])(?=\s|$|[)»\"'])")
_GLUED_PUNCT = re.compile(r"(?:(?<=[^\W_])|(?<=[)»]))([:;?!])(?=\s|$)")
_GUILLEMETS_OPEN = re.compile(r"«[ \u00a0\u202f]*")
# An HTML character reference (review 25 F5: "&lt; 24 h" read as "&lt ; 24 h", shown "< ; 24 h")
_ENTITY = re.compile(r"(&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});)")
_GUILLEMETS_CLOSE = re.compile(r"[ \u00a0\u202f]*»")


# Cached (issue 27): the same few hundred sentences are typeset on every assessment; the functions
# are pure, so a cache changes the cost, never the text.
@lru_cache(maxsize=16384)
def french_typography(text: str) -> str:
    """A non-breaking space before « : ; ? ! » and inside « guillemets », as French typography
    wants; nothing else changes."""
    if not any(p in text for p in ":;?!«»"):
        return text
    if "&" in text and _ENTITY.search(text):  # "&lt;" is a character, its ";" no punctuation
        parts = _ENTITY.split(text)
        return "".join(p if i % 2 else french_typography(p) for i, p in enumerate(parts))
    text = _GUILLEMETS_OPEN.sub("«\u00a0", _GUILLEMETS_CLOSE.sub("\u00a0»", text))
    return _GLUED_PUNCT.sub("\u00a0\\1", _BEFORE_PUNCT.sub("\u00a0\\1", text))


@lru_cache(maxsize=8192)
def format_day(value: dt.date, lang: str) -> str:
    """27/11/2026 in French, 2026-11-27 in English."""
    if lang != "fr":
        return value.isoformat()
    from babel.dates import format_date

    return str(format_date(value, "dd/MM/yyyy", locale="fr"))


@lru_cache(maxsize=8192)
def format_number(value: float, lang: str, pattern: str = "#,##0.##") -> str:
    """0,3 in French, 0.3 in English (Babel's CLDR symbols: decimal comma, grouping space)."""
    from babel.numbers import format_decimal

    return str(format_decimal(value, pattern, locale="fr" if lang == "fr" else "en"))
