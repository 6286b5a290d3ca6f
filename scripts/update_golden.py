"""Rewrite the golden outputs of every example case (review the diff before committing)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from golden import GOLDEN_DIR, example_cases, golden_bytes  # noqa: E402


def main() -> None:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for case in example_cases():
        target = GOLDEN_DIR / f"{case.stem}.json"
        target.write_bytes(golden_bytes(case))
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
