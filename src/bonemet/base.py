"""The base of every bonemet data model: immutable, and strict about unknown fields.

Frozen because a case, a knowledge-base item or an assessment is a value that no code path may alter
after validation; `extra="forbid"` so that a misspelt field is an error naming it, never ignored.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
