"""Issue 26: the bone-plan inputs (creatinine, calcium, 25-OH vitamin D, weight) and a neurological
finding as an mCODE record (US Core labs and vital signs) writes them."""

from __future__ import annotations

import json

import mcode_examples as mx

from bonemet.fhir.to_case import case_from_fhir


def test_the_bone_plan_inputs_and_the_deficit_of_an_mcode_record_are_read() -> None:
    data = json.loads((mx.VARIANTS / "v07-bone-plan-inputs-and-neuro.json").read_text())
    r = case_from_fhir(data)
    labs = {(x.analyte.value, x.value, x.unit) for x in r.case.labs}
    assert labs == {
        ("creatinine", 1.1, "mg/dL"),
        ("calcium", 9.4, "mg/dL"),
        ("vitamin_d_25oh", 18.0, "ng/mL"),
    }
    assert r.case.plan_inputs is not None and r.case.plan_inputs.weight_kg == 69.85  # 154 [lb_av]
    assert r.case.context.neurological_deficit is True
    assert all(x.outcome == "read" for x in r.report)
