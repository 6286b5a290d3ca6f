from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from bonemet.audit.run import run_audit
from bonemet.audit.synth import GROUND_TRUTH, write_cohort

COHORT_PATIENTS = 2000
COHORT_SEED = 20260


@pytest.fixture(scope="session")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cohort")
    write_cohort(directory, COHORT_PATIENTS, COHORT_SEED, workers=2)
    return directory


@pytest.fixture(scope="session")
def truth(cohort: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (cohort / GROUND_TRUTH).read_bytes().splitlines()]


@pytest.fixture(scope="session")
def audited(cohort: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("audit") / "out"
    summary = run_audit(cohort, out, workers=2, progress=False)
    return out, summary
