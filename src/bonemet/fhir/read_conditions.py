"""Condition: the primary cancer (site, histology, diagnosis date), bone metastases, bone pain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bonemet.fhir.read_base import Json, Mapper, Res, dicts, nonempty
from bonemet.fhir.valuesets import Match


def verification(body: Json) -> str | None:
    vs = body.get("verificationStatus")
    if isinstance(vs, dict):
        for coding in dicts(vs.get("coding")):
            if nonempty(coding.get("code")):
                return str(coding["code"])
    return None


def clinical(body: Json) -> str | None:
    cs = body.get("clinicalStatus")
    if isinstance(cs, dict):
        for coding in dicts(cs.get("coding")):
            if nonempty(coding.get("code")):
                return str(coding["code"])
    return None


def conditions(
    m: Mapper, items: list[Res]
) -> tuple[dict[str, Any], list[tuple[dt.date | None, bool, Res]]]:
    primaries: list[tuple[Res, str, str | None, dt.date | None]] = []
    bone_known: bool | None = None
    pain: list[tuple[dt.date | None, bool, Res]] = []
    for r in items:
        status = verification(r.body)
        if status == "entered-in-error":
            m.skip(r, "verificationStatus", "entered in error")
            continue
        hit = m.match(
            ("bone_metastasis", "histology", "primary_site", "bone_pain"),
            r.body.get("code"),
            local="histology",
        )
        if hit is None:
            local_site = m.local_code(r.body.get("code"), "primary-site")
            if local_site:
                hit = Match("primary_site", m.vs.concept("primary_site", local_site), None, "local")
        if hit is None:
            m.skip(
                r, "code", "condition not used by bonemet (no lung-cancer, bone-metastasis or bone-pain code)"
            )
            continue
        onset = m.date(r, ("onsetDateTime", "onsetPeriod.start", "recordedDate"), required=False)
        if hit.group == "bone_metastasis":
            if status == "refuted":
                bone_known = bone_known or False
            elif status in (None, "confirmed", "unconfirmed", "provisional", "differential"):
                if status in ("provisional", "differential", "unconfirmed"):
                    m.skip(r, "verificationStatus", f"bone metastasis {status}: not counted as established")
                    continue
                bone_known = True
            continue
        if hit.group == "bone_pain":
            active = clinical(r.body) not in ("inactive", "resolved", "remission")
            pain.append((onset, status != "refuted" and active, r))
            continue
        if status in ("refuted", "provisional", "differential", "unconfirmed"):
            m.skip(r, "verificationStatus", f"cancer diagnosis {status}: not used")
            continue
        if hit.row is not None and hit.row.role == "suspected":
            m.skip(r, "code", "a suspected lung cancer is not a diagnosis")
            continue
        if hit.group == "histology":
            primaries.append((r, "lung", hit.concept.key, onset))
        else:
            local_hist = m.local_code(r.body.get("code"), "histology")
            primaries.append((r, hit.concept.key, local_hist, onset))
    cancer: dict[str, Any] = {}
    if primaries:
        lung = [p for p in primaries if p[1] == "lung"]
        chosen = lung or primaries[:1]
        for p in primaries:
            if p not in chosen:
                m.skip(
                    p[0],
                    "code",
                    f"second primary ({p[1]}): the case holds one primary, {chosen[0][1]} is kept",
                )
        cancer["primary_site"] = chosen[0][1]
        histologies = [p[2] for p in chosen if p[2]]
        specific = [h for h in histologies if h not in ("nsclc_nos", "other")]
        if histologies:
            cancer["histology"] = (specific or histologies)[0]
            if len(set(specific)) > 1:
                m.assume(
                    chosen[0][0], "code", f"several histologies {sorted(set(specific))}: {specific[0]} kept"
                )
        dates = [p[3] for p in chosen if p[3]]
        if dates:
            cancer["diagnosis_date"] = min(dates).isoformat()
        for p in chosen:
            m.case_data(p[0].body, cancer)
    if bone_known is not None:
        cancer["bone_metastases_known"] = bone_known
    return cancer, pain


