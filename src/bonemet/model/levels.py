"""Vertebral levels as clinicians write them: 'T8', 'T7-T9', 'T7 à T9', 'T4, T6', 'L5-S1', and the
French dorsal 'D8' (= T8). Used to tell whether a surgery or a radiotherapy course recorded with
its levels concerns a given lesion (issue 23, review N1): a level that cannot be read is None, and
the caller then says so rather than guessing.
"""

from __future__ import annotations

import re

ORDER: tuple[str, ...] = (
    *(f"C{i}" for i in range(1, 8)), *(f"T{i}" for i in range(1, 13)),
    *(f"L{i}" for i in range(1, 6)), *(f"S{i}" for i in range(1, 6)))
_INDEX = {level: i for i, level in enumerate(ORDER)}
# A level: region letter (Th and D are thoracic) then its number; a range joins two with a dash,
# "à"/"a" (French) or "to".
_LEVEL = r"(?:TH|[CTDLS])\s*(\d{1,2})"
_PATTERN = re.compile(rf"\b({_LEVEL})(?:\s*(?:-|–|—|\bà\b|\ba\b|\bto\b)\s*({_LEVEL}))?\b",
                      re.IGNORECASE)


def _one(text: str) -> str | None:
    m = re.fullmatch(_LEVEL, text.strip(), re.IGNORECASE)
    if m is None:
        return None
    region = text.strip()[0].upper()
    level = f"{'T' if region == 'D' else region}{int(m.group(1))}"
    return level if level in _INDEX else None


def spinal_levels(text: str | None) -> frozenset[str] | None:
    """The levels a text names, ranges expanded; None when it names no valid level."""
    if not text:
        return None
    found: set[str] = set()
    for m in _PATTERN.finditer(text):
        first = _one(m.group(1))
        if first is None:
            return None  # "T13": a typo, not a level to match on
        if m.group(3) is None:
            found.add(first)
            continue
        last = _one(m.group(3))
        if last is None:
            return None
        lo, hi = sorted((_INDEX[first], _INDEX[last]))
        found.update(ORDER[lo:hi + 1])
    return frozenset(found) or None
