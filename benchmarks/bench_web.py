"""Web app: server time of the first render of every demo case's assessment page.

    .venv/bin/python benchmarks/bench_web.py [--repeat N] [--out benchmarks/results/web.json]

`--smallest`: one demo case (its page, timeline and PDF), no repeat (the test suite's run; figures
meaningless).

The application is called in process (ASGI, no socket), so the time is the server's: routing,
loading the case from the store, assessing, the skeleton map, the timeline figure and the template.
"First render" is the first request for that case in the process, after one warm-up request on an
unrelated page (module imports and template compilation are paid once per process and reported
apart as `process_first_request_ms`). Target (PRODUCT.md section 5): <= 300 ms.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from bonemet.access.config import Settings
from bonemet.api import load_case
from bonemet.demo import demo_cases
from bonemet.http.app import create_app

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0
PDF_CASES = {"demo-03-pet-mid-thigh", "demo-11-response-early", "demo-21-early-flare-likely"}
SMALLEST_CASE = "demo-11-response-early"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5, help="later renders timed per case")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "web.json")
    parser.add_argument("--smallest", action="store_true", help="one case, no repeat (test suite)")
    args = parser.parse_args()
    cases, pdf_cases = demo_cases(), PDF_CASES
    if args.smallest:  # one case with a timeline and its PDF: every kind of request, once
        args.repeat, pdf_cases = 0, {SMALLEST_CASE}
        cases = [p for p in cases if load_case(p).case_id == SMALLEST_CASE]
    warnings.simplefilter("ignore")  # matplotlib layout warnings are not the subject here
    with tempfile.TemporaryDirectory() as tmp:
        # A loopback Host: development mode answers only those (anything else is a 421).
        client = TestClient(create_app(Settings(db_path=Path(tmp) / "bench.sqlite3", dev_mode=True)),
                            base_url="http://127.0.0.1")
        html = {"accept": "text/html"}
        t0 = time.perf_counter()
        assert client.get("/kb/rules/NM-01", headers=html).status_code == 200
        process_first = (time.perf_counter() - t0) * 1000
        first: dict[str, float] = {}
        later: dict[str, float] = {}
        figures: dict[str, float] = {}
        pdfs: dict[str, float] = {}
        for path in cases:
            case_id = load_case(path).case_id
            url = f"/cases/{case_id}"
            t0 = time.perf_counter()
            response = client.get(url, headers=html)
            first[case_id] = (time.perf_counter() - t0) * 1000
            assert response.status_code == 200, (url, response.status_code)
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                client.get(url, headers=html)
                times.append((time.perf_counter() - t0) * 1000)
            if times:
                later[case_id] = statistics.median(times)
            # The timeline image and the PDF are separate requests; timed for the record.
            t0 = time.perf_counter()
            if client.get(f"{url}/timeline.svg").status_code == 200:
                figures[case_id] = (time.perf_counter() - t0) * 1000
            if case_id in pdf_cases:
                t0 = time.perf_counter()
                assert client.get(f"{url}/summary.pdf").status_code == 200
                pdfs[case_id] = (time.perf_counter() - t0) * 1000
    worst = max(first, key=first.__getitem__)
    result = {
        "benchmark": "web assessment page, server time of first render per demo case",
        "command": "python benchmarks/bench_web.py",
        "python": sys.version.split()[0], "machine": platform.machine(),
        "cases": len(first), "smallest": args.smallest, "target_ms": TARGET_MS,
        "process_first_request_ms": round(process_first, 1),
        "first_render_ms": {"median": round(statistics.median(first.values()), 1),
                            "max": round(first[worst], 1), "max_case": worst,
                            "over_target": sorted(k for k, v in first.items() if v > TARGET_MS)},
        "later_render_ms_median": round(statistics.median(later.values()), 1) if later else None,
        "first_render_ms_per_case": {k: round(v, 1) for k, v in first.items()},
        "timeline_image_first_ms": {"cases": len(figures),
                                    "median": round(statistics.median(figures.values()), 1) if figures else 0,
                                    "max": round(max(figures.values()), 1) if figures else None},
        "summary_pdf_ms": {k: round(v, 1) for k, v in pdfs.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    fr = result["first_render_ms"]
    print(f"first render: median {fr['median']} ms, max {fr['max']} ms ({worst}); "  # type: ignore[index]
          f"later renders median {result['later_render_ms_median']} ms; target <= {TARGET_MS:g} ms; "
          f"process first request {result['process_first_request_ms']} ms; n={len(first)}; "
          f"timeline image {result['timeline_image_first_ms']}; PDF {result['summary_pdf_ms']} "
          f"→ {args.out}")


if __name__ == "__main__":
    main()
