"""Table tests of the bone plan, each row from a cited source (PL statements of plan.yaml).

Mirels rows: clinical-reference §1.3 (M2-M4) and the AURA radiotherapy page (PL-03, PL-04);
SINS rows: §2.3 (S3-S6) with PL-21; Tokuhashi: AURA spine page (PL-19); schedules: AURA
radiotherapy/systemic page (PL-08..PL-13); cord compression: NICE NG234/QS56 (PL-24, PL-25).
"""

from __future__ import annotations

import pytest
from tests.plan.cases import NO_COMPLICATION, femur, lesion, plan_case, plan_of, rules

from bonemet.model.plan import headline


# --- long bones: Mirels (PL-03, PL-04) -----------------------------------------------------------
@pytest.mark.parametrize(("mirels", "expected", "surgical"), [
    # M4: lower limb 2 + functional 3 + lytic 3 + < 1/3 1 = 9, CT lysis 40 % axial / 60 % circ.
    ({"pain": "functional", "axial_lysis_percent": 40, "circumferential_lysis_percent": 60}, "SX-01", True),
    # M3: 2 + moderate 2 + lytic 3 + 1 = 8: clinical judgement.
    ({"pain": "moderate"}, "SX-02", True),
    # M2: 2 + moderate 2 + mixed 2 + 1 = 7: radiotherapy and observation.
    ({"pain": "moderate", "kind": "mixed"}, "SX-03", False),
])
def test_mirels_bands(mirels: dict, expected: str, surgical: bool) -> None:
    plan = plan_of(plan_case(femur(**mirels)))
    found = [p for p in plan.proposals if p.rule_id == expected]
    assert found and found[0].surgical is surgical
    assert found[0].lesions == ("femur_shaft:left",)
    assert not {"SX-01", "SX-02", "SX-03"} - {expected} & set(rules(plan))


def test_mirels_9_without_ct_lysis_names_it_missing() -> None:
    plan = plan_of(plan_case(femur()))
    sx = next(p for p in plan.proposals if p.rule_id == "SX-01")
    assert "not measured" in sx.text.en
    assert any(m.field.endswith("axial_lysis_percent") for m in sx.missing_data)


def test_mirels_text_fills_the_threshold_from_the_data() -> None:
    plan = plan_of(plan_case(femur(axial_lysis_percent=40, circumferential_lysis_percent=60)))
    sx = next(p for p in plan.proposals if p.rule_id == "SX-01")
    assert "Mirels 9 (at least 9)" in sx.text.en and "over 30 %" in sx.text.en
    assert "au moins 9" in sx.text.fr


def test_low_mirels_radiotherapy_carries_a_reassuring_fracture_check_first() -> None:
    plan = plan_of(plan_case(femur(pain="moderate", kind="mixed")))
    sx3 = next(p for p in plan.proposals if p.rule_id == "SX-03")
    assert sx3.checks[0].kind == "fracture_risk" and sx3.checks[0].status == "reassuring"


# --- life expectancy (PL-16) ---------------------------------------------------------------------
def test_under_6_weeks_no_surgery_and_the_lesion_is_named() -> None:
    plan = plan_of(plan_case(femur(axial_lysis_percent=40, circumferential_lysis_percent=60),
                             plan_inputs={"life_expectancy": "under_6_weeks"}))
    assert not any(p.surgical for p in plan.proposals)
    sx4 = next(p for p in plan.proposals if p.rule_id == "SX-04")
    assert "under 6 weeks" in sx4.text.en and sx4.lesions == ("femur_shaft:left",)


def test_over_a_year_resection_is_discussed() -> None:
    plan = plan_of(plan_case(femur(axial_lysis_percent=40, circumferential_lysis_percent=60),
                             plan_inputs={"life_expectancy": "over_12_months"}))
    sx4 = next(p for p in plan.proposals if p.rule_id == "SX-04")
    assert sx4.surgical and "resection" in sx4.text.en


def test_missing_life_expectancy_is_named_never_guessed() -> None:
    plan = plan_of(plan_case(femur()))
    assert plan.patient.life_expectancy is None
    assert any(m.field == "plan_inputs.life_expectancy" for m in plan.missing_data)


# --- acetabulum: Harrington (PL-17, PL-18; clinical-reference §8 H1-H4) --------------------------
@pytest.mark.parametrize(("classification", "words"), [
    ("I", "cemented"), ("II", "anti-protrusio"), ("III", "pins"), ("IV", "en-bloc"),
])
def test_acetabulum_by_harrington_class(classification: str, words: str) -> None:
    plan = plan_of(plan_case(lesion("acetabulum", side="right",
                                    harrington={"classification": classification})))
    sx5 = next(p for p in plan.proposals if p.rule_id == "SX-05")
    assert words in sx5.text.en and sx5.outside_referentiel is False


# --- spine: SINS (PL-21; clinical-reference §2.3) -------------------------------------------------
SINS_S3 = {"location": "mobile", "pain": "occasional", "lesion": "lytic", "alignment": "normal",
           "collapse": "no-collapse-gt-50-involved", "posterolateral": "unilateral"}  # 7
SINS_S2 = {**SINS_S3, "location": "semi-rigid"}  # 6
SINS_S6 = {"location": "junctional", "pain": "mechanical", "lesion": "lytic", "alignment": "normal",
           "collapse": "lt-50", "posterolateral": "bilateral"}  # 13


@pytest.mark.parametrize(("site", "level", "sins", "message"), [
    ("lumbar_spine", "L3", SINS_S3, "potentially unstable"),
    ("cervical_spine", "C7", SINS_S6, "(unstable"),
    ("thoracic_spine", "T5", SINS_S2, None),
])
def test_sins_bands(site: str, level: str, sins: dict, message: str | None) -> None:
    plan = plan_of(plan_case(lesion(site, level=level, sins=sins)))
    sp1 = [p for p in plan.proposals if p.rule_id == "SP-01"]
    if message is None:
        assert not sp1
    else:
        assert message in sp1[0].text.en and sp1[0].outside_referentiel


# --- spine: Tokuhashi (PL-19) --------------------------------------------------------------------
def _tokuhashi(karnofsky: int, extra: str, vertebral: str, organs: str, frankel: str) -> dict:
    return {"tokuhashi": {"karnofsky": karnofsky, "extraspinal_bone_metastases": extra,
                          "vertebral_body_metastases": vertebral, "internal_organ_metastases": organs},
            "frankel": frankel}


@pytest.mark.parametrize(("inputs", "key"), [
    # T3 (lung maximum 10): above 9 -> surgery considered.
    (_tokuhashi(90, "0", "1", "none", "E"), "above 9"),
    # T2 (6 for a lung primary): between the thresholds.
    (_tokuhashi(70, "1-2", "2", "none", "D"), "between 6 and 9"),
    # 0+0+0+0+0+0: under 6 -> benefit very unlikely, with the lung caveat.
    (_tokuhashi(30, "3-or-more", "3-or-more", "unremovable", "A"), "under 6"),
])
def test_tokuhashi_thresholds_of_the_chapter(inputs: dict, key: str) -> None:
    plan = plan_of(plan_case(lesion("thoracic_spine", level="T8"), score_inputs=inputs))
    sp2 = next(p for p in plan.proposals if p.rule_id == "SP-02")
    assert key in sp2.text.en
    if key != "above 9":
        assert "lung primary scores 0" in sp2.text.en


# --- radiotherapy schedules (PL-08..PL-10) -------------------------------------------------------
def test_uncomplicated_painful_lesion_single_8_gy_with_steroid_cover() -> None:
    plan = plan_of(plan_case(lesion("ribs", side="left", complications=NO_COMPLICATION),
                             context={"pain_sites": ["ribs"], "new_bone_pain": True}))
    rt1 = next(p for p in plan.proposals if p.rule_id == "RT-01")
    assert "8 Gy in 1 fraction" in rt1.text.en and "48 to 72 hours" in rt1.text.en


@pytest.mark.parametrize("complication", ["pathological_fracture", "epidural_extension",
                                          "soft_tissue_extension", "neuropathic_pain"])
def test_complicated_painful_lesion_30_gy_in_10(complication: str) -> None:
    comp = {**NO_COMPLICATION, complication: True}
    plan = plan_of(plan_case(lesion("ribs", side="left", complications=comp),
                             context={"pain_sites": ["ribs"], "new_bone_pain": True}))
    assert "RT-02" in rules(plan) and "RT-01" not in rules(plan)


def test_more_than_three_spinal_lesions_make_the_spine_complicated() -> None:
    spine = [lesion("thoracic_spine", level=f"T{n}", complications=NO_COMPLICATION) for n in (3, 5, 7, 9)]
    plan = plan_of(plan_case(*spine, context={"pain_sites": ["thoracic_spine"], "new_bone_pain": True}))
    assert "RT-01" not in rules(plan)
    assert all("more than 3" in p.text.en for p in plan.proposals if p.rule_id == "RT-02")


def test_complications_not_recorded_no_schedule_and_named() -> None:
    plan = plan_of(plan_case(lesion("ribs", side="left"), context={"pain_sites": ["ribs"],
                                                                   "new_bone_pain": True}))
    rt1 = next(p for p in plan.proposals if p.rule_id == "RT-01")
    assert "8 Gy" not in rt1.text.en
    assert {m.field.rsplit(".", 1)[-1] for m in rt1.missing_data} == set(NO_COMPLICATION)


@pytest.mark.parametrize("inputs", [{"ecog": 3}, {"life_expectancy": "6_weeks_to_3_months"}])
def test_frail_or_short_life_expectancy_20_gy_in_5(inputs: dict) -> None:
    """PL-10: 20 Gy/5 is THE line for a complicated lesion of a frail patient, never beside
    30 Gy/10; an uncomplicated flat bone keeps the single 8 Gy fraction (shorter still)."""
    complicated = {**NO_COMPLICATION, "soft_tissue_extension": True}
    plan = plan_of(plan_case(lesion("ribs", side="left", complications=complicated),
                             context={"pain_sites": ["ribs"], "new_bone_pain": True},
                             plan_inputs=inputs))
    rt3 = next(p for p in plan.proposals if p.rule_id == "RT-03")
    assert "20 Gy in 5 fractions" in rt3.text.en and "rather than 30 Gy" in rt3.text.en
    assert "RT-02" not in rules(plan)
    plain = plan_of(plan_case(lesion("ribs", side="left", complications=NO_COMPLICATION),
                              context={"pain_sites": ["ribs"], "new_bone_pain": True},
                              plan_inputs=inputs))
    assert [p.rule_id for p in plain.proposals if p.kind == "radiotherapy"] == ["RT-01"]


def test_post_operative_radiotherapy_window_15_days_to_3_weeks() -> None:
    doc = plan_case(lesion("femur_proximal", side="left"),
                    treatments=[{"id": "op", "type": "surgery", "site": "femur_proximal",
                                 "start": "2025-05-25"}])
    rt4 = next(p for p in plan_of(doc).proposals if p.rule_id == "RT-04")
    assert "15 to 21 days" in rt4.text.en and "from 2025-06-09 to 2025-06-15" in rt4.text.en
    assert rt4.checks and rt4.checks[0].kind == "fracture_risk"


KNOWN = {"primary_site": "lung", "histology": "adenocarcinoma", "bone_metastases_known": True}


def test_oligometastatic_count_alone_is_a_question_not_a_proposal() -> None:
    plan = plan_of(plan_case(lesion("ribs", side="left"), lesion("humerus", side="right"),
                             cancer=KNOWN))
    assert "RT-05" not in rules(plan)
    asked = {m.field for m in plan.missing_data if m.rule_id == "RT-05"}
    assert {"plan_inputs.primary_controlled", "plan_inputs.extra_osseous_sites"} <= asked
    assert any(f.endswith("complications.largest_size_cm") for f in asked)


def test_six_bone_lesions_are_not_oligometastatic() -> None:
    many = [lesion("thoracic_spine", level=f"T{n}") for n in range(1, 7)]
    assert "RT-05" not in rules(plan_of(plan_case(*many, cancer=KNOWN)))


def test_a_lesion_still_to_characterise_gets_no_ablative_proposal() -> None:
    assert "RT-05" not in rules(plan_of(plan_case(lesion("ribs", side="left"))))


def test_high_fracture_risk_long_bone_never_gets_a_single_fraction() -> None:
    doc = plan_case(femur(axial_lysis_percent=40, circumferential_lysis_percent=60,
                          complications=NO_COMPLICATION))
    plan = plan_of(doc)
    assert "RT-01" not in rules(plan) and "RT-02" in rules(plan)


def test_reirradiation_with_the_dose_already_given() -> None:
    doc = plan_case(lesion("ribs", side="left", complications=NO_COMPLICATION),
                    context={"pain_sites": ["ribs"], "new_bone_pain": True},
                    treatments=[{"id": "rt", "type": "radiotherapy", "site": "ribs",
                                 "start": "2025-01-10", "dose_gy": 8, "fractions": 1}])
    rt6 = next(p for p in plan_of(doc).proposals if p.rule_id == "RT-06")
    assert "8 Gy/1" in rt6.text.en


@pytest.mark.parametrize(("agents", "type_", "message"), [
    (["carboplatin", "gemcitabine"], "chemotherapy", "gemcitabine to be paused"),
    (["cisplatin", "pemetrexed"], "chemotherapy", "may continue"),
    (["osimertinib"], "egfr_tki", "little or no data"),
    (["pembrolizumab"], "immunotherapy", "little or no data"),
])
def test_drugs_during_radiotherapy(agents: list[str], type_: str, message: str) -> None:
    doc = plan_case(lesion("ribs", side="left", complications=NO_COMPLICATION),
                    context={"pain_sites": ["ribs"], "new_bone_pain": True},
                    treatments=[{"id": "l1", "type": type_, "agents": agents, "start": "2025-04-01",
                                 "line_number": 1}])
    texts = " | ".join(p.text.en for p in plan_of(doc).proposals if p.rule_id == "RT-07")
    assert message in texts


# --- cord compression (PL-24, PL-25, after SAFE-01) ----------------------------------------------
def test_cord_compression_pathway_first_with_dexamethasone_and_24_hours() -> None:
    doc = plan_case(lesion("thoracic_spine", level="T8", bilsky="3"),
                    femur(axial_lysis_percent=40, circumferential_lysis_percent=60),
                    context={"neurological_deficit": True, "pain_sites": ["thoracic_spine"]})
    plan = plan_of(doc)
    first = plan.proposals[0]
    assert first.rule_id == "CC-01" and first.priority == "urgent" and first.outside_referentiel
    assert "16 mg" in first.text.en and "24 hours" in first.text.en
    assert headline(plan) is not None and headline(plan).en.startswith("Urgent: Cord compression")


@pytest.mark.parametrize("grade", ["2", "3"])
def test_compression_on_imaging_without_signs_is_urgent_but_gives_no_dexamethasone(grade: str) -> None:
    # Second clinical review, case B09: Bilsky 2 on an MRI, Frankel E, no deficit anywhere.
    # NICE NG234 gives dexamethasone for neurological signs, not routinely without them.
    doc = plan_case(lesion("thoracic_spine", level="T8", bilsky=grade),
                    context={"neurological_deficit": False})
    first = plan_of(doc).proposals[0]
    assert first.rule_id == "CC-01" and first.priority == "urgent"
    assert "16 mg" not in first.text.en and "16 mg" not in first.text.fr
    assert "not routine without neurological signs" in first.text.en
    assert "pas systématique sans signe neurologique" in first.text.fr
    assert "24 hours" in first.text.en


def test_cord_compression_with_short_life_expectancy_radiotherapy_alone() -> None:
    doc = plan_case(lesion("thoracic_spine", level="T8", bilsky="2"),
                    plan_inputs={"life_expectancy": "under_6_weeks"})
    cc2 = next(p for p in plan_of(doc).proposals if p.rule_id == "CC-02")
    assert not cc2.surgical and "radiotherapy alone" in cc2.text.en


def test_vertebroplasty_for_a_painful_stable_vertebra_labelled_nice() -> None:
    doc = plan_case(lesion("lumbar_spine", level="L3", sins=SINS_S2 | {"location": "mobile",
                                                                        "pain": "mechanical"},
                           bilsky="0"))
    sp5 = [p for p in plan_of(doc).proposals if p.rule_id == "SP-05"]
    assert sp5 and sp5[0].outside_referentiel and "NICE" in sp5[0].text.en


# --- one view of the patient ---------------------------------------------------------------------
def test_ecog_from_two_sections_disagreeing_keeps_the_higher_and_says_so() -> None:
    doc = plan_case(lesion("ribs"), plan_inputs={"ecog": 1},
                    clinical_status=[{"date": "2025-05-30", "state": "stable", "ecog": 3}])
    plan = plan_of(doc)
    assert plan.patient.ecog == 3 and plan.patient.contradictions


def test_no_plan_for_a_case_without_bone_lesion_or_plan_input() -> None:
    from tests.factories import assess_doc, case_doc
    assert assess_doc(case_doc()).plan is None


def test_every_catalogue_rule_is_reachable() -> None:
    from bonemet.core.plan import EMITTED_BY
    from bonemet.core.plan_registry import PLAN_RULES
    from bonemet.kb import default_kb
    plan = default_kb().plan
    assert plan is not None
    assert set(plan.rules) == set(PLAN_RULES) | set(EMITTED_BY)


def test_outside_a_lung_primary_only_the_cord_pathway_is_proposed() -> None:
    doc = plan_case(femur(axial_lysis_percent=40, circumferential_lysis_percent=60),
                    lesion("thoracic_spine", level="T8", bilsky="2"),
                    cancer={"primary_site": "breast"})
    plan = plan_of(doc)
    assert not plan.in_scope and {p.rule_id[:2] for p in plan.proposals} == {"CC"}
    assert [x.id for x in plan.lesions] == ["femur_shaft:left", "thoracic_spine:T8"]


# --- spine: NOMS-style reading (PL-22; clinical-reference §7) ------------------------------------
@pytest.mark.parametrize(("bilsky", "sins", "band", "message", "surgical"), [
    ("1b", SINS_S3, None, "rt_alone", False),  # low grade, not unstable: radiotherapy
    ("2", SINS_S3, None, "surgery_then_rt", True),  # high grade: surgery then radiotherapy
    ("1a", SINS_S6, None, "surgery_then_rt", True),  # instability (SINS 13): surgery then RT
    ("3", SINS_S3, "under_6_weeks", "systemic_precludes", False),  # S precludes surgery
])
def test_noms_reading(bilsky: str, sins: dict, band: str | None, message: str, surgical: bool) -> None:
    from bonemet.kb import default_kb
    doc = plan_case(lesion("cervical_spine", level="C7", sins=sins, bilsky=bilsky),
                    plan_inputs={"life_expectancy": band} if band else None)
    sp4 = next(p for p in plan_of(doc).proposals if p.rule_id == "SP-04")
    catalogue = default_kb().plan
    assert catalogue is not None
    expected = catalogue.rule("SP-04").messages[message].en.split("{")[-1].split("}")[-1][:20]
    assert expected in sp4.text.en and sp4.surgical is surgical
    if not surgical:
        assert sp4.checks and sp4.checks[0].kind == "spinal_stability"


def test_neurological_contradiction_between_sections_is_shown_and_the_deficit_kept() -> None:
    doc = plan_case(lesion("thoracic_spine", level="T8"), context={"neurological_deficit": False},
                    score_inputs={"frankel": "C"})
    plan = plan_of(doc)
    assert plan.patient.neurological_deficit is True and plan.patient.contradictions
    assert plan.proposals[0].rule_id == "CC-01"
