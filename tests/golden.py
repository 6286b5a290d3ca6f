"""Where golden outputs live, how they are produced and how they are compared (shared by the tests
and the update scripts).

Goldens are compared with the knowledge-base version normalised: every output echoes the version
(`knowledge_base.version`, each `kb_version`, "KB 2026.12.4" in card texts), so without this a
version bump rewrote every golden and the one clinical change drowned in fifty version lines
(issue 23). The version itself is checked once, by the fingerprint test (tests/kb/test_fingerprint.py)
and `test_outputs_echo_the_shipped_version` (tests/test_golden_normalised.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bonemet.api import assess, load_case, to_json

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
GOLDEN_DIR = ROOT / "tests" / "golden"
SERVICE_GOLDEN_DIR = ROOT / "tests" / "service" / "golden"

KB_VERSION_PLACEHOLDER = "<kb-version>"
# The knowledge-base version as kb.yaml writes it (CalVer YYYY.MM.N). Engine ("0.1.0"), schema
# ("1.1") and performance-table ("2026.12-perf.1") versions have other shapes or keys and stay.
# In Markdown card texts the dots are escaped ("KB 2026\\.12\\.4", each backslash doubled in JSON).
_VERSION = r"\d{4}(?:\\+)?\.\d{1,2}(?:\\+)?\.\d+"
_IN_OUTPUT = re.compile(rf'(?P<lead>"(?:kb_)?version": "|\bKB ){_VERSION}\b(?![-.\w])')


def normalise_kb_version(text: str) -> str:
    """The serialised output with every knowledge-base version replaced by a placeholder."""
    return _IN_OUTPUT.sub(lambda m: m["lead"] + KB_VERSION_PLACEHOLDER, text)


def normalised(data: Any) -> Any:
    """A parsed JSON document with the knowledge-base version normalised (service goldens)."""
    return json.loads(normalise_kb_version(json.dumps(data, ensure_ascii=False)))


def example_cases() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


def golden_bytes(case: Path) -> bytes:
    return to_json(assess(load_case(case))) + b"\n"


def same_golden(produced: bytes | str, golden: Path) -> bool:
    """Whether `produced` equals the stored golden once both have the version normalised."""
    text = produced.decode() if isinstance(produced, bytes) else produced
    return normalise_kb_version(text) == normalise_kb_version(golden.read_text(encoding="utf-8"))


def write_if_changed(target: Path, produced: str) -> bool:
    """Rewrite a golden only when its clinical content changed: a version bump alone leaves it
    alone, so the diff of a change shows only the outputs that change. Returns True when written."""
    if target.exists() and same_golden(produced, target):
        return False
    target.write_text(produced, encoding="utf-8")
    return True
