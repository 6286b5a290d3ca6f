"""Treatment procedures (issue 26 split from read_treatments.py): radiotherapy courses (one Procedure
per fraction grouped by site and gap, or mCODE's RadiotherapyCourseSummary with its dose and volume)
and bone surgery."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from bonemet.fhir import common as c
from bonemet.fhir.read_base import Json, Mapper, Res, dicts
from bonemet.model.case import Treatment


def courses(m: Mapper, procedures: list[tuple[Res, dict[str, Any]]],
            gap_days: int) -> list[tuple[int, dict[str, Any]]]:
    """Radiotherapy recorded one procedure per fraction, grouped into courses (same site, gaps of at
    most `gap_days`); other procedures, and those the bonemet writer identified, as they are."""
    placed: list[tuple[int, dict[str, Any]]] = []
    fractions: list[tuple[Res, dict[str, Any]]] = []
    for r, t in procedures:
        own = m.identifier(r.body, c.ID_TREATMENT)
        if t["type"] == "radiotherapy" and not own and t.get("start") and not _course_summary(r.body):
            fractions.append((r, t))
        else:
            placed.append((r.pos, t))
    open_course: dict[str | None, tuple[int, dict[str, Any]]] = {}
    courses = 0
    for r, t in sorted(fractions, key=lambda rt: (rt[1]["start"], rt[0].pos)):
        site = t.get("site")
        current = open_course.get(site)
        start = dt.date.fromisoformat(t["start"])
        if current is not None:
            last = dt.date.fromisoformat(current[1].get("end") or current[1]["start"])
            if (start - last).days <= gap_days:
                current[1]["end"] = max(current[1].get("end") or "", t.get("end") or t["start"])
                continue
        course = {**t}
        placed.append((r.pos, course))
        open_course[site] = (r.pos, course)
        courses += 1
    if courses < len(fractions):
        m.assume(None, "treatments", f"{len(fractions)} radiotherapy procedures grouped into {courses} "
                                     f"course(s) (a gap over {gap_days} days starts a new course)")
    return placed


_MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
_RT_SUMMARY = _MCODE + "mcode-radiotherapy-course-summary"
_RT_DOSE = _MCODE + "mcode-radiotherapy-dose-delivered-to-volume"
_SURGERY = _MCODE + "mcode-cancer-related-surgical-procedure"
_GY_PER = {"cGy": 0.01, "Gy": 1.0}


def _profiles(body: Json) -> list[str]:
    meta = body.get("meta")
    found = meta.get("profile") if isinstance(meta, dict) else None
    return [p.split("|")[0] for p in found if isinstance(p, str)] if isinstance(found, list) else []


def _course_summary(body: Json) -> bool:
    """An mCODE RadiotherapyCourseSummary is a whole course, never one fraction to group."""
    codes = body.get("code", {}).get("coding") if isinstance(body.get("code"), dict) else None
    return _RT_SUMMARY in _profiles(body) or any(
        isinstance(x, dict) and x.get("code") == "1217123003" for x in (codes or []))


def _rt_dose(m: Mapper, r: Res, out: dict[str, Any]) -> None:
    """dose_gy and fractions of a course summary's dose-delivered-to-volume (one volume), and its
    site from the volume's BodyStructure when the Procedure has no bodySite."""
    volumes = m.extensions(r.body).get(_RT_DOSE, [])
    for v in volumes:
        for sub in dicts(v.get("extension")):
            if sub.get("url") == "volume":
                target = m.resolve(sub.get("valueReference"))
                if target is not None and target.rt == "BodyStructure":
                    m.read(target, "treatments (radiotherapy volume)")
                    if "site" not in out and len(volumes) == 1:
                        site = m.site_of(target, "location", target.body.get("location"))
                        if site:
                            out["site"] = site
    if len(volumes) > 1:
        m.skip(r, "extension[dose-delivered-to-volume]",
               f"{len(volumes)} treated volumes with their own doses: the case holds one dose per course, "
               "none read")
        return
    for v in volumes:
        parts = {x.get("url"): x for x in dicts(v.get("extension"))}
        q = parts.get("totalDoseDelivered", {}).get("valueQuantity")
        value = q.get("value") if isinstance(q, dict) else None
        if isinstance(q, dict) and isinstance(value, int | float) and not isinstance(value, bool):
            factor = _GY_PER.get(str(q.get("code") or q.get("unit")))
            if factor is None:
                m.skip(r, "extension[dose-delivered-to-volume]",
                       f"dose unit {q.get('code')!r} is not cGy or Gy")
            elif 0 < value * factor <= 100:
                out["dose_gy"] = round(float(value) * factor, 2)
            else:
                m.skip(r, "extension[dose-delivered-to-volume]",
                       f"total dose {value:g} {q.get('code')} is outside bonemet's bounds (0-100 Gy): "
                       "not read")
        fx = parts.get("fractionsDelivered", {}).get("valueUnsignedInt")
        if isinstance(fx, int) and not isinstance(fx, bool) and 1 <= fx <= 50:
            out["fractions"] = fx
        elif fx is not None:
            m.skip(r, "extension[dose-delivered-to-volume]", f"fractions {fx!r} outside 1-50: not read")


def procedure_treatment(m: Mapper, r: Res) -> dict[str, Any] | None:
    b = r.body
    local_type = m.local_code(b.get("code"), "treatment-type")
    hit = m.match(("procedure_treatment",), b.get("code"))
    ttype = local_type or (hit.concept.key if hit else None)
    if ttype is None and _SURGERY in _profiles(b):
        ttype = "surgery"  # mCODE cancer surgery at a skeletal site (read_oncology keeps the others)
    if ttype is None:
        m.skip(r, "code", "procedure not used by bonemet (neither bone imaging nor radiotherapy/surgery)")
        return None
    status = b.get("status")
    if status in ("entered-in-error", "not-done", "preparation"):
        m.skip(r, "status", f"status {status}: not a treatment given")
        return None
    out: dict[str, Any] = {
        "id": m.identifier(b, c.ID_TREATMENT) or r.id or f"procedure-{ttype}",
        "type": ttype,
    }
    start = m.date(r, ("performedPeriod.start", "performedDateTime"), required=False)
    end = m.date(r, ("performedPeriod.end", "performedDateTime"), required=False)
    if start:
        out["start"] = start.isoformat()
    if end:
        out["end"] = end.isoformat()
    for s in dicts(b.get("bodySite")):
        site, level = m.site_level_of(r, "bodySite", s)
        if site:
            out["site"] = site
            if level:  # review F4: the vertebra treated, as the code or text names it
                out["level"] = level
            break
    if ttype == "radiotherapy" and _course_summary(b):
        _rt_dose(m, r, out)
    line = m.ext(b, c.EXT_LINE)
    if isinstance(line, int) and not isinstance(line, bool):
        out["line_number"] = line
    m.case_data(b, out)
    m.consumed.add(id(b))
    if not m.checked:
        return out
    try:
        Treatment.model_validate(out)
    except ValidationError as exc:
        m.problem(r, "performed[x]", exc.errors()[0]["msg"].removeprefix("Value error, "))
        return None
    return out


