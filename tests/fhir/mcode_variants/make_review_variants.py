"""Generator of variants v08-v10 (issue 26 review F4/F5/F6/F10), in the shape of HL7's mCODE STU4
examples (CC0); the body-site codes are members of mCODE's mcode-radiotherapy-treatment-location-vs.
Run from the repository root; the JSON it writes is committed."""

import json

MC = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
SCT, RX, ATC, ICD = (
    "http://snomed.info/sct",
    "http://www.nlm.nih.gov/research/umls/rxnorm",
    "http://www.whocc.no/atc",
    "http://hl7.org/fhir/sid/icd-10-cm",
)
LAT = MC + "mcode-laterality-qualifier"


def cs(kind, code):
    return {"coding": [{"system": f"http://terminology.hl7.org/CodeSystem/{kind}", "code": code}]}


def cond(pid, rid, profile, code, onset, body_sites=(), hist=None, related=None, status="active"):
    r = {
        "resourceType": "Condition",
        "id": rid,
        "meta": {"profile": [MC + profile]},
        "clinicalStatus": cs("condition-clinical", status),
        "verificationStatus": cs("condition-ver-status", "confirmed"),
        "category": [cs("condition-category", "problem-list-item")],
        "code": code,
        "subject": {"reference": f"Patient/{pid}"},
        "onsetDateTime": onset,
    }
    if body_sites:
        r["bodySite"] = list(body_sites)
    ext = []
    if hist:
        ext.append(
            {
                "url": MC + "mcode-histology-morphology-behavior",
                "valueCodeableConcept": {"coding": [{"system": SCT, "code": hist[0], "display": hist[1]}]},
            }
        )
    if related:
        ext.append(
            {
                "url": "http://hl7.org/fhir/StructureDefinition/condition-related",
                "valueReference": {"reference": f"Condition/{related}"},
            }
        )
    if ext:
        r["extension"] = ext
    return r


def site(code, display, text=None, side=None):
    s = {"coding": [{"system": SCT, "code": code, "display": display}]}
    if text:
        s["text"] = text
    if side:
        s["extension"] = [
            {
                "url": LAT,
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": SCT,
                            "code": {"left": "7771000", "right": "24028007"}[side],
                            "display": side.capitalize(),
                        }
                    ]
                },
            }
        ]
    return s


def medreq(pid, rid, med, status, authored, reason=None, bounds=None, status_reason=None, reason_code=None):
    r = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "meta": {"profile": [MC + "mcode-cancer-related-medication-request"]},
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": med,
        "subject": {"reference": f"Patient/{pid}"},
        "authoredOn": authored,
        "requester": {"display": "Dr. Oncologist"},
    }
    if status_reason:
        r["statusReason"] = {
            "coding": [{"system": SCT, "code": status_reason[0], "display": status_reason[1]}]
        }
    if reason:
        r["reasonReference"] = [{"reference": f"Condition/{reason}"}]
    if reason_code:
        r["reasonCode"] = [reason_code]
    if bounds:
        r["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": bounds}}}]
    return r


def med(system, code, display):
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def bundle(name, pid, resources):
    pat = {
        "resourceType": "Patient",
        "id": pid,
        "meta": {"profile": [MC + "mcode-cancer-patient"]},
        "gender": "female",
        "birthDate": "1960-05-04",
    }
    entries = [
        {"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
        for r in [pat, *resources]
    ]
    out = {
        "resourceType": "Bundle",
        "id": name,
        "type": "collection",
        "timestamp": "2026-11-20T09:00:00Z",
        "entry": entries,
    }
    with open(f"tests/fhir/mcode_variants/{name}.json", "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")


LUNG = {
    "coding": [{"system": SCT, "code": "363346000", "display": "Malignant neoplastic disease (disorder)"}]
}
LUNG_SITE = site("39607008", "Lung structure (body structure)")
ADENO = ("1187332001", "Adenocarcinoma (morphologic abnormality)")
BONE_MET = {
    "coding": [{"system": SCT, "code": "128462008", "display": "Metastatic malignant neoplasm (disorder)"}]
}

# v08: FLAURA2 regimen (osimertinib + carboplatin/pemetrexed from the same day), carboplatin stopped for
# toxicity at cycle 3 while the rest goes on; bone sites from mCODE's radiotherapy-treatment-location-vs
# (ilium with side, body of vertebra with its level as text, body of T8); liver and brain secondaries.
p = "v08"
bundle(
    "v08-flaura2-regimen-and-mcode-bone-sites",
    p,
    [
        cond(p, "v08-primary", "mcode-primary-cancer-condition", LUNG, "2026-03-10", [LUNG_SITE], ADENO),
        cond(
            p,
            "v08-bone",
            "mcode-secondary-cancer-condition",
            BONE_MET,
            "2026-03-20",
            [
                site("22356005", "Bone structure of ilium (body structure)", side="left"),
                site("3572006", "Structure of body of vertebra (body structure)", text="L3 vertebral body"),
                site("77435000", "Structure of body of eighth thoracic vertebra (body structure)"),
            ],
            related="v08-primary",
        ),
        cond(
            p,
            "v08-liver",
            "mcode-secondary-cancer-condition",
            BONE_MET,
            "2026-03-20",
            [site("10200004", "Liver structure (body structure)")],
            related="v08-primary",
        ),
        cond(
            p,
            "v08-brain",
            "mcode-secondary-cancer-condition",
            {
                "coding": [
                    {
                        "system": SCT,
                        "code": "94225005",
                        "display": "Secondary malignant neoplasm of brain (disorder)",
                    }
                ]
            },
            "2026-03-20",
            related="v08-primary",
        ),
        medreq(
            p,
            "v08-osimertinib",
            med(RX, "1721560", "osimertinib"),
            "active",
            "2026-04-02",
            "v08-primary",
            {"start": "2026-04-02"},
        ),
        medreq(
            p,
            "v08-carboplatin",
            med(RX, "40048", "carboplatin"),
            "stopped",
            "2026-04-02",
            "v08-primary",
            {"start": "2026-04-02", "end": "2026-05-14"},
            ("407563006", "Treatment not tolerated (situation)"),
        ),
        medreq(
            p,
            "v08-pemetrexed",
            med(RX, "68446", "pemetrexed"),
            "active",
            "2026-04-02",
            "v08-primary",
            {"start": "2026-04-02"},
        ),
    ],
)

# v09: an active lung adenocarcinoma and a prostate cancer in remission; leuprolide (2015-2017) given
# for the prostate (reasonReference), bicalutamide for it by reasonCode (ICD-10-CM C61), pembrolizumab
# for the lung; letrozole + palbociclib is not here (v10).
p = "v09"
bundle(
    "v09-second-primary-treatments",
    p,
    [
        cond(
            p,
            "v09-prostate",
            "mcode-primary-cancer-condition",
            {
                "coding": [
                    {"system": SCT, "code": "399068003", "display": "Malignant tumor of prostate (disorder)"}
                ]
            },
            "2015-03-01",
            status="remission",
        ),
        cond(p, "v09-lung", "mcode-primary-cancer-condition", LUNG, "2026-04-15", [LUNG_SITE], ADENO),
        medreq(
            p,
            "v09-leuprolide",
            med(ATC, "L02AE02", "leuprorelin"),
            "completed",
            "2015-05-01",
            "v09-prostate",
            {"start": "2015-05-01", "end": "2017-05-01"},
        ),
        medreq(
            p,
            "v09-bicalutamide",
            med(ATC, "L02BB03", "bicalutamide"),
            "completed",
            "2015-04-20",
            None,
            {"start": "2015-04-20", "end": "2015-05-20"},
            reason_code={
                "coding": [{"system": ICD, "code": "C61", "display": "Malignant neoplasm of prostate"}]
            },
        ),
        medreq(
            p,
            "v09-pembrolizumab",
            med(RX, "1547545", "pembrolizumab"),
            "active",
            "2026-05-10",
            "v09-lung",
            {"start": "2026-05-10"},
        ),
    ],
)

# v10: breast cancer treated with letrozole + palbociclib from the same day (one line, out of scope).
p = "v10"
bundle(
    "v10-breast-letrozole-palbociclib",
    p,
    [
        cond(
            p,
            "v10-breast",
            "mcode-primary-cancer-condition",
            {
                "coding": [
                    {"system": SCT, "code": "254837009", "display": "Malignant neoplasm of breast (disorder)"}
                ]
            },
            "2025-12-01",
        ),
        medreq(p, "v10-letrozole", med(ATC, "L02BG04", "letrozole"), "active", "2026-01-10", "v10-breast"),
        medreq(
            p, "v10-palbociclib", med(ATC, "L01EF01", "palbociclib"), "active", "2026-01-10", "v10-breast"
        ),
    ],
)
