"""Run many `bonemet …` command lines in ONE process, through the real entry point `bonemet.cli:main`.

    python tests/cli_batch.py < argv-lists.json      (a JSON list of argument lists)

One JSON line per command on stdout: {"returncode", "stdout", "stderr"}, as a subprocess of its own
would have given them. A `bonemet` process spends two to three seconds importing and loading the
knowledge base before its first line; a catalogue of sixty commands run one process each cost a
minute of the suite (issue 27). Each command still goes through `main()` (Typer's parsing, the exit
code of `typer.Exit`/`SystemExit`), with its own stdout and stderr: Rich consoles look up
`sys.stdout`/`sys.stderr` when they print, and `options.write` writes to `sys.stdout.buffer`.
An exception that `main()` lets through ends this process with a traceback, as it would have
ended a `bonemet` process: the caller sees a non-zero exit and the traceback on stderr.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path


def _run(argv: list[str]) -> dict[str, object]:
    from bonemet.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    # Kept in variables: a wrapper closes its buffer when collected, before getvalue() below.
    wout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    werr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    sys.stdout, sys.stderr = wout, werr
    sys.argv = ["bonemet", *argv]
    code: int
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):  # sys.exit("message"): Python prints it on stderr
            werr.write(exc.code + "\n")
    finally:
        wout.flush()
        werr.flush()
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    result: dict[str, object] = {"returncode": code, "stdout": out.getvalue().decode("utf-8"),
                                 "stderr": err.getvalue().decode("utf-8")}
    wout.detach()
    werr.detach()
    return result


def run_batch(commands: list[list[str]], *, cwd: Path, env: dict[str, str]
              ) -> list[subprocess.CompletedProcess[str]]:
    """Each command's exit code, stdout and stderr, all run by `bonemet.cli:main` in one subprocess
    (this file run as a script, with `env`, in `cwd`). Used by the tests of the CLI."""
    batch = subprocess.run([sys.executable, __file__], input=json.dumps(commands), capture_output=True,
                           text=True, cwd=cwd, timeout=60 + 5 * len(commands), env=env)
    assert batch.returncode == 0, batch.stderr[-3000:]
    lines = batch.stdout.splitlines()
    assert len(lines) == len(commands), batch.stderr[-3000:]
    results = []
    for args, line in zip(commands, lines, strict=True):
        one = json.loads(line)
        results.append(subprocess.CompletedProcess([sys.executable, "-m", "bonemet", *args],
                                                   one["returncode"], one["stdout"], one["stderr"]))
    return results


if __name__ == "__main__":
    for argv in json.load(sys.stdin):
        print(json.dumps(_run(argv)), flush=True)
