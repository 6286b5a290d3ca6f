"""The Spark engine on a real standalone cluster gives the same outputs as DuckDB.

The test starts a Spark master and two workers with the PySpark distribution's own daemon script
(`sbin/spark-daemon.sh`, what `start-master.sh` / `start-worker.sh` run), on free ports of 127.0.0.1,
each worker with one core and bounded memory, and stops them at the end. The audit is run through the
CLI: `bonemet audit --engine spark --master spark://…`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from bonemet.audit.synth import write_cohort
from bonemet.cli import app

pyspark = pytest.importorskip("pyspark")  # `make test` installs the spark extra: never skipped in CI

SPARK_HOME = Path(pyspark.__file__).resolve().parent
MASTER = "org.apache.spark.deploy.master.Master"
WORKER = "org.apache.spark.deploy.worker.Worker"
WORKERS = 2
WORKER_MEMORY = "640m"
EXECUTOR_MEMORY = "512m"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(log_dir: Path, pattern: str, count: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    text = ""
    while time.monotonic() < deadline:
        text = "".join(p.read_text(errors="replace") for p in log_dir.glob("*.out"))
        if len(re.findall(pattern, text)) >= count:
            return
        time.sleep(0.3)
    raise AssertionError(f"Spark cluster not ready ({pattern!r} x{count}):\n{text[-3000:]}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(master URL, log directory) of a running cluster."""
    base = tmp_path_factory.mktemp("spark")
    env = {
        **os.environ,
        "SPARK_HOME": str(SPARK_HOME),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_PID_DIR": str(base / "pids"),
        "SPARK_LOG_DIR": str(base / "logs"),
        "SPARK_WORKER_DIR": str(base / "work"),
        "SPARK_IDENT_STRING": f"bonemet-test-{os.getpid()}",
        "SPARK_DAEMON_MEMORY": "256m",  # the master's and workers' own JVMs
    }
    daemon = str(SPARK_HOME / "sbin" / "spark-daemon.sh")
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    daemons = [(MASTER, 1, ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(_free_port())])]
    daemons += [(WORKER, i, ["--host", "127.0.0.1", "--cores", "1", "--memory", WORKER_MEMORY, "--port",
                             str(_free_port()), "--webui-port", str(_free_port()), url])
                for i in range(1, WORKERS + 1)]
    started: list[tuple[str, int]] = []
    try:
        # The daemon script waits about 2.5 s after each start (to see that the JVM stayed up): the three
        # are started at once, not one after the other (issue 27). Workers retry until the master is up.
        launches = [(cls, i, subprocess.Popen([daemon, "start", cls, str(i), *args], env=env,
                                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
                    for cls, i, args in daemons]
        started += [(cls, i) for cls, i, _ in launches]  # stopped at the end, whatever happens next
        for cls, i, launch in launches:
            output, _ = launch.communicate(timeout=60)
            assert launch.returncode == 0, f"{cls} {i} did not start: {output.decode(errors='replace')}"
        _wait_for(base / "logs", r"Registering worker", WORKERS, 120)
        yield url, base / "logs"
    finally:
        for cls, i in reversed(started):
            subprocess.run([daemon, "stop", cls, str(i)], env=env, capture_output=True)
        leftovers = [p.read_text().strip() for p in (base / "pids").glob("*.pid")]
        alive = [pid for pid in leftovers if pid and Path(f"/proc/{pid}").exists()]
        assert not alive, f"Spark daemons still running: {alive}"


def test_standalone_cluster_gives_the_duckdb_outputs(cluster: tuple[str, Path], tmp_path: Path) -> None:
    url, logs = cluster
    cohort = tmp_path / "cohort"
    write_cohort(cohort, 240, 77, workers=1)
    with (cohort / "Observation.ndjson").open("ab") as handle:  # faults both engines must see alike
        handle.write(b'{"resourceType": "Observation", "subject"\n')
        handle.write(b'{"resourceType": "Observation", "id": "caf\xe9"}\n')
    runner = CliRunner()
    duck = runner.invoke(app, ["audit", str(cohort), "-o", str(tmp_path / "duck"), "--workers", "2"])
    assert duck.exit_code == 0, duck.output
    conf = {
        "spark.executor.memory": EXECUTOR_MEMORY,
        "spark.executor.cores": "1",
        "spark.cores.max": str(WORKERS),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.memory": "512m",
        "spark.sql.shuffle.partitions": str(WORKERS),  # one task per executor (was 4: issue 27)
    }
    args = ["audit", str(cohort), "-o", str(tmp_path / "spark"), "--engine", "spark", "--master", url]
    for key, value in conf.items():
        args += ["--spark-conf", f"{key}={value}"]
    sparked = runner.invoke(app, args, catch_exceptions=False)
    assert sparked.exit_code == 0, sparked.output
    for name in ("indicators.csv", "indicator_patients.csv", "patients.csv", "issues.csv"):
        assert (tmp_path / "duck" / name).read_bytes() == (tmp_path / "spark" / name).read_bytes(), name
    a = orjson.loads((tmp_path / "duck" / "summary.json").read_bytes())
    b = orjson.loads((tmp_path / "spark" / "summary.json").read_bytes())
    for key in ("patients", "indicators_table", "numerator_patient_ids", "issues", "organisations", "input",
                "set_aside"):
        assert a[key] == b[key], key
    assert b["engine"] == "spark" and a["patients"]["total"] == 240
    # The systemic bone indicators (issue 24) are in what was compared, both ways, with set-asides.
    overall = {r["indicator"]: r for r in b["indicators_table"] if r["breakdown"] == "all"}
    for name in ("antiresorptive_within_days", "dental_before_first_dose", "vitamin_d_measured",
                 "zoledronic_acid_dose_within_band"):
        assert 0 < overall[name]["numerator"] < overall[name]["denominator"], name
    assert b["set_aside"]["zoledronic_acid_dose_within_band"] > 0
    kinds = {(i["kind"], i["reason"][:10]) for i in b["issues"]["first"] if i["file"] == "Observation.ndjson"}
    assert ("malformed", "not UTF-8:") in kinds and any(k == "malformed" for k, _ in kinds)
    # the work ran on both workers' executors, not in the driver
    worker_logs = [p.read_text(errors="replace") for p in logs.glob(f"*{WORKER.rsplit('.', 1)[1]}*.out")]
    assert len(worker_logs) == WORKERS
    assert all("Asked to launch executor" in text for text in worker_logs), worker_logs
