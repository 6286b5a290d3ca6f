"""Writes the corpus's long histories (hundreds of resources): run once, the JSON is committed.

Shaped like a Synthea lung-cancer export: one MedicationRequest per agent per administration, all
`stopped` once given, and one `Combined chemotherapy and radiation therapy` Procedure per fraction.
    .venv/bin/python tests/fhir/corpus/make_long_histories.py
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent
SCT = "http://snomed.info/sct"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def condition(cid: str, code: str, display: str, onset: str, status: str = "active") -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid,
            "clinicalStatus": {"coding": [{"system": CLIN, "code": status}]},
            "verificationStatus": {"coding": [{"system": VER, "code": "confirmed"}]},
            "code": {"coding": [{"system": SCT, "code": code, "display": display}], "text": display},
            "subject": {"reference": "Patient/p"}, "onsetDateTime": onset}


def med(mid: str, rx: str, display: str, day: dt.date, status: str = "stopped") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": mid, "status": status, "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": RX, "code": rx, "display": display}],
                                          "text": display},
            "subject": {"reference": "Patient/p"}, "authoredOn": f"{day.isoformat()}T09:00:00Z"}


def fraction(pid: str, day: dt.date) -> dict[str, Any]:
    name = "Combined chemotherapy and radiation therapy (procedure)"
    return {"resourceType": "Procedure", "id": pid, "status": "completed",
            "code": {"coding": [{"system": SCT, "code": "703423002", "display": name}], "text": name},
            "subject": {"reference": "Patient/p"},
            "performedPeriod": {"start": f"{day.isoformat()}T10:00:00Z",
                                "end": f"{day.isoformat()}T10:30:00Z"}}


def weekdays(start: dt.date, n: int) -> list[dt.date]:
    out, day = [], start
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def every(start: dt.date, days: int, n: int) -> list[dt.date]:
    return [start + dt.timedelta(days=days * i) for i in range(n)]


def write(name: str, resources: list[dict[str, Any]]) -> None:
    doc = {"resourceType": "Bundle", "id": name, "type": "collection",
           "entry": [{"fullUrl": f"urn:uuid:{name}-{i}", "resource": r} for i, r in enumerate(resources)]}
    (OUT / f"{name}.json").write_text(json.dumps(doc, indent=0, ensure_ascii=False) + "\n")


def synthea_long() -> None:
    res: list[dict[str, Any]] = [{"resourceType": "Patient", "id": "p", "gender": "male",
                                  "birthDate": "1949-05-17"}]
    res += [condition("c-susp", "162573006", "Suspected lung cancer (situation)", "2012-01-02", "resolved"),
            condition("c-nsclc", "254637007", "Non-small cell lung cancer (disorder)", "2012-01-20"),
            condition("c-stage", "424132000", "Non-small cell carcinoma of lung, TNM stage 1 (disorder)",
                      "2012-01-20")]
    n = 0
    for day in every(dt.date(2012, 2, 6), 7, 150):  # L1: weekly cisplatin + paclitaxel, 300 requests
        for rx, name in (("1736854", "Cisplatin 50 MG/ML Injectable Solution"),
                         ("583214", "PACLitaxel 6 MG/ML Injectable Solution")):
            n += 1
            res.append(med(f"mr-{n}", rx, name, day))
    for day in every(dt.date(2015, 6, 1), 21, 42):  # L2: docetaxel every 3 weeks, 42 requests
        n += 1
        res.append(med(f"mr-{n}", "1790099", "Docetaxel 20 MG/ML Injectable Solution", day))
    for day in every(dt.date(2018, 3, 5), 21, 100):  # L3: pembrolizumab every 3 weeks, 100 requests
        n += 1
        res.append(med(f"mr-{n}", "1547545", "pembrolizumab 25 MG/ML Injectable Solution", day))
    assert n == 442
    starts = [dt.date(2012, 2, 6), dt.date(2012, 10, 1), dt.date(2013, 6, 3), dt.date(2014, 3, 3),
              dt.date(2016, 1, 4), dt.date(2019, 9, 2), dt.date(2023, 4, 3)]
    sizes = [30, 25, 33, 28, 35, 30, 40]
    k = 0
    for start, size in zip(starts, sizes, strict=True):
        for day in weekdays(start, size):
            k += 1
            res.append(fraction(f"proc-{k}", day))
    assert k == 221
    write("a21-synthea-long-history-442-requests-221-fractions", res)


def osimertinib_open() -> None:
    res: list[dict[str, Any]] = [{"resourceType": "Patient", "id": "p", "gender": "female",
                                  "birthDate": "1958-10-02"}]
    res.append(condition("c-adk", "254626006", "Adenocarcinoma of lung (disorder)", "2023-01-16"))
    n = 0
    for day in every(dt.date(2023, 2, 6), 21, 4):
        for rx, name in (("40048", "carboplatin"), ("68446", "pemetrexed")):
            n += 1
            res.append(med(f"mr-{n}", rx, name, day))
    refills = every(dt.date(2023, 9, 1), 30, 21)
    for i, day in enumerate(refills):
        n += 1
        res.append(med(f"mr-{n}", "1721560", "osimertinib 80 MG Oral Tablet", day,
                       "active" if i == len(refills) - 1 else "completed"))
    write("a22-osimertinib-refills-open-line", res)


def stale_active() -> None:
    res: list[dict[str, Any]] = [{"resourceType": "Patient", "id": "p", "gender": "male",
                                  "birthDate": "1940-01-09"}]
    res.append(condition("c-nsclc", "254637007", "Non-small cell lung cancer (disorder)", "2013-03-04"))
    for i, day in enumerate(every(dt.date(2013, 4, 1), 21, 6)):
        # Synthea-like: the last request of the series is never closed
        res.append(med(f"mr-{i + 1}", "1736854", "Cisplatin 50 MG/ML Injectable Solution", day,
                       "active" if i == 5 else "stopped"))
    write("a23-stale-active-request-2013", res)


if __name__ == "__main__":
    synthea_long()
    osimertinib_open()
    stale_active()
