"""Demo cases shipped with the package (the same files as the repository's examples/)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def demo_cases() -> list[Path]:
    folder = Path(str(resources.files("bonemet.demo") / "cases"))
    return sorted(folder.glob("*.yaml"))
