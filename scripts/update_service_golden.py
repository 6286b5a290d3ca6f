"""Regenerate tests/service/golden/ (HTTP API and CDS Hooks responses) whose clinical content
changed; a response that differs only by the knowledge-base version is left as it is
(tests/golden.py). Review the diff.

    .venv/bin/python scripts/update_service_golden.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

from bonemet.access.config import Settings
from bonemet.api import load_case
from bonemet.http.app import create_app

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "service" / "golden"
FIXTURES = ROOT / "tests" / "service" / "fixtures"
sys.path.insert(0, str(ROOT / "tests" / "service"))
sys.path.insert(0, str(ROOT / "tests"))

from service_harness import PUBLIC_URL  # noqa: E402

from golden import write_if_changed  # noqa: E402


def main() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(db_path=Path(tmp) / "s.sqlite3", dev_mode=True, extra_hosts=("testserver",),
                                  public_base_url=PUBLIC_URL))
        with TestClient(app) as http:
            doc = json.loads(load_case(ROOT / "examples" / "03-staging-pet-mid-thigh.yaml")
                             .model_dump_json())
            outputs = {
                "api-assess-03.json": http.post("/api/assess", json=doc),
                "cds-discovery.json": http.get("/cds-services", headers={"Accept-Language": "en"}),
                "cds-order-select-staging.json": http.post(
                    "/cds-services/bonemet-imaging-order",
                    json=json.loads((FIXTURES / "order-select-staging.json").read_text()),
                    headers={"Accept-Language": "en"}),
            }
    for name, response in outputs.items():
        response.raise_for_status()
        text = json.dumps(response.json(), indent=2, ensure_ascii=False) + "\n"
        if write_if_changed(GOLDEN / name, text):
            print(f"wrote {(GOLDEN / name).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
