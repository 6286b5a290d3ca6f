"""Targeted mutants of the flare reader (issue 11): each must be killed by the flare tests.

Run on demand, like a benchmark (not in CI): copies src/ and tests/ to a temporary directory,
applies one mutant at a time and runs the flare tests against it.

    .venv/bin/python scripts/mutate_flare.py
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
MUTANTS = [  # (name, file, original text, mutated text)
    ("late boundary >= instead of >", "src/bonemet/core/flare_timeline.py",
     "late = date > anniversary if params.anniversary_day_is_early.value else date >= anniversary",
     "late = date >= anniversary"),
    ("min_concordant 1", "src/bonemet/kb/data/flare.yaml", "  min_concordant: 2", "  min_concordant: 1"),
    ("min_strong 0", "src/bonemet/kb/data/flare.yaml", "  min_strong: 1", "  min_strong: 0"),
    ("no line change detection", "src/bonemet/core/flare_timeline.py",
     "    if since >= line.start:\n        return ()\n    recent",
     "    if True:\n        return ()\n    recent"),
    ("undated lines ignored", "src/bonemet/core/flare_timeline.py",
     "        unknown.append(i)", "        pass"),
    ("radiotherapy ignored", "src/bonemet/core/flare_context.py",
     "    if not recent:\n        return None", "    if True:\n        return None"),
    ("control interval 0", "src/bonemet/kb/data/flare.yaml", "  days: 42", "  days: 0"),
    ("prognosis always", "src/bonemet/core/flare.py",
     "        if not against:",
     "        if True:"),
    ("reassess-now ignored", "src/bonemet/core/flare.py",
     "        strong_against = [a for a in against if a.name in params.evidence_threshold.strong]",
     "        strong_against: list[Argument] = []"),
    ("undated-line caution off", "src/bonemet/core/flare.py",
     "    if scan.exam.result is Result.negative or previous is None:",
     "    if True:"),
    ("NM-05 ignores indication", "src/bonemet/core/flare_rules.py",
     "    if not (pain or question):", "    if False:"),
    ("previous-line comparator window 365", "src/bonemet/kb/data/flare.yaml", "  days: 28", "  days: 365"),
    # Issue 21: line identity, NaF-PET, FDG-PET, CT sclerosis.
    # Review of issue 21 (C1): late sclerosis on CT is never read as progression.
    ("CT-only late sclerosis is progression", "src/bonemet/core/flare_ct.py",
     "            classification=Classification.indeterminate,",
     "            classification=Classification.indeterminate if early else Classification.progression,"),
    ("late CT sclerosis favours progression", "src/bonemet/core/flare_evidence.py",
     "                             else Direction.neutral)",
     "                             else Direction.favours_progression)"),
    ("line is the row, not the line number", "src/bonemet/core/flare_timeline.py",
     "    line = _whole_line(candidates, row) if row is not None else None",
     "    line = _Line(row.index, row.treatment, row.start, (row.index,)) if row is not None else None"),
    ("maintenance row counts as a change of line", "src/bonemet/core/flare_timeline.py",
     "        if not t.is_systemic_line or line.holds(t, i):",
     "        if not t.is_systemic_line or i == line.index:"),
    ("current line is the row", "src/bonemet/core/context.py",
     "    return min(same, key=lambda it: (it[1].start, it[0]))", "    return i, row"),
    ("NaF compared with planar", "src/bonemet/core/flare_timeline.py",
     '    return "naf" if exam.exam.modality is NAF else "planar"', '    return "planar"'),
    ("NaF not read", "src/bonemet/core/flare_timeline.py",
     "BONE_TRACER = BONE_SCANS | {NAF}", "BONE_TRACER = BONE_SCANS"),
    ("NaF reading unlabelled", "src/bonemet/core/flare.py",
     "    if r.reading.modality != NAF.value:", "    if True:"),
    ("other-kind caution late too", "src/bonemet/core/flare.py",
     "    if (timing is Timing.late or scan.exam.result is Result.negative",
     "    if (scan.exam.result is Result.negative"),
    ("FDG follow-up not listed", "src/bonemet/core/flare.py",
     "    readings += [_fdg_not_read(kb, x) for x in tl.fdg if _fdg_follow_up(tl, x)]",
     "    readings += []"),
    ("FDG note always quiet", "src/bonemet/core/flare.py",
     "    quiet = (e.result not in", "    quiet = True or (e.result not in"),
    ("CT sclerosis timing reversed", "src/bonemet/core/flare_evidence.py",
     "                direction = (Direction.favours_flare if timing is Timing.early",
     "                direction = (Direction.favours_flare if timing is Timing.late"),
    ("CT asked for when absent", "src/bonemet/core/flare_evidence.py",
     "        if name not in found and name is not ArgumentName.ct:", "        if name not in found:"),
    ("CT-only reading off", "src/bonemet/core/flare.py",
     "    readings += read_ct_sclerosis(tl, kb, params, months)", "    readings += []"),
    ("CT-only early is progression", "src/bonemet/core/flare_ct.py",
     "        early = timing is Timing.early", "        early = False"),
]
TESTS = ["tests/core/test_flare_safety.py", "tests/core/test_flare.py", "tests/core/test_flare_rules.py",
         "tests/core/test_flare_line_identity.py", "tests/core/test_flare_naf_fdg.py",
         "tests/core/test_flare_ct_sclerosis.py", "tests/core/test_context.py"]


def main() -> int:
    survived = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        for part in ("src", "tests", "pyproject.toml"):
            src = REPO / part
            if src.is_dir():
                shutil.copytree(src, root / part, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
            else:
                shutil.copy(src, root / part)
        # The unmutated copy must pass: a test failing for another reason (a file the copy lacks)
        # would "kill" every mutant.
        if not _run(root, "baseline (no mutant)", "pyproject.toml", "", "", expect_pass=True):
            raise SystemExit("the flare tests fail on the unmutated copy: fix them first")
        for name, rel, old, new in MUTANTS:
            survived += _run(root, name, rel, old, new)
    print(f"{len(MUTANTS) - survived}/{len(MUTANTS)} mutants killed")
    return 1 if survived else 0


def _run(root: pathlib.Path, name: str, rel: str, old: str, new: str,
         expect_pass: bool = False) -> int:
    p = root / rel
    orig = p.read_text(encoding="utf-8")
    if not expect_pass and orig.count(old) != 1:
        raise SystemExit(f"mutant {name!r}: the original text is not found once in {rel}")
    if not expect_pass:
        p.write_text(orig.replace(old, new), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "pytest", *TESTS, "-x", "-q", "-p", "no:randomly",
                        "-p", "no:cacheprovider"], cwd=root, env={"PYTHONPATH": str(root / "src"),
                                                                  "PATH": "/usr/bin:/bin"},
                       capture_output=True, text=True, check=False)
    p.write_text(orig, encoding="utf-8")
    failed = [line for line in r.stdout.splitlines() if line.startswith("FAILED")]
    if expect_pass:
        print(f"{name}: {'passes' if r.returncode == 0 else 'FAILS'} {failed[:1]}", flush=True)
        return 1 if r.returncode == 0 else 0
    print(f"{name}: {'killed' if r.returncode != 0 else 'SURVIVED'} {failed[:1]}", flush=True)
    return 0 if r.returncode != 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
