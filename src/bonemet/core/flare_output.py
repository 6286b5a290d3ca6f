"""What the flare reader returns: one reading per exam, the recommendations it emits, the data it
asks for. Shared by the bone-scan reader (`flare.py`) and the CT reader (`flare_ct.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from bonemet.base.text import Text
from bonemet.model.assessment import Action
from bonemet.model.followup import FollowUpSection, ScanReading


@dataclass(frozen=True, slots=True)
class Emission:
    """A recommendation the rules module turns into a `Recommendation` (same text as the advice)."""

    scan_id: str
    rule_id: str
    action: Action
    text: Text
    interpretation: bool = False
    rate_targeted_mri: bool = False


@dataclass(frozen=True, slots=True)
class FollowUpResult:
    section: FollowUpSection | None
    emissions: tuple[Emission, ...]
    missing: tuple[tuple[str, str, Text], ...]  # (rule id, field, reason)


@dataclass(frozen=True, slots=True)
class _Reading:
    reading: ScanReading
    emissions: tuple[Emission, ...]
    missing: tuple[tuple[str, str, Text], ...]
