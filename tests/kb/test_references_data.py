"""The reference list generated from the seed chapter (src/bonemet/kb/data/references.yaml)."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "build_references.py"
DATA = REPO_ROOT / "src" / "bonemet" / "kb" / "data" / "references.yaml"
SEED = REPO_ROOT / "data" / "seed-references.fr.txt"

KEYS = [
    "number",
    "numbered_in_source",
    "citation",
    "authors",
    "et_al",
    "title",
    "journal",
    "year",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "url",
    "kind",
    "duplicate_of",
    "related",
    "notes",
]
KINDS = {"article", "book", "book_chapter", "report", "guideline", "web"}

# Every entry in the seed carries a year; add a number here only if the source itself has none.
YEARLESS: frozenset[int] = frozenset()
# Entries that are not journal articles, or whose journal the source omits (ref 45).
NO_JOURNAL = {
    4: "report",
    27: "book_chapter",
    28: "book",
    32: "guideline",
    33: "guideline",
    45: "article",
    146: "book_chapter",
}
DUPLICATES = {83: 82, 88: 87, 94: 93, 150: 81}



@cache
def load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return data


def refs() -> list[dict[str, Any]]:
    references: list[dict[str, Any]] = load()["references"]
    return references


def ref(number: int) -> dict[str, Any]:
    return next(r for r in refs() if r["number"] == number)


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_header() -> None:
    data = load()
    assert list(data) == ["source", "generated_by", "references"]
    assert data["generated_by"] == "scripts/build_references.py"
    assert "guideline-nuclear-medicine-chapter.fr.txt" in data["source"]


def test_exactly_150_entries_numbered_1_to_150() -> None:
    assert [r["number"] for r in refs()] == list(range(1, 151))


def test_bullets_then_numbered() -> None:
    for r in refs():
        assert r["numbered_in_source"] is (r["number"] >= 33), r["number"]


def test_keys_in_order_and_types() -> None:
    for r in refs():
        assert list(r) == KEYS, r["number"]
        assert r["kind"] in KINDS
        assert isinstance(r["authors"], list) and r["authors"], r["number"]
        assert all(isinstance(a, str) and a and a != "et al" for a in r["authors"])
        for key in ("journal", "volume", "issue", "pages", "doi", "pmid", "url"):
            assert r[key] is None or (isinstance(r[key], str) and r[key]), (r["number"], key)
        assert isinstance(r["notes"], list)


def test_title_citation_and_year_present() -> None:
    for r in refs():
        assert r["title"].strip(), r["number"]
        assert r["citation"].strip(), r["number"]
        if r["number"] in YEARLESS:
            assert r["year"] is None
        else:
            assert isinstance(r["year"], int) and 1900 < r["year"] < 2030, r["number"]
            assert str(r["year"]) in r["citation"]


def test_citation_is_normalised_and_contains_fields() -> None:
    for r in refs():
        citation = r["citation"]
        assert citation == " ".join(citation.split())
        # Only ref 104's garbled journal name keeps asterisks once emphasis is removed.
        assert ("*" in citation) is (r["number"] == 104), r["number"]
        assert r["title"] in citation
        for key in ("journal", "volume", "issue", "pages", "url"):
            if r[key] is not None:
                assert r[key] in citation, (r["number"], key)


def test_no_invented_identifiers() -> None:
    for r in refs():
        if r["doi"] is not None:
            assert r["doi"] in r["citation"]
        if r["pmid"] is not None:
            assert r["pmid"] in r["citation"]


def test_journal_present_unless_not_an_article() -> None:
    for r in refs():
        if r["number"] in NO_JOURNAL:
            assert r["journal"] is None, r["number"]
            assert r["kind"] == NO_JOURNAL[r["number"]], r["number"]
        else:
            assert r["journal"], r["number"]
            assert r["kind"] == "article", r["number"]


def test_duplicates_are_linked_to_the_lower_number() -> None:
    for r in refs():
        assert r["duplicate_of"] == DUPLICATES.get(r["number"]), r["number"]
    for dup, canonical in DUPLICATES.items():
        assert ref(dup)["title"] == ref(canonical)["title"]
    assert ref(83)["citation"] == ref(82)["citation"]
    assert ref(88)["citation"] == ref(87)["citation"]
    assert "Mar" in ref(94)["citation"] and "Mar" not in ref(93)["citation"]


def test_81_and_150_are_epub_and_issue() -> None:
    epub, issue = ref(81), ref(150)
    assert (epub["year"], epub["volume"], epub["pages"]) == (2018, None, None)
    assert (issue["year"], issue["volume"], issue["issue"], issue["pages"]) == (
        2019,
        "86",
        "2",
        "185–94",
    )
    assert any("e-pub" in note for note in epub["notes"])
    assert any("e-pub" in note for note in issue["notes"])


def test_erratum_relation() -> None:
    assert ref(66)["related"] == [{"number": 67, "relation": "erratum"}]
    assert ref(67)["related"] == [{"number": 66, "relation": "erratum_of"}]
    assert ref(67)["title"] == "Erratum to: " + ref(66)["title"]
    assert [r["number"] for r in refs() if r["related"]] == [66, 67]


@pytest.mark.parametrize(
    ("number", "note_fragment"),
    [
        (112, "no volume/pages"),
        (104, "journal name garbled"),
        (33, "local file URL"),
        (45, "journal name missing"),
        (119, "author list garbled"),
        (146, "chapter and book titles swapped"),
    ],
)
def test_anomalies_are_noted(number: int, note_fragment: str) -> None:
    assert any(note_fragment in note for note in ref(number)["notes"]), ref(number)["notes"]


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (
            1,
            {
                "authors": ["Müller A", "Homey B", "Soto H", "Ge N", "Catron D", "Buchanan ME"],
                "et_al": True,
                "title": "Involvement of chemokine receptors in breast cancer metastasis",
                "journal": "Nature",
                "year": 2001,
                "volume": "410",
                "issue": "6824",
                "pages": "50–6",
                "numbered_in_source": False,
            },
        ),
        (
            5,
            {
                "journal": "Clin Cancer Res",
                "year": 2006,
                "volume": "12",
                "issue": "20 Pt 2",
                "pages": "6243s–9s",
                "et_al": False,
            },
        ),
        (28, {"authors": ["Paycha F", "Richard B"], "kind": "book", "year": 2001}),
        (
            30,
            {
                "title": "[PET in primary pulmonary or pleural cancer]",
                "journal": "Presse Med",
                "issue": "9 Pt 2",
                "pages": "1387–400",
            },
        ),
        (
            31,
            {
                "authors": [
                    "Krüger S",
                    "Buck AK",
                    "Mottaghy FM",
                    "Hasenkamp E",
                    "Pauls S",
                    "Schumann C",
                ],
                "et_al": True,
                "journal": "Eur J Nucl Med Mol Imaging",
                "year": 2009,
                "volume": "36",
                "issue": "11",
                "pages": "1807–12",
                "numbered_in_source": False,
            },
        ),
        (
            33,
            {
                "authors": ["INCa"],
                "kind": "guideline",
                "year": 2011,
                "url": "file:///Users/AGM/Downloads/RECOPOUM11%20(1).pdf",
                "numbered_in_source": True,
            },
        ),
        (
            60,
            {
                "authors": [
                    "Coleman R",
                    "Body JJ",
                    "Aapro M",
                    "Hadji P",
                    "Herrstedt J",
                    "ESMO Guidelines Working Group",
                ],
                "et_al": False,
                "volume": "25 Suppl 3",
                "issue": None,
                "pages": "iii124–137",
            },
        ),
        (
            77,
            {
                "authors": ["Mirels H"],
                "et_al": False,
                "title": "Metastatic disease in long bones. A proposed scoring system for "
                "diagnosing impending pathologic fractures",
                "journal": "Clin Orthop Relat Res",
                "year": 1989,
                "volume": "249",
                "issue": None,
                "pages": "256–64",
            },
        ),
        (
            104,
            {
                "journal": "International Journal of Radiation Oncology*Biophysics*Physics",
                "year": 2022,
                "volume": "112",
                "issue": "2",
                "pages": "351–60",
            },
        ),
        (
            112,
            {
                "journal": "Int J Radiat Oncol Biol Phys",
                "year": 2019,
                "volume": None,
                "issue": None,
                "pages": None,
            },
        ),
        (
            145,
            {"journal": "Paraplegia", "year": 1969, "volume": "7", "issue": "3", "pages": "179–92"},
        ),
        (
            148,
            {
                "authors": ["Tokuhashi Y", "Matsuzaki H", "Oda H", "Oshima M", "Ryu J"],
                "et_al": False,
                "title": "A revised scoring system for preoperative evaluation of metastatic "
                "spine tumor prognosis",
                "journal": "Spine",
                "year": 2005,
                "volume": "30",
                "issue": "19",
                "pages": "2186–91",
                "kind": "article",
            },
        ),
    ],
)
def test_spot_checks_against_seed(number: int, expected: dict[str, Any]) -> None:
    entry = ref(number)
    assert {key: entry[key] for key in expected} == expected


def test_generated_file_is_up_to_date() -> None:
    result = run_script("--check")
    assert result.returncode == 0, result.stderr


def test_check_detects_drift(tmp_path: Path) -> None:
    stale = tmp_path / "references.yaml"
    stale.write_bytes(DATA.read_bytes() + b"# edited by hand\n")
    assert run_script("--check", "--output", str(stale)).returncode == 1
    assert run_script("--check", "--output", str(tmp_path / "missing.yaml")).returncode == 1

    fresh = tmp_path / "fresh.yaml"
    assert run_script("--output", str(fresh)).returncode == 0
    assert fresh.read_bytes() == DATA.read_bytes()
