"""Targeted mutation run over the imaging advisor and the knowledge-base thresholds (issue 17).

Each mutant is one textual change to a temporary copy of `src/` (the source tree is never touched);
the tests that guard that behaviour run against the copy (`PYTHONPATH` puts it first) and must fail.
A mutant the tests let live is a gap in test strength. Run on demand, like a benchmark, not in CI:

    .venv/bin/python scripts/mutants.py            # all mutants, JSON score on stdout
    .venv/bin/python scripts/mutants.py --only advisor-least-cautious --out mutants.json

The score goes into docs/clinical-safety.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = "src/bonemet/core"
DATA = "src/bonemet/kb/data"


@dataclass(frozen=True)
class Mutant:
    id: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    why: str
    occurrences: int = 1  # how many times `old` must appear (all are replaced)


MUTANTS = (
    # --- named in issue 17 ---
    Mutant("advisor-least-cautious", f"{CORE}/advisor.py",
           "best = min(proposals, key=lambda p: _CAUTION[p.rating])",
           "best = max(proposals, key=lambda p: _CAUTION[p.rating])",
           ("tests/core/test_advisor.py", "tests/core/test_imaging.py"),
           "the advisor's most cautious rating wins replaced by least cautious wins"),
    Mutant("advisor-swap-not-and-may", f"{CORE}/advisor.py",
           "    Rating.usually_not_appropriate: 0,\n    Rating.may_be_appropriate: 1,",
           "    Rating.usually_not_appropriate: 1,\n    Rating.may_be_appropriate: 0,",
           ("tests/core/test_advisor.py", "tests/core/test_imaging.py"),
           "usually_not_appropriate and may_be_appropriate swapped in the caution order"),
    Mutant("advisor-swap-may-and-usually", f"{CORE}/advisor.py",
           "    Rating.may_be_appropriate: 1,\n    Rating.usually_appropriate: 2,",
           "    Rating.may_be_appropriate: 2,\n    Rating.usually_appropriate: 1,",
           ("tests/core/test_imaging.py", "tests/core/test_safety_cases.py",
            "tests/core/test_advisor.py"),
           "may_be_appropriate and usually_appropriate swapped in the caution order"),
    Mutant("ended-line-current", f"{CORE}/context.py",
           "and (t.end is None or as_of is None or t.end >= as_of)",
           "and (t.end is None or as_of is None or True)",
           ("tests/core/test_context.py",),
           "an ended line still counted as the current line"),
    Mutant("residual-oldest-result", f"{CORE}/residual.py",
           "latest[x.exam.modality] = x  # v.exams is date-sorted: the last one wins",
           "latest.setdefault(x.exam.modality, x)",
           ("tests/core/test_residual.py", "tests/core/test_safety_cases.py"),
           "the oldest instead of the latest result per modality counted in the residual probability"),
    Mutant("residual-same-day-spect", f"{CORE}/residual.py",
           "spect is not None and spect.exam.date >= e.date",
           "spect is not None and spect.exam.date > e.date",
           ("tests/core/test_residual.py", "tests/core/test_safety_cases.py"),
           "a same-day SPECT-CT no longer superseding the planar scan"),
    Mutant("flare-start-day-before", f"{CORE}/flare.py",
           "candidates = [ln for ln in tl.lines if ln.start <= date]",
           "candidates = [ln for ln in tl.lines if ln.start < date]",
           ("tests/core/test_flare.py", "tests/core/test_safety_cases.py"),
           "a scan on a line's start day read as before treatment"),
    Mutant("nm09-same-day-targeted", f"{CORE}/imaging.py",
           "        if other.exam.date < x.exam.date:\n            continue",
           "        if other.exam.date <= x.exam.date:\n            continue",
           ("tests/core/test_imaging.py",),
           "a targeted exam on the same day as the scan not counted"),
    # --- the issue-17 controls themselves ---
    Mutant("scope-implicit-lung", "src/bonemet/model/case.py",
           'return "unknown", ("cancer.primary_site",)', 'return "in_scope", ()',
           ("tests/core/test_safety_cases.py",),
           "a case without a primary site read as lung cancer (HZ-AD-01)"),
    Mutant("scope-suspected-in", "src/bonemet/model/case.py",
           'return "unknown", ("cancer.diagnosis",)', 'return "in_scope", ()',
           ("tests/core/test_safety_cases.py",),
           "a suspected lung cancer treated as confirmed (HZ-AD-01)"),
    Mutant("adv01-disabled", f"{CORE}/advisor.py",
           "    if v.is_lung:\n        _already_done(v, out)", "    if False:\n        _already_done(v, out)",
           ("tests/core/test_safety_cases.py",),
           "exams already done no longer read (HZ-AD-02)"),
    Mutant("pending-pet-not-done", f"{CORE}/imaging.py",
           "x for x in v.done(Modality.fdg_pet_ct) if x.exam.purpose in (None, Purpose.staging)",
           "x for x in v.done(Modality.fdg_pet_ct) if x.exam.purpose in (None, Purpose.staging)"
           " and x.exam.result is not None",
           ("tests/core/test_imaging.py", "tests/core/test_safety_cases.py"),
           "a PET whose report is pending not counted as performed (HZ-AD-02)"),
    Mutant("equivocal-question-not-raised", f"{CORE}/context.py",
           "    if eq is not None:\n        found.append",
           "    if False and eq is not None:\n        found.append",
           ("tests/core/test_safety_cases.py",),
           "an equivocal bone-scan finding raises no question (HZ-AD-03)"),
    Mutant("nm14-blastic-ignored", f"{CORE}/imaging.py",
           "blastic = any(lesion.phenotype in (Phenotype.blastic, Phenotype.mixed) for lesion in e.lesions)",
           "blastic = False",
           ("tests/core/test_safety_cases.py",),
           "sclerotic lesions no longer qualify a negative FDG-PET (HZ-AD-05)"),
    Mutant("isolated-ignores-hot-spots", "src/bonemet/model/case.py",
           "if self.hot_spot_count is not None and self.hot_spot_count != 1:",
           "if False:",
           ("tests/core/test_safety_cases.py",),
           "two planar foci next to one SPECT-CT field read as an isolated lesion (HZ-AD-06)"),
    Mutant("residual-prior-despite-pain", f"{CORE}/residual.py",
           '    if v.case.context.new_bone_pain:\n        return "new_pain"', "",
           ("tests/core/test_safety_cases.py", "tests/core/test_residual.py"),
           "the population prior used for a patient with new bone pain (HZ-AD-07)"),
    Mutant("further-not-filtered", f"{CORE}/residual.py",
           "and _RATED.get(m) not in rejected]", "]",
           ("tests/core/test_safety_cases.py", "tests/core/test_safety_properties.py"),
           "the further-exams table lists exams the rules reject (HZ-AD-07)"),
    Mutant("safe01-deficit-ignored", f"{CORE}/imaging.py",
           "    if not deficit:\n        return", "    if deficit is not None:\n        return",
           ("tests/core/test_safety_cases.py",),
           "spinal pain with a neurological deficit raises no alert (HZ-AD-09)"),
    Mutant("nm11-kidney-called-lung", f"{CORE}/imaging.py",
           'PrimarySite.kidney: "reason_kidney"', 'PrimarySite.kidney: "reason_lung"',
           ("tests/core/test_safety_cases.py",),
           "NM-11 calls a kidney primary a lung primary (HZ-AD-08)"),
    # --- knowledge-base thresholds ---
    Mutant("kb-nm05-months-7", f"{DATA}/rules.yaml",
           "    params:\n      months: 6\n    title:\n      en: \"Schedule a response-assessment",
           "    params:\n      months: 7\n    title:\n      en: \"Schedule a response-assessment",
           ("tests/core/test_imaging.py", "tests/core/test_flare.py"),
           "NM-05 alone moved to 7 months (inconsistent with NM-06/NM-07)"),
    Mutant("kb-months-7-everywhere", f"{DATA}/rules.yaml",
           "      months: 6\n", "      months: 7\n",
           ("tests/core/test_flare.py", "tests/core/test_imaging.py"),
           "the 6-month threshold moved to 7 in NM-05, NM-06 and NM-07 together", occurrences=3),
    Mutant("kb-adv01-new-pain-window-0", f"{DATA}/rules.yaml",
           "        new_bone_pain: 14\n", "        new_bone_pain: 0\n",
           ("tests/core/test_safety_cases.py",),
           "ADV-01: an exam done for new pain stops counting the next day"),
    Mutant("kb-adv01-staging-window-0", f"{DATA}/rules.yaml",
           "        staging: 42\n", "        staging: 0\n",
           ("tests/core/test_safety_cases.py", "tests/core/test_imaging.py"),
           "ADV-01: a staging exam stops counting the day after it was done"),
    Mutant("kb-planar-default-song", f"{DATA}/performance.yaml",
           "    default: liu2011_bs\n", "    default: song2009_bs\n",
           ("tests/kb/test_performance.py", "tests/core/test_residual.py"),
           "planar default back to a specificity under which a confirming SPECT-CT lowers the probability"),
    Mutant("kb-spect-specificity", f"{DATA}/performance.yaml",
           "specificity: {value: 0.81}", "specificity: {value: 0.61}",
           ("tests/kb/test_performance.py", "tests/core/test_residual.py"),
           "SPECT-CT specificity lowered below the planar default's"),
    Mutant("kb-prior-value", f"{DATA}/performance.yaml",
           "    value: 0.105\n", "    value: 0.15\n",
           ("tests/kb/test_performance.py", "tests/core/test_residual.py"),
           "the staging prior changed"),
)


def _copy(tmp: Path) -> None:
    shutil.copytree(ROOT / "src", tmp / "src", ignore=shutil.ignore_patterns("__pycache__"))


def run(m: Mutant, python: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bonemet-mutant-") as d:
        tmp = Path(d)
        _copy(tmp)
        target = tmp / m.path
        text = target.read_text(encoding="utf-8")
        if text.count(m.old) != m.occurrences:
            return {"id": m.id, "status": "not_applied", "why": m.why,
                    "detail": f"pattern found {text.count(m.old)} times in {m.path}"}
        target.write_text(text.replace(m.old, m.new), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(tmp / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
        started = time.monotonic()
        proc = subprocess.run(
            [python, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
             *m.tests],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        seconds = round(time.monotonic() - started, 1)
    killed = proc.returncode != 0
    last = [ln for ln in proc.stdout.splitlines() if ln.startswith("FAILED")][:1]
    return {"id": m.id, "status": "killed" if killed else "survived", "why": m.why,
            "tests": list(m.tests), "killed_by": last[0][7:] if last else None, "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="run this mutant id (repeatable)")
    parser.add_argument("--out", type=Path, help="also write the JSON report here")
    args = parser.parse_args()
    chosen = [m for m in MUTANTS if not args.only or m.id in args.only]
    results = []
    for m in chosen:
        r = run(m, sys.executable)
        print(f"{r['status']:>11}  {m.id}", file=sys.stderr)
        results.append(r)
    applied = [r for r in results if r["status"] != "not_applied"]
    killed = sum(1 for r in applied if r["status"] == "killed")
    report = {"mutants": len(results), "applied": len(applied), "killed": killed,
              "score": round(killed / len(applied), 3) if applied else None, "results": results}
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0 if killed == len(applied) == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
