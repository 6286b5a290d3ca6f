"""Knowledge data may not change without a new version, and each version has its CHANGELOG entry.

If `test_shipped_knowledge_matches_its_recorded_version` fails, the message says what to do: bump
`version` in kb.yaml (or valuesets.yaml), add a CHANGELOG.md entry naming the rules and files, and
run `.venv/bin/python scripts/kb_fingerprint.py --update`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bonemet.kb.fingerprint import (
    FINGERPRINTS,
    Body,
    bodies,
    check,
    fingerprint,
    kb_body,
    recorded,
    valuesets_body,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "src" / "bonemet" / "kb" / "data"
CHANGELOG = ROOT / "CHANGELOG.md"
# The bone plan's rule ids (issue 23-24) name rules too.
RULE_ID = re.compile(r"\b(?:NM-\d{2}|ADV-\d{2}|SAFE-\d{2}|(?:SX|SP|RT|CC|BT|DN|VD)-\d{2})\b")


def test_shipped_knowledge_matches_its_recorded_version() -> None:
    record = recorded()
    problems = [p for body in bodies() if (p := check(body, record))]
    assert not problems, "\n".join(problems)


@pytest.fixture
def copy(tmp_path: Path) -> Body:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return kb_body(target)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_data_change_without_a_new_version_is_caught(copy: Body) -> None:
    record = {"kb": {copy.version: fingerprint(copy)}}
    assert check(copy, record) is None
    _edit(copy.root / "flare.yaml", "control_scan_min_interval:", "control_scan_min_interval_x:")
    problem = check(copy, record)
    assert problem is not None and f"the version is still {copy.version}" in problem
    assert "bump `version` in kb.yaml" in problem and "CHANGELOG.md" in problem
    assert "scripts/kb_fingerprint.py --update" in problem
    # The version bumped: still refused until the new version is recorded (with its entry).
    _edit(copy.manifest, f'version: "{copy.version}"', 'version: "2099.1.0"')
    problem = check(copy, record)
    assert problem is not None and "2099.1.0 has no recorded fingerprint" in problem


@pytest.mark.parametrize(("file", "old", "new"), [
    ("rules.yaml", "months: 6", "months: 7"),  # a threshold
    ("scores/mirels.yaml", "id: mirels", "id: mirels2"),  # a file under a subdirectory
    ("cds_texts.yaml", "texts:", "texts: \n"),  # layout only: must NOT count
])
def test_values_count_layout_does_not(copy: Body, file: str, old: str, new: str) -> None:
    before = fingerprint(copy)
    path = copy.root / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text("# a comment changes nothing\n" + text.replace(old, new, 1), encoding="utf-8")
    assert (fingerprint(copy) == before) is (file == "cds_texts.yaml")


def test_a_new_file_counts(copy: Body) -> None:
    before = fingerprint(copy)
    (copy.root / "extra.yaml").write_text("a: 1\n", encoding="utf-8")
    assert fingerprint(kb_body(copy.root)) != before


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "kb_fingerprint.py"), *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_update_never_rewrites_a_recorded_version(tmp_path: Path) -> None:
    body = kb_body()
    record = tmp_path / "fingerprints.json"
    record.write_text(json.dumps({"kb": {body.version: "0" * 64}}), encoding="utf-8")
    result = _script("--update", "--record", str(record))
    assert result.returncode == 1
    assert "never rewrites a recorded version" in result.stderr
    assert json.loads(record.read_text(encoding="utf-8"))["kb"][body.version] == "0" * 64


def test_update_records_a_new_version(tmp_path: Path) -> None:
    record = tmp_path / "fingerprints.json"
    result = _script("--update", "--record", str(record))
    assert result.returncode == 0, result.stderr
    # From an empty record, the script writes the current version of each family, with the
    # fingerprint the shipped record holds for it (older versions stay only in the shipped file).
    written = json.loads(record.read_text(encoding="utf-8"))
    shipped = recorded(FINGERPRINTS)
    assert set(written) == set(shipped)
    for family, versions in written.items():
        assert len(versions) == 1
        for version, recorded_fp in versions.items():
            assert shipped[family][version] == recorded_fp


# --- CHANGELOG.md: one entry per version, naming rules and files ------------------------------


def _entries(section: str) -> dict[str, str]:
    """`### <version>` entries of one `## <section>` of the CHANGELOG, newest first."""
    text = CHANGELOG.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"CHANGELOG.md has no '## {section}' section"
    parts = re.split(r"^### (\S+).*\n", match.group(1), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_changelog_has_an_entry_for_the_current_versions() -> None:
    kb = _entries("Knowledge base")
    assert next(iter(kb)) == kb_body().version, (
        f"CHANGELOG.md: the newest knowledge-base entry must be {kb_body().version} (kb.yaml)")
    assert valuesets_body().version in _entries("FHIR value sets")
    from bonemet import __version__

    assert __version__ in _entries("Software")


def test_every_knowledge_entry_names_rules_and_files() -> None:
    for version, body in _entries("Knowledge base").items():
        assert RULE_ID.search(body) or "Rules affected: none" in body, version
        assert re.search(r"\b[\w/]+\.yaml\b", body), version
