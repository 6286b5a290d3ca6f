import copy, yaml, pathlib
OUT = pathlib.Path("/work/wt/reviewbt/tests/plan/review_cases_bt")
AS_OF = "2026-12-05"
LES = [
  {"site": "pelvis", "side": "left", "phenotype": "lytic",
   "complications": {"pathological_fracture": False, "epidural_extension": False,
                     "soft_tissue_extension": False, "neuropathic_pain": False, "largest_size_cm": 2.5}},
  {"site": "thoracic_spine", "level": "T10", "phenotype": "lytic", "bilsky": "0",
   "sins": {"pain": "none", "alignment": "normal", "collapse": "none", "posterolateral": "none"},
   "complications": {"pathological_fracture": False, "epidural_extension": False,
                     "soft_tissue_extension": False, "neuropathic_pain": False, "largest_size_cm": 2}},
  {"site": "ribs", "side": "right", "level": "6", "phenotype": "mixed",
   "complications": {"pathological_fracture": False, "epidural_extension": False,
                     "soft_tissue_extension": False, "neuropathic_pain": False, "largest_size_cm": 1.5}},
]
def base(cid, known=True, sex="male", birth=1966, **kw):
    c = {"schema_version": "1.0", "case_id": cid,
         "patient": {"label": cid, "sex": sex, "birth_year": birth},
         "cancer": {"primary_site": "lung", "histology": "adenocarcinoma",
                    "diagnosis_date": "2026-06-01", "bone_metastases_known": known},
         "context": {"phase": "follow_up" if known else "staging", "as_of": AS_OF,
                     "new_bone_pain": False, "pain_sites": [], "neurological_deficit": False},
         "exams": [{"id": "pet1", "date": "2026-11-28", "modality": "fdg_pet_ct",
                    "purpose": "follow_up" if known else "staging", "result": "positive",
                    "pet_coverage": "vertex_to_feet", "lesions": copy.deepcopy(LES)}],
         "treatments": [{"id": "chemo1", "type": "chemo_immunotherapy", "agents": ["carboplatin", "pemetrexed", "pembrolizumab"],
                         "start": "2026-06-20", "line_number": 1}],
         "plan_inputs": {"life_expectancy": "3_to_12_months", "ecog": 1, "primary_controlled": False,
                         "extra_osseous_sites": 2, "extra_osseous_metastases": 4},
         "labs": []}
    if not known:
        c["treatments"] = []
    for k, v in kw.items():
        if k == "pi": c["plan_inputs"].update(v)
        elif k == "labs": c["labs"] = v
        elif k == "tx": c["treatments"] += v
        else: c[k] = v
    if not c["labs"]: del c["labs"]
    return c
def lab(a, v, u, d="2026-12-01"): return {"date": d, "analyte": a, "value": v, "unit": u}
CA = lab("calcium", 2.35, "mmol/L")
cases = {}
# BT01 new bone mets, no labs, no systemic-bone fact
c = base("BT01-new-mets-no-labs", known=False); del c["patient"]["sex"]; del c["patient"]["birth_year"]
cases["BT01-new-mets-no-labs"] = c
# BT02 new bone mets, full labs: M 60 y 80 kg SCr 1.0 mg/dL -> 88.9 -> 4 mg; VD 12 ng/mL; dental not recorded
cases["BT02-new-mets-full-labs"] = base("BT02-new-mets-full-labs", known=False, birth=1966,
    pi={"weight_kg": 80, "weight_date": "2026-12-01"},
    labs=[lab("creatinine", 1.0, "mg/dL"), CA, lab("vitamin_d_25oh", 12, "ng/mL")])
# BT03 boundary sweep, entered clearance only
for v in [61, 60, 50, 49.5, 49, 40, 39, 30, 29.6, 29]:
    cid = f"BT03-entered-crcl-{str(v).replace('.', '_')}"
    cases[cid] = base(cid, pi={"creatinine_clearance_ml_min": v, "creatinine_clearance_date": "2026-12-01",
                                "dental_status": "cleared", "dental_date": "2026-11-20"},
                      labs=[CA, lab("vitamin_d_25oh", 32, "ng/mL")])
# BT04 computed exactly 60: M 80 y (1946) 72 kg SCr 88.4 umol/L -> 60.0 -> 3.5 mg; VD 35 ng/mL (no loading)
cases["BT04-computed-60-umol"] = base("BT04-computed-60-umol", birth=1946,
    pi={"weight_kg": 72, "weight_date": "2026-12-01", "dental_status": "cleared", "dental_date": "2026-11-20"},
    labs=[lab("creatinine", 88.4, "µmol/L"), CA, lab("vitamin_d_25oh", 35, "ng/mL")])
# BT05 female 70 y 70 kg SCr 106 umol/L -> 48.2 -> 3.3 mg; VD 25 ng/mL x4; dental cleared 8 months ago
cases["BT05-female-48-dental-8mo"] = base("BT05-female-48-dental-8mo", sex="female", birth=1956,
    pi={"weight_kg": 70, "weight_date": "2026-12-01", "dental_status": "cleared", "dental_date": "2026-04-01"},
    labs=[lab("creatinine", 106, "µmol/L"), CA, lab("vitamin_d_25oh", 25, "ng/mL")])
# BT06 elderly light: F 85 y 42 kg creat 90 umol/L ("normal") -> ~26.8 -> no ZA
cases["BT06-elderly-light-female"] = base("BT06-elderly-light-female", sex="female", birth=1941,
    pi={"weight_kg": 42, "weight_date": "2026-12-01", "dental_status": "cleared", "dental_date": "2026-11-20", "ecog": 2},
    labs=[lab("creatinine", 90, "µmol/L"), CA, lab("vitamin_d_25oh", 22, "ng/mL")])
# BT07 entered 45 vs computed 62.5 (M 65 y 75 kg SCr 1.25 mg/dL)
cases["BT07-entered-vs-computed"] = base("BT07-entered-vs-computed", birth=1961,
    pi={"weight_kg": 75, "weight_date": "2026-12-01", "creatinine_clearance_ml_min": 45,
        "creatinine_clearance_date": "2026-12-02", "dental_status": "cleared", "dental_date": "2026-11-20"},
    labs=[lab("creatinine", 1.25, "mg/dL"), CA, lab("vitamin_d_25oh", 32, "ng/mL")])
# BT08 ZA running 4 mg; baseline creat 0.9 (June) now 1.4 mg/dL; M 72 y 65 kg -> 43.9 -> band 3.3
cases["BT08-za-running-dose-too-high"] = base("BT08-za-running-dose-too-high", birth=1954,
    pi={"weight_kg": 65, "weight_date": "2026-12-01", "dental_status": "cleared", "dental_date": "2026-06-10"},
    labs=[lab("creatinine", 0.9, "mg/dL", "2026-06-15"), lab("creatinine", 1.4, "mg/dL"), CA, lab("vitamin_d_25oh", 32, "ng/mL")],
    tx=[{"id": "za1", "type": "zoledronic_acid", "agents": ["zoledronic acid"], "start": "2026-06-20", "dose_mg": 4}])
# BT09 low clearance 22 entered: ZA contraindicated; denosumab hypocalcaemia
cases["BT09-crcl22-denosumab"] = base("BT09-crcl22-denosumab", birth=1950,
    pi={"creatinine_clearance_ml_min": 22, "creatinine_clearance_date": "2026-12-01",
        "dental_status": "cleared", "dental_date": "2026-11-20"},
    labs=[CA, lab("vitamin_d_25oh", 25, "ng/mL")])
# BT10 low calcium 7.9 mg/dL; VD 30 nmol/L (= 12 ng/mL, x8)
cases["BT10-low-calcium-vd-nmol"] = base("BT10-low-calcium-vd-nmol", birth=1966,
    pi={"weight_kg": 80, "weight_date": "2026-12-01", "dental_status": "cleared", "dental_date": "2026-11-20"},
    labs=[lab("creatinine", 1.0, "mg/dL"), lab("calcium", 7.9, "mg/dL"), lab("vitamin_d_25oh", 30, "nmol/L")])
# BT11 planned extraction (care needed, unhealed lesions)
cases["BT11-planned-extraction"] = base("BT11-planned-extraction", birth=1966,
    pi={"weight_kg": 80, "weight_date": "2026-12-01", "dental_status": "care_needed", "dental_date": "2026-11-25",
        "planned_extraction": True, "unhealed_oral_lesions": True},
    labs=[lab("creatinine", 1.0, "mg/dL"), CA, lab("vitamin_d_25oh", 32, "ng/mL")])
# BT12 ONJ history
cases["BT12-onj-history"] = base("BT12-onj-history", birth=1966,
    pi={"weight_kg": 80, "weight_date": "2026-12-01", "osteonecrosis_jaw": True, "dental_status": "care_needed", "dental_date": "2026-11-25"},
    labs=[lab("creatinine", 1.0, "mg/dL"), CA, lab("vitamin_d_25oh", 32, "ng/mL")])
# BT13 emergency: T8 Bilsky 3 with deficit, dental not assessed
c = base("BT13-cord-compression-no-dental", birth=1966,
    pi={"weight_kg": 80, "weight_date": "2026-12-01", "dental_status": "not_assessed"},
    labs=[lab("creatinine", 1.0, "mg/dL"), CA, lab("vitamin_d_25oh", 32, "ng/mL")])
c["context"].update({"new_bone_pain": True, "pain_sites": ["thoracic_spine"], "neurological_deficit": True})
c["exams"].append({"id": "mr1", "date": "2026-12-04", "modality": "mri", "purpose": "follow_up", "result": "positive",
    "lesions": [{"site": "thoracic_spine", "level": "T8", "phenotype": "lytic", "bilsky": "3",
                 "sins": {"pain": "mechanical", "alignment": "normal", "collapse": "lt-50", "posterolateral": "bilateral"},
                 "complications": {"pathological_fracture": False, "epidural_extension": True, "soft_tissue_extension": True,
                                   "neuropathic_pain": False, "largest_size_cm": 4}}]})
c["score_inputs"] = {"frankel": "C"}
cases["BT13-cord-compression-no-dental"] = c
# BT14 life expectancy 6 weeks - 3 months
cases["BT14-le-under-3-months"] = base("BT14-le-under-3-months", birth=1966,
    pi={"life_expectancy": "6_weeks_to_3_months", "ecog": 3, "weight_kg": 80, "weight_date": "2026-12-01",
        "dental_status": "cleared", "dental_date": "2026-11-20"},
    labs=[lab("creatinine", 1.0, "mg/dL"), CA, lab("vitamin_d_25oh", 32, "ng/mL")])
# BT15 ZA running 26 months (start 2024-10-01), 4 mg, normal renal function
cases["BT15-za-26-months"] = base("BT15-za-26-months", birth=1966,
    pi={"weight_kg": 80, "weight_date": "2026-12-01", "dental_status": "cleared", "dental_date": "2026-10-01"},
    labs=[lab("creatinine", 1.0, "mg/dL"), CA, lab("vitamin_d_25oh", 32, "ng/mL")],
    tx=[{"id": "za1", "type": "zoledronic_acid", "agents": ["zoledronic acid"], "start": "2024-10-01", "dose_mg": 4}])
cases["BT15-za-26-months"]["cancer"]["diagnosis_date"] = "2024-08-01"
cases["BT15-za-26-months"]["treatments"][0]["start"] = "2024-09-01"
# BT16 unit slips
cases["BT16a-creat-90-mgdl"] = base("BT16a-creat-90-mgdl", birth=1966, pi={"weight_kg": 80},
    labs=[lab("creatinine", 90, "mg/dL"), CA])
cases["BT16b-creat-2_5-umol"] = base("BT16b-creat-2_5-umol", birth=1951, pi={"weight_kg": 60},
    labs=[lab("creatinine", 2.5, "µmol/L"), CA, lab("vitamin_d_25oh", 32, "ng/mL")])
# BT17 no creatinine (calcium, vit D present; sex, age, weight present)
cases["BT17-no-creatinine"] = base("BT17-no-creatinine", birth=1966, pi={"weight_kg": 80},
    labs=[CA, lab("vitamin_d_25oh", 32, "ng/mL")])
for name, c in cases.items():
    (OUT / f"{name}.yaml").write_text(yaml.safe_dump(c, sort_keys=False, allow_unicode=True, width=110))
print(len(cases))
