"""Goldens are compared with the knowledge-base version normalised (issue 23): a version bump alone
rewrites no golden, while a clinical change still shows in the diff."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bonemet.api import assess, load_case, to_json
from bonemet.kb import default_kb
from bonemet.kb.loader import load_kb
from golden import (
    GOLDEN_DIR,
    KB_VERSION_PLACEHOLDER,
    SERVICE_GOLDEN_DIR,
    example_cases,
    golden_bytes,
    normalise_kb_version,
    normalised,
    same_golden,
    write_if_changed,
)

DATA = Path(__file__).resolve().parents[1] / "src" / "bonemet" / "kb" / "data"
CASE = next(p for p in example_cases() if p.stem.startswith("03-"))


def _kb_copy(tmp_path: Path, edit: tuple[str, str, str] | None = None, version: str = "2099.1.7") -> Path:
    root = tmp_path / "data"
    shutil.copytree(DATA, root)
    manifest = root / "kb.yaml"
    manifest.write_text(manifest.read_text().replace(f'version: "{default_kb().version}"',
                                                     f'version: "{version}"'))
    if edit is not None:
        name, old, new = edit
        text = (root / name).read_text()
        assert old in text
        (root / name).write_text(text.replace(old, new, 1))
    return root


# Any knowledge-base version where an output echoes one (dots escaped or not): a golden keeps the
# version it was written with until its content changes, so this does not assume the current one.
_ECHOED = re.compile(r'(?:"(?:kb_)?version": "|\bKB )(\d{4}(?:\\+)?\.\d{1,2}(?:\\+)?\.\d+)')


def test_every_golden_version_is_normalised_and_nothing_else() -> None:
    for golden in [*GOLDEN_DIR.glob("*.json"), *SERVICE_GOLDEN_DIR.glob("*.json")]:
        text = golden.read_text()
        out = normalise_kb_version(text)
        echoed = set(_ECHOED.findall(text))
        if not echoed:  # the CDS discovery document names no version
            assert out == text, golden.name
            continue
        assert not _ECHOED.search(out), golden.name
        # only the knowledge-base version moves: engine, schema and table versions stay
        assert re.sub("|".join(re.escape(v) for v in sorted(echoed, key=len, reverse=True)),
                      KB_VERSION_PLACEHOLDER, text) == out, golden.name


def test_a_version_bump_alone_keeps_every_golden(tmp_path: Path) -> None:
    kb = load_kb(_kb_copy(tmp_path))
    produced = to_json(assess(load_case(CASE), kb)) + b"\n"
    golden = GOLDEN_DIR / f"{CASE.stem}.json"
    assert produced != golden.read_bytes()  # the output does echo the new version ...
    assert b"2099.1.7" in produced
    assert same_golden(produced, golden)  # ... and the golden still holds
    target = tmp_path / "g.json"
    target.write_bytes(golden.read_bytes())
    assert not write_if_changed(target, produced.decode())  # the update script leaves it alone
    assert target.read_bytes() == golden.read_bytes()


def test_a_clinical_change_still_shows(tmp_path: Path) -> None:
    edit = ("rules.yaml", "If a response-assessment bone scan is needed",
            "If a response-assessment bone scan is ever needed")
    kb = load_kb(_kb_copy(tmp_path, edit))
    case = next(p for p in example_cases() if p.stem.startswith("11-"))
    produced = to_json(assess(load_case(case), kb)) + b"\n"
    golden = GOLDEN_DIR / f"{case.stem}.json"
    assert not same_golden(produced, golden)
    target = tmp_path / "g.json"
    target.write_bytes(golden.read_bytes())
    assert write_if_changed(target, produced.decode())
    changed = [a for a, b in zip(target.read_text().splitlines(), golden.read_text().splitlines(),
                                 strict=False) if a != b]
    assert changed and all("ever needed" in line or "2099.1.7" in line for line in changed)


def test_outputs_echo_the_shipped_version() -> None:
    """Normalising must not hide a wrong version: the version echoed is the manifest's."""
    manifest = (DATA / "kb.yaml").read_text()
    version = default_kb().version
    assert f'version: "{version}"' in manifest
    assert f'"version": "{version}"' in golden_bytes(CASE).decode()


@pytest.mark.parametrize("doc", [
    {"knowledge_base": {"name": "x", "version": "2026.12.4"}, "kb_version": "2026.12.4"},
    {"label": "bonemet, KB 2026.12.4", "nested": [{"kb_version": "2031.1.10"}]},
    {"detail": "**Sources**: NM\\-02 \\(REC1\\); KB 2026\\.12\\.4"},  # Markdown-escaped card text
])
def test_normalised_replaces_each_form(doc: dict[str, object]) -> None:
    text = str(normalised(doc))
    assert "2026.12.4" not in text and "2031.1.10" not in text
    assert KB_VERSION_PLACEHOLDER in text


@pytest.mark.parametrize("doc", [
    {"engine_version": "0.1.0", "schema_version": "1.1", "table_version": "2026.12-perf.1"},
    {"text": "dated 2026.12.4 in prose"},  # not a version field: left as written
])
def test_normalised_leaves_other_versions(doc: dict[str, object]) -> None:
    assert normalised(doc) == doc
