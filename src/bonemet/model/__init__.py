"""Case (input) and assessment (output) models, and their published JSON Schemas."""

from bonemet.model.assessment import (
    ASSESSMENT_SCHEMA_VERSION,
    Action,
    Assessment,
    Fact,
    MissingData,
    ModalityRating,
    RatedModality,
    Rating,
    Recommendation,
)
from bonemet.model.case import CASE_SCHEMA_VERSION, Case

__all__ = [
    "ASSESSMENT_SCHEMA_VERSION",
    "CASE_SCHEMA_VERSION",
    "Action",
    "Assessment",
    "Case",
    "Fact",
    "MissingData",
    "ModalityRating",
    "RatedModality",
    "Rating",
    "Recommendation",
]
