"""The value-set file: its policy (sources, unverified codes never written) and its matching."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bonemet.fhir.valuesets import ValueSetError, default_valuesets, load_valuesets
from bonemet.model.case import LAB_CATALOGUE

VS = default_valuesets()
SOURCE = Path(__file__).resolve().parents[2] / "src" / "bonemet" / "fhir" / "valuesets.yaml"


def test_every_code_has_a_source_and_unverified_codes_are_never_written() -> None:
    rows = VS.rows()
    assert len(rows) > 80
    for group, concept, row in rows:
        assert row.verified_by, (group, concept.key, row.code)
        if row.confidence == "U":
            assert row.verified_by == "unverified" and not row.emit, (group, concept.key, row.code)


def test_written_codes_are_only_verified_or_plausible() -> None:
    for group, concept in ((g, c) for g, cs in VS.groups.items() for c in cs):
        for coding in VS.codings(group, concept.key):
            row = next(r for r in concept.codes if r.code == coding["code"])
            assert row.confidence in ("V", "P")


def test_labs_agree_with_the_case_model_catalogue() -> None:
    for analyte, (loinc, _conf, _units) in LAB_CATALOGUE.items():
        written = [c["code"] for c in VS.codings("analyte", analyte.value) if c["system"] == "http://loinc.org"]
        assert written == ([loinc] if loinc else [])


@pytest.mark.parametrize("mutate, fragment", [
    (lambda d: d["groups"]["analyte"][0]["codes"][0].update(code="9999-9"), "LAB_CATALOGUE"),
    (lambda d: d["groups"]["modality"].pop(), "no concept for"),
    (lambda d: d["groups"]["bone_pain"][0]["codes"][0].update(confidence="U"), "go together"),
    (lambda d: d["groups"]["bone_pain"][0]["codes"][0].update(system="nope"), "unknown system alias"),
])
def test_inconsistent_file_is_refused(tmp_path: Path, mutate, fragment: str) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    mutate(data)
    bad = tmp_path / "valuesets.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueSetError) as exc:
        load_valuesets(bad)
    assert any(fragment in p for p in exc.value.problems), exc.value.problems


@pytest.mark.parametrize("text, expected", [
    ("Scintigraphie osseuse corps entier", "bone_scan"),
    ("Tomoscintigraphie osseuse couplée au scanner", "spect_ct"),
    ("TEP-TDM au 18F-FDG", "fdg_pet_ct"),
    ("PET/CT sodium fluoride F-18", "naf_pet_ct"),
    ("IRM du rachis lombaire", "mri"),
    ("IRM corps entier", "wb_mri"),
    ("CT thorax", "ct"),
    ("Radiographie du fémur", "radiograph"),
    ("Fracture fixation", None),   # "ct" inside a word is not CT
    ("Confirmation", None),        # neither is "irm"
])
def test_imaging_text_matching(text: str, expected: str | None) -> None:
    hit = VS.match(("modality",), {"text": text})
    assert (hit.concept.key if hit else None) == expected


def test_docs_list_every_code_row_of_this_version() -> None:
    doc = (SOURCE.parents[3] / "docs" / "fhir.md").read_text(encoding="utf-8")
    assert f"version {VS.version}" in doc, "regenerate the code table of docs/fhir.md"
    for group, concept, row in VS.rows():
        if group != "fhir_core":
            assert f"| {group} | {concept.key} | {row.system} | {row.code}" in doc, (group, row.code)


# ------------------------------------------------------------------------- issue 14
from bonemet.fhir.valuesets import loinc_check_digit_ok, snomed_check_digit_ok  # noqa: E402


def test_every_snomed_code_passes_its_verhoeff_check_digit() -> None:
    codes = [(g, c.key, r.code) for g, c, r in VS.rows() if r.system == "sct"]
    assert len(codes) > 30
    assert [x for x in codes if not snomed_check_digit_ok(x[2])] == []


def test_every_loinc_code_passes_its_mod10_check_digit() -> None:
    codes = [(g, c.key, r.code) for g, c, r in VS.rows() if r.system == "loinc"]
    assert len(codes) > 10
    assert [x for x in codes if not loinc_check_digit_ok(x[2])] == []


@pytest.mark.parametrize("code, ok", [
    ("16335031000119103", True), ("16335031000119104", False), ("254637007", True), ("254637008", False),
    ("0123456", False), ("12345", False),
])
def test_verhoeff_check_digit(code: str, ok: bool) -> None:
    assert snomed_check_digit_ok(code) is ok


@pytest.mark.parametrize("code, ok", [
    ("2039-6", True), ("2039-7", False), ("25031-6", True), ("1777-2", True), ("1777", False),
    ("abc-1", False),
])
def test_loinc_check_digit(code: str, ok: bool) -> None:
    assert loinc_check_digit_ok(code) is ok


def test_a_snomed_code_with_a_wrong_check_digit_refuses_the_file(tmp_path: Path) -> None:
    data = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    data["groups"]["bone_pain"][0]["codes"][0]["code"] = "16335031000119104"
    bad = tmp_path / "valuesets.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueSetError) as exc:
        load_valuesets(bad)
    assert any("Verhoeff" in p for p in exc.value.problems)


def test_every_row_names_its_source() -> None:
    for group, concept, row in VS.rows():
        origin = row.source if row.confidence == "U" else row.verified_by
        assert origin and origin != "unverified", (group, concept.key, row.code)


def test_hcpcs_system_is_the_hl7_terminology_registry_uri() -> None:
    assert VS.uri("hcpcs") == "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
    assert VS.alias_of("https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets") == "hcpcs"


@pytest.mark.parametrize("group, text, expected", [
    ("modality", "Suspected pneumonia", None),
    ("modality", "Inspection", None),
    ("modality", "MR spectroscopy", None),
    ("modality", "Sodium fluoride varnish 5%", None),
    ("modality", "TEP-TDM au fluorure de sodium", "naf_pet_ct"),
    ("modality", "SPECT/CT", "spect_ct"),
    ("modality", "Radiographies du fémur", "radiograph"),
    ("procedure_treatment", "Radiothérapie stéréotaxique", "radiotherapy"),
    ("agent", "Cisplatine 1 mg/mL", "cisplatin"),
    ("agent", "Acide zolédronique 4 mg", "zoledronic_acid"),
    ("histology", "Adénocarcinome", "adenocarcinoma"),
    ("histology", "Carcinome non à petites cellules", "nsclc_nos"),
    ("primary_site", "Adenocarcinoma of prostate", None),  # a histology is not a site by itself
])
def test_whole_word_french_and_english_matching(group: str, text: str, expected: str | None) -> None:
    hit = VS.match((group,), {"text": text})
    assert (hit.concept.key if hit else None) == expected


def test_treatment_rules_are_data() -> None:
    data = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    assert data["treatment_rules"]["line_gap_days"] == VS.rules.line_gap_days
    assert "active" in VS.rules.ongoing_statuses


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LETTERS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6)


@given(_LETTERS, _LETTERS, st.sampled_from(["spect", "ct", "irm", "naf", "pet", "fdg", "mri"]))
def test_a_pattern_glued_inside_a_longer_word_never_matches(prefix: str, suffix: str, word: str) -> None:
    assert VS.match(("modality",), {"text": f"{prefix}{word}{suffix}"}) is None
