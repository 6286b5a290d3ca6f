"""The MDT summary (HTML and A4 PDF), its CLI, and the completeness of the interface labels."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from html import unescape

import pypdf
import pytest
from typer.testing import CliRunner

from bonemet import cli
from bonemet.api import assess, load_case
from bonemet.demo import demo_cases
from bonemet.model import assessment as assessment_model
from bonemet.model import case as case_model
from bonemet.report.labels import LabelsError, labels, parse_labels
from bonemet.report.summary import summary_html, summary_pdf

DAY = dt.date(2025, 6, 1)
ENUM_KINDS = {
    "modality": case_model.Modality, "phase": case_model.Phase, "question": case_model.Question,
    "purpose": case_model.Purpose, "result": case_model.Result, "pet_coverage": case_model.PetCoverage,
    "change": case_model.Change, "site": case_model.SkeletalSite, "side": case_model.Side,
    "phenotype": case_model.Phenotype, "primary_site": case_model.PrimarySite,
    "histology": case_model.Histology, "treatment_type": case_model.TreatmentType,
    "analyte": case_model.Analyte, "clinical_state": case_model.ClinicalState,
    "radiograph_finding": case_model.RadiographFinding, "mri_finding": case_model.MriFinding,
    "rating": assessment_model.Rating, "rated_modality": assessment_model.RatedModality,
}


@pytest.mark.parametrize("kind", sorted(ENUM_KINDS))
def test_every_vocabulary_value_has_both_languages(kind):  # type: ignore[no-untyped-def]
    enum: type[StrEnum] = ENUM_KINDS[kind]
    known = labels().enums[kind]
    assert set(known) == {m.value for m in enum}, kind


def test_labels_missing_a_language_are_refused():  # type: ignore[no-untyped-def]
    with pytest.raises(LabelsError, match=r"ui\.x"):
        parse_labels({"ui": {"x": {"en": "only English"}}})


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("path", demo_cases(), ids=lambda p: p.stem)
def test_summary_html_carries_rules_references_and_version(path, lang):  # type: ignore[no-untyped-def]
    case = load_case(path)
    a = assess(case)
    html = unescape(summary_html(case, lang, DAY))
    for rule_id in a.rule_ids():
        assert rule_id in html
    # the date as its reader writes it (issue 13): 01/06/2025 in French, ISO in English
    assert a.knowledge_base.version in html and ("01/06/2025" if lang == "fr" else "2025-06-01") in html
    assert ("n'est pas un dispositif médical" if lang == "fr" else "not a medical device") in html
    for rec in a.recommendations:
        assert rec.text(lang) in html
    assert 'src="http' not in html and 'href="http' not in html  # nothing to fetch


def test_pdf_is_a4_and_names_patient_and_rules():  # type: ignore[no-untyped-def]
    case = load_case(next(p for p in demo_cases() if p.stem.startswith("03")))
    reader = pypdf.PdfReader(__import__("io").BytesIO(summary_pdf(case, "fr", DAY)))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Synthèse pour la RCP" in text and "Demo 03" in text
    for rule_id in assess(case).rule_ids():
        assert rule_id in text


def test_cli_report_writes_pdf_and_html(tmp_path):  # type: ignore[no-untyped-def]
    case = str(next(p for p in demo_cases() if p.stem.startswith("11")))
    runner = CliRunner()
    result = runner.invoke(cli.app, ["report", case, "-o", str(tmp_path / "s.pdf"), "--lang", "fr"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
    result = runner.invoke(cli.app, ["report", case, "-o", str(tmp_path / "s.html")])
    assert result.exit_code == 0 and "Tumour-board summary" in (tmp_path / "s.html").read_text()


@pytest.mark.parametrize(("args", "needle"), [
    (["report", "missing.yaml", "-o", "x.pdf"], "cannot read file"),
    (["report", "missing.yaml", "-o", "x.docx"], "--output"),
])
def test_cli_report_bad_input_exits_2(args, needle, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 2
    assert needle in result.output
