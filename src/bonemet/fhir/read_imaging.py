"""Imaging: DiagnosticReport, Procedure, ImagingStudy and ServiceRequest grouped into exams.

Nuclear medicine is read with its tracer (issue 14): SPECT and PET procedure codes (CPT 78803,
78830-78832, 78811-78816) and the words "SPECT" or "PET" do not say what was injected. The tracer
(a radiopharmaceutical code or word in the code, orderDetail, usedCode or note) or a non-bone target
(ventilation/perfusion, thyroid, myocardium...) decides; without either, the bone reading (bone
SPECT, FDG PET) is kept and recorded as an assumption. A V/Q SPECT is never read as a bone SPECT.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bonemet.fhir import common as c
from bonemet.fhir.read_base import (
    KNOWN_NOT_USED,
    Json,
    Mapper,
    MappingContext,
    Res,
    dicts,
    first_date,
    nonempty,
)
from bonemet.fhir.valuesets import Match, ValueSets, default_valuesets
from bonemet.model.case import ImagingExam, Lesion, Modality

_PET = {Modality.fdg_pet_ct, Modality.naf_pet_ct}
_MODALITY = {x.value: x for x in Modality}  # the modality value set's keys are exactly these
_V3_RESULT = {"POS": "positive", "NEG": "negative", "IND": "equivocal", "A": "positive", "N": "negative"}
_RESULT_WORDS = {
    "positive": "positive",
    "positif": "positive",
    "negative": "negative",
    "negatif": "negative",
    "equivocal": "equivocal",
    "equivoque": "equivocal",
    "douteux": "equivocal",
    "indeterminate": "equivocal",
    "indetermine": "equivocal",
}


_IMAGING_GROUPS = ("modality", "non_bone_imaging")
# The tracer that confirms each nuclear-medicine reading (keys of the `tracer` value set).
_CONFIRMS = {"bone_scan": "bone", "spect_ct": "bone", "fdg_pet_ct": "fdg", "naf_pet_ct": "naf"}
_BY_TRACER = {"fdg": "fdg_pet_ct", "naf": "naf_pet_ct"}


def _imaging_code(m: Mapper, r: Res) -> tuple[Match | None, list[Any]]:
    """Modality of one imaging resource, from its code(s) then (ImagingStudy) DICOM modalities."""
    hit, codes, assumption = _imaging_reading(m, r)
    if assumption:
        m.assume(r, "code", assumption)
    return hit, codes


def _imaging_reading(m: Mapper, r: Res) -> tuple[Match | None, list[Any], str | None]:
    body = r.body
    codes: list[Any] = []
    if r.rt == "ImagingStudy":
        codes = [*dicts(body.get("procedureCode"))]
        if nonempty(body.get("description")):
            codes.append({"text": body["description"]})
    else:
        codes = [body.get("code")]
    for cc in codes:
        hit = m.match(_IMAGING_GROUPS, cc, local="modality")
        if hit is not None:
            refined, assumption = _with_tracer(m, body, codes, hit)
            return refined, codes, assumption
    return None, codes, None


def _tracers(m: Mapper, body: Json, codes: list[Any]) -> set[str]:
    """Keys of the `tracer` value set named anywhere an order or exam records what was injected."""
    ccs = [*codes, *dicts(body.get("orderDetail")), *dicts(body.get("usedCode")),
           *dicts(body.get("bodySite"))]
    found: set[str] = set()
    texts = [n.get("text") for n in dicts(body.get("note"))]
    for cc in ccs:
        if isinstance(cc, dict):
            found.update(h.concept.key for h in m.vs.match_codes(("tracer",), cc))
            texts += [cc.get("text"), *(x.get("display") for x in dicts(cc.get("coding")))]
    for t in texts:
        if isinstance(t, str) and t:
            found.update(concept.key for concept in m.vs.match_text_all("tracer", t))
    return found


def _with_tracer(m: Mapper, body: Json, codes: list[Any], hit: Match) -> tuple[Match, str | None]:
    """The reading once the tracer is known, and the assumption made when it is not."""
    key = hit.concept.key
    if hit.group != "modality" or key not in _CONFIRMS or hit.how == "local":
        return hit, None
    tracers = _tracers(m, body, codes)
    if "non_bone" in tracers and not tracers & {"bone", "naf"}:
        return Match("non_bone_imaging", m.vs.concept("non_bone_imaging", "non_bone_nuclear_medicine"),
                     None, "text"), None
    if key in ("fdg_pet_ct", "naf_pet_ct"):
        named = [t for t in ("naf", "fdg") if t in tracers]
        if named and _BY_TRACER[named[0]] != key:
            return Match("modality", m.vs.concept("modality", _BY_TRACER[named[0]]), None, "text"), None
    agnostic = (hit.row is not None and hit.row.role == "any_tracer") or (
        hit.how == "text" and key in ("spect_ct", "fdg_pet_ct"))
    if agnostic and _CONFIRMS[key] not in tracers:
        what = f"{hit.row.system.upper()} {hit.row.code}" if hit.row is not None else "the order's words"
        return hit, (f"tracer not given ({what} covers any tracer): read as {hit.concept.display.en} "
                     "(assumption; a non-bone tracer would make it out of scope)")
    return hit, None


def _dicom_modality(body: Json) -> set[str]:
    out: set[str] = set()
    for s in [*dicts(body.get("modality")), *(x.get("modality") for x in dicts(body.get("series")))]:
        if isinstance(s, dict) and nonempty(s.get("code")):
            out.add(str(s["code"]))
    return out


_DICOM = {"MR": Modality.mri, "CT": Modality.ct, "CR": Modality.radiograph, "DX": Modality.radiograph}


@dataclass
class _Exam:
    members: list[Res]
    modality: Modality
    row_coverage: str | None = None
    row_site: str | None = None


def imaging(m: Mapper, buckets: dict[str, list[Res]]) -> list[dict[str, Any]]:
    candidates: list[tuple[Res, Modality, Match | None]] = []
    for rt in ("DiagnosticReport", "Procedure", "ImagingStudy", "ServiceRequest"):
        for r in buckets.get(rt, []):
            hit, _ = _imaging_code(m, r)
            if rt == "Procedure" and hit is None:
                continue  # treatment procedures are read by _treatments
            if hit is None and rt == "ImagingStudy":
                dicom = _dicom_modality(r.body) & set(_DICOM)
                if len(dicom) == 1:
                    modality = _DICOM[dicom.pop()]
                    m.assume(r, "series.modality", f"no procedure code: modality {modality.value} from DICOM")
                    candidates.append((r, modality, None))
                    continue
            if hit is None:
                reason = (
                    "imaging code not recognised"
                    if rt != "DiagnosticReport"
                    else "report code not recognised as bone imaging "
                    "(laboratory reports are read through their Observations)"
                )
                m.skip(r, "code" if rt != "ImagingStudy" else "procedureCode", reason)
                continue
            if hit.group == "non_bone_imaging":
                m.consumed.add(id(r.body))
                m.skip(r, "code", f"{hit.concept.display.en}", KNOWN_NOT_USED)
                continue
            status = r.body.get("status")
            if status in ("entered-in-error", "cancelled", "revoked", "not-done", "stopped"):
                m.skip(r, "status", f"status {status}: not an exam that took place")
                continue
            if rt == "ServiceRequest" and status != "completed":
                m.skip(
                    r,
                    "status",
                    f"order ({status}): not a performed exam; orders are rated by the CDS "
                    "service, not read as exams",
                    KNOWN_NOT_USED,
                )
                continue
            if rt == "Procedure" and status in ("preparation", "in-progress", "on-hold"):
                m.skip(r, "status", f"procedure {status}: not performed yet")
                continue
            candidates.append((r, _MODALITY[hit.concept.key], hit))
    # Group the resources of one exam: explicit links first, then same modality and day.
    parent: dict[int, int] = {i: i for i in range(len(candidates))}
    index = {id(r.body): i for i, (r, _, _) in enumerate(candidates)}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for i, (r, _, _) in enumerate(candidates):
        links = [
            *dicts(r.body.get("imagingStudy")),
            *dicts(r.body.get("basedOn")),
            *dicts(r.body.get("report")),
            *dicts(r.body.get("partOf")),
        ]
        for ref in links:
            target = m.resolve(ref)
            if target is not None and id(target.body) in index:
                union(i, index[id(target.body)])
    keyed: dict[tuple[str, str], int] = {}
    for i, (r, modality, _) in enumerate(candidates):
        if m.identifier(r.body, c.ID_EXAM):
            continue
        _, value = first_date(
            r.body,
            "effectiveDateTime",
            "effectivePeriod.start",
            "performedDateTime",
            "performedPeriod.start",
            "started",
            "occurrenceDateTime",
        )
        day, _ = c.parse_date(value)
        if day is not None:
            key = (modality.value, day.isoformat())
            if key in keyed:
                union(i, keyed[key])
            else:
                keyed[key] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(candidates)):
        groups.setdefault(find(i), []).append(i)
    order = {"DiagnosticReport": 0, "Procedure": 1, "ImagingStudy": 2, "ServiceRequest": 3}
    exams: list[dict[str, Any]] = []
    used_ids: set[str] = set()
    for members in sorted(groups.values(), key=lambda ms: min(candidates[i][0].pos for i in ms)):
        rs = sorted((candidates[i] for i in members), key=lambda t: (order[t[0].rt], t[0].pos))
        exam = _exam(m, rs, used_ids)
        if exam is not None:
            exams.append(exam)
    return exams


_EXAM_EXTENSIONS = (
    (c.EXT_PURPOSE, "purpose"),
    (c.EXT_CHANGE, "change_vs_previous"),
    (c.EXT_PET_COVERAGE, "pet_coverage"),
    (c.EXT_FEMURS, "femurs_included"),
    (c.EXT_ISOLATED, "isolated_lesion"),
    (c.EXT_HOT_SPOTS, "hot_spot_count"),
)
_LESION_EXTENSIONS = (
    (c.EXT_SIDE, "side"),
    (c.EXT_LEVEL, "level"),
    (c.EXT_IRRADIATED, "irradiated"),
    (c.EXT_SUSPICIOUS, "suspicious"),
)


def _exam(
    m: Mapper, rs: list[tuple[Res, Modality, Match | None]], used_ids: set[str]
) -> dict[str, Any] | None:
    lead, modality, _ = rs[0]
    if len({mod for _, mod, _ in rs}) > 1:
        m.assume(
            lead, "code", f"linked resources disagree on the modality; {modality.value} kept (from {lead.rt})"
        )
    date: dt.date | None = None
    for r, _, _ in rs:
        date = m.date(
            r,
            (
                "effectiveDateTime",
                "effectivePeriod.start",
                "performedDateTime",
                "performedPeriod.start",
                "started",
                "occurrenceDateTime",
                "occurrencePeriod.start",
            ),
            required=False,
        )
        if date:
            break
    if date is None:
        for r, _, _ in rs[:1]:
            m.problem(r, "effective[x]", "imaging exam without a date: the rules count days from it")
        return None
    exam_id = next((x for r, _, _ in rs if (x := m.identifier(r.body, c.ID_EXAM))), None) or lead.id or "exam"
    base_id, n = exam_id, 2
    while exam_id in used_ids:
        exam_id, n = f"{base_id}-{n}", n + 1
    used_ids.add(exam_id)
    out: dict[str, Any] = {"id": exam_id, "date": date.isoformat(), "modality": modality.value}
    report = next((r for r, _, _ in rs if r.rt == "DiagnosticReport"), None)
    for r, _, _ in rs:
        m.consumed.add(id(r.body))
        m.read(r, f"exams ({modality.value} {date.isoformat()})")
    # Extensions may sit on any member; the report wins.
    for r, _, _ in reversed(rs):
        b = r.body
        m.read_ext(b, _EXAM_EXTENSIONS, out)
        target = m.ext(b, c.EXT_TARGET_SITE)
        sites = [target] if target is not None else dicts(b.get("bodySite"))
        if r.rt == "ImagingStudy":
            sites += [
                s.get("bodySite") for s in dicts(b.get("series")) if isinstance(s.get("bodySite"), dict)
            ]
        for s in sites:
            site = m.site_of(r, "bodySite", s)
            if site:
                out["target_site"] = site
                break
    rows = [h.row for _, _, h in rs if h is not None and h.row is not None]
    site_row = next((row for row in rows if row.site), None)
    coverage_row = next((row for row in rows if row.coverage), None)
    if "target_site" not in out and site_row is not None:
        out["target_site"] = site_row.site
    if "pet_coverage" not in out and "femurs_included" not in out and modality in _PET and coverage_row:
        out["pet_coverage"] = coverage_row.coverage
        m.assume(lead, "code", f"PET coverage {coverage_row.coverage} read from CPT {coverage_row.code}")
    if modality not in _PET:
        for key in ("pet_coverage", "femurs_included"):
            if out.pop(key, None) is not None:
                m.skip(lead, "extension", f"{key} applies to PET only")
    if report is not None:
        _report(m, report, out, modality)
    m.case_data(lead.body, out)
    if not m.checked:
        return out
    try:
        ImagingExam.model_validate(out)
    except ValidationError as exc:
        for err in exc.errors():
            m.problem(lead, ".".join(str(p) for p in err["loc"]), err["msg"].removeprefix("Value error, "))
        return None
    return out


def _report(m: Mapper, r: Res, out: dict[str, Any], modality: Modality) -> None:
    status = r.body.get("status")
    results: list[str] = []
    for i, cc in enumerate(dicts(r.body.get("conclusionCode"))):
        finding = m.local_code(cc, "imaging-finding")
        if finding:
            key = "radiograph_finding" if modality is Modality.radiograph else "mri_finding"
            if modality in (Modality.radiograph, Modality.mri, Modality.wb_mri):
                out[key] = finding
            else:
                m.skip(r, f"conclusionCode[{i}]", f"finding {finding} does not apply to {modality.value}")
            continue
        result = m.local_code(cc, "exam-result")
        if result is None:
            for coding in dicts(cc.get("coding")):
                if coding.get("system") == c.V3_INTERPRETATION and coding.get("code") in _V3_RESULT:
                    result = _V3_RESULT[str(coding["code"])]
        if result is None and nonempty(cc.get("text")):
            result = _RESULT_WORDS.get(str(cc["text"]).strip().lower().strip(".").replace("é", "e"))
        if result:
            results.append(result)
        else:
            m.skip(r, f"conclusionCode[{i}]", "conclusion code not recognised")
    if not results and nonempty(r.body.get("conclusion")):
        word = str(r.body["conclusion"]).strip().lower().strip(".").replace("é", "e")
        if word in _RESULT_WORDS:
            results.append(_RESULT_WORDS[word])
    if status in ("registered", "partial"):
        if results:
            m.skip(r, "status", f"report {status}: result not final, read as pending")
    elif results:
        out["result"] = results[0]
    elif status not in (None,):
        m.skip(r, "conclusion", "no coded result (positive/negative/equivocal): read the report and enter it")
    lesions: list[dict[str, Any]] = []
    for i, ref in enumerate(dicts(r.body.get("result"))):
        target = m.resolve(ref)
        if target is None or target.rt != "Observation":
            m.skip(r, f"result[{i}]", "reference not found in the data")
            continue
        m.consumed.add(id(target.body))
        lesion = _lesion(m, target)
        if lesion is not None:
            lesions.append(lesion)
            m.read(target, f"exams[].lesions ({lesion.get('site')})")
    if lesions:
        out["lesions"] = lesions


def _lesion(m: Mapper, r: Res) -> dict[str, Any] | None:
    b = r.body
    site = m.site_of(r, "bodySite", b.get("bodySite"))
    if site is None:
        m.skip(r, "bodySite", "finding without a recognised skeletal site")
        return None
    out: dict[str, Any] = {"site": site}
    m.read_ext(b, _LESION_EXTENSIONS, out)
    phenotype = m.local_code(b.get("valueCodeableConcept"), "phenotype")
    if phenotype is None and isinstance(b.get("valueCodeableConcept"), dict):
        text = str(b["valueCodeableConcept"].get("text") or "").lower()
        phenotype = next((p for p in ("lytic", "blastic", "mixed") if p in text), None)
    if phenotype:
        out["phenotype"] = phenotype
    m.case_data(b, out)
    if not m.checked:
        return out
    try:
        Lesion.model_validate(out)
    except ValidationError as exc:
        m.skip(r, "", f"lesion refused: {exc.errors()[0]['msg']}")
        return None
    return out




@dataclass(frozen=True)
class ImagingReading:
    """What one imaging resource (e.g. a draft order) asks for: the modality, the skeletal region it
    names (None: none named) and the assumption the reading rests on (None: none)."""

    modality: Modality | None
    site: str | None
    assumption: str | None


def imaging_reading(resource: Json, valuesets: ValueSets | None = None) -> ImagingReading:
    """The reading of one imaging resource; modality None when it is not bone imaging."""
    vs = valuesets or default_valuesets()
    if not isinstance(resource, dict):
        return ImagingReading(None, None, None)
    m = Mapper(vs, MappingContext())
    rt = str(resource.get("resourceType") or "")
    hit, codes, assumption = _imaging_reading(m, Res(rt, None, resource, ""))
    if hit is None or hit.group != "modality":
        return ImagingReading(None, None, None)
    return ImagingReading(Modality(hit.concept.key), _named_site(m, resource, codes, hit), assumption)


def _named_site(m: Mapper, body: Json, codes: list[Any], hit: Match) -> str | None:
    """The skeletal region an order names: its code's row, a bone bodySite, or its words."""
    if hit.row is not None and hit.row.site:
        return hit.row.site
    r = Res(str(body.get("resourceType") or ""), None, body, "")
    for cc in [*dicts(body.get("bodySite")), *codes]:
        if isinstance(cc, dict):
            found = m.match(("body_site", "body_site_ambiguous"), cc, local="body-site")
            if found is not None:
                return found.concept.key if found.group == "body_site" else m.site_of(r, "bodySite", cc)
    return None


def imaging_modality(resource: Json, valuesets: ValueSets | None = None) -> Modality | None:
    """Modality of one imaging resource (e.g. a draft ServiceRequest of an order-select hook), or None."""
    return imaging_reading(resource, valuesets).modality

