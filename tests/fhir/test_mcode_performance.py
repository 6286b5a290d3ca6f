"""Issue 26, observed item 5: ECOG recorded on its own is read (the plan's performance status);
Karnofsky is kept as Karnofsky (never an "invalid ECOG", never converted)."""

from __future__ import annotations

from mcode_builders import LOINC, LUNG_PRIMARY, bundle, cc, observation

from bonemet.fhir.to_case import case_from_fhir

ECOG = cc(LOINC, "89247-1", "ECOG Performance Status score")
KARNOFSKY = cc(LOINC, "89243-0", "Karnofsky Performance Status score")


def test_ecog_on_its_own_is_the_plan_performance_status() -> None:
    r = case_from_fhir(
        bundle(LUNG_PRIMARY, observation("e", ECOG, profile="mcode-ecog-performance-status", valueInteger=2))
    )
    assert r.case.plan_inputs is not None
    assert (r.case.plan_inputs.ecog, r.case.plan_inputs.ecog_date.isoformat()) == (2, "2025-11-01")  # type: ignore[union-attr]


def test_the_latest_ecog_on_its_own_is_kept_and_the_earlier_said() -> None:
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            observation("e1", ECOG, "2025-10-01", valueInteger=1),
            observation("e2", ECOG, "2025-11-01", valueInteger=3),
        )
    )
    assert r.case.plan_inputs.ecog == 3  # type: ignore[union-attr]
    assert any("an earlier ECOG" in u.reason for u in r.unmapped)


def test_karnofsky_100_is_karnofsky_not_an_invalid_ecog() -> None:
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            observation("k", KARNOFSKY, profile="mcode-karnofsky-performance-status", valueInteger=100),
        )
    )
    assert r.case.oncology is not None
    assert [(p.scale, p.value) for p in r.case.oncology.performance] == [("karnofsky", 100)]
    assert r.case.plan_inputs is None or r.case.plan_inputs.ecog is None  # not converted
    assert not any("ECOG" in u.reason for u in r.unmapped)
    assert "Karnofsky 100" in "\n".join(r.case.oncology.summary())


def test_a_karnofsky_value_off_its_scale_is_reported() -> None:
    r = case_from_fhir(bundle(LUNG_PRIMARY, observation("k", KARNOFSKY, valueInteger=55)))
    assert r.case.oncology is None
    assert any("Karnofsky score is not one of" in u.reason for u in r.unmapped)


def test_an_ecog_of_5_or_more_is_still_refused_as_ecog() -> None:
    r = case_from_fhir(bundle(LUNG_PRIMARY, observation("e", ECOG, valueInteger=90)))
    assert r.case.plan_inputs is None
    assert any("not an integer 0-4" in u.reason and "89243-0" in u.reason for u in r.unmapped)
