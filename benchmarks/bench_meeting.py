"""A board meeting (issue 25): the agenda's headlines and the meeting PDF for N demo patients.

    .venv/bin/python benchmarks/bench_meeting.py [--patients 12] [--lang fr]
        [--out benchmarks/results/meeting.json]

`--smallest`: two patients (the test suite's run; figures meaningless).

Times `web.session_agenda.agenda` cold (every headline assessed) and warm (cached), and
`report.summary.session_pdf` with the cover and agenda and without them (both in two layout
passes: the first counts the pages, the second numbers them "page k / N" through).
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
from bonemet.model.board import DecisionBox, Session, SessionCase

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=12)
    parser.add_argument("--lang", choices=["en", "fr"], default="fr")
    parser.add_argument("--smallest", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "meeting.json")
    args = parser.parse_args()
    n = 2 if args.smallest else args.patients
    from bonemet.report.summary import session_pdf
    from bonemet.web import session_agenda

    cases = [load_case(p) for p in demo_cases()][:n]
    items = [SessionCase(case_id=c.case_id, position=i, version=1, added_at="t", added_by=None,
                         updated_at="t", updated_by=None) for i, c in enumerate(cases, start=1)]
    meeting = Session(id=1, meeting_date=dt.date(2026, 11, 27), site="CHU", attendees=["Dr A"],
                      created_at="t", created_by=None, cases=items)
    by_id = {c.case_id: c for c in cases}
    boxes = [(c, DecisionBox.of(meeting, c.case_id)) for c in cases]
    pairs = [(c, b) for c, b in boxes if b is not None]
    day = dt.date(2026, 11, 27)
    session_pdf(pairs[:1], args.lang, day)  # fonts, templates, the PDF engine
    t0 = time.perf_counter()
    session_agenda.agenda(meeting, by_id.get)
    t1 = time.perf_counter()
    session_agenda.agenda(meeting, by_id.get)
    t2 = time.perf_counter()
    pdf = session_pdf(pairs, args.lang, day, session=meeting)
    t3 = time.perf_counter()
    session_pdf(pairs, args.lang, day)
    t4 = time.perf_counter()
    result = {"patients": n, "lang": args.lang, "agenda_cold_s": round(t1 - t0, 4),
              "agenda_warm_s": round(t2 - t1, 4), "meeting_pdf_s": round(t3 - t2, 2),
              "without_cover_pdf_s": round(t4 - t3, 2), "meeting_pdf_bytes": len(pdf),
              "python": sys.version.split()[0], "machine": platform.machine()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
