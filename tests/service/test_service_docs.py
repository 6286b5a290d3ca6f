"""The curl examples of docs/service.md run as shown (against a real server, base URL swapped)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from service_harness import LiveServer

from bonemet.api import load_case
from bonemet.demo import demo_cases

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "service.md"


def _commands() -> list[str]:
    """Each command starts with `curl` at the start of a line; the lines after it (backslash
    continuations, JSON spread over lines inside quotes) belong to it; `#` lines are output."""
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.S):
        for line in block.splitlines():
            if line.startswith("curl "):
                commands.append(line)
            elif line.strip() and not line.startswith("#"):
                commands[-1] += "\n" + line
    return commands


def test_the_doc_has_examples() -> None:
    assert len(_commands()) >= 9
    assert all(c.startswith("curl ") for c in _commands())
    assert any("\n" in c for c in _commands())  # multi-line commands are kept whole


@pytest.mark.parametrize("command", _commands())
def test_curl_example_works_as_shown(dev_server: LiveServer, command: str) -> None:
    store = dev_server.app.state.bonemet.store
    for path in demo_cases():  # what `make run --load-demo` puts in the store
        case = load_case(path)
        store.put_case(case.case_id, case.model_dump(mode="json", exclude_defaults=True))
    live = command.replace("http://127.0.0.1:8000", dev_server.url)
    assert live != command
    result = subprocess.run(["bash", "-c", live + " -w '\\n%{http_code}'"], cwd=ROOT,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    body, status = result.stdout.rsplit("\n", 1)
    expected = "422" if "doc-2" in command else "200"
    assert status == expected, body
    assert body.startswith("{")
