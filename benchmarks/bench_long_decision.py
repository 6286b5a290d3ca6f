"""Printing a long board decision (review 25 F8): the fiche PDF for decisions of 500 to 4,000
characters, and the meeting PDF (cover, agenda, two patients) with the longest.

    .venv/bin/python benchmarks/bench_long_decision.py [--sizes 500,1500,2500,4000] [--lang fr]
        [--out benchmarks/results/long-decision.json]

`--smallest`: one 500-character decision, no meeting PDF (the test suite's run; figures
meaningless).

Each size prints the same patient's fiche (report.summary.session_pdf, as the route
/sessions/{id}/cases/{case}/summary.pdf does) with a decision of that length: the board's prose,
a line break every four sentences. `per_1000_chars_s` is the time above the shortest size's per
thousand extra characters: roughly constant when the layout's cost is linear in the length (before
the fix it grew with the square: 2,500 characters took over a minute).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from pathlib import Path

import orjson

from bonemet.api import load_case
from bonemet.demo import demo_cases
from bonemet.model.board import LONG, DecisionBox, Session, SessionCase

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = "TEMP-TDM centrée sur L4 ; si doute persistant, IRM lombaire puis avis du radiothérapeute. "
DAY = dt.date(2026, 11, 27)


def prose(n: int) -> str:
    lines, text = [], ""
    while len(text) < n:
        lines.append(SENTENCE * 4)
        text = "\n".join(lines)
    return text[:n - 5].rstrip() + " FIN."


def meeting(case_ids: list[str], decision: str) -> Session:
    items = [SessionCase.model_validate({
        "case_id": cid, "position": i, "version": 1, "added_at": "t", "added_by": None,
        "updated_at": "2026-11-27T14:05:00+00:00", "updated_by": None, "status": "discussed",
        "question": "Conduite à tenir ?", "decision": decision}) for i, cid in enumerate(case_ids, 1)]
    return Session(id=1, meeting_date=DAY, site="CHU", attendees=["Dr Martin, pneumologue (président)",
                   "Dr Durand, radiothérapeute"], created_at="t", created_by=None, cases=items)


def box_of(session: Session, case_id: str) -> DecisionBox:
    box = DecisionBox.of(session, case_id)
    if box is None:  # pragma: no cover - the case was just put in the meeting
        raise SystemExit(f"{case_id}: not in the meeting")
    return box


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="500,1500,2500,4000")
    parser.add_argument("--lang", choices=["en", "fr"], default="fr")
    parser.add_argument("--smallest", action="store_true")
    parser.add_argument("--fiche-only", action="store_true", help="leave out the meeting PDF")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / "long-decision.json")
    args = parser.parse_args()
    sizes = [500] if args.smallest else [int(s) for s in args.sizes.split(",")]
    if max(sizes) > LONG:
        parser.error(f"--sizes: at most {LONG} characters (the decision field's limit)")
    from bonemet.report.summary import session_pdf

    cases = [load_case(p) for p in demo_cases()][:2]
    case = cases[0]
    # fonts, templates, the PDF engine
    session_pdf([(case, box_of(meeting([case.case_id], "x"), case.case_id))], args.lang, DAY)
    fiche: dict[str, float] = {}
    for n in sizes:
        box = box_of(meeting([case.case_id], prose(n)), case.case_id)
        start = time.perf_counter()
        session_pdf([(case, box)], args.lang, DAY)
        fiche[str(n)] = round(time.perf_counter() - start, 3)
    result: dict[str, object] = {"lang": args.lang, "sizes": sizes, "fiche_pdf_s": fiche,
                                 "smallest": args.smallest}
    if len(sizes) > 1:
        lo, hi = str(min(sizes)), str(max(sizes))
        result["per_1000_chars_s"] = round((fiche[hi] - fiche[lo]) / ((max(sizes) - min(sizes)) / 1000), 3)
    if not (args.smallest or args.fiche_only):
        longest = meeting([c.case_id for c in cases], prose(max(sizes)))
        pairs = [(c, box_of(longest, c.case_id)) for c in cases]
        start = time.perf_counter()
        session_pdf(pairs, args.lang, DAY, session=longest)
        result["meeting_pdf_2_patients_longest_s"] = round(time.perf_counter() - start, 3)
    result.update(python=sys.version.split()[0], machine=platform.machine())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
