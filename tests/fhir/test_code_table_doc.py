"""docs/fhir.md's code table is generated from valuesets.yaml (scripts/fhir_code_table.py) and is
current: a code added, removed or re-labelled without regenerating the doc fails here (issue 23;
the table had lost the five FHIR core category rows before the generator existed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import fhir_code_table  # noqa: E402

from bonemet.fhir.valuesets import default_valuesets  # noqa: E402


def test_the_doc_is_current() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "fhir_code_table.py"), "--check"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_every_code_row_is_in_the_doc_once() -> None:
    doc = (ROOT / "docs" / "fhir.md").read_text()
    vs = default_valuesets()
    assert f"generated from valuesets.yaml version {vs.version}" in doc
    for group, concept, row in vs.rows():
        assert doc.count(f"| {group} | {concept.key} | {row.system} | {row.code}") >= 1, row.code


def test_a_stale_doc_is_detected() -> None:
    doc = (ROOT / "docs" / "fhir.md").read_text()
    stale = doc.replace("| analyte | calcium |", "| analyte | calcium_typo |", 1)
    assert stale != doc
    assert fhir_code_table.render(stale, default_valuesets()) == doc
    assert fhir_code_table.render(doc, default_valuesets()) == doc


def test_prefix_and_unverified_rows_are_labelled() -> None:
    text = fhir_code_table.table(default_valuesets())
    assert "| primary_site | lung | icd10 | C34 (prefix) | V | no |" in text
    assert "| U | no | unverified; source: memory" in text


def test_a_doc_without_its_section_is_refused() -> None:
    with pytest.raises(SystemExit):
        fhir_code_table.render("# no table here\n", default_valuesets())
