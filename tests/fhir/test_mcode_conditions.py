"""Issue 26, observed items 1 and 4: PrimaryCancerCondition / SecondaryCancerCondition in every coding
pattern mCODE allows (a specific code; a generic code + bodySite; the histology-morphology-behavior
extension); bone secondaries → known bone metastases and their sites; other cancers never "no cancer"."""

from __future__ import annotations

from mcode_builders import LUNG_PRIMARY, SCT, bundle, cc, condition, lateral

from bonemet.fhir.to_case import case_from_fhir

GENERIC = cc(SCT, "363346000", "Malignant neoplastic disease (disorder)")
METASTATIC = cc(SCT, "128462008", "Metastatic malignant neoplasm (disorder)")
LUNG_SITE = cc(SCT, "39607008", "Lung structure (body structure)")
ADENO = cc(SCT, "1187332001", "Adenocarcinoma (morphologic abnormality)")


def test_a_generic_code_with_a_lung_body_site_is_a_lung_primary() -> None:
    r = case_from_fhir(bundle(condition("c", GENERIC, body=[LUNG_SITE])))
    assert (r.scope, r.case.cancer.primary_site) == ("lung", "lung")


def test_the_body_site_code_alone_names_the_organ() -> None:
    r = case_from_fhir(bundle(condition("c", GENERIC, body=[cc(SCT, "39607008")])))
    assert r.case.cancer.primary_site == "lung"


def test_the_histology_extension_gives_the_histology() -> None:
    r = case_from_fhir(bundle(condition("c", GENERIC, body=[LUNG_SITE], hist=ADENO)))
    assert r.case.cancer.histology == "adenocarcinoma"
    # with a specific code that names only "NSCLC", the extension is more precise and wins
    r = case_from_fhir(bundle(condition("c", cc(SCT, "254637007"), body=[LUNG_SITE], hist=ADENO)))
    assert r.case.cancer.histology == "adenocarcinoma"


def test_an_unknown_morphology_is_reported() -> None:
    r = case_from_fhir(
        bundle(
            condition("c", GENERIC, body=[LUNG_SITE], hist=cc(SCT, "82711006", "Infiltrating duct carcinoma"))
        )
    )
    assert r.case.cancer.histology is None
    assert any("Infiltrating duct carcinoma" in u.reason for u in r.unmapped)


def test_a_generic_code_without_a_body_site_is_a_cancer_of_unnamed_site() -> None:
    r = case_from_fhir(bundle(condition("c", GENERIC)))
    assert r.scope == "site_unknown" and r.case.cancer.primary_site is None


def test_bone_secondaries_are_known_bone_metastases_with_their_sites() -> None:
    secondary = condition(
        "m",
        METASTATIC,
        profile="secondary",
        onset="2025-10-02",
        body=[
            cc(SCT, "35769007", "Bone structure of thoracic vertebra"),
            cc(SCT, "73903008"),
            lateral("113197003", "Bone structure of rib", "7771000"),
            cc(SCT, "10200004", "Liver structure (body structure)"),
        ],
    )
    r = case_from_fhir(bundle(LUNG_PRIMARY, secondary))
    assert r.case.cancer.bone_metastases_known is True
    assert r.case.oncology is not None
    sites = {(b.site.value, b.side) for b in r.case.oncology.bone_metastasis_sites}
    assert sites == {("thoracic_spine", None), ("lumbar_spine", None), ("ribs", "left")}
    assert all(b.since and b.since.isoformat() == "2025-10-02" for b in r.case.oncology.bone_metastasis_sites)
    # the liver is said, not placed on the skeleton
    assert any(u.path == "bodySite[3]" and "Liver structure" in u.reason for u in r.unmapped)
    assert "Recorded bone metastasis sites" in "\n".join(r.case.oncology.summary())


def test_the_specific_bone_secondary_code_without_sites_is_known_bone_metastases() -> None:
    r = case_from_fhir(bundle(LUNG_PRIMARY, condition("m", cc(SCT, "94222008"), profile="secondary")))
    assert r.case.cancer.bone_metastases_known is True
    assert r.case.oncology is None or r.case.oncology.bone_metastasis_sites == ()


def test_a_secondary_outside_bone_is_reported_and_a_lone_one_is_still_a_cancer() -> None:
    brain = condition("b", cc(SCT, "94225005", "Secondary malignant neoplasm of brain"), profile="secondary")
    r = case_from_fhir(bundle(brain))
    assert r.scope == "site_unknown"  # a cancer, never "no cancer"
    assert r.case.cancer.bone_metastases_known is None
    assert any("metastasis outside bone" in u.reason for u in r.unmapped)


def test_a_refuted_bone_secondary_is_a_recorded_no() -> None:
    r = case_from_fhir(
        bundle(LUNG_PRIMARY, condition("m", cc(SCT, "94222008"), profile="secondary", verification="refuted"))
    )
    assert r.case.cancer.bone_metastases_known is False


def test_leukaemia_is_another_cancer_not_no_cancer() -> None:
    for code in ("92814006", "277571004"):
        r = case_from_fhir(bundle(condition("l", cc(SCT, code))))
        assert (r.scope, r.case.cancer.primary_site) == ("other_primary", "other")
    r = case_from_fhir(bundle(condition("l", {"text": "Acute myeloid leukaemia"})))
    assert r.scope == "other_primary"


def test_the_non_specific_metastatic_code_alone_is_a_cancer_of_unknown_primary() -> None:
    r = case_from_fhir(bundle(condition("n", METASTATIC)))
    assert r.scope == "site_unknown"
    assert any("unknown primary" in a.reason for a in r.assumptions)


def test_a_lung_primary_with_leukaemia_keeps_the_lung_primary() -> None:
    r = case_from_fhir(bundle(LUNG_PRIMARY, condition("l", cc(SCT, "92814006"))))
    assert r.scope == "lung"
    assert any("second primary" in u.reason for u in r.unmapped)
