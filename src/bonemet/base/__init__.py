"""The base of every bonemet data model: immutable, and strict about unknown fields.

Frozen because a case, a knowledge-base item or an assessment is a value that no code path may alter
after validation; `extra="forbid"` so that a misspelt field is an error naming it, never ignored.
"""

from __future__ import annotations

import datetime as dt
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
