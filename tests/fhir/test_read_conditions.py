"""Conditions as other EHRs write them (issue 14, defect 1): the site comes from evidence that names
it, a histology alone names no organ, and nothing defaults to lung."""

from __future__ import annotations

from typing import Any

import pytest

from bonemet.fhir import SCOPES, case_from_fhir
from bonemet.model.case import OUTSIDE_CHAPTER_HISTOLOGY

SCT = "http://snomed.info/sct"
P = "Patient/p1"


def record(*conditions: dict[str, Any]) -> dict[str, Any]:
    resources = [{"resourceType": "Patient", "id": "p1"}, *conditions]
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def condition(code: dict[str, Any], cid: str = "c1", ver: str | None = None,
              clin: str = "active") -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Condition", "id": cid, "code": code, "subject": {"reference": P},
                           "clinicalStatus": {"coding": [{"code": clin}]}}
    if ver:
        out["verificationStatus"] = {"coding": [{"code": ver}]}
    return out


@pytest.mark.parametrize("code, scope, site, histology", [
    ({"text": "Adenocarcinoma of prostate"}, "other_primary", "prostate", "adenocarcinoma"),
    ({"text": "adenocarcinoma of colon"}, "other_primary", "other", "adenocarcinoma"),
    ({"text": "Squamous cell carcinoma of skin"}, "other_primary", "other", "squamous_cell_carcinoma"),
    ({"text": "Carcinome épidermoïde cutané du cuir chevelu"}, "other_primary", "other",
     "squamous_cell_carcinoma"),
    ({"text": "Invasive ductal carcinoma of right breast"}, "other_primary", "breast", None),
    ({"text": "Malignant tumour of colon"}, "other_primary", "other", None),
    ({"text": "Adenocarcinoma"}, "site_unknown", None, "adenocarcinoma"),
    ({"text": "Adénocarcinome pulmonaire du lobe supérieur droit"}, "lung", "lung", "adenocarcinoma"),
    ({"text": "Typical carcinoid tumour of the lung"}, "lung", "lung", "carcinoid"),
    ({"text": "Pulmonary embolism"}, "no_cancer", None, None),
    ({"text": "Benign neoplasm of colon"}, "no_cancer", None, None),
    ({"text": "Suspected lung cancer"}, "suspected_lung", "lung", None),
    ({"text": "Suspicion de cancer bronchique"}, "suspected_lung", "lung", None),
    ({"coding": [{"system": SCT, "code": "162573006"}]}, "suspected_lung", "lung", None),
    ({"coding": [{"system": SCT, "code": "254626006"}]}, "lung", "lung", "adenocarcinoma"),
    ({"coding": [{"system": SCT, "code": "399068003"}], "text": "Adenocarcinoma of prostate"},
     "other_primary", "prostate", "adenocarcinoma"),
    ({"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C61"}]}, "other_primary",
     "prostate", None),
])
def test_site_comes_from_evidence_that_names_it(code: dict[str, Any], scope: str, site: str | None,
                                                  histology: str | None) -> None:
    r = case_from_fhir(record(condition(code)), context={"phase": "staging"})
    assert r.scope == scope
    assert r.scope in SCOPES and r.in_scope is (scope == "lung")
    cancer = r.case.cancer
    if site is None:
        assert "primary_site" not in cancer.model_fields_set  # no lung assumption
    else:
        assert cancer.primary_site == site
    assert cancer.histology == histology
    # A suspected lung cancer is recorded as suspected, never as a diagnosis (issue 17): out of scope.
    assert (cancer.diagnosis == "suspected") is (scope == "suspected_lung")
    # A lung primary outside the chapter's carcinomas (a carcinoid) maps as lung, and the advisor
    # puts it out of scope (issue 21, docs/scope.md).
    chapter = cancer.histology not in OUTSIDE_CHAPTER_HISTOLOGY
    assert (cancer.scope()[0] == "in_scope") is (scope == "lung" and chapter)


def test_unconfirmed_or_refuted_lung_cancer_is_not_a_diagnosis() -> None:
    lung = {"coding": [{"system": SCT, "code": "254637007"}]}
    assert case_from_fhir(record(condition(lung, ver="provisional"))).scope == "suspected_lung"
    assert case_from_fhir(record(condition(lung, ver="refuted"))).scope == "no_cancer"


def test_lung_primary_wins_over_a_second_primary_which_is_reported_as_known() -> None:
    prostate = condition({"coding": [{"system": SCT, "code": "399068003"}]}, cid="c-prostate",
                         clin="resolved")
    lung = condition({"coding": [{"system": SCT, "code": "254626006"}]}, cid="c-lung")
    r = case_from_fhir(record(prostate, lung))
    assert (r.scope, r.case.cancer.primary_site) == ("lung", "lung")
    (second,) = [u for u in r.unmapped if u.resource_id == "c-prostate"]
    assert "second primary" in second.reason and second.kind == "known_not_used"


def test_bone_metastasis_text_is_not_read_as_the_primary() -> None:
    r = case_from_fhir(record(condition({"text": "Métastases osseuses d'un adénocarcinome pulmonaire"})))
    assert r.case.cancer.bone_metastases_known is True
    # The metastasis alone does not confirm the lung primary, but it is a cancer (issue 26: a patient
    # with a cancer condition never becomes "no cancer"): primary site unknown.
    assert r.scope == "site_unknown"


def test_a_non_lung_case_is_written_without_lung_histology_codes_and_read_back() -> None:
    from bonemet.fhir import case_to_bundle
    from bonemet.model import Case

    case = Case.model_validate({"case_id": "c", "context": {"phase": "staging"},
                                "cancer": {"primary_site": "prostate", "histology": "adenocarcinoma"}})
    bundle = case_to_bundle(case)
    (cond,) = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"]
    assert "254626006" not in str(cond["code"])  # "Adenocarcinoma of lung" is not this patient's
    back = case_from_fhir(bundle)
    assert (back.scope, back.case.cancer) == ("other_primary", case.cancer)
