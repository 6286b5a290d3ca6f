"""FHIR R4 in and out: a Bundle (or CDS Hooks prefetch) → a case, a case → a Bundle, an assessment →
a GuidanceResponse, problems → an OperationOutcome. Pure functions, dicts in and dicts out.

    from bonemet.fhir import case_from_fhir, case_to_bundle, assessment_to_guidance
    result = case_from_fhir(bundle, context={"phase": "staging", "as_of": "2025-03-05"})
    result.case, result.unmapped        # the Case, and what could not be mapped (never dropped silently)
    result.scope                        # "lung" only for a diagnosed lung primary (issue 14)

The codes live in `valuesets.yaml` (versioned, with a `verified_by` source per code); docs/fhir.md.
"""

from __future__ import annotations

from bonemet.fhir.from_case import case_to_bundle, modality_codeable
from bonemet.fhir.guidance import assessment_to_guidance, operation_outcome
from bonemet.fhir.read_observations import observation_search_codes
from bonemet.fhir.to_case import (
    SCOPES,
    ImagingReading,
    MappingContext,
    MappingResult,
    MappingScope,
    Unmapped,
    case_from_fhir,
    imaging_modality,
    imaging_reading,
)
from bonemet.fhir.valuesets import ValueSets, default_valuesets

__all__ = [
    "SCOPES",
    "ImagingReading",
    "MappingContext",
    "MappingResult",
    "MappingScope",
    "Unmapped",
    "ValueSets",
    "assessment_to_guidance",
    "case_from_fhir",
    "case_to_bundle",
    "default_valuesets",
    "imaging_modality",
    "imaging_reading",
    "is_bundle",
    "modality_codeable",
    "observation_search_codes",
    "operation_outcome",
]


def is_bundle(document: object) -> bool:
    """True for a decoded FHIR Bundle (what the CLI and the HTTP API use to tell FHIR from a case)."""
    return isinstance(document, dict) and document.get("resourceType") == "Bundle"
