"""mCODE's oncology resources (issue 26): TNM staging, Karnofsky and Lansky
scores, GenomicVariant / GenomicsReport (driver alterations), CancerRelatedSurgicalProcedure, and the
other mCODE observations bonemet does not use (each reported with its reason). CancerDiseaseStatus
(LOINC 97509-4) is left to read_observations: it is the case's clinical_status.

The codes are mCODE STU4's own (package hl7.fhir.us.mcode 4.0.0, CC0): the staging types of its TNM
value sets (mcode-tnm-*-staging-type-vs and their -max LOINC variants), the fixed codes of its
KarnofskyPerformanceStatus (LOINC 89243-0), LanskyPlayPerformance
Status (NCIt C38144), GenomicVariant (LOINC 69548-6, gene studied 48018-6, genomic source class
48002-0) and GenomicsReport (LOINC 51969-4) profiles. Values are kept as the record codes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bonemet.fhir.read_base import KNOWN_NOT_USED, Json, Mapper, Res, dicts, nonempty
from bonemet.model.case import Gene

SCT, LOINC = "http://snomed.info/sct", "http://loinc.org"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"

# (system, code) → (kind, element): mCODE's TNM staging-type value sets (SNOMED) and -max (LOINC).
_TNM: dict[tuple[str, str], tuple[str, str]] = {
    (SCT, "399390009"): ("unspecified", "stage_group"),
    (SCT, "399537006"): ("clinical", "stage_group"),
    (SCT, "399588009"): ("pathologic", "stage_group"),
    (LOINC, "21908-9"): ("clinical", "stage_group"),
    (LOINC, "21902-2"): ("pathologic", "stage_group"),
    (LOINC, "21914-7"): ("post_therapy", "stage_group"),
    (SCT, "78873005"): ("unspecified", "T"),
    (SCT, "399504009"): ("clinical", "T"),
    (SCT, "384625004"): ("pathologic", "T"),
    (LOINC, "21905-5"): ("clinical", "T"),
    (LOINC, "21899-0"): ("pathologic", "T"),
    (LOINC, "21911-3"): ("post_therapy", "T"),
    (SCT, "277206009"): ("unspecified", "N"),
    (SCT, "399534004"): ("clinical", "N"),
    (SCT, "371494008"): ("pathologic", "N"),
    (LOINC, "21906-3"): ("clinical", "N"),
    (LOINC, "21900-6"): ("pathologic", "N"),
    (LOINC, "21912-1"): ("post_therapy", "N"),
    (SCT, "277208005"): ("unspecified", "M"),
    (SCT, "399387003"): ("clinical", "M"),
    (SCT, "371497001"): ("pathologic", "M"),
    (LOINC, "21907-1"): ("clinical", "M"),
    (LOINC, "21901-4"): ("pathologic", "M"),
    (LOINC, "21913-9"): ("post_therapy", "M"),
}
_KARNOFSKY = (LOINC, "89243-0")
_LANSKY = (NCIT, "C38144")
_VARIANT = (LOINC, "69548-6")
_REGION = (LOINC, "53041-0")
_GENOMICS_REPORT = (LOINC, "51969-4")
_GENE_STUDIED = "48018-6"
_SOURCE_CLASS = "48002-0"
_GERMLINE = "LA6683-2"
_ABSENT = "LA9634-2"  # LOINC answer "Absent": a pertinent negative
_CONCLUSION = "conclusion-string"  # mCODE genomics-tbd code system: the variant in words
_DETAIL_CODES = ("48005-3", "48004-6", "81290-9", "48019-4")  # amino acid, DNA, genomic DNA change, type
# HGNC ids of the case's driver genes: ALK, MET, BRAF from HL7's mCODE examples (V); EGFR, KRAS from
# several public gene tables (P). Any other driver gene is matched by its HGNC symbol (display).
_HGNC = {"HGNC:427": "ALK", "HGNC:7029": "MET", "HGNC:1097": "BRAF", "HGNC:3236": "EGFR", "HGNC:6407": "KRAS"}
_SYMBOLS = {
    "EGFR": "EGFR",
    "ALK": "ALK",
    "KRAS": "KRAS",
    "ROS1": "ROS1",
    "BRAF": "BRAF",
    "MET": "MET",
    "RET": "RET",
    "NTRK1": "NTRK",
    "NTRK2": "NTRK",
    "NTRK3": "NTRK",
    "NTRK": "NTRK",  # the family, as a pan-TRK result names it
    "ERBB2": "HER2",
    "HER2": "HER2",
}
_SURGERY_PROFILE = MCODE + "mcode-cancer-related-surgical-procedure"
_GENOMICS_PROFILE = MCODE + "mcode-genomics-report"


@dataclass
class OncologyRead:
    staging: list[dict[str, Any]] = field(default_factory=list)
    performance: list[dict[str, Any]] = field(default_factory=list)
    surgeries: list[dict[str, Any]] = field(default_factory=list)
    drivers: list[dict[str, Any]] = field(default_factory=list)

    def record(self, bone_sites: list[dict[str, Any]]) -> dict[str, Any]:
        out = {
            "staging": self.staging,
            "performance": self.performance,
            "surgeries": self.surgeries,
            "bone_metastasis_sites": bone_sites,
        }
        return {k: v for k, v in out.items() if v}


def _codes(cc: Any) -> list[tuple[str, str]]:
    if not isinstance(cc, dict):
        return []
    return [
        (str(x.get("system")), str(x.get("code"))) for x in dicts(cc.get("coding")) if nonempty(x.get("code"))
    ]


def _display(cc: Any) -> str | None:
    if not isinstance(cc, dict):
        return None
    for x in dicts(cc.get("coding")):
        if nonempty(x.get("display")):
            return str(x["display"])
    return str(cc["text"]) if nonempty(cc.get("text")) else None


def _profiles(body: Json) -> list[str]:
    meta = body.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    return [p.split("|")[0] for p in profiles if isinstance(p, str)] if isinstance(profiles, list) else []


def _short(text: str) -> str:
    """'American Joint Committee on Cancer cT3 (qualifier value)' → 'cT3'; '… (finding)' dropped."""
    text = text.removeprefix("American Joint Committee on Cancer ").strip()
    if text.endswith(")") and " (" in text:
        text = text[: text.rindex(" (")]
    return text


def split(m: Mapper, buckets: dict[str, list[Res]]) -> OncologyRead:
    """Read the mCODE oncology resources and take them out of `buckets` (the other readers do not
    see them). Genomics reports are read through the variants they reference."""
    out = OncologyRead()
    rest: list[Res] = []
    for r in buckets.get("Observation", []):
        if not _observation(m, r, out):
            rest.append(r)
    buckets["Observation"] = rest
    reports: list[Res] = []
    for r in buckets.get("DiagnosticReport", []):
        if _GENOMICS_REPORT in _codes(r.body.get("code")) or _GENOMICS_PROFILE in _profiles(r.body):
            m.consumed.add(id(r.body))
            m.read(r, "nothing itself: its variants are read one by one (GenomicVariant)")
        else:
            reports.append(r)
    buckets["DiagnosticReport"] = reports
    procedures: list[Res] = []
    for r in buckets.get("Procedure", []):
        skeletal = m.match(("body_site", "body_site_ambiguous"), _first(r.body.get("bodySite")))
        if _SURGERY_PROFILE in _profiles(r.body) and skeletal is None:
            _surgery(m, r, out)
        else:
            procedures.append(r)  # bone surgery, radiotherapy, imaging: the treatment/imaging readers
    buckets["Procedure"] = procedures
    return out


def _first(x: Any) -> Any:
    return x[0] if isinstance(x, list) and x else None


def _date(m: Mapper, r: Res) -> dt.date | None:
    return m.date(r, ("effectiveDateTime", "effectivePeriod.start", "issued"), required=False)


def _observation(m: Mapper, r: Res, out: OncologyRead) -> bool:
    """True when the Observation is one of mCODE's oncology observations (read or reported here)."""
    b = r.body
    codes = _codes(b.get("code"))
    status = b.get("status")
    tnm = next((_TNM[c] for c in codes if c in _TNM), None)
    known = tnm is not None or any(c in codes for c in (_KARNOFSKY, _LANSKY, _VARIANT, _REGION))
    if not known:
        if any(p.startswith(MCODE) for p in _profiles(b)) and not any(
            p.endswith(("ecog-performance-status", "tumor-marker-test", "cancer-disease-status"))
            for p in _profiles(b)
        ):
            m.skip(
                r,
                "code",
                f"mCODE {(_profiles(b)[0]).removeprefix(MCODE + 'mcode-')} observation: not used by bonemet",
                KNOWN_NOT_USED,
            )
            return True
        return False
    m.consumed.add(id(b))
    if status in ("entered-in-error", "cancelled", "registered"):
        m.skip(r, "status", f"status {status}")
        return True
    day = _date(m, r)
    if tnm is not None:
        cc = b.get("valueCodeableConcept")
        text = _display(cc)
        if text is None or any(s.endswith("data-absent-reason") for s, _ in _codes(cc)):
            m.skip(r, "value[x]", f"TNM {tnm[0]} {tnm[1]} without a value ({text or 'none'})")
            return True
        item: dict[str, Any] = {"kind": tnm[0], "element": tnm[1], "value": _short(text)}
        code = next((c for s, c in _codes(cc) if s == SCT), None)
        if code:
            item["code"] = code
        if day:
            item["date"] = day.isoformat()
        out.staging.append(item)
        m.read(r, f"oncology.staging ({tnm[0]} {item['value']})")
    elif _KARNOFSKY in codes or _LANSKY in codes:
        scale = "karnofsky" if _KARNOFSKY in codes else "lansky"
        value = b.get("valueInteger")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100 or value % 10:
            m.skip(r, "value[x]", f"{scale.capitalize()} score is not one of 0, 10, … 100")
            return True
        ps: dict[str, Any] = {"scale": scale, "value": value}
        if day:
            ps["date"] = day.isoformat()
        out.performance.append(ps)
        m.read(
            r,
            f"oncology.performance ({scale.capitalize()} {value}: kept on its own scale, not "
            "converted to ECOG)",
        )
    elif _REGION in codes:
        m.skip(r, "code", "genomic region studied: what was tested, not a variant found", KNOWN_NOT_USED)
    else:
        _variant(m, r, out)
    return True


def _variant(m: Mapper, r: Res, out: OncologyRead) -> None:
    b = r.body
    if _ABSENT in [c for _, c in _codes(b.get("valueCodeableConcept"))]:
        m.skip(r, "value[x]", "pertinent negative (variant absent): not a driver alteration", KNOWN_NOT_USED)
        return
    genes: list[str] = []
    symbols: list[str] = []
    details: list[str] = []
    germline = False
    for comp in dicts(b.get("component")):
        kind = [c for _, c in _codes(comp.get("code"))]
        cc = comp.get("valueCodeableConcept")
        if _GENE_STUDIED in kind:
            symbol = None
            for system, code in _codes(cc):
                symbol = symbol or (_HGNC.get(code) if "genenames" in system else None)
            shown = _display(cc) or ""
            symbols.append(shown or (symbol or "?"))
            # HGNC id, else bonemet's own gene code (its export), else the symbol in words
            gene = symbol or m.local_code(cc, "gene") or _SYMBOLS.get(shown.strip().upper())
            if gene and gene not in genes:
                genes.append(gene)
        elif _SOURCE_CLASS in kind:
            germline = germline or _GERMLINE in [c for _, c in _codes(cc)]
        elif any(k in _DETAIL_CODES for k in kind) or _CONCLUSION in kind:
            # HGVS codes name the change; the conclusion string (what bonemet writes) says it in words
            text = _display(cc) or next((c for _, c in _codes(cc)), None) if isinstance(cc, dict) else None
            if text is None and isinstance(comp.get("valueString"), str) and comp["valueString"].strip():
                text = comp["valueString"].strip()
            if text and len(details) < 2:
                details.append(text)
    if germline:
        m.skip(
            r,
            "component",
            f"germline variant ({'-'.join(symbols) or 'gene not named'}): not a tumour driver alteration",
            KNOWN_NOT_USED,
        )
        return
    if not genes:
        m.skip(
            r,
            "component",
            f"variant of {'-'.join(symbols) or 'no gene named'}: not one of the driver "
            "genes the flare caveats use",
            KNOWN_NOT_USED,
        )
        return
    detail = f"{'-'.join(symbols)} fusion" if len(symbols) > 1 else "; ".join(details) or None
    for gene in genes:
        if gene in Gene.__members__ or gene in {g.value for g in Gene}:
            d: dict[str, Any] = {"gene": gene}
            if detail:
                d["detail"] = detail[:120]
            out.drivers.append(d)
    m.read(r, f"cancer.driver_alterations ({', '.join(genes)})")


def _surgery(m: Mapper, r: Res, out: OncologyRead) -> None:
    b = r.body
    status = b.get("status")
    if status in ("entered-in-error", "not-done", "preparation", "stopped"):
        m.skip(r, "status", f"status {status}: not a surgery done")
        return
    name = _display(b.get("code"))
    if name is None:
        m.skip(r, "code", "cancer surgery without a name")
        return
    s: dict[str, Any] = {"name": _short(name)}
    code = next((c for sys_, c in _codes(b.get("code")) if sys_ == SCT), None)
    if code:
        s["code"] = code
    day = m.date(r, ("performedDateTime", "performedPeriod.start"), required=False)
    if day:
        s["date"] = day.isoformat()
    m.consumed.add(id(b))
    out.surgeries.append(s)
    m.read(r, f"oncology.surgeries ({s['name']})")
