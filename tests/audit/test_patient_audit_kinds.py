"""Issue kinds of the cohort audit (issue 14, defect 9): a code the mapping knows and leaves out on
purpose is not an unknown code."""

from __future__ import annotations

import json

from bonemet.audit.patient_audit import Rows, audit_patient

SCT = "http://snomed.info/sct"


def test_known_codes_left_out_on_purpose_are_not_unknown_codes() -> None:
    resources = [
        {"resourceType": "Patient", "id": "p1"},
        {"resourceType": "Condition", "id": "c-lung", "subject": {"reference": "Patient/p1"},
         "code": {"coding": [{"system": SCT, "code": "254626006"}]}},
        {"resourceType": "Condition", "id": "c-susp", "subject": {"reference": "Patient/p1"},
         "code": {"coding": [{"system": SCT, "code": "162573006"}]}},
        {"resourceType": "Condition", "id": "c-prostate", "subject": {"reference": "Patient/p1"},
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C61"}]}},
        {"resourceType": "Procedure", "id": "x-chest", "status": "completed",
         "subject": {"reference": "Patient/p1"}, "performedDateTime": "2025-01-02",
         "code": {"coding": [{"system": SCT, "code": "399208008"}]}},
        {"resourceType": "Observation", "id": "o-unknown", "status": "final",
         "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2025-01-02",
         "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}},
    ]
    rows = Rows()
    audit_patient("Patient/p1", ["f.ndjson"] * len(resources), list(range(1, len(resources) + 1)),
                  [json.dumps(r) for r in resources], rows)
    kinds = {issue[4]: issue[0] for issue in rows.issues}
    assert kinds == {"Condition/c-susp": "known_code_not_used", "Condition/c-prostate": "known_code_not_used",
                     "Procedure/x-chest": "known_code_not_used", "Observation/o-unknown": "unknown_code"}
