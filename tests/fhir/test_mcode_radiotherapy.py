"""Issue 26, observed item 3: mCODE RadiotherapyCourseSummary (SNOMED 1217123003) → the case's
radiotherapy course (site, period, dose, fractions), which the flare and plan rules read."""

from __future__ import annotations

from typing import Any

from mcode_builders import LUNG_PRIMARY, MC, PID, SCT, bundle, cc

from bonemet.fhir.to_case import case_from_fhir

LUMBAR = cc(SCT, "73903008", "Bone structure of lumbar vertebra")


def _dose(volume: str, cgy: float, fractions: int, unit: str = "cGy") -> dict[str, Any]:
    return {
        "url": MC + "mcode-radiotherapy-dose-delivered-to-volume",
        "extension": [
            {"url": "volume", "valueReference": {"reference": f"BodyStructure/{volume}"}},
            {
                "url": "totalDoseDelivered",
                "valueQuantity": {"value": cgy, "system": "http://unitsofmeasure.org", "code": unit},
            },
            {"url": "fractionsDelivered", "valueUnsignedInt": fractions},
        ],
    }


def _volume(rid: str, location: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "BodyStructure",
        "id": rid,
        "location": location,
        "patient": {"reference": f"Patient/{PID}"},
    }


def _course(
    rid: str,
    doses: list[dict[str, Any]],
    body: list[Any] | None,
    period: tuple[str, str] = ("2025-10-01", "2025-10-10"),
) -> dict[str, Any]:
    r: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": rid,
        "meta": {"profile": [MC + "mcode-radiotherapy-course-summary"]},
        "extension": doses,
        "status": "completed",
        "code": cc(SCT, "1217123003"),
        "subject": {"reference": f"Patient/{PID}"},
        "performedPeriod": {"start": period[0], "end": period[1]},
    }
    if body is not None:
        r["bodySite"] = body
    return r


def test_a_course_summary_to_the_spine_is_the_case_bone_radiotherapy() -> None:
    r = case_from_fhir(
        bundle(LUNG_PRIMARY, _volume("v", LUMBAR), _course("rt", [_dose("v", 3000, 10)], [LUMBAR]))
    )
    (t,) = r.case.treatments
    assert (t.type, t.site, t.dose_gy, t.fractions) == ("radiotherapy", "lumbar_spine", 30.0, 10)
    assert (t.start.isoformat(), t.end.isoformat()) == ("2025-10-01", "2025-10-10")  # type: ignore[union-attr]
    by_id = {x.resource_id: x for x in r.report}
    assert by_id["v"].outcome == "read" and "radiotherapy volume" in by_id["v"].detail


def test_the_site_comes_from_the_volume_when_the_procedure_has_no_body_site() -> None:
    r = case_from_fhir(
        bundle(LUNG_PRIMARY, _volume("v", LUMBAR), _course("rt", [_dose("v", 8, 1, "Gy")], None))
    )
    (t,) = r.case.treatments
    assert (t.site, t.dose_gy, t.fractions) == ("lumbar_spine", 8.0, 1)


def test_several_volumes_give_no_single_dose_and_say_so() -> None:
    chest = cc(SCT, "78904004", "Chest wall structure (body structure)")
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            _volume("a", chest),
            _volume("b", chest),
            _course("rt", [_dose("a", 6000, 30), _dose("b", 5000, 25)], [chest]),
        )
    )
    (t,) = r.case.treatments
    assert (t.site, t.dose_gy, t.fractions) == (None, None, None)
    assert any("2 treated volumes" in u.reason for u in r.unmapped)


def test_two_course_summaries_are_two_courses_not_fractions_of_one() -> None:
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            _course("a", [], [LUMBAR], ("2025-10-01", "2025-10-01")),
            _course("b", [], [LUMBAR], ("2025-10-03", "2025-10-03")),
        )
    )
    assert len(r.case.treatments) == 2
