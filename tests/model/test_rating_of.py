"""`Assessment.rating_of` takes the exam as the enum or as its JSON value (README example)."""

from __future__ import annotations

from pathlib import Path

import pytest

import bonemet
from bonemet.model.assessment import RatedModality

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "11-response-early.yaml"


@pytest.mark.parametrize("modality", ["bone_scan", RatedModality.bone_scan])
def test_rating_of_accepts_the_value_or_the_enum(modality: RatedModality | str) -> None:
    # Before: "bone_scan" never matched the enum by identity and next() raised StopIteration.
    assessment = bonemet.assess(bonemet.load_case(EXAMPLE))
    rating = assessment.rating_of(modality)
    assert rating.modality is RatedModality.bone_scan
    assert rating.reason.fr and rating.rule_id


def test_rating_of_names_what_is_wrong() -> None:
    assessment = bonemet.assess(bonemet.load_case(EXAMPLE))
    with pytest.raises(ValueError, match="'pet_mri'"):
        assessment.rating_of("pet_mri")
    trimmed = assessment.model_copy(update={"ratings": ()})
    with pytest.raises(KeyError, match="bone_scan is not rated"):
        trimmed.rating_of("bone_scan")
