"""Issue 26 review (F4, F6, F7, F8): what the plan and the assessment make of facts read from mCODE
records. Expectations written from the review before the code: a site known only from the diagnosis
is listed as not characterised and never feeds a lesion rule; RT-05 counts it; a component stopped
while its line goes on is not named during radiotherapy; Karnofsky shown, not converted; the other
cancer named in the out-of-scope reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from tests.plan.cases import rules
from tests.plan.test_plan_review23 import CASES, OLIGO

from bonemet.api import assess, bone_plan, load_case
from bonemet.model.case import Case


def _case(doc: dict[str, Any], tmp: Path) -> Case:
    path = tmp / "case.yaml"
    path.write_text(yaml.safe_dump(doc))
    return load_case(path)


def _oligo(tmp: Path, recorded: list[dict[str, Any]]) -> dict[str, Any]:
    doc = yaml.safe_load((CASES / "C18-oligo-sbrt.yaml").read_text())
    for x in doc["exams"][0]["lesions"]:
        x.setdefault("complications", {})["largest_size_cm"] = 2.0
    doc["plan_inputs"] = {**doc.get("plan_inputs", {}), **OLIGO}
    if recorded:
        doc["oncology"] = {"bone_metastasis_sites": recorded}
    return doc


def test_rt05_is_proposed_on_the_reviewers_oligometastatic_case(tmp_path: Path) -> None:
    plan = bone_plan(_case(_oligo(tmp_path, []), tmp_path))
    assert plan is not None and "RT-05" in rules(plan)  # the control: the case is oligometastatic


def test_a_site_recorded_only_in_the_diagnosis_stops_rt05_and_is_asked_for(tmp_path: Path) -> None:
    """One more site known from the diagnosis, never imaged: no ablative proposal that leaves it out
    (it may be a sixth metastasis, or an uncharacterised one); the plan asks to describe it."""
    plan = bone_plan(_case(_oligo(tmp_path, [{"site": "humerus", "side": "left"}]), tmp_path))
    assert plan is not None and "RT-05" not in rules(plan)
    (listed,) = [m for m in plan.missing_data if m.field.startswith("oncology.bone_metastasis_sites")]
    assert "not characterised" in listed.reason.en and "non caractérisé" in listed.reason.fr
    assert all(not x.id.startswith("humerus") for x in plan.lesions)  # never a plan lesion


def test_a_recorded_site_already_imaged_is_not_listed_again(tmp_path: Path) -> None:
    doc = _oligo(tmp_path, [])
    first = doc["exams"][0]["lesions"][0]
    doc["oncology"] = {"bone_metastasis_sites": [{"site": first["site"]}]}
    plan = bone_plan(_case(doc, tmp_path))
    assert plan is not None and "RT-05" in rules(plan)
    assert not [m for m in plan.missing_data if m.field.startswith("oncology.")]


def test_karnofsky_alone_is_shown_as_recorded_not_converted(tmp_path: Path) -> None:
    doc = _oligo(tmp_path, [])
    doc["plan_inputs"].pop("ecog", None)
    doc["oncology"] = {"performance": [{"scale": "karnofsky", "value": 100, "date": "2026-01-05"}]}
    doc["clinical_status"] = [s for s in doc.get("clinical_status", []) if "ecog" not in s]
    plan = bone_plan(_case(doc, tmp_path))
    assert plan is not None and plan.patient.ecog is None  # never converted
    (ecog,) = [m for m in plan.missing_data if m.field == "plan_inputs.ecog"]
    assert "Karnofsky 100" in ecog.reason.en and "not converted" in ecog.reason.en
    assert "Karnofsky de 100" in ecog.reason.fr


def test_the_out_of_scope_reason_names_the_other_cancer(tmp_path: Path) -> None:
    doc = yaml.safe_load((CASES / "C18-oligo-sbrt.yaml").read_text())
    doc["cancer"] = {"primary_site": "other", "recorded_as": "Chronic lymphoid leukemia"}
    reason = assess(_case(doc, tmp_path)).scope.reason
    assert reason is not None and "Chronic lymphoid leukemia" in reason.en and "no cancer" not in reason.en
    doc["cancer"] = {"primary_site": "breast"}
    reason = assess(_case(doc, tmp_path)).scope.reason
    assert reason is not None and "breast cancer" in reason.en and "cancer du sein" in reason.fr
    doc["cancer"] = {"diagnosis": "none"}
    reason = assess(_case(doc, tmp_path)).scope.reason
    assert reason is not None and "no cancer" in reason.en  # the generic reason stays for no cancer


def test_a_component_stopped_before_the_radiotherapy_is_not_named_in_rt07(tmp_path: Path) -> None:
    """Carboplatin stopped for toxicity while pemetrexed and pembrolizumab go on (review F6): RT-07
    speaks of the drugs given during the radiotherapy."""
    doc = _oligo(tmp_path, [])
    plan = bone_plan(_case(doc, tmp_path))
    assert plan is not None
    before = next(p for p in plan.proposals if p.rule_id == "RT-07")
    assert "carboplatin" in before.text.en  # the control
    doc["treatments"][0]["stopped_agents"] = [{"agent": "carboplatin", "end": "2025-04-15",
                                               "stop_reason": "toxicity"}]
    plan = bone_plan(_case(doc, tmp_path))
    assert plan is not None
    after = next(p for p in plan.proposals if p.rule_id == "RT-07")
    assert "carboplatin" not in after.text.en and "pemetrexed" in after.text.en
    assert all(f.value != "carboplatin" for f in after.facts)


def test_a_recorded_site_on_the_other_side_of_an_imaged_one_still_counts(tmp_path: Path) -> None:
    """Left pelvis recorded in the diagnosis, right pelvis imaged: two lesions, the left one not
    characterised (listed, and RT-05 waits for it)."""
    doc = _oligo(tmp_path, [])
    imaged = doc["exams"][0]["lesions"][0]
    assert (imaged["site"], imaged["side"]) == ("pelvis", "right")
    doc["oncology"] = {"bone_metastasis_sites": [{"site": "pelvis", "side": "left"}]}
    plan = bone_plan(_case(doc, tmp_path))
    assert plan is not None and "RT-05" not in rules(plan)
    assert [m.field for m in plan.missing_data if m.field.startswith("oncology.")] == [
        "oncology.bone_metastasis_sites[0]"]
