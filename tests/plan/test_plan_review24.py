"""Findings of the issue-24 clinical review (thoracic oncologist + hospital pharmacist, review24.md),
each asserted on the reviewers' own case (tests/plan/review_cases_bt/) and on cases of our own."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bonemet.api import assess, parse_case
from bonemet.kb import default_kb
from bonemet.model.case import Case, LabResult

CASES = Path(__file__).parent / "review_cases_bt"


def _case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CASES / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


def _plan(doc: dict[str, Any]) -> Any:
    return assess(parse_case(doc), default_kb()).plan


def _proposal(plan: Any, rule_id: str) -> Any:
    return next((p for p in plan.proposals if p.rule_id == rule_id), None)


def _doses(plan: Any) -> list[str]:
    """Every zoledronic acid dose the plan states, in mg."""
    bt03 = _proposal(plan, "BT-03")
    return [] if bt03 is None else re.findall(r"\b(\d\.\d) mg\b", bt03.text.en)


# --- B1: an implausibly low creatinine (mg/dL typed as µmol/L) -------------------------------------

@pytest.mark.parametrize(("value", "unit"), [(2.5, "µmol/L"), (2.5, "umol/L"), (17.9, "µmol/L"),
                                             (0.15, "mg/dL"), (0.3, "mmol/L")])
def test_impossibly_low_creatinine_or_calcium_is_refused_naming_the_unit(value: float, unit: str) -> None:
    analyte = "calcium" if unit == "mmol/L" else "creatinine"
    with pytest.raises(ValidationError, match="check the unit"):
        LabResult(date=dt.date(2026, 12, 1), analyte=analyte, value=value, unit=unit)


@pytest.mark.parametrize(("value", "unit"), [(18.0, "µmol/L"), (0.2, "mg/dL"), (25.0, "mg/dL")])
def test_low_but_possible_creatinine_is_kept(value: float, unit: str) -> None:
    assert LabResult(date=dt.date(2026, 12, 1), analyte="creatinine", value=value, unit=unit).value == value


def test_reviewers_case_b16b_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError) as err:
        Case.model_validate(_case("BT16b-creat-2_5-umol"))
    assert "labs.0" in str(err.value) or "labs[0]" in str(err.value)


def _young_heavy(creatinine_mg_dl: float, weight: float, birth_year: int,
                 entered: float | None = None) -> dict[str, Any]:
    doc = _case("BT02-new-mets-full-labs")
    doc["patient"]["birth_year"] = birth_year
    doc["patient"]["sex"] = "male"
    doc["plan_inputs"]["weight_kg"] = weight
    doc["plan_inputs"].pop("creatinine_clearance_ml_min", None)
    if entered is not None:
        doc["plan_inputs"]["creatinine_clearance_ml_min"] = entered
    doc["labs"] = [lab for lab in doc["labs"] if lab["analyte"] != "creatinine"]
    doc["labs"].append({"date": "2026-12-01", "analyte": "creatinine", "value": creatinine_mg_dl,
                        "unit": "mg/dL"})
    return doc


def test_an_impossible_computed_clearance_gives_no_dose_and_says_why() -> None:
    # 25 years, 150 kg, creatinine 0.2 mg/dL: (140-25) x 150 / (72 x 0.2) = 1198 mL/min.
    plan = _plan(_young_heavy(0.2, 150, 2001))
    assert not _doses(plan)
    said = " ".join(m.reason.en for m in plan.missing_data)
    assert "over 250" in said and "check the creatinine's unit" in said


def test_an_entered_clearance_does_not_settle_an_impossible_computed_one() -> None:
    plan = _plan(_young_heavy(0.2, 150, 2001, entered=80))
    assert not _doses(plan)


@settings(max_examples=80, deadline=None)
@given(creat=st.floats(min_value=0.2, max_value=25), weight=st.floats(min_value=21, max_value=350),
       birth=st.integers(min_value=1900, max_value=2006))
def test_no_dose_ever_comes_from_a_clearance_over_250(creat: float, weight: float, birth: int) -> None:
    age = 2026 - birth
    clearance = (140 - age) * weight / (72 * creat)
    plan = _plan(_young_heavy(round(creat, 2), round(weight, 1), birth))
    if clearance > 251:
        assert not _doses(plan)


# --- M2: the gate lifted, with the reviewers' conditions -------------------------------------------

def test_bt01_no_labs_now_proposes_and_names_what_a_dose_needs() -> None:
    plan = _plan(_case("BT01-new-mets-no-labs"))
    bt01 = _proposal(plan, "BT-01")
    assert bt01 is not None and "check that none is running" in bt01.text.en
    assert "vérifier qu'aucun n'est en cours" in bt01.text.fr
    assert not _doses(plan)
    assert {"labs.creatinine", "labs.vitamin_d_25oh"} <= {m.field for m in plan.missing_data}


def test_systemic_lines_never_outrank_an_urgent_item() -> None:
    plan = _plan(_case("BT13-cord-compression-no-dental"))
    order = [p.rule_id for p in plan.proposals]
    urgent = [i for i, p in enumerate(plan.proposals) if p.priority == "urgent"]
    bone = [i for i, r in enumerate(order) if r[:2] in ("BT", "DN", "VD")]
    assert urgent and bone and max(urgent) < min(bone)


# --- M1: a dental evaluation older than the review interval before a first dose -------------------

def test_bt05_an_eight_month_old_dental_evaluation_is_to_be_repeated() -> None:
    dn = _proposal(_plan(_case("BT05-female-48-dental-8mo")), "DN-01")
    assert "6 months old or more: to be repeated before the first dose" in dn.text.en
    assert "01/04/2026" in dn.text.fr and "à refaire avant la première dose" in dn.text.fr
    assert any(m.field == "plan_inputs.dental_date" for m in dn.missing_data)


@pytest.mark.parametrize(("dental_date", "outdated"), [("2026-06-06", False), ("2026-06-05", True),
                                                       ("2026-06-04", True), ("2026-11-20", False)])
def test_dental_evaluation_interval_boundary(dental_date: str, outdated: bool) -> None:
    doc = _case("BT05-female-48-dental-8mo")  # as_of 2026-12-05, review every 6 months
    doc["plan_inputs"]["dental_date"] = dental_date
    dn = _proposal(_plan(doc), "DN-01")
    assert ("to be repeated" in dn.text.en) is outdated


# --- m2: zoledronic acid excluded above, BT-01 says so ---------------------------------------------

@pytest.mark.parametrize("name", ["BT03-entered-crcl-29", "BT06-elderly-light-female",
                                  "BT09-crcl22-denosumab"])
def test_start_names_denosumab_when_zoledronic_acid_is_excluded(name: str) -> None:
    plan = _plan(_case(name))
    assert _proposal(plan, "BT-02") is not None
    assert "denosumab is the agent left to discuss" in _proposal(plan, "BT-01").text.en
    assert not _doses(plan)


def test_clearance_thirty_keeps_both_agents() -> None:
    assert "agent left" not in _proposal(_plan(_case("BT03-entered-crcl-30")), "BT-01").text.en


# --- m3: calcium in mg/dL shown with its mmol/L -----------------------------------------------------

def test_bt10_low_calcium_in_mg_dl_is_converted_beside_the_threshold() -> None:
    bt02 = _proposal(_plan(_case("BT10-low-calcium-vd-nmol")), "BT-02")
    assert "7.9 mg/dL (1.97 mmol/L)" in bt02.text.en
    assert "7,9 mg/dL (1,97 mmol/L)" in bt02.text.fr


# --- m4: short life expectancy folds the start's routine lines into BT-01 --------------------------

def test_bt14_short_life_expectancy_folds_dose_dental_and_vitamin_d() -> None:
    plan = _plan(_case("BT14-le-under-3-months"))
    ids = {p.rule_id for p in plan.proposals}
    assert "BT-01" in ids and not ids & {"BT-03", "BT-04", "DN-01", "VD-01"}
    assert "If the board decides to treat" in _proposal(plan, "BT-01").text.en


def test_short_life_expectancy_keeps_the_checks_of_a_running_course() -> None:
    doc = _case("BT15-za-26-months")
    doc["plan_inputs"]["life_expectancy"] = "6_weeks_to_3_months"
    ids = {p.rule_id for p in _plan(doc).proposals}
    assert {"BT-03", "DN-01"} <= ids


# --- m6: osteonecrosis of the jaw: vitamin D without "during the antiresorptive" -------------------

def test_bt12_onj_vitamin_d_does_not_speak_of_an_antiresorptive() -> None:
    vd = _proposal(_plan(_case("BT12-onj-history")), "VD-01")
    assert vd is not None and "antiresorptive" not in vd.text.en and "antirésorbeur" not in vd.text.fr


# --- HZ-BT-28: the lifted gate applies to established bone metastases only --------------------------

def _with_exam(lesions: list[dict[str, Any]], known: bool | None = None) -> dict[str, Any]:
    doc = _case("BT02-new-mets-full-labs")
    doc["cancer"].pop("bone_metastases_known", None)
    if known is not None:
        doc["cancer"]["bone_metastases_known"] = known
    doc["context"] = {"phase": "staging", "as_of": "2026-12-05"}
    doc["exams"] = [{"id": "pet1", "date": "2026-11-28", "modality": "fdg_pet_ct", "purpose": "staging",
                     "result": "positive", "pet_coverage": "vertex_to_feet", "lesions": lesions}]
    return doc


@pytest.mark.parametrize(("lesions", "known", "proposed"), [
    ([{"site": "femur_proximal", "side": "right"}], None, False),  # isolated lesion: NM-09 first
    ([{"site": "pelvis", "side": "left", "suspicious": True},
      {"site": "ribs", "side": "right", "suspicious": True}], None, False),
    ([{"site": "pelvis", "side": "left"}, {"site": "ribs", "side": "right"}], None, True),
    ([{"site": "femur_proximal", "side": "right"}], True, True),  # a known solitary metastasis
])
def test_isolated_or_suspicious_lesion_gets_no_antiresorptive(
        lesions: list[dict[str, Any]], known: bool | None, proposed: bool) -> None:
    plan = _plan(_with_exam(lesions, known))
    assert (_proposal(plan, "BT-01") is not None) is proposed


# --- B2: a running zoledronic acid course, recorded dose and rising creatinine ---------------------

def test_bt08_recorded_dose_above_the_band_and_renal_deterioration_are_said() -> None:
    plan = _plan(_case("BT08-za-running-dose-too-high"))
    bt02, bt03 = _proposal(plan, "BT-02"), _proposal(plan, "BT-03")
    assert "renal deterioration under zoledronic acid" in bt02.text.en
    assert "withholds the drug" in bt02.text.en and "from memory, to verify" in bt02.text.en
    assert "suspend le médicament" in bt02.text.fr
    assert bt02.statement_ids == ("PL-64",) and bt02.caveats
    # Review 24b F1: withheld above, so no next dose below; the same dose on restart.
    assert "withheld for the renal deterioration" in bt03.text.en and "4.0 mg recorded" in bt03.text.en
    assert "next dose is" not in bt03.text.en and "0.99 mg/dL or less" in bt03.text.en
    assert "prochaine dose est" not in bt03.text.fr and "PL-64" in bt03.statement_ids
    order = [p.rule_id for p in plan.proposals]
    assert order.index("BT-02") < order.index("BT-03")


def _running(base: tuple[float, str], now: tuple[float, str]) -> dict[str, Any]:
    doc = _case("BT08-za-running-dose-too-high")
    doc["labs"] = [lab for lab in doc["labs"] if lab["analyte"] != "creatinine"] + [
        {"date": "2026-06-15", "analyte": "creatinine", "value": base[0], "unit": base[1]},
        {"date": "2026-12-01", "analyte": "creatinine", "value": now[0], "unit": now[1]}]
    return doc


@pytest.mark.parametrize(("base", "now", "withheld"), [
    ((0.9, "mg/dL"), (1.39, "mg/dL"), False),   # +0.49 from a normal baseline
    ((0.9, "mg/dL"), (1.4, "mg/dL"), True),     # +0.5
    ((1.5, "mg/dL"), (2.4, "mg/dL"), False),    # +0.9 from an abnormal baseline (needs 1.0)
    ((1.5, "mg/dL"), (2.5, "mg/dL"), True),     # +1.0
    ((80, "µmol/L"), (1.45, "mg/dL"), True),    # 0.905 → 1.45 mg/dL across units: +0.545
    ((1.0, "mg/dL"), (0.8, "mg/dL"), False),    # a fall
])
def test_renal_deterioration_thresholds_by_baseline(base: tuple[float, str], now: tuple[float, str],
                                                    withheld: bool) -> None:
    bt02 = _proposal(_plan(_running(base, now)), "BT-02")
    said = bt02 is not None and "renal deterioration" in bt02.text.en
    assert said is withheld


def test_no_deterioration_without_a_creatinine_before_the_start() -> None:
    doc = _running((0.9, "mg/dL"), (1.6, "mg/dL"))
    doc["labs"] = [lab for lab in doc["labs"] if lab["date"] != "2026-06-15"]
    bt02 = _proposal(_plan(doc), "BT-02")
    assert bt02 is None or "renal deterioration" not in bt02.text.en


# --- m1: each BT-02 item cites its own statements ---------------------------------------------------

def test_bt02_cites_the_osteonecrosis_papers_only_for_osteonecrosis() -> None:
    renal = _proposal(_plan(_case("BT06-elderly-light-female")), "BT-02")
    assert "PL-55" not in renal.statement_ids and not set(renal.references) & {61, 62, 63}
    onj = _proposal(_plan(_case("BT12-onj-history")), "BT-02")
    assert "PL-55" in onj.statement_ids and {61, 62, 63} <= set(onj.references)


# --- m5, m7: the two-year point and the zoledronic acid interval ----------------------------------

def test_bt15_two_years_reached_is_said_as_due_now() -> None:
    bt05 = _proposal(_plan(_case("BT15-za-26-months")), "BT-05")
    assert "the 2 years are reached (26 months)" in bt05.text.en
    assert "les 2 ans sont atteints (26 mois)" in bt05.text.fr


def test_before_two_years_no_reassessment_due_yet() -> None:
    doc = _case("BT15-za-26-months")
    doc["treatments"][-1]["start"] = "2025-01-06"  # 22 months before 2026-12-05
    assert "reached" not in _proposal(_plan(doc), "BT-05").text.en


def test_zoledronic_acid_dose_gives_its_interval() -> None:
    bt03 = _proposal(_plan(_case("BT02-new-mets-full-labs")), "BT-03")
    assert "4.0 mg every 3 to 4 weeks" in bt03.text.en
    assert "toutes les 3 à 4 semaines" in bt03.text.fr


def test_recorded_dose_above_the_band_without_a_rise_is_warned() -> None:
    """No renal deterioration (the same creatinine before and after the start) but the clearance's
    band is below the recorded dose: warned, with the band's dose."""
    plan = _plan(_running((1.4, "mg/dL"), (1.4, "mg/dL")))
    bt03 = _proposal(plan, "BT-03")
    assert "the recorded dose, 4.0 mg, is above the 3.3 mg" in bt03.text.en
    assert "PL-64" not in bt03.statement_ids


def test_rise_is_said_in_the_unit_entered() -> None:
    bt02 = _proposal(_plan(_running((80, "µmol/L"), (125, "µmol/L"))), "BT-02")
    assert "a rise of 45 µmol/L, at or above the 44 µmol/L" in bt02.text.en


def test_calcium_low_under_a_running_course_is_corrected_before_the_next_dose() -> None:
    doc = _case("BT15-za-26-months")
    doc["labs"] = [lab for lab in doc["labs"] if lab["analyte"] != "calcium"] + [
        {"date": "2026-12-01", "analyte": "calcium", "value": 1.98, "unit": "mmol/L"}]
    bt02 = _proposal(_plan(doc), "BT-02")
    assert "under zoledronic acid: correct it before the next dose" in bt02.text.en
    assert "avant la prochaine dose" in bt02.text.fr and "first dose" not in bt02.text.en


@pytest.mark.parametrize(("nmol", "key"), [(49.5, "deficiency"), (50, "insufficiency"),
                                           (75, "insufficiency"), (75.1, "no loading")])
def test_vitamin_d_in_nmol_is_banded_on_the_value_shown(nmol: float, key: str) -> None:
    doc = _case("BT02-new-mets-full-labs")
    doc["labs"] = [lab for lab in doc["labs"] if lab["analyte"] != "vitamin_d_25oh"] + [
        {"date": "2026-12-01", "analyte": "vitamin_d_25oh", "value": nmol, "unit": "nmol/L"}]
    assert key in _proposal(_plan(doc), "VD-01").text.en


# --- Round 2 (review24b.md): the reviewers' own cases -----------------------------------------------

ROUND2 = Path(__file__).parent / "review_cases_bt2"


def _round2(name: str) -> Any:
    doc: dict[str, Any] = yaml.safe_load((ROUND2 / f"{name}.yaml").read_text(encoding="utf-8"))
    return _plan(doc)


@pytest.mark.parametrize("name", ["C02-isolated-lesion", "C03-equivocal-bone-scan"])
def test_round2_no_antiresorptive_before_the_lesion_is_characterised(name: str) -> None:
    assert _proposal(_round2(name), "BT-01") is None


def test_round2_c06b_withheld_without_a_next_dose() -> None:
    plan = _round2("C06b-2_6-za-abnormal-baseline")
    assert "renal deterioration" in _proposal(plan, "BT-02").text.en
    bt03 = _proposal(plan, "BT-03")
    assert "withheld" in bt03.text.en and "prochaine dose est" not in bt03.text.fr


def test_round2_c05_falling_calcium_under_denosumab() -> None:
    bt02 = _proposal(_round2("C05-dmab-calcium-falling"), "BT-02")
    assert "under denosumab: correct it before the next dose" in bt02.text.en


def test_round2_c10b_75_nmol_is_an_insufficiency() -> None:
    assert "(insufficiency)" in _proposal(_round2("C10b-75-vitd-nmol-edge"), "VD-01").text.en


def test_round2_c11_dental_exactly_six_months_is_due() -> None:
    assert "to be repeated" in _proposal(_round2("C11-dental-exactly-6mo"), "DN-01").text.en


def test_round2_c07_rise_in_micromol() -> None:
    assert "µmol/L, at or above the 44 µmol/L" in _proposal(_round2("C07-za-umol-rise"), "BT-02").text.en


def test_round2_c13_osteonecrosis_stops_the_continue_line() -> None:
    bt05 = _proposal(_round2("C13-onj-dmab-running"), "BT-05")
    assert "not continued without the oral surgeon's opinion" in bt05.text.en
    assert "at least 2 years" not in bt05.text.en


@pytest.mark.parametrize(("entered", "far"), [(22, True), (60, False)])
def test_round2_c09_a_wide_gap_between_clearances_is_a_question(entered: float, far: bool) -> None:
    doc: dict[str, Any] = yaml.safe_load((ROUND2 / "C09-entered-22-computed-70.yaml").read_text("utf-8"))
    doc["plan_inputs"]["creatinine_clearance_ml_min"] = entered
    plan = _plan(doc)
    said = " ".join(p.text.en for p in plan.proposals if p.rule_id in ("BT-02", "BT-03", "BT-04"))
    assert ("they differ widely" in said) is far


# --- Issue 24 input: albumin-corrected calcium -------------------------------------------------------

def _with_calcium(*labs: tuple[str, str, float]) -> dict[str, Any]:
    doc = _case("BT02-new-mets-full-labs")
    doc["labs"] = [lab for lab in doc["labs"] if not lab["analyte"].startswith("calcium")] + [
        {"date": d, "analyte": a, "value": v, "unit": "mmol/L"} for d, a, v in labs]
    return doc


def test_a_corrected_calcium_is_named_as_such_and_used() -> None:
    bt02 = _proposal(_plan(_with_calcium(("2026-12-01", "calcium_corrected", 2.05))), "BT-02")
    assert "albumin-corrected calcium 2.05 mmol/L" in bt02.text.en and "as the laboratory" in bt02.text.en
    assert "calcémie corrigée par l'albumine" in bt02.text.fr


@pytest.mark.parametrize(("labs", "low"), [
    ((("2026-12-01", "calcium", 2.05), ("2026-12-01", "calcium_corrected", 2.35)), False),  # low albumin
    ((("2026-12-01", "calcium", 2.35), ("2026-12-01", "calcium_corrected", 2.10)), True),
    ((("2026-11-01", "calcium_corrected", 2.35), ("2026-12-01", "calcium", 2.05)), True),  # total later
])
def test_the_corrected_value_of_the_same_day_decides(labs: tuple[tuple[str, str, float], ...],
                                                     low: bool) -> None:
    bt02 = _proposal(_plan(_with_calcium(*labs)), "BT-02")
    assert (bt02 is not None and "calcium" in bt02.text.en) is low


def test_total_calcium_still_says_the_correction_was_not_checked() -> None:
    bt02 = _proposal(_plan(_with_calcium(("2026-12-01", "calcium", 2.05))), "BT-02")
    assert "albumin correction not checked" in bt02.text.en


@pytest.mark.parametrize("name", ["C02-isolated-lesion", "C03-equivocal-bone-scan"])
def test_round2_m_a_the_plan_says_why_no_antiresorptive_yet(name: str) -> None:
    plan = _round2(name)
    (item,) = [d for d in plan.not_proposed if d.rule_id == "BT-01"]
    assert "still to characterise" in item.reason.en and "encore à caractériser" in item.reason.fr


def test_round1_m6_osteonecrosis_is_said_in_not_proposed() -> None:
    plan = _plan(_case("BT12-onj-history"))
    assert [d.rule_id for d in plan.not_proposed if d.rule_id == "BT-01"] == ["BT-01"]
