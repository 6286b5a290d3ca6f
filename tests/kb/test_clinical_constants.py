"""Every clinical constant of the knowledge-base data pinned to its source (issue 21, item 10).

A wrong window or threshold in `src/bonemet/kb/data/*.yaml` used to be noticed only by the version
fingerprint, which says THAT the data changed, not that a number is now wrong. Here each number a
rule, the flare reader or the calculator reads has one row: where it is, its value, and where that
value comes from (a statement of the chapter, a source of performance.yaml with its section of
clinical-reference.md, or the project's choice with the note that argues it). Changing any number
fails the row that names its source; a number added without a row fails the completeness test.

Changing a value on purpose: change the row here and its source in the same commit (and bump the
knowledge-base version, CHANGELOG and fingerprint, as for any data change).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

DATA = Path(str(resources.files("bonemet.kb") / "data"))
FILES = ("rules.yaml", "flare.yaml", "performance.yaml", "statements.yaml")
# Numbers that are not clinical constants: file versions and bibliographic numbers (reference
# numbers and years, checked by tests/kb/test_references_data.py).
NOT_CLINICAL = frozenset({"refs", "guideline_refs", "references", "number", "year", "extra_refs"})
# A list item is addressed by its identity, never its position (adding a rule moves no row).
ITEM_KEYS = ("id", "analyte", "name")

PROJECT = "project choice"
REF11 = "clinical-reference.md §11"


@dataclass(frozen=True)
class Pin:
    file: str
    path: str
    value: float
    source: str


# --- rules.yaml --------------------------------------------------------------------------------
RULES = [
    *(Pin("rules.yaml", f"rules[{r}].params.months", 6,
          "F20/F21: control scan after the 6th month, early scan before it (chapter)")
      for r in ("NM-05", "NM-06", "NM-07")),
    Pin("rules.yaml", "rules[NM-08].params.flare_frequency_pct[0]", 15, "F17: flare in 15-30% (chapter)"),
    Pin("rules.yaml", "rules[NM-08].params.flare_frequency_pct[1]", 30, "F17: flare in 15-30% (chapter)"),
    Pin("rules.yaml", "rules[NM-10].params.sensitivity_pct", 98, "F07: SPECT-CT sensitivity 98% (chapter)"),
    Pin("rules.yaml", "rules[NM-10].params.specificity_pct", 81, "F07: SPECT-CT specificity 81% (chapter)"),
    Pin("rules.yaml", "rules[NM-11].params.false_negative_pct[0]", 10,
        "F09: bone scan misses 10-20% (chapter)"),
    Pin("rules.yaml", "rules[NM-11].params.false_negative_pct[1]", 20,
        "F09: bone scan misses 10-20% (chapter)"),
    # ADV-01: the chapter gives no window; docs/clinical-safety.md (residual risks) and
    # docs/knowledge-base.md (ADV-01 row) state these as the project's conservative reading.
    *(Pin("rules.yaml", f"rules[ADV-01].params.validity_days.{q}", days,
          f"{PROJECT}: ADV-01 validity window, docs/knowledge-base.md ADV-01 and "
          f"docs/clinical-safety.md residual risks ({why})")
      for q, days, why in (
          ("staging", 42, "staging workup: six weeks"),
          ("occult_disease", 42, "as staging"),
          ("follow_up", 28, "follow-up, response and findings: four weeks"),
          ("response_assessment", 28, "as follow-up"),
          ("equivocal_finding", 28, "as follow-up"),
          ("isolated_lesion", 28, "as follow-up"),
          ("new_bone_pain", 14, "new pain: two weeks"))),
]

# --- flare.yaml (each block carries a `provenance`; the reasoning is summarised here) -----------
_W = "flare.yaml windows.{}.provenance"
FLARE = [
    Pin("flare.yaml", "windows.clinical_status.days_before", 30,
        f"{PROJECT}: {_W.format('clinical_status')} (one month either side of the scan)"),
    Pin("flare.yaml", "windows.clinical_status.days_after", 30,
        f"{PROJECT}: {_W.format('clinical_status')} (one month either side of the scan)"),
    Pin("flare.yaml", "windows.radiograph.days_before", 180,
        f"{PROJECT}: {_W.format('radiograph')} (the length of the flare window, F20)"),
    Pin("flare.yaml", "windows.radiograph.days_after", 30,
        f"{PROJECT}: {_W.format('radiograph')} (targeted imaging obtained after the scan)"),
    Pin("flare.yaml", "windows.mri.days_before", 180, f"{PROJECT}: {_W.format('mri')} (as radiographs)"),
    Pin("flare.yaml", "windows.mri.days_after", 30, f"{PROJECT}: {_W.format('mri')} (as radiographs)"),
    Pin("flare.yaml", "windows.marker_baseline.days_before", 60,
        f"{PROJECT}: {_W.format('marker_baseline')} (closest to the comparator, 60 days before)"),
    Pin("flare.yaml", "windows.marker_baseline.days_after", 14,
        f"{PROJECT}: {_W.format('marker_baseline')} (14 days after the comparator)"),
    Pin("flare.yaml", "windows.marker_follow_up.days_before", 30,
        f"{PROJECT}: {_W.format('marker_follow_up')} (within 30 days of the scan)"),
    Pin("flare.yaml", "windows.marker_follow_up.days_after", 30,
        f"{PROJECT}: {_W.format('marker_follow_up')} (within 30 days of the scan)"),
    Pin("flare.yaml", "windows.response_outside_bone.days_before", 180,
        f"{PROJECT}: {_W.format('response_outside_bone')} (as radiographs)"),
    Pin("flare.yaml", "windows.response_outside_bone.days_after", 30,
        f"{PROJECT}: {_W.format('response_outside_bone')} (as radiographs)"),
    Pin("flare.yaml", "markers[bone_alp].least_significant_change_pct", 25,
        f"{PROJECT}: flare.yaml markers[bone_alp].provenance (round value above assay variation)"),
    Pin("flare.yaml", "markers[ctx].least_significant_change_pct", 30,
        f"{PROJECT}: flare.yaml markers[ctx].provenance (wider than bone ALP: circadian, food)"),
    Pin("flare.yaml", "markers[cea].least_significant_change_pct", 25,
        f"{PROJECT}: flare.yaml markers[cea].provenance (round value above assay variation)"),
    Pin("flare.yaml", "markers[cyfra_21_1].least_significant_change_pct", 25,
        f"{PROJECT}: flare.yaml markers[cyfra_21_1].provenance (as CEA)"),
    # Unit factors to the first unit listed: definitions of the units, not choices.
    *(Pin("flare.yaml", f"markers[{analyte}].units.{unit}", factor, f"unit definition ({note})")
      for analyte, unit, factor, note in (
          ("bone_alp", "µg/L", 1, "reference unit"), ("bone_alp", "ug/L", 1, "µg/L spelt ug/L"),
          ("ctx", "ng/L", 1, "reference unit"), ("ctx", "pg/mL", 1, "1 pg/mL = 1 ng/L"),
          ("ctx", "ng/mL", 1000, "1 ng/mL = 1000 ng/L"),
          ("cea", "ng/mL", 1, "reference unit"), ("cea", "µg/L", 1, "1 µg/L = 1 ng/mL"),
          ("cea", "ug/L", 1, "µg/L spelt ug/L"),
          ("cyfra_21_1", "ng/mL", 1, "reference unit"), ("cyfra_21_1", "µg/L", 1, "1 µg/L = 1 ng/mL"),
          ("cyfra_21_1", "ug/L", 1, "µg/L spelt ug/L"))),
    Pin("flare.yaml", "evidence_threshold.min_concordant", 2,
        f"{PROJECT} on F21/REC5 (a body of arguments, never one sign): flare.yaml evidence_threshold"),
    Pin("flare.yaml", "evidence_threshold.min_strong", 1,
        f"{PROJECT} on F21/REC5 (one direct observation at least): flare.yaml evidence_threshold"),
    Pin("flare.yaml", "radiotherapy_healing_window.days", 183,
        f"{PROJECT} on F14 (healing after radiotherapy) with the chapter's 6-month flare window "
        "(F20: 6 months = 183 days), counted from the LAST day of radiotherapy"),
    Pin("flare.yaml", "control_scan_min_interval.days", 42,
        f"{PROJECT}: six weeks, the PCWG2/3 confirmatory interval (clinical-reference.md §9.1; "
        "docs/flare.md)"),
    Pin("flare.yaml", "previous_line_comparator.days", 28,
        f"{PROJECT}: four weeks, the RECIST 1.1 baseline-imaging rule (flare.yaml provenance)"),
]

# --- performance.yaml: (entry, sensitivity, its CI, specificity, its CI, source) --------------------
_ENTRIES: list[tuple[str, str, Any, Any, Any, Any, str]] = [
    # modality, entry, sens, sens CI, spec, spec CI, source (clinical-reference.md row)
    ("bone_scan", "song2009_bs", 0.781, None, 0.974, None, f"Song 2009, {REF11}.1 bone scan row"),
    ("bone_scan", "liu2011_bs", 0.918, None, 0.688, None, f"Liu 2011, {REF11}.1 bone scintigraphy row"),
    ("bone_scan", "qu2012_bs", 0.86, (0.82, 0.89), 0.88, (0.86, 0.91), f"Qu 2012, {REF11}.1 BS [MEM]"),
    ("bone_scan", "yang2011_bs", 0.860, None, 0.814, None, f"Yang 2011, {REF11}.2 BS per patient"),
    ("bone_scan", "petbs_meta6_bs", 0.706, (0.642, 0.764), 0.911, (0.896, 0.926),
     f"PET vs BS meta (6 studies), {REF11}.2 BS"),
    ("bone_scan", "wbmri2013_bs", 0.83, None, 0.94, None, f"WB-MRI vs BS meta 2013, {REF11}.2 BS"),
    ("bone_scan", "shen2015_bs_h2h", 0.88, None, 0.80, None, f"Shen 2015 head-to-head, {REF11}.2"),
    ("spect_ct", "chapter_f07", 0.98, None, 0.81, None, "F07: 98% / 81% (chapter)"),
    ("spect_ct", "rohani2021_spect", 0.930, (0.91, 0.95), 0.960, (0.94, 0.97), f"Rohani 2021, {REF11}.2"),
    ("spect_ct", "fan_spect", 0.80, None, 0.90, None, f"Fan, {REF11}.2 MDP SPECT per patient"),
    ("wb_spect_ct", "wbspect2020_eq_negative", 0.92, (0.89, 0.95), 0.95, (0.94, 0.96),
     f"WB-SPECT/CT meta 2020, equivocal as negative, {REF11}.2"),
    ("wb_spect_ct", "wbspect2020_eq_positive", 0.94, (0.91, 0.96), 0.94, (0.92, 0.95),
     f"WB-SPECT/CT meta 2020, equivocal as positive, {REF11}.2"),
    ("fdg_pet_ct", "song2009_pet", 0.943, None, 0.988, None, f"Song 2009, {REF11}.1 FDG-PET/CT row"),
    ("fdg_pet_ct", "liu2011_pet", 0.919, None, 0.968, None, f"Liu 2011, {REF11}.1 FDG-PET row"),
    ("fdg_pet_ct", "qu2012_petct", 0.92, (0.88, 0.95), 0.98, (0.97, 0.98), f"Qu 2012, {REF11}.1 [MEM]"),
    ("fdg_pet_ct", "yang2011_pet", 0.897, None, 0.968, None, f"Yang 2011, {REF11}.2 FDG-PET per patient"),
    ("fdg_pet_ct", "petbs_meta6_pet", 0.934, None, 0.975, None, f"PET vs BS meta (6 studies), {REF11}.2"),
    ("fdg_pet_ct", "shen2015_pet_h2h", 0.73, None, 0.98, None, f"Shen 2015 NaF vs FDG subset, {REF11}.2"),
    ("naf_pet_ct", "shen2015_naf", 0.92, (0.89, 0.95), 0.93, (0.91, 0.95), f"Shen 2015, {REF11}.2"),
    ("naf_pet_ct", "fan_naf", 0.92, None, 0.96, None, f"Fan, {REF11}.2 NaF per patient"),
    ("naf_pet_ct", "shen2015_naf_vs_bs", 0.96, None, 0.91, None, f"Shen 2015 NaF vs BS subset, {REF11}.2"),
    ("naf_pet_ct", "shen2015_naf_vs_fdg", 0.94, None, 0.88, None, f"Shen 2015 NaF vs FDG subset, {REF11}.2"),
    ("wb_mri", "wbmri2013_wbmri", 0.84, None, 0.96, None, f"WB-MRI vs BS meta 2013, {REF11}.2"),
    ("mri", "liu2011_mri", 0.800, None, 0.906, None, f"Liu 2011, {REF11}.1 MRI row"),
    ("mri", "qu2012_mri", 0.77, (0.64, 0.87), 0.92, (0.86, 0.96), f"Qu 2012, {REF11}.1 MRI [MEM]"),
    ("mri", "yang2011_mri", 0.906, None, 0.954, None, f"Yang 2011, {REF11}.2 MRI per patient"),
    ("ct", "yang2011_ct", 0.729, None, 0.948, None, f"Yang 2011, {REF11}.2 CT per patient"),
]


def _entry_pins() -> list[Pin]:
    pins = []
    for modality, entry, sens, sens_ci, spec, spec_ci, source in _ENTRIES:
        base = f"modalities[{modality}].entries[{entry}]"
        for name, value, ci in (("sensitivity", sens, sens_ci), ("specificity", spec, spec_ci)):
            pins.append(Pin("performance.yaml", f"{base}.{name}.value", value, source))
            if ci is not None:
                pins += [Pin("performance.yaml", f"{base}.{name}.ci95[{i}]", ci[i], source + " (95% CI)")
                         for i in (0, 1)]
    return pins


PERFORMANCE = [
    *_entry_pins(),
    Pin("performance.yaml", "modalities[bone_scan].entries[chapter_f04].sensitivity.range[0]", 0.62,
        "F04: sensitivity 62-100% (chapter)"),
    Pin("performance.yaml", "modalities[bone_scan].entries[chapter_f04].sensitivity.range[1]", 1.0,
        "F04: sensitivity 62-100% (chapter)"),
    Pin("performance.yaml", "modalities[bone_scan].entries[chapter_f04].specificity.range[0]", 0.61,
        "F04: specificity 61-100% (chapter)"),
    Pin("performance.yaml", "modalities[bone_scan].entries[chapter_f04].specificity.range[1]", 1.0,
        "F04: specificity 61-100% (chapter)"),
    Pin("performance.yaml", "modalities[bone_scan].entries[chapter_f09].sensitivity.range[0]", 0.80,
        "F09: 10-20% false negatives, so sensitivity 80-90% (chapter, derived)"),
    Pin("performance.yaml", "modalities[bone_scan].entries[chapter_f09].sensitivity.range[1]", 0.90,
        "F09: 10-20% false negatives, so sensitivity 80-90% (chapter, derived)"),
    Pin("performance.yaml", "priors[nsclc_staging].value", 0.105,
        f"Song 2009: bone metastases in 10.5% of 1000 NSCLC ({REF11}.1)"),
    Pin("performance.yaml", "priors[nsclc_staging].events", 105, f"Song 2009 ({REF11}.1)"),
    Pin("performance.yaml", "priors[nsclc_staging].n", 1000, f"Song 2009 ({REF11}.1)"),
]

# --- statements.yaml: the chapter's own figures (the statement is the source) -----------------------
STATEMENTS = [
    Pin("statements.yaml", f"statements[{sid}].numbers[{name}].{part}", value, f"{sid} (chapter)")
    for sid, name, part, value in (
        ("F02", "effective_dose", "value", 4),
        ("F03", "lead_time_vs_radiographs", "range[0]", 2),
        ("F03", "lead_time_vs_radiographs", "range[1]", 18),
        ("F04", "sensitivity", "range[0]", 62), ("F04", "sensitivity", "range[1]", 100),
        ("F04", "specificity", "range[0]", 61), ("F04", "specificity", "range[1]", 100),
        ("F06", "detectable_bone_involvement", "value", 5),
        ("F07", "sensitivity", "value", 98), ("F07", "specificity", "value", 81),
        ("F09", "false_negative_rate", "range[0]", 10), ("F09", "false_negative_rate", "range[1]", 20),
        ("F17", "flare_frequency", "range[0]", 15), ("F17", "flare_frequency", "range[1]", 30),
        ("F20", "control_scan_after", "value", 6),
        ("F21", "early_scan_before", "value", 6),
        ("F28", "time_since_introduction", "value", 40),
        ("F29", "bone_uptake_vs_bisphosphonates", "value", 2),
    )
]

PINS = (*RULES, *FLARE, *PERFORMANCE, *STATEMENTS)


# --- reading the data ------------------------------------------------------------------------------

_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[([^\]]+)\]")


def _load(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def _item(items: list[Any], key: str) -> Any:
    for item in items:
        if isinstance(item, dict) and any(item.get(k) == key for k in ITEM_KEYS):
            return item
    return items[int(key)] if key.isdigit() else None


def resolve(doc: Any, path: str) -> Any:
    """The value at a path such as `rules[ADV-01].params.validity_days.staging` (None: absent)."""
    node = doc
    for key, selector in _TOKEN.findall(path):
        if selector:
            node = _item(node, selector) if isinstance(node, list) else None
        else:
            node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def numeric_leaves(node: Any, path: str = "") -> list[tuple[str, float]]:
    """Every number of a data file, addressed as the pins address it."""
    found: list[tuple[str, float]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in NOT_CLINICAL or (not path and key == "version"):
                continue
            found += numeric_leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            key = next((value[k] for k in ITEM_KEYS if isinstance(value, dict) and k in value), i)
            found += numeric_leaves(value, f"{path}[{key}]")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        found.append((path, node))
    return found


DOCS = {name: _load(name) for name in FILES}


# --- the tests -------------------------------------------------------------------------------------

def _pin_id(pin: Pin) -> str:
    """The test id names the constant and its source (a failure report shows both)."""
    return f"{pin.file}:{pin.path} <- {pin.source.split(':')[0].split(',')[0].split(' (')[0]}"


@pytest.mark.parametrize("pin", PINS, ids=[_pin_id(p) for p in PINS])
def test_each_clinical_constant_has_its_sourced_value(pin: Pin) -> None:
    actual = resolve(DOCS[pin.file], pin.path)
    assert actual is not None, f"{pin.file} {pin.path} is gone; it was pinned to: {pin.source}"
    assert math.isclose(actual, pin.value, rel_tol=0, abs_tol=1e-12), (
        f"{pin.file} {pin.path} = {actual}, but its source says {pin.value}: {pin.source}")


@pytest.mark.parametrize("name", FILES)
def test_every_number_of_the_data_is_pinned(name: str) -> None:
    pinned = {p.path for p in PINS if p.file == name}
    unpinned = [f"{path} = {value}" for path, value in numeric_leaves(DOCS[name]) if path not in pinned]
    assert not unpinned, (f"{name}: numbers without a source row in tests/kb/test_clinical_constants.py "
                          f"(add one, naming the statement, reference or note): {unpinned}")


def test_pins_are_unique() -> None:
    keys = [(p.file, p.path) for p in PINS]
    assert len(keys) == len(set(keys))


# Cross-checks: a number used in two places agrees with the statement it comes from, so the two
# copies cannot drift apart (each copy is pinned above as well).

def _statement_number(sid: str, name: str) -> Any:
    return resolve(DOCS["statements.yaml"], f"statements[{sid}].numbers[{name}]")


def _range_or_value(number: dict[str, Any]) -> list[float]:
    return list(number["range"]) if "range" in number else [number["value"]]


def test_rule_parameters_equal_the_chapter_figures_they_quote() -> None:
    rules = DOCS["rules.yaml"]
    f20, f21 = _statement_number("F20", "control_scan_after"), _statement_number("F21", "early_scan_before")
    for rule in ("NM-05", "NM-06", "NM-07"):
        assert resolve(rules, f"rules[{rule}].params.months") == f20["value"] == f21["value"], rule
    assert resolve(rules, "rules[NM-08].params.flare_frequency_pct") == _range_or_value(
        _statement_number("F17", "flare_frequency")), "NM-08 vs F17"
    assert resolve(rules, "rules[NM-10].params.sensitivity_pct") == _statement_number(
        "F07", "sensitivity")["value"], "NM-10 vs F07"
    assert resolve(rules, "rules[NM-10].params.specificity_pct") == _statement_number(
        "F07", "specificity")["value"], "NM-10 vs F07"
    assert resolve(rules, "rules[NM-11].params.false_negative_pct") == _range_or_value(
        _statement_number("F09", "false_negative_rate")), "NM-11 vs F09"


def test_chapter_entries_of_the_performance_table_equal_the_statements() -> None:
    perf = DOCS["performance.yaml"]

    def entry(modality: str, eid: str, name: str) -> Any:
        return resolve(perf, f"modalities[{modality}].entries[{eid}].{name}")

    f04s, f04p = _statement_number("F04", "sensitivity"), _statement_number("F04", "specificity")
    assert [round(x * 100) for x in entry("bone_scan", "chapter_f04", "sensitivity.range")] == f04s["range"]
    assert [round(x * 100) for x in entry("bone_scan", "chapter_f04", "specificity.range")] == f04p["range"]
    f07s, f07p = _statement_number("F07", "sensitivity"), _statement_number("F07", "specificity")
    assert round(entry("spect_ct", "chapter_f07", "sensitivity.value") * 100) == f07s["value"]
    assert round(entry("spect_ct", "chapter_f07", "specificity.value") * 100) == f07p["value"]
    low, high = _statement_number("F09", "false_negative_rate")["range"]
    assert [round(x * 100) for x in entry("bone_scan", "chapter_f09", "sensitivity.range")] == [
        100 - high, 100 - low]
    prior = resolve(perf, "priors[nsclc_staging]")
    assert math.isclose(prior["value"], prior["events"] / prior["n"])


def test_radiotherapy_healing_window_is_the_chapters_six_months_in_days() -> None:
    months = _statement_number("F20", "control_scan_after")["value"]
    assert resolve(DOCS["flare.yaml"], "radiotherapy_healing_window.days") == math.ceil(
        months * 365.25 / 12)


def test_pinned_project_choices_still_say_so_in_the_data() -> None:
    # A row that calls a number the project's choice must not hide a provenance that now claims a
    # chapter source (or the reverse): the flare.yaml blocks carry their own provenance.
    flare = DOCS["flare.yaml"]
    for block in ("radiotherapy_healing_window", "control_scan_min_interval",
                  "previous_line_comparator", "evidence_threshold"):
        assert flare[block]["provenance"]["source"] == "project_choice", block
    assert flare["radiotherapy_healing_window"]["provenance"]["statements"] == ["F14"]
    assert flare["evidence_threshold"]["provenance"]["statements"] == ["F21", "REC5"]
