"""Issue 26, mCODE out: what `case_to_bundle` adds so that its resources are HL7 mCODE STU4 profiles
(npm hl7.fhir.us.mcode 4.0.0, CC0; validated in tests/fhir/test_mcode_export.py, docs/fhir.md).

Each resource keeps bonemet's own codings and extensions (the round trip case → Bundle → case stays
exact); this module adds the profile (`meta.profile`), the elements the profile requires, and the
must-support elements the case has data for:

| case | resource | profile |
|---|---|---|
| patient | Patient | mcode-cancer-patient (US Core Patient: name and gender absent → data-absent-reason) |
| cancer (primary) | Condition | mcode-primary-cancer-condition (category, lung site, histology) |
| bone metastases known | Condition | mcode-secondary-cancer-condition (lesion sites, related primary) |
| systemic and bone-targeted lines | MedicationRequest | mcode-cancer-related-medication-request |
| radiotherapy | Procedure | mcode-radiotherapy-course-summary |
| clinical course | Observation | mcode-cancer-disease-status (its ECOG component stays for the reader) |
| ECOG | Observation | mcode-ecog-performance-status (one more Observation, same day) |
| TNM, Karnofsky, cancer surgery, plan ECOG | (write_oncology.py, review 26 F11) | |
| bone surgery | Procedure | mcode-cancer-related-surgical-procedure (review 26 F11) |
| driver alteration | Observation | mcode-genomic-variant |
| CEA, CYFRA 21-1 | Observation | mcode-tumor-marker-test |
| other labs, clearance | Observation | US Core Laboratory Result (us-core-observation-lab, 6.1.0) |
| weight | Observation | FHIR R4 core body weight (vital signs) |

Every code written here is copied from the mCODE package (its StructureDefinitions' patterns, or the
example resource named beside it); none comes from memory. A code with no such source is not written:
the text stays (histologies other than adenocarcinoma, genes other than ALK, BRAF and MET).
"""

from __future__ import annotations

from typing import Any

from bonemet.fhir.valuesets import ValueSets
from bonemet.model.case import Case, ClinicalStatus, DriverAlteration, LabResult, Treatment
from bonemet.model.oncology import RecordedBoneSite

Json = dict[str, Any]

MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
CANCER_PATIENT = MCODE + "mcode-cancer-patient"
PRIMARY_CANCER = MCODE + "mcode-primary-cancer-condition"
SECONDARY_CANCER = MCODE + "mcode-secondary-cancer-condition"
MEDICATION_REQUEST = MCODE + "mcode-cancer-related-medication-request"
RADIOTHERAPY_COURSE = MCODE + "mcode-radiotherapy-course-summary"
DISEASE_STATUS = MCODE + "mcode-cancer-disease-status"
ECOG = MCODE + "mcode-ecog-performance-status"
GENOMIC_VARIANT = MCODE + "mcode-genomic-variant"
TUMOR_MARKER = MCODE + "mcode-tumor-marker-test"
HISTOLOGY_EXT = MCODE + "mcode-histology-morphology-behavior"
RADIOTHERAPY_VOLUME = MCODE + "mcode-radiotherapy-volume"
DOSE_TO_VOLUME = MCODE + "mcode-radiotherapy-dose-delivered-to-volume"
# Outside the mCODE package (not validated by the project's validator: docs/fhir.md says so).
US_CORE_LAB = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab"
BODY_WEIGHT = "http://hl7.org/fhir/StructureDefinition/bodyweight"

DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
CONDITION_RELATED = "http://hl7.org/fhir/StructureDefinition/condition-related"  # secondary: fixedUri
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
HGNC = "http://www.genenames.org"  # as the IG's genomic-variant examples write it
GENOMICS_TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"

# Patterns of the profiles (StructureDefinition snapshots): the code each profile fixes.
RADIOTHERAPY_CODE = {"system": SCT, "code": "1217123003"}  # no display in the package: none written
ECOG_CODE = {"system": LOINC, "code": "89247-1", "display": "ECOG Performance Status score"}
VARIANT_CODE = {"system": LOINC, "code": "69548-6", "display": "Genetic variant assessment"}
GENE_STUDIED = {"system": LOINC, "code": "48018-6", "display": "Gene studied [ID]"}
CONCLUSION_STRING = {"system": GENOMICS_TBD, "code": "conclusion-string"}
# Example resources of the package.
# Condition-primary-cancer-condition-nsclc:
LUNG_SITE = {"system": SCT, "code": "39607008", "display": "Lung structure (body structure)"}
VARIANT_PRESENT = {"system": LOINC, "code": "LA9633-4", "display": "Present"}  # Observation-genomic-variant-*
# Histology (morphology) codes of the examples: adenocarcinoma only (same example).
MORPHOLOGY = {"adenocarcinoma": {"system": SCT, "code": "1187332001",
                                 "display": "Adenocarcinoma (morphologic abnormality)"}}
# HGNC gene ids of the examples (Observation-gx-genomic-variant-*): the lung drivers found there.
MORPHOLOGY_TEXT = {
    "adenocarcinoma": "Adenocarcinoma", "squamous_cell_carcinoma": "Squamous cell carcinoma",
    "large_cell_carcinoma": "Large cell carcinoma", "nsclc_nos": "Non-small cell carcinoma",
    "sclc": "Small cell carcinoma", "large_cell_neuroendocrine": "Large cell neuroendocrine carcinoma",
    "carcinoid": "Carcinoid tumour", "mesothelioma": "Mesothelioma",
}
GENE_IDS = {"ALK": "HGNC:427", "BRAF": "HGNC:1097", "MET": "HGNC:7029"}
TUMOR_MARKERS = frozenset({"cea", "cyfra_21_1"})  # the case's serum tumour markers


def profile(resource: Json, url: str) -> Json:
    """`meta.profile` first in the resource (after resourceType), as the IG's examples write it."""
    meta = {"profile": [url]}
    head = {"resourceType": resource.pop("resourceType"), "meta": meta}
    rest = dict(resource)
    resource.clear()
    resource.update(head)
    resource.update(rest)
    return resource


def absent(reason: str) -> Json:
    """A data-absent-reason extension (US Core: a required name or gender the case does not have)."""
    return {"extension": [{"url": DATA_ABSENT, "valueCode": reason}]}


def condition_category(code: str = "problem-list-item") -> list[Json]:
    return [{"coding": [{"system": CONDITION_CATEGORY, "code": code}]}]


def observation_category(code: str) -> list[Json]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code}]}]


# ------------------------------------------------------------------ Patient
def cancer_patient(res: Json, case: Case, case_identifier: list[Json]) -> None:
    """US Core requires an identifier, a name and a gender: bonemet never copies names (privacy), so
    the name is masked; an unknown sex is an absent gender, never `unknown` (the reader reads what
    is written: `unknown` would come back as a sex)."""
    profile(res, CANCER_PATIENT)
    if "identifier" not in res:
        res["identifier"] = case_identifier
    res["name"] = [absent("masked")]
    if "gender" not in res:
        res["_gender"] = absent("unknown")


# ------------------------------------------------------------------ Conditions
def primary_cancer(res: Json, case: Case) -> None:
    """A lung primary gets the lung body site and its histology as mCODE's morphology extension (a
    code for adenocarcinoma, the morphology in words for the others). No extension for a histology
    that is no morphology of the primary (`metastasis_from_other_primary`, `other`)."""
    profile(res, PRIMARY_CANCER)
    res["category"] = condition_category()
    cancer = case.cancer
    if cancer.primary_site is None or cancer.primary_site.value != "lung":
        return
    res["bodySite"] = [{"coding": [LUNG_SITE], "text": "Lung"}]
    key = cancer.histology.value if cancer.histology is not None else None
    if key is None or key not in MORPHOLOGY_TEXT:
        return
    value: Json = {"text": MORPHOLOGY_TEXT[key]}
    if key in MORPHOLOGY:
        value["coding"] = [MORPHOLOGY[key]]
    res.setdefault("extension", []).insert(0, {"url": HISTOLOGY_EXT, "valueCodeableConcept": value})


def secondary_cancer(res: Json, primary_url: str | None, sites: list[Json]) -> None:
    """Bone metastases known, with the bone sites recorded as diagnoses (`recorded_sites`)."""
    profile(res, SECONDARY_CANCER)
    res["category"] = condition_category()
    if primary_url is not None:
        res.setdefault("extension", []).append({"url": CONDITION_RELATED,
                                                 "valueReference": {"reference": primary_url}})
    if sites:
        res["bodySite"] = sites


# mCODE's laterality qualifier on a body site (LateralityQualifierVS, SNOMED CT); "midline" has no
# member of its own in that value set and is left unwritten.
LATERALITY_EXT = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"
LATERALITY = {
    "left": {"system": "http://snomed.info/sct", "code": "7771000", "display": "Left"},
    "right": {"system": "http://snomed.info/sct", "code": "24028007", "display": "Right"},
}


# The reader reads a femur whose part is not given as this site (read_base.Mapper.site_of).
FEMUR_PART_ASSUMED = "femur_proximal"


def site_codings(vs: ValueSets, site: str) -> list[Json]:
    """The standard codes of a skeletal site, from the reader's table (valuesets.yaml `body_site`).
    Where the site's own rows each name only a part of it (the proximal femur: head, neck; kept
    `emit: false`), the code the reader reads back as the whole site is written instead: the femur
    (71341001, `body_site_ambiguous`), which says no more than the record knows; the local coding and
    the text beside it give the part. Sites with no SNOMED CT row keep their local code only."""
    own = vs.codings("body_site", site)
    if own or site != FEMUR_PART_ASSUMED:
        return own
    rows = vs.concept("body_site_ambiguous", "femur").codes
    return [{"system": vs.uri(row.system), "code": row.code,
             **({"display": row.display} if row.display else {})}
            for row in rows if row.system == "sct" and row.confidence in ("V", "P")][:1]


def recorded_sites(case: Case) -> list[list[RecordedBoneSite]]:
    """The bone sites recorded as diagnoses (`oncology.bone_metastasis_sites`), grouped by onset: one
    SecondaryCancerCondition per onset. The exams' lesions are not written here: they travel with
    their exams, and a site written in both would come back as a diagnosis the case did not hold."""
    groups: dict[object, list[RecordedBoneSite]] = {}
    for s in case.oncology.bone_metastasis_sites if case.oncology else ():
        groups.setdefault(s.since, []).append(s)
    return list(groups.values())


# ------------------------------------------------------------------ treatments
def medication_request(t: Treatment, medication: Json, primary_url: str | None) -> Json:
    """One line (or one agent of a line) as the order of the line: authored on its start, the line's
    period as the dispense validity (what the reader takes for the line's dates). No dosage
    instruction without a dose: the reader reports an instruction without a dose as a dose not read.
    Completed when the line has ended, active otherwise."""
    res: Json = {
        "resourceType": "MedicationRequest",
        "status": "completed" if t.end else "active",
        "intent": "order",
        "medicationCodeableConcept": medication,
        # US Core (us-core-21): an order has its requester; the case does not name prescribers.
        "requester": absent("unknown"),
    }
    if primary_url is not None:
        res["reasonReference"] = [{"reference": primary_url}]
    if t.start:
        res["authoredOn"] = t.start.isoformat()
    period = {k: d.isoformat() for k, d in (("start", t.start), ("end", t.end)) if d}
    if period:
        res["dispenseRequest"] = {"validityPeriod": period}
    return profile(res, MEDICATION_REQUEST)


def radiotherapy_course(res: Json, t: Treatment, site: Json | None, patient_url: str,
                        reason_url: str | None = None) -> None:
    """The course summary's performed[x] is a Period only (a one-day course: start = end). The total
    dose and the fractions go to the dose delivered to a volume (cGy, as the IG's examples), the
    volume being a contained BodyStructure (mcode-radiotherapy-volume) at the treated site. The
    number of sessions is not written: a session may deliver more than one fraction."""
    profile(res, RADIOTHERAPY_COURSE)
    res["code"]["coding"].insert(0, RADIOTHERAPY_CODE)
    day = res.pop("performedDateTime", None)
    if day is not None:
        res["performedPeriod"] = {"start": day, "end": day}
    if reason_url is not None:  # mcode-reason-required
        res["reasonReference"] = [{"reference": reason_url}]
    if t.dose_gy is None and t.fractions is None:
        return
    volume: Json = profile({"resourceType": "BodyStructure", "id": "volume"}, RADIOTHERAPY_VOLUME)
    if site is not None:
        volume["location"] = site
    volume["description"] = site["text"] if site is not None else "Irradiated volume (site not recorded)"
    volume["patient"] = {"reference": patient_url}
    res["contained"] = [volume]
    parts: list[Json] = [{"url": "volume", "valueReference": {"reference": "#volume"}}]
    if t.dose_gy is not None:
        parts.append({"url": "totalDoseDelivered", "valueQuantity": {
            "value": round(t.dose_gy * 100, 6), "unit": "cGy", "system": UCUM, "code": "cGy"}})
    if t.fractions is not None:
        parts.append({"url": "fractionsDelivered", "valueUnsignedInt": t.fractions})
    res.setdefault("extension", []).insert(0, {"url": DOSE_TO_VOLUME, "extension": parts})


SURGICAL_PROCEDURE = MCODE + "mcode-cancer-related-surgical-procedure"


def bone_surgery(res: Json, reason_url: str | None) -> None:
    """An operation on a bone metastasis (stabilisation, decompression) is a cancer-related surgical
    procedure; its reason is the condition it treats."""
    profile(res, SURGICAL_PROCEDURE)
    if reason_url is not None:
        res["reasonReference"] = [{"reference": reason_url}]


# ------------------------------------------------------------------ observations
def disease_status(res: Json, primary_url: str | None) -> None:
    """The clinical course is mCODE's cancer disease status (LOINC 97509-4, the trend codes): the
    focus is the primary cancer when there is one."""
    profile(res, DISEASE_STATUS)
    if primary_url is not None:
        res["focus"] = [{"reference": primary_url}]


def ecog(s: ClinicalStatus, subject: Json, local: Json) -> Json:
    """ECOG as its own Observation (mcode-ecog-performance-status). The reader pairs it with the
    clinical course of the same day, which already carries the score: nothing is read twice."""
    assert s.ecog is not None
    return profile({
        "resourceType": "Observation",
        "status": "final",
        "category": observation_category("survey"),
        "code": {"coding": [ECOG_CODE, local], "text": "ECOG performance status"},
        "subject": subject,
        "effectiveDateTime": s.date.isoformat(),
        "valueInteger": s.ecog,
    }, ECOG)


def genomic_variant(res: Json, d: DriverAlteration) -> None:
    """A driver alteration as a variant found (LOINC 69548-6, value Present): the gene studied (HGNC
    id where the IG's examples give it) and the alteration in words (conclusion-string)."""
    profile(res, GENOMIC_VARIANT)
    res["category"] = observation_category("laboratory")
    res["code"]["coding"].insert(0, VARIANT_CODE)
    res["valueCodeableConcept"] = {"coding": [VARIANT_PRESENT], "text": "Present"}
    gene, *rest = res["component"]
    gene["code"]["coding"].insert(0, GENE_STUDIED)
    hgnc = GENE_IDS.get(d.gene.value)
    if hgnc is not None:
        hgnc_coding = {"system": HGNC, "code": hgnc, "display": d.gene.value}
        gene["valueCodeableConcept"]["coding"].insert(0, hgnc_coding)
    for detail in rest:
        detail["code"]["coding"].insert(0, CONCLUSION_STRING)


def lab(res: Json, lab_result: LabResult) -> None:
    profile(res, TUMOR_MARKER if lab_result.analyte.value in TUMOR_MARKERS else US_CORE_LAB)
