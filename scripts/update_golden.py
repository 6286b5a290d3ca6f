"""Rewrite the golden outputs whose clinical content changed (review the diff before committing).

A golden that differs only by the knowledge-base version is left as it is (tests/golden.py compares
with the version normalised), so a version bump does not rewrite every golden.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from golden import GOLDEN_DIR, example_cases, golden_bytes, write_if_changed  # noqa: E402


def main() -> None:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    written = 0
    for case in example_cases():
        target = GOLDEN_DIR / f"{case.stem}.json"
        if write_if_changed(target, golden_bytes(case).decode()):
            written += 1
            print(f"wrote {target.relative_to(ROOT)}")
    print(f"{written} golden(s) changed")


if __name__ == "__main__":
    main()
