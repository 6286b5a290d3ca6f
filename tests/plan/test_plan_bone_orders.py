"""BT-06: a zoledronic acid or denosumab order checked against the case (issue 24, the CDS order
check's core). Cases written from the sources before the code: the label's renal bands as read in
Aapro 2008 (PL-53; clinical-reference.md §10.1: > 60 4.0 mg, 50-60 3.5, 40-49 3.3, 30-39 3.0,
< 30 not recommended), Cockcroft-Gault worked example Z3, denosumab 120 mg every 4 weeks and its
hypocalcaemia risk (§10.2), the AURA vitamin D box, the dental evaluation (ONCOLOR 2016)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bonemet.api import parse_case
from bonemet.base.terms import TreatmentType
from bonemet.core.plan_bone_orders import BoneOrder, OrderCheck, check_order
from bonemet.core.plan_renal import zoledronic_acid_dose
from bonemet.kb import default_kb
from bonemet.model.case import Case
from bonemet.model.plan import BonePlan

from .cases import plan_of

KB = default_kb()
ZA, DMAB = TreatmentType.zoledronic_acid, TreatmentType.denosumab
DAY = dt.date(2026, 12, 1)

# A woman born in 1956 (about 70), 62 kg, lung adenocarcinoma with bone metastases.
BASE: dict[str, Any] = {
    "schema_version": "1.0", "case_id": "order-check",
    "patient": {"sex": "female", "birth_year": 1956},
    "cancer": {"primary_site": "lung", "histology": "adenocarcinoma", "bone_metastases_known": True},
    "context": {"phase": "on_treatment", "as_of": "2026-12-01"},
    "labs": [{"date": "2026-11-25", "analyte": "calcium", "value": 2.35, "unit": "mmol/L"},
             {"date": "2026-11-25", "analyte": "vitamin_d_25oh", "value": 35, "unit": "ng/mL"}],
    "plan_inputs": {"weight_kg": 62, "dental_status": "cleared", "dental_date": "2026-11-01"},
}


def case(*, clearance: float | None = None, creatinine: tuple[float, str] | None = None,
         labs: list[dict[str, Any]] | None = None, treatments: list[dict[str, Any]] | None = None,
         **plan_inputs: Any) -> Case:
    doc = copy.deepcopy(BASE)
    if clearance is not None:
        doc["plan_inputs"]["creatinine_clearance_ml_min"] = clearance
    if creatinine is not None:
        doc["labs"].append({"date": "2026-11-25", "analyte": "creatinine", "value": creatinine[0],
                            "unit": creatinine[1]})
    if labs is not None:
        doc["labs"] = labs
    if treatments:
        doc["treatments"] = treatments
    doc["plan_inputs"].update(plan_inputs)
    return parse_case(doc)


def check(c: Case, agent: TreatmentType = ZA, dose: float | None = 4.0, **kw: Any) -> OrderCheck:
    return check_order(c, KB, BoneOrder(agent=agent, dose_mg=dose, date=DAY, **kw))


def keys(result: OrderCheck) -> list[str]:
    return [f.key for f in result.findings]


# --- The label's bands, ordered 4.0 mg (table from PL-53 / clinical-reference §10.1) -------------

@pytest.mark.parametrize(("clearance", "band", "severity", "suggested"), [
    (65, 4.0, "info", None),        # the full dose: nothing to change
    (55, 3.5, "warning", 3.5),
    (45, 3.3, "warning", 3.3),
    (35, 3.0, "warning", 3.0),
    (25, None, "critical", None),   # not given below 30: never a dose
])
def test_ordered_4mg_against_the_bands(clearance: float, band: float | None, severity: str,
                                       suggested: float | None) -> None:
    result = check(case(clearance=clearance))
    assert result.band_mg == band
    assert result.severity == severity
    assert result.suggested_mg == suggested
    if band is None:
        assert result.contraindicated and keys(result)[0] == "contraindicated"
        assert "Denosumab is to be discussed" in result.findings[0].text.en
    elif band < 4.0:
        above = next(f for f in result.findings if f.key == "above")
        assert f"{band:.1f} mg" in above.text.en and "Not accepted as is" in above.text.en
        assert f"{band:.1f}".replace(".", ",") + " mg" in above.text.fr
        assert above.rule_id == "BT-06" and "PL-53" in above.statement_ids


@pytest.mark.parametrize(("clearance", "ordered", "key"), [
    (60.0, 4.0, "above"),    # exactly 60 is the 3.5 band (the label's "> 60")
    (60.1, 4.0, "matches"),
    (45, 3.0, "below"),      # below the band: information, no suggestion
    (45, 3.3, "matches"),
    (45, 3.31, "above"),     # a hair above is above
])
def test_band_edges_and_below(clearance: float, ordered: float, key: str) -> None:
    result = check(case(clearance=clearance), dose=ordered)
    assert key in keys(result)
    assert (result.suggested_mg is not None) == (key == "above")
    if key == "below":
        assert result.severity == "info"


def test_clearance_computed_by_cockcroft_gault_with_its_inputs() -> None:
    # Z3: woman, 70, 70 kg, creatinine 1.2 mg/dL -> 48.2 mL/min -> 3.3 mg
    result = check(case(creatinine=(1.2, "mg/dL"), weight_kg=70))
    assert result.clearance == 48.2 and result.suggested_mg == 3.3
    above = next(f for f in result.findings if f.key == "above")
    assert "Cockcroft-Gault" in above.text.en and "70 kg" in above.text.en


def test_entered_clearance_higher_than_computed_keeps_the_lower() -> None:
    result = check(case(clearance=80, creatinine=(1.2, "mg/dL"), weight_kg=70))
    assert result.clearance == 48.2 and result.suggested_mg == 3.3


def test_missing_creatinine_gives_no_dose_and_names_it() -> None:
    result = check(case())
    assert result.band_mg is None and result.suggested_mg is None
    assert keys(result)[0] == "unchecked" and result.severity == "warning"
    assert "labs.creatinine" in {m.field for m in result.missing}
    assert "serum creatinine" in result.findings[0].text.en
    assert "créatinine" in result.findings[0].text.fr


def test_unreadable_dose_is_named_and_not_checked() -> None:
    result = check(case(clearance=45), dose=None, dose_problem="the dose unit 'mL' is not a mass",
                   dose_field="dosageInstruction[0].doseAndRate[0].doseQuantity")
    assert "unreadable" in keys(result) and result.suggested_mg is None
    assert result.severity == "warning"
    (m,) = [m for m in result.missing if m.field.startswith("dosageInstruction")]
    assert "mL" in m.reason.en


def test_no_dose_yet_says_the_band() -> None:
    result = check(case(clearance=45), dose=None)
    assert keys(result) == ["no_dose"] and "3.3 mg" in result.findings[0].text.en


def test_contraindications_said_first() -> None:
    low_calcium = [{"date": "2026-11-25", "analyte": "calcium", "value": 2.0, "unit": "mmol/L"}]
    result = check(case(clearance=45, labs=low_calcium, osteonecrosis_jaw=True))
    assert keys(result)[:2] == ["onj", "calcium_low"]
    assert result.severity == "critical" and result.contraindicated
    assert result.suggested_mg is None  # no one-click dose beside "no antiresorptive"
    assert "dental_before" not in keys(result)  # ONJ: the oral surgeon, not the routine review


def test_low_calcium_alone_keeps_the_dose_correction() -> None:
    low = [{"date": "2026-11-25", "analyte": "calcium", "value": 8.0, "unit": "mg/dL"}]
    result = check(case(clearance=45, labs=low))
    assert keys(result)[0] == "calcium_low" and result.suggested_mg == 3.3


def test_vitamin_d_and_calcium_missing_or_low_are_said() -> None:
    result = check(case(clearance=65, labs=[]))
    assert {"calcium_missing", "vitamin_d_missing"} <= set(keys(result))
    low = [{"date": "2026-11-25", "analyte": "vitamin_d_25oh", "value": 14, "unit": "ng/mL"},
           {"date": "2026-11-25", "analyte": "calcium", "value": 2.35, "unit": "mmol/L"}]
    result = check(case(clearance=65, labs=low))
    (vd,) = [f for f in result.findings if f.rule_id == "VD-01"]
    assert vd.key == "vitamin_d_deficient" and "× 8" in vd.text.en


@pytest.mark.parametrize(("inputs", "key"), [
    ({"dental_status": "not_assessed", "dental_date": None}, "dental_before"),
    ({"unhealed_oral_lesions": True}, "dental_delay"),
    ({"planned_extraction": True}, "dental_delay"),
])
def test_dental(inputs: dict[str, Any], key: str) -> None:
    result = check(case(clearance=65, **inputs))
    assert key in keys(result) and result.severity == "warning"


def test_dental_review_overdue_on_a_running_course() -> None:
    running = [{"id": "za", "type": "zoledronic_acid", "start": "2025-06-01"}]
    result = check(case(clearance=65, treatments=running, dental_date="2026-01-10"))
    assert "dental_review" in keys(result) and "overdue" in result.findings[0].text.en


def test_double_antiresorptive() -> None:
    dmab = [{"id": "d", "type": "denosumab", "start": "2026-06-01"}]
    result = check(case(clearance=65, treatments=dmab))
    assert "double" in keys(result) and result.severity == "warning"
    assert "Denosumab running since" in next(f for f in result.findings if f.key == "double").text.en
    za = [{"id": "z", "type": "zoledronic_acid", "start": "2026-06-01"}]
    assert "double" not in keys(check(case(clearance=65, treatments=za)))  # the same course


@pytest.mark.parametrize(("clearance", "severity"), [(65, "info"), (25, "warning")])
def test_denosumab_hypocalcaemia_risk_grows_as_clearance_falls(clearance: float, severity: str) -> None:
    result = check(case(clearance=clearance), agent=DMAB, dose=120)
    (f,) = [f for f in result.findings if f.key.startswith("hypocalcaemia")]
    assert f.severity == severity and f.rule_id == "BT-04"
    assert "calcium and vitamin D supplements" in f.text.en
    assert result.suggested_mg is None and not result.contraindicated


def test_denosumab_other_dose_is_said_never_changed() -> None:
    result = check(case(clearance=65), agent=DMAB, dose=60)
    assert "denosumab_dose" in keys(result) and result.suggested_mg is None


def test_french_texts_have_no_iso_date_nor_raw_code() -> None:
    result = check(case(clearance=45, labs=[], treatments=[
        {"id": "d", "type": "denosumab", "start": "2026-06-01"}]))
    for f in result.findings:
        assert "2026-" not in f.text.fr and "_" not in f.text.fr and "_" not in f.text.en, f


# --- The plan itself: a recorded course above the band ----------------------------------------

def test_plan_warns_on_a_recorded_dose_above_the_band() -> None:
    doc = copy.deepcopy(BASE)
    doc["plan_inputs"]["creatinine_clearance_ml_min"] = 45
    doc["treatments"] = [{"id": "za", "type": "zoledronic_acid", "start": "2026-06-01",
                          "dose_mg": 4.0}]
    plan: BonePlan = plan_of(doc)
    (bt03,) = [p for p in plan.proposals if p.rule_id == "BT-03"]
    assert "4.0 mg, is above the 3.3 mg" in bt03.text.en
    doc["treatments"][0]["dose_mg"] = 3.3
    (bt03,) = [p for p in plan_of(doc).proposals if p.rule_id == "BT-03"]
    assert "above" not in bt03.text.en


# --- Properties ---------------------------------------------------------------------------------

clearances = st.floats(min_value=1, max_value=200, allow_nan=False).map(lambda x: round(x, 1))


@settings(max_examples=150, deadline=None)
@given(clearances, st.floats(min_value=0.1, max_value=20, allow_nan=False))
def test_a_dose_above_the_band_is_never_silent(clearance: float, ordered: float) -> None:
    band = zoledronic_acid_dose(clearance, KB.plan.rule("BT-03").params)  # type: ignore[union-attr]
    result = check(case(clearance=clearance), dose=ordered)
    if band is None:
        assert result.severity == "critical" and result.suggested_mg is None
    elif ordered > band:
        assert result.severity in ("warning", "critical")
        assert result.suggested_mg == band
        assert any(f.key == "above" for f in result.findings)
    else:
        assert result.suggested_mg is None


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=0.1, max_value=29.9, allow_nan=False).map(lambda x: round(x, 1)),
       st.one_of(st.none(), st.floats(min_value=0.1, max_value=20, allow_nan=False)))
def test_below_30_never_a_zoledronic_acid_dose(clearance: float, ordered: float | None) -> None:
    result = check(case(clearance=clearance), dose=ordered)
    assert result.band_mg is None and result.suggested_mg is None and result.contraindicated
    assert result.severity == "critical"


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.none(), st.floats(min_value=0.1, max_value=20, allow_nan=False)),
       st.booleans())
def test_without_creatinine_never_a_dose(ordered: float | None, has_weight: bool) -> None:
    c = case() if has_weight else case(weight_kg=None)
    result = check(c, dose=ordered)
    assert result.band_mg is None and result.suggested_mg is None
    assert "labs.creatinine" in {m.field for m in result.missing}
