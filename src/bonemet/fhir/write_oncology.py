"""Review 26 F11, mCODE out: what the case holds beyond the bone questions, written as mCODE STU4
resources instead of riding silently in the Patient's case-data extension.

- `oncology.staging` stage group: Observation mcode-tnm-stage-group (`focus` → the primary,
  `hasMember` → its categories), named in the primary's `stage[]`;
- `oncology.staging` T / N / M: Observation mcode-tnm-primary-tumor- / regional-nodes- /
  distant-metastases-category;
- `oncology.performance` Karnofsky: Observation mcode-karnofsky-performance-status (LOINC 89243-0);
  Lansky: Observation NCIt C38144, no profile (mCODE STU4 has none);
- `oncology.surgeries`: Procedure mcode-cancer-related-surgical-procedure (`reasonReference` → the
  primary);
- `plan_inputs.ecog`: Observation mcode-ecog-performance-status (LOINC 89247-1).

The staging codes are the reader's own table (`read_oncology._TNM`, mCODE's staging-type value sets)
read backwards, so that what bonemet writes is what it reads. A field is written as resources only
when every one of its items reads back the same (a value the reader would shorten, a Karnofsky score
that is not a multiple of 10, a stage group without a primary to point at): otherwise the whole field
stays in case-data, as before, so the round trip stays exact (`fields_as_resources`).
"""

from __future__ import annotations

from typing import Any, Protocol

from bonemet.fhir import common as c
from bonemet.fhir import write_mcode as mc
from bonemet.fhir.read_oncology import _TNM as READ_TNM  # the reader's table, read backwards
from bonemet.model.case import Case
from bonemet.model.oncology import CancerSurgery, PerformanceScore, TnmFinding

Json = dict[str, Any]

TNM_PROFILE = {
    "stage_group": mc.MCODE + "mcode-tnm-stage-group",
    "T": mc.MCODE + "mcode-tnm-primary-tumor-category",
    "N": mc.MCODE + "mcode-tnm-regional-nodes-category",
    "M": mc.MCODE + "mcode-tnm-distant-metastases-category",
}
KARNOFSKY = mc.MCODE + "mcode-karnofsky-performance-status"
SURGERY = mc.SURGICAL_PROCEDURE
KARNOFSKY_CODE = {"system": mc.LOINC, "code": "89243-0", "display": "Karnofsky Performance Status score"}
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
LANSKY_CODE = {"system": NCIT, "code": "C38144", "display": "Lansky Play-Performance Status"}
# The staging system is required (1..1) by the TNM profiles; bonemet's case does not hold the AJCC
# edition, so none of the value set's codes is claimed: the text says so.
TNM_METHOD = {"text": "TNM staging system (edition not recorded)"}
_KIND_SHOWN = {"clinical": "Clinical", "pathologic": "Pathologic", "post_therapy": "Post-therapy",
               "unspecified": "TNM"}
_ELEMENT_SHOWN = {"stage_group": "stage group", "T": "T category", "N": "N category", "M": "M category"}
_AJCC_PREFIX = "American Joint Committee on Cancer "  # the reader drops it from a display


class _Writer(Protocol):
    case: Case
    primary_url: str | None
    entries: list[Json]

    def add(self, resource: Json, *key: str) -> str: ...
    def subject(self) -> Json: ...


def tnm_code(kind: str, element: str) -> Json:
    """The first code of the reader's table that reads as (kind, element): a SNOMED CT staging type
    where mCODE has one, the LOINC one (post-therapy) otherwise."""
    system, code = next(k for k, v in READ_TNM.items() if v == (kind, element))
    return {"system": system, "code": code}


def _reads_back(text: str) -> bool:
    """The reader keeps a coded value as written unless it trims it (AJCC prefix, a trailing
    "(qualifier value)"): such a value stays in case-data."""
    return (text == text.strip() and not text.startswith(_AJCC_PREFIX)
            and not (text.endswith(")") and " (" in text))


def _performance_reads_back(p: PerformanceScore) -> bool:
    return p.value % 10 == 0


def fields_as_resources(case: Case) -> set[str]:
    """The `oncology` fields written as resources (the others stay in the case-data extension). The
    recorded bone sites are not among them: they ride on the SecondaryCancerCondition and keep their
    case-data copy (a refuted or unknown metastasis writes no such Condition)."""
    o = case.oncology
    if o is None:
        return set()
    out: set[str] = set()
    has_primary = case.cancer.primary_site is not None  # the stage group's focus (1..1)
    if o.staging and all(_reads_back(f.value) for f in o.staging) and (
            has_primary or all(f.element != "stage_group" for f in o.staging)):
        out.add("staging")
    if o.performance and all(_performance_reads_back(p) for p in o.performance):
        out.add("performance")
    if o.surgeries and all(_reads_back(s.name) for s in o.surgeries):
        out.add("surgeries")
    return out


def ecog_as_resource(case: Case) -> bool:
    """`plan_inputs.ecog` as its own ECOG Observation when the reader gives it back to plan_inputs: a
    date, no clinical course that day (the reader would pair it with the course), not after the
    decision date (the reader would not use it)."""
    pi = case.plan_inputs
    if pi is None or pi.ecog is None or pi.ecog_date is None:
        return False
    if any(s.date == pi.ecog_date for s in case.clinical_status):
        return False
    as_of = case.context.as_of
    return as_of is None or pi.ecog_date <= as_of


def oncology(w: _Writer) -> None:
    """TNM, Karnofsky/Lansky and cancer surgeries (each field that `fields_as_resources` keeps)."""
    o = w.case.oncology
    if o is None:
        return
    written = fields_as_resources(w.case)
    if "staging" in written:
        _staging(w, o.staging)
    if "performance" in written:
        for i, p in enumerate(o.performance):
            w.add(_performance(w, p), "performance", str(i))
    if "surgeries" in written:
        for i, s in enumerate(o.surgeries):
            w.add(_surgery(w, s), "cancer-surgery", str(i))


def plan_ecog(w: _Writer, local: Json) -> None:
    pi = w.case.plan_inputs
    if pi is None or not ecog_as_resource(w.case):
        return
    assert pi.ecog is not None and pi.ecog_date is not None
    res = mc.profile({
        "resourceType": "Observation",
        "status": "final",
        "category": mc.observation_category("survey"),
        "code": {"coding": [mc.ECOG_CODE, local], "text": "ECOG performance status"},
        "subject": w.subject(),
        "effectiveDateTime": pi.ecog_date.isoformat(),
        "valueInteger": pi.ecog,
    }, mc.ECOG)
    w.add(res, "plan", "ecog")


def _tnm_value(f: TnmFinding) -> Json:
    value: Json = {"text": f.value}
    if f.code:
        value["coding"] = [{"system": mc.SCT, "code": f.code}]
    return value


def _staging(w: _Writer, staging: tuple[TnmFinding, ...]) -> None:
    """In the case's order (the reader gives them back in it). A stage group lists as `hasMember` the
    categories of its kind and date (their fullUrls are known beforehand: ids come from the case), and
    each stage group is named in the primary's `stage[]`."""
    urls = [c.full_url(w.case.case_id, "tnm", str(i)) for i in range(len(staging))]
    groups: list[tuple[int, str]] = []
    for i, f in enumerate(staging):
        res: Json = {
            "resourceType": "Observation",
            "status": "final",
            "category": mc.observation_category("imaging"),  # as the IG's TNM examples
            "code": {"coding": [tnm_code(f.kind, f.element)],
                     "text": f"{_KIND_SHOWN[f.kind]} {_ELEMENT_SHOWN[f.element]}"},
            "subject": w.subject(),
        }
        if w.primary_url is not None:
            res["focus"] = [{"reference": w.primary_url}]
        if f.date:
            res["effectiveDateTime"] = f.date.isoformat()
        res["valueCodeableConcept"] = _tnm_value(f)
        res["method"] = dict(TNM_METHOD)
        if f.element == "stage_group":
            members = [urls[j] for j, g in enumerate(staging)
                       if g.element != "stage_group" and (g.kind, g.date) == (f.kind, f.date)][:3]
            if members:  # the profile allows three (T, N, M)
                res["hasMember"] = [{"reference": u} for u in members]
            groups.append((i, urls[i]))
        w.add(mc.profile(res, TNM_PROFILE[f.element]), "tnm", str(i))
    _primary_stage(w, staging, groups)


def _primary_stage(w: _Writer, staging: tuple[TnmFinding, ...], groups: list[tuple[int, str]]) -> None:
    """The primary cancer Condition's `stage[]`: the stage group in words, pointing at its Observation."""
    if w.primary_url is None or not groups:
        return
    primary = next(e["resource"] for e in w.entries if e["fullUrl"] == w.primary_url)
    primary["stage"] = [{"summary": _tnm_value(staging[i]), "assessment": [{"reference": url}]}
                        for i, url in groups]


def _performance(w: _Writer, p: PerformanceScore) -> Json:
    res: Json = {
        "resourceType": "Observation",
        "status": "final",
        "category": mc.observation_category("survey"),
        "code": {"coding": [KARNOFSKY_CODE if p.scale == "karnofsky" else LANSKY_CODE],
                 "text": f"{p.scale.capitalize()} performance status"},
        "subject": w.subject(),
    }
    if p.date:
        res["effectiveDateTime"] = p.date.isoformat()
    res["valueInteger"] = p.value
    return mc.profile(res, KARNOFSKY) if p.scale == "karnofsky" else res


def _surgery(w: _Writer, s: CancerSurgery) -> Json:
    code: Json = {"text": s.name}
    if s.code:
        code["coding"] = [{"system": mc.SCT, "code": s.code}]
    res: Json = {
        "resourceType": "Procedure",
        # US Core (us-core-7): a completed procedure has its date; without one, its status is unknown
        "status": "completed" if s.date else "unknown",
        "code": code,
        "subject": w.subject(),
    }
    if s.date:
        res["performedDateTime"] = s.date.isoformat()
    if w.primary_url is not None:
        res["reasonReference"] = [{"reference": w.primary_url}]
    return mc.profile(res, SURGERY)
