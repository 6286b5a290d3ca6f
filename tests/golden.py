"""Where golden outputs live and how they are produced (shared by tests and the update script)."""

from __future__ import annotations

from pathlib import Path

from bonemet.api import assess, load_case, to_json

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
GOLDEN_DIR = ROOT / "tests" / "golden"


def example_cases() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


def golden_bytes(case: Path) -> bytes:
    return to_json(assess(load_case(case))) + b"\n"
