"""Names shared by the FHIR reader and writers: bonemet extensions, identifier systems, local vocabularies.

Every URL hangs from `valuesets.yaml` `canonical_base`; docs/fhir.md lists them with their meaning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from typing import Any

# Extensions (StructureDefinition/<name>) for what FHIR R4 has no element for.
EXT_PURPOSE = "exam-purpose"  # valueCode (Purpose)
EXT_PET_COVERAGE = "pet-axial-coverage"  # valueCode (PetCoverage)
EXT_FEMURS = "femurs-included"  # valueBoolean
EXT_HOT_SPOTS = "hot-spot-count"  # valueInteger
EXT_CHANGE = "change-vs-previous"  # valueCode (Change)
EXT_ISOLATED = "isolated-lesion"  # valueBoolean
EXT_TARGET_SITE = "target-site"  # valueCodeableConcept (body site); DiagnosticReport only
EXT_SIDE = "lesion-side"  # valueCode (Side)
EXT_LEVEL = "lesion-level"  # valueString ("T8")
EXT_IRRADIATED = "lesion-irradiated"  # valueBoolean
EXT_SUSPICIOUS = "lesion-suspicious"  # valueBoolean
EXT_TREATMENT_TYPE = "treatment-type"  # valueCode (TreatmentType)
EXT_LINE = "line-number"  # valuePositiveInt
PROFILE_CONTEXT = "assessment-context"  # Parameters profile carrying the clinical context
EXT_RULE = "rule-id"  # valueId, on RequestGroup.action
EXT_STATEMENT = "statement-id"  # valueString (repeats), on RequestGroup.action
EXT_RATING = "appropriateness-rating"  # valueCoding (Rating), on RequestGroup.action
EXT_INTERPRETATION = "project-interpretation"  # valueBoolean, on RequestGroup.action

# Identifier systems (NamingSystem/<name>): keep the case's own ids through a round trip.
ID_CASE = "case-id"
ID_EXAM = "exam-id"
ID_TREATMENT = "treatment-id"
ID_PATIENT_LABEL = "patient-label"

# Local code systems (CodeSystem/<name>) for the case vocabularies; codes are the enum values.
CS_CONCEPT = "concept"  # bonemet observation kinds below
CONCEPT_BONE_LESION = "bone-lesion"
CONCEPT_DRIVER = "driver-alteration"
CONCEPT_GENE = "driver-gene"
CONCEPT_DETAIL = "driver-detail"
CONCEPT_ECOG = "ecog"
CONCEPT_CLINICAL_STATUS = "clinical-status"
CONCEPT_BONE_PAIN = "bone-pain"
CONCEPT_NEURO_DEFICIT = "neurological-deficit"  # context.neurological_deficit (valueBoolean)
# Issue 24: plan inputs written as resources (their standard code first, this local one second).
CONCEPT_BODY_WEIGHT = "body-weight"  # plan_inputs.weight_kg (Observation, kg)
CONCEPT_CLEARANCE = "creatinine-clearance"  # plan_inputs.creatinine_clearance_ml_min (mL/min)
CONCEPT_ONJ = "osteonecrosis-jaw"  # plan_inputs.osteonecrosis_jaw (Condition)
CONCEPT_DENTAL = "dental-evaluation"  # plan_inputs.dental_date (Procedure or Encounter)

TRANSLATION_EXT = "http://hl7.org/fhir/StructureDefinition/translation"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
DICOM_DCM = "http://dicom.nema.org/resources/ontology/DCM"

_UUID_NAMESPACE = uuid.UUID("5b0f2a57-3c4e-4d8e-9a57-2f1c8e0b6d21")  # bonemet's, fixed forever


def fhir_id(*parts: str) -> str:
    """A deterministic FHIR id ([A-Za-z0-9.-]{1,64}) from readable parts; long ids end in a hash."""
    raw = "-".join(parts)
    slug = re.sub(r"[^A-Za-z0-9.\-]+", "-", raw).strip("-") or "x"
    if len(slug) <= 64:
        return slug
    digest = hashlib.sha1(raw.encode()).hexdigest()[:12]
    return f"{slug[:51]}-{digest}"


def full_url(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_UUID_NAMESPACE, '/'.join(parts))}"


_PARTIAL_DATE = re.compile(r"\d{4}(-\d{2})?")


def parse_date(value: Any) -> tuple[dt.date | None, str | None]:
    """A FHIR date/dateTime/instant → its calendar date as written (no time-zone shift).

    Returns (date, None) or (None, reason). Partial dates (YYYY, YYYY-MM) are refused: the rules
    count days, and bonemet does not guess the missing part.
    """
    if not isinstance(value, str) or not value:
        return None, "missing"
    if len(value) in (4, 7) and _PARTIAL_DATE.fullmatch(value):  # only these lengths can match
        return None, f"partial date {value!r} (a full date YYYY-MM-DD is needed)"
    try:
        return dt.date.fromisoformat(value[:10]), None
    except ValueError:
        return None, f"not a FHIR date: {value!r}"
