"""Condition: the primary cancer (site, histology, diagnosis date), bone metastases, bone and spinal
pain, neurological deficits (the last two through read_neuro).

The site is set only from evidence that names it (issue 14): a code of a site (C34, "Malignant tumour
of prostate"), a histology code that names its organ ("Adenocarcinoma of lung"), or free text where
a histology or malignancy word comes with an organ word ("Adénocarcinome pulmonaire", "Adenocarcinoma
of prostate"). A histology alone names no organ, and nothing defaults to lung: a record without such
evidence leaves `primary_site` unset and says so in the mapping's `scope`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from bonemet.fhir import read_neuro
from bonemet.fhir.read_base import KNOWN_NOT_USED, Json, Mapper, MappingScope, Res, dicts, nonempty
from bonemet.fhir.read_neuro import Finding

_NOT_DIAGNOSED = ("refuted", "provisional", "differential", "unconfirmed")
_GROUPS = ("bone_metastasis", "histology", "primary_site", "bone_pain", *read_neuro.GROUPS)


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


@dataclass(frozen=True)
class Reading:
    """What one Condition.code says, from its codes first and its text second."""

    kind: Literal["cancer", "bone_metastasis", "finding"]
    site: str | None = None  # a PrimarySite value, None when nothing names the organ
    histology: str | None = None
    suspected: bool = False
    how: str = ""  # "code", "local" or "text": shown in the assumptions
    group: str = ""  # kind "finding": the value-set group and concept (bone pain, spinal pain, deficit)
    key: str = ""


def _texts(cc: Json) -> list[str]:
    out = [cc.get("text")] + [x.get("display") for x in dicts(cc.get("coding"))]
    return [t for t in out if isinstance(t, str) and t]


def read_code(m: Mapper, cc: Any) -> Reading | None:
    """The reading of one Condition.code, or None when it is none of bonemet's conditions."""
    if not isinstance(cc, dict):
        return None
    local_site = m.local_code(cc, "primary-site")
    local_hist = m.local_code(cc, "histology")
    if local_site or local_hist:  # bonemet's own codes (case_to_bundle): exact, no inference
        return Reading("cancer", local_site, local_hist, how="local")
    site: str | None = None
    histology: str | None = None
    suspected = False
    for hit in m.vs.match_codes(_GROUPS, cc):
        if hit.group == "bone_metastasis":
            return Reading("bone_metastasis", how="code")
        if hit.group == "bone_pain" or hit.group in read_neuro.GROUPS:
            return Reading("finding", how="code", group=hit.group, key=hit.concept.key)
        row = hit.row
        if hit.group == "histology":
            histology = histology or hit.concept.key
            site = site or (row.primary_site if row is not None else None)
        else:
            site = site or hit.concept.key
            suspected = suspected or (row is not None and row.role == "suspected")
    texts = _texts(cc)
    if site is None and histology is None:
        for text in texts:  # "Métastases osseuses d'un adénocarcinome pulmonaire" is the metastasis
            if m.vs.match_text("bone_metastasis", text) is not None:
                return Reading("bone_metastasis", how="text")
    how = "code" if site or histology else "text"
    for text in texts:
        if histology is None:
            found = m.vs.match_text("histology", text)
            histology = found.key if found is not None else None
        if site is None:
            site = _site_of_text(m, text, histology is not None)
        suspected = suspected or m.vs.match_text("suspicion", text) is not None
    if site is None and histology is None:
        for group in ("bone_pain", *read_neuro.GROUPS):
            for text in texts:
                found = m.vs.match_text(group, text)
                if found is not None:
                    return Reading("finding", how="text", group=group, key=found.key)
        return None
    return Reading("cancer", site, histology, suspected, how)


def _site_of_text(m: Mapper, text: str, has_histology: bool) -> str | None:
    """The organ a cancer text names: a cancer phrase ("lung cancer"), or an organ word anchored by
    a histology or malignancy word ("carcinoid tumour of the lung", "malignant tumour of colon")."""
    phrase = m.vs.match_text("primary_site", text)
    if phrase is not None:
        return phrase.key
    if has_histology or m.vs.match_text("malignancy", text) is not None:
        anchored = m.vs.match_anchor("primary_site", text)
        return anchored.key if anchored is not None else None
    return None


@dataclass(frozen=True)
class _Primary:
    r: Res
    site: str | None
    histology: str | None
    onset: dt.date | None


def conditions(m: Mapper, items: list[Res]) -> tuple[dict[str, Any], list[Finding], MappingScope]:
    primaries: list[_Primary] = []
    suspected_lung = False
    bone_known: bool | None = None
    findings: list[Finding] = []
    for r in items:
        status = verification(r.body)
        if status == "entered-in-error":
            m.skip(r, "verificationStatus", "entered in error")
            continue
        reading = read_code(m, r.body.get("code"))
        if reading is None:
            m.skip(r, "code", "condition not used by bonemet (no cancer, bone-metastasis, bone or "
                              "spinal pain, or neurological-deficit code)")
            continue
        if reading.kind == "finding":
            found = read_neuro.condition_finding(m, r, reading.group, reading.key, status, clinical(r.body))
            if found is not None:
                findings.append(found)
            continue
        onset = m.date(r, ("onsetDateTime", "onsetPeriod.start", "recordedDate"), required=False)
        if reading.kind == "bone_metastasis":
            if status == "refuted":
                bone_known = bone_known or False
            elif status in _NOT_DIAGNOSED:
                m.skip(r, "verificationStatus", f"bone metastasis {status}: not counted as established",
                       KNOWN_NOT_USED)
            else:
                bone_known = True
            continue
        if status == "refuted":
            m.skip(r, "verificationStatus", "cancer diagnosis refuted: not used", KNOWN_NOT_USED)
            continue
        if reading.suspected or status in _NOT_DIAGNOSED:
            why = "suspected" if reading.suspected else status
            if reading.site == "lung":
                suspected_lung = True
            m.skip(r, "code" if reading.suspected else "verificationStatus",
                   f"cancer {why}, not a diagnosis: not used as the primary", KNOWN_NOT_USED)
            continue
        if reading.how == "text":
            m.assume(r, "code", f"read from the text: primary site {reading.site or 'not named'}, "
                                f"histology {reading.histology or 'not named'}")
        primaries.append(_Primary(r, reading.site, reading.histology, onset))
    cancer = _cancer(m, primaries)
    if not primaries and suspected_lung:
        # A suspected lung cancer is recorded as such (issue 17): the case stays out of the advisor's
        # scope ("scope unknown", the diagnosis named as missing) but the cord-compression alert runs.
        cancer.update(primary_site="lung", diagnosis="suspected")
    if bone_known is not None:
        cancer["bone_metastases_known"] = bone_known
    return cancer, findings, _scope(primaries, suspected_lung)


def _scope(primaries: list[_Primary], suspected_lung: bool) -> MappingScope:
    sites = {p.site for p in primaries}
    if "lung" in sites:
        return "lung"
    if sites - {None}:
        return "other_primary"
    if suspected_lung:
        return "suspected_lung"
    return "site_unknown" if primaries else "no_cancer"


def _cancer(m: Mapper, primaries: list[_Primary]) -> dict[str, Any]:
    cancer: dict[str, Any] = {}
    if not primaries:
        return cancer
    lung = [p for p in primaries if p.site == "lung"]
    named = [p for p in primaries if p.site is not None]
    chosen = lung or named[:1] or primaries
    kept = chosen[0].site
    for p in primaries:
        if p not in chosen:
            m.skip(p.r, "code", f"second primary ({p.site or 'site not named'}): the case holds one "
                                f"primary, {kept} is kept", KNOWN_NOT_USED)
    if kept is not None:
        cancer["primary_site"] = kept
    else:
        m.assume(chosen[0].r, "code", "a cancer whose primary site no code or text names: "
                                      "primary site left unset (no lung assumption)")
    histologies = [p.histology for p in chosen if p.histology]
    specific = [h for h in histologies if h not in ("nsclc_nos", "other")]
    if histologies:
        cancer["histology"] = (specific or histologies)[0]
        if len(set(specific)) > 1:
            m.assume(chosen[0].r, "code", f"several histologies {sorted(set(specific))}: {specific[0]} kept")
    dates = [p.onset for p in chosen if p.onset]
    if dates:
        cancer["diagnosis_date"] = min(dates).isoformat()
    for p in chosen:
        m.case_data(p.r.body, cancer)
    return cancer
