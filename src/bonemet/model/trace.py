"""What every output section uses to say where it read a fact and what it lacked."""

from __future__ import annotations

from bonemet.base import Frozen as _Frozen
from bonemet.base.text import Text


class Fact(_Frozen):
    """A fact of the case that a rule used: a path into the case and the value found there."""

    path: str
    value: str | int | float | bool | None


class MissingData(_Frozen):
    field: str
    reason: Text
    rule_id: str | None = None
