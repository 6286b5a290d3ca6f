"""Targeted mutation run over the imaging advisor and the knowledge-base thresholds (issue 17).

Issue 21 (item 10) added the survivors of an independent probe: SAFE-01, the isolated lesion,
NM-14, NM-15, the finding's date, the residual probability, the flare threshold, line ends and the
radiotherapy healing window, each guarded by tests/core/test_mutant_guards.py, and KB constants
guarded by tests/kb/test_clinical_constants.py. `old` strings target the code as it was then: when
a refactor moves the code, re-anchor `old` on the same clinical decision (the `why` says which).

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
GUARDS = "tests/core/test_mutant_guards.py"  # behaviour tests written for issue 21, item 10
CONSTANTS = "tests/kb/test_clinical_constants.py"  # each KB constant pinned to its source


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
    Mutant("flare-start-day-before", f"{CORE}/flare_timeline.py",
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
           '    if v.patient.bone_pain.value:  # pain recorded in any section (issue 21)\n'
           '        return "new_pain"', "",
           ("tests/core/test_safety_cases.py", "tests/core/test_residual.py"),
           "the population prior used for a patient with new bone pain (HZ-AD-07)"),
    Mutant("further-not-filtered", f"{CORE}/residual.py",
           "and _RATED.get(m) not in rejected]", "]",
           ("tests/core/test_safety_cases.py", "tests/core/test_safety_properties.py"),
           "the further-exams table lists exams the rules reject (HZ-AD-07)"),
    Mutant("safe01-deficit-ignored", f"{CORE}/safety.py",
           "    if p.neurological_deficit.value is not True:\n        return False",
           "    if p.neurological_deficit.value is not None:\n        return False",
           ("tests/core/test_safety_cases.py", "tests/core/test_safety.py"),
           "spinal pain with a neurological deficit raises no alert (HZ-AD-09)"),
    Mutant("nm11-kidney-called-lung", f"{CORE}/imaging.py",
           'PrimarySite.kidney: "reason_kidney"', 'PrimarySite.kidney: "reason_lung"',
           ("tests/core/test_safety_cases.py",),
           "NM-11 calls a kidney primary a lung primary (HZ-AD-08)"),
    # --- knowledge-base thresholds ---
    Mutant("kb-nm05-months-7", f"{DATA}/rules.yaml",
           "    params:\n      months: 6\n    title:\n      en: \"If a response-assessment",
           "    params:\n      months: 7\n    title:\n      en: \"If a response-assessment",
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
    # --- issue 21, item 10: survivors of the independent probe (each guarded by a named test) ---
    # SAFE-01 and the patient view (core/safety.py, core/patient.py; issue 21).
    Mutant("safe01-cervical-not-spine", f"{CORE}/patient.py",
           "SPINE = frozenset({SkeletalSite.cervical_spine, SkeletalSite.thoracic_spine,",
           "SPINE = frozenset({SkeletalSite.thoracic_spine,",
           (GUARDS, "tests/core/test_safety_cases.py"),
           "SAFE-01: cervical pain no longer counted as spinal pain (no cord-compression alert)"),
    Mutant("safe01-unlocated-pain-ignored", f"{CORE}/patient.py",
           "    if bone.value and not case.context.pain_sites:\n        return \"unlocated\"",
           "    if bone.value and not case.context.pain_sites:\n        return \"none\"",
           (GUARDS, "tests/core/test_safety_cases.py"),
           "SAFE-01: new pain whose site is not recorded read as no pain (unlocated pain counts)"),
    Mutant("patient-frankel-ignored", f"{CORE}/patient.py",
           "scores.frankel is not FrankelGrade.E, cord_grade=True",
           "False, cord_grade=True",
           ("tests/core/test_safety.py",),
           "a Frankel grade A-D in the score inputs no longer counts as a deficit (issue 21, class 1)"),
    Mutant("patient-asia-ignored", f"{CORE}/patient.py",
           "scores.asia is not AsiaGrade.E, cord_grade=True",
           "False, cord_grade=True",
           ("tests/core/test_safety.py",),
           "an ASIA grade A-D in the score inputs no longer counts as a deficit (issue 21, class 1)"),
    Mutant("patient-palsy-ignored", f"{CORE}/patient.py",
           "palsy is not TokuhashiPalsy.none, cord_grade=True",
           "False, cord_grade=True",
           ("tests/core/test_safety.py",),
           "a Tokuhashi palsy no longer counts as a deficit (issue 21, class 1)"),
    Mutant("patient-bilsky-2-ignored", f"{CORE}/patient.py",
           "HIGH_GRADE_BILSKY = frozenset({BilskyGrade.g2, BilskyGrade.g3})",
           "HIGH_GRADE_BILSKY = frozenset({BilskyGrade.g3})",
           ("tests/core/test_safety.py",),
           "Bilsky 2 (cord deformed) no longer raises SAFE-01 (issue 21, class 1)"),
    Mutant("patient-bilsky-oldest-wins", f"{CORE}/patient.py",
           "    for i, e in exams:  # by date: a later grading",
           "    for i, e in reversed(exams):  # by date: a later grading",
           ("tests/core/test_safety.py",),
           "an old Bilsky grade overrides the latest grading of the same level"),
    Mutant("patient-reassuring-wins", f"{CORE}/patient.py",
           "        if any(e.present for e in self.evidence):\n            return True",
           "        if any(not e.present for e in self.evidence):\n            return False\n"
           "        if any(e.present for e in self.evidence):\n            return True",
           ("tests/core/test_safety.py",),
           "a contradiction resolved toward the reassuring field (issue 21, class 2)"),
    Mutant("safe01-contradiction-silent", f"{CORE}/safety.py",
           "    if deficit.contradicted:", "    if False:",
           ("tests/core/test_safety.py",),
           "a contradiction between sections passes in silence (issue 21, class 2)"),
    Mutant("safe01-cord-grade-needs-pain", f"{CORE}/safety.py",
           "    return p.cord_deficit or p.pain in", "    return p.pain in",
           ("tests/core/test_safety.py",),
           "a cord grade (Frankel/ASIA A-D) alerts only with recorded spinal pain"),
    # The isolated lesion (context.isolated_lesion_exam): the latest whole-body reading decides, and
    # only a same-day survey showing MORE lesions cancels it.
    Mutant("isolated-cancelled-by-negative-survey", f"{CORE}/context.py",
           "if any(o.exam.result is Result.positive and not o.exam.is_isolated_lesion for o in same_day):",
           "if any(not o.exam.is_isolated_lesion for o in same_day):",
           (GUARDS, "tests/core/test_safety_cases.py", "tests/core/test_imaging.py"),
           "isolated lesion cancelled by a same-day NEGATIVE survey (only a positive multi-lesion one may)"),
    Mutant("isolated-oldest-survey", f"{CORE}/context.py",
           "    latest = surveys[-1].exam.date",
           "    latest = surveys[0].exam.date",
           (GUARDS, "tests/core/test_safety_cases.py", "tests/core/test_imaging.py"),
           "isolated lesion judged on the oldest whole-body survey instead of the latest"),
    # NM-14 (imaging.pet_negative_with_sclerotic).
    Mutant("nm14-equivocal-ct-ignored", f"{CORE}/imaging.py",
           "positive_ct = e.modality is Modality.ct and e.result in (Result.positive, Result.equivocal)",
           "positive_ct = e.modality is Modality.ct and e.result in (Result.positive,)",
           (GUARDS, "tests/core/test_safety_cases.py", "tests/core/test_imaging.py"),
           "NM-14: an equivocal CT no longer qualifies a negative FDG-PET"),
    Mutant("nm14-oldest-pet", f"{CORE}/imaging.py",
           "    if not performed or performed[-1].exam.result in (None, Result.positive):\n"
           "        return None\n    pet = performed[-1]",
           "    if not performed or performed[0].exam.result in (None, Result.positive):\n"
           "        return None\n    pet = performed[0]",
           (GUARDS, "tests/core/test_safety_cases.py", "tests/core/test_imaging.py"),
           "NM-14 reads the oldest FDG-PET instead of the latest (both the result test and the PET named)"),
    # A finding's date: an exam done BEFORE a new equivocal finding does not answer it.
    Mutant("adv01-ignores-finding-date", f"{CORE}/advisor.py",
           "if q.question not in answers or (q.since is not None and e.date < q.since):",
           "if q.question not in answers:",
           (GUARDS, "tests/core/test_safety_cases.py", "tests/core/test_advisor.py"),
           "ADV-01: a SPECT-CT done before a new equivocal finding counted as already done for it"),
    Mutant("raised-question-ignores-finding-date", f"{CORE}/context.py",
           "o is not x and o.exam.modality in modalities and o.exam.date >= x.exam.date",
           "o is not x and o.exam.modality in modalities",
           (GUARDS, "tests/core/test_safety_cases.py", "tests/core/test_context.py"),
           "raised questions: an exam done before the equivocal scan counted as characterising it "
           "(the equivocal_finding question is not raised)"),
    Mutant("nm10-characterised-ignores-date", f"{CORE}/imaging.py",
           "return any(o is not x and o.exam.date >= x.exam.date for o in v.done(*CHARACTERISING))",
           "return any(o is not x for o in v.done(*CHARACTERISING))",
           (GUARDS, "tests/core/test_safety_cases.py", "tests/core/test_imaging.py"),
           "NM-10: an exam done before the equivocal scan counted as characterising it"),
    # NM-15 (new bone pain).
    Mutant("nm15-downgrades-staging-pet", f"{CORE}/imaging.py",
           "    if v.asks(Question.staging, Question.equivocal_finding, Question.occult_disease):\n"
           "        return  # NM-02",
           "    if False:\n        return  # NM-02",
           (GUARDS, "tests/core/test_safety_cases.py", "tests/core/test_imaging.py"),
           "NM-15 rates FDG-PET may_be_appropriate at staging with new pain, downgrading NM-02's "
           "usually_appropriate (the most cautious rating wins)"),
    Mutant("nm15-never-asks-pain-site", f"{CORE}/imaging.py",
           "    missing = () if sites else (out.need(", "    missing = () if True else (out.need(",
           (GUARDS, "tests/core/test_safety_cases.py", "tests/core/test_imaging.py"),
           "NM-15 no longer asks where the new pain is (context.pain_sites missing item)"),
    # Residual probability beside NM-14.
    Mutant("residual-prior-beside-nm14", f"{CORE}/residual.py",
           'if reason is None and "NM-14" in fired:', 'if False and reason is None and "NM-14" in fired:',
           (GUARDS, "tests/core/test_safety_cases.py", "tests/core/test_residual.py"),
           "the population prior and a residual probability shown beside NM-14's warning that the "
           "negative PET does not exclude sclerotic metastases"),
    # Flare reader.
    Mutant("flare-neutral-counted-strong", f"{CORE}/flare_evidence.py",
           "strong = sum(1 for a in pointing if a.name in rule.strong)",
           "strong = sum(1 for a in arguments if a.name in rule.strong)",
           (GUARDS, "tests/core/test_flare_safety.py", "tests/core/test_flare.py"),
           "the evidence threshold counts a NEUTRAL strong argument (stable clinical state) towards "
           "'likely': two falling markers + stable clinical state became flare_likely"),
    Mutant("flare-line-ended-on-comparator-day", f"{CORE}/flare_timeline.py",
           "        if t.end is not None and t.end < since:\n            continue  # over before",
           "        if t.end is not None and t.end <= since:\n            continue  # over before",
           (GUARDS, "tests/core/test_flare_safety.py", "tests/core/test_flare.py"),
           "a previous line that ended ON the comparator's date treated as over before it (no line "
           "change, no new baseline)"),
    Mutant("flare-rt-window-from-start", f"{CORE}/flare_context.py",
           "        last = t.end if t.end is not None and t.end <= date"
           " else (t.start if t.end is None else date)",
           "        last = t.start",
           (GUARDS, "tests/core/test_flare_safety.py", "tests/core/test_flare.py"),
           "radiotherapy healing window counted from the START of irradiation (must be its end)"),
    Mutant("flare-rt-window-edge", f"{CORE}/flare_context.py",
           "        elif (date - last).days <= window:",
           "        elif (date - last).days < window:",
           (GUARDS, "tests/core/test_flare_safety.py", "tests/core/test_flare.py"),
           "radiotherapy course: day 183 after its end no longer within the healing window (off by one)"),
    Mutant("flare-rt-lesion-window-edge", f"{CORE}/flare_context.py",
           "(date - lesion.irradiated_on).days <= window:",
           "(date - lesion.irradiated_on).days < window:",
           (GUARDS, "tests/core/test_flare_safety.py", "tests/core/test_flare.py"),
           "a lesion's irradiated_on: day 183 no longer within the healing window (off by one)"),
    # Knowledge-base constants whose wrong value only the fingerprint noticed.
    *(Mutant(f"kb-adv01-{q}-window-{days + 7}", f"{DATA}/rules.yaml",
             f"        {q}: {days}\n", f"        {q}: {days + 7}\n",
             (CONSTANTS, "tests/core/test_safety_cases.py"),
             f"ADV-01 validity window of {q} moved from {days} to {days + 7} days")
      for q, days in (("staging", 42), ("occult_disease", 42), ("follow_up", 28),
                      ("response_assessment", 28), ("equivocal_finding", 28),
                      ("isolated_lesion", 28), ("new_bone_pain", 14))),
    Mutant("kb-rt-healing-window-182", f"{DATA}/flare.yaml",
           "radiotherapy_healing_window:\n  days: 183\n", "radiotherapy_healing_window:\n  days: 182\n",
           (CONSTANTS, "tests/core/test_flare_safety.py"),
           "radiotherapy healing window shortened by one day"),
    Mutant("kb-rt-healing-window-365", f"{DATA}/flare.yaml",
           "radiotherapy_healing_window:\n  days: 183\n", "radiotherapy_healing_window:\n  days: 365\n",
           (CONSTANTS, "tests/core/test_flare_safety.py"),
           "radiotherapy healing window doubled (a year-old irradiation excuses an increase)"),
    Mutant("kb-control-interval-28", f"{DATA}/flare.yaml",
           "control_scan_min_interval:\n  days: 42\n", "control_scan_min_interval:\n  days: 28\n",
           (CONSTANTS, "tests/core/test_flare_safety.py"),
           "control scan interval shortened from 6 to 4 weeks"),
    Mutant("kb-cea-lsc-30", f"{DATA}/flare.yaml",
           "  - analyte: cea\n    role: tumour\n    least_significant_change_pct: 25",
           "  - analyte: cea\n    role: tumour\n    least_significant_change_pct: 30",
           (CONSTANTS, "tests/core/test_flare_safety.py", "tests/core/test_flare.py"),
           "CEA least-significant change moved from 25% to 30%"),
    Mutant("kb-nm08-flare-frequency", f"{DATA}/rules.yaml",
           "      flare_frequency_pct: [15, 30]", "      flare_frequency_pct: [10, 30]",
           (CONSTANTS, "tests/core/test_flare_safety.py"),
           "NM-08's flare frequency (F17: 15 to 30% of patients) changed in the sentence shown"),
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
    # 1: a test failed; 2: collection stopped (an import error the mutant caused). 3-5 (internal
    # error, usage error, no test collected) say the test list is wrong, not that the mutant died.
    if proc.returncode in (3, 4, 5):
        return {"id": m.id, "status": "error", "why": m.why, "tests": list(m.tests),
                "detail": (proc.stdout + proc.stderr)[-500:]}
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
