"""Large case bodies answered in a process of their own (issue 22 item 11).

A 3.6 MB CDS prefetch decodes into ~300,000 Python objects. In the server process, while they
lived, every full collection of the cyclic garbage collector walked them holding the interpreter
lock (~100 ms each), and /health waited as long even though the work ran in a thread. From
`workload.IN_PROCESS_FROM_BYTES` a CDS call, an `/api/assess` body or a Bundle to map is decoded,
validated, mapped and assessed in a process forked from the warmed-up fork server
(`workload.in_process`, shared with the drawings). The server process gets back only the compact
answer (cards JSON, assessment JSON, mapped case) and what the audit row names, or the error,
exactly as the thread path makes them: both run the same function.
"""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from fastapi import Request

from bonemet.api import InputError, Problem
from bonemet.service.errors import ServiceError
from bonemet.workload import ProcessBusy, in_process, preload

preload("bonemet.service.case_preload")


CASE_NICENESS = 10  # added to the job process's niceness (lower scheduling priority)

# The jobs, by dotted name: the routes' modules import this one, so it names them rather than
# importing them. Each is called `job(*args, name=...)` and gives `name` what the audit row names.
JOBS = frozenset({"bonemet.service.cdshooks.call_in_process", "bonemet.service.api.assess_body",
                  "bonemet.service.api.mapped_body"})


async def answer(request: Request, job: str, args: tuple[Any, ...],
                 name: Callable[[tuple[Any, ...]], None]) -> Any:
    """What `job(*args)` returned, computed in a process of its own; `name` gets what the job
    named for the audit row (also when it failed), before anything is returned or raised.

    Raises the error the thread path would raise; 503 over the time allowed; 499 (nobody reads
    it) when the client hung up, its process killed.
    """
    if job not in JOBS:
        raise ValueError(f"not a case job: {job}")
    try:
        kind, pid, named, payload = await in_process(run, (job, args), request.is_disconnected)
    except ProcessBusy as exc:
        if exc.gone:
            raise ServiceError(499, [Problem("", "the client hung up")]) from None
        raise ServiceError(503, [Problem("", "the request took too long; try again later")],
                           headers={"Retry-After": "60"}) from None
    _worked_in(pid)
    name(named)
    if kind == "ok":
        return payload
    if kind == "refused":
        status, problems, fhir, code, headers = payload
        raise ServiceError(status, problems, fhir=fhir, code=code, headers=headers)
    if kind == "input":
        error_type, problems, source = payload
        raise error_type(problems, source)
    raise RuntimeError(f"a case body failed in its process: {payload}")


def _worked_in(pid: int) -> None:
    """Test hook: the id of the process that answered (tests check it is not the server's)."""


def run(conn: Connection, job: str, args: tuple[Any, ...]) -> None:
    """In the job process: run the job, send the outcome and what it named; the process ends."""
    gc.disable()  # nothing here outlives the process: collecting cycles would only cost time
    # Batch work: on a busy machine the server process (its event loop answers every other
    # request) gets the cores first; two of these at once would otherwise take both of two.
    os.nice(CASE_NICENESS)
    named: list[Any] = []
    try:
        module, _, function = job.rpartition(".")
        outcome: tuple[str, Any] = (
            "ok", getattr(importlib.import_module(module), function)(*args, name=named.append))
    except ServiceError as exc:
        outcome = ("refused", (exc.status, exc.problems, exc.fhir, exc.code, exc.headers))
    except InputError as exc:  # answered 422 by the error handlers, as from a thread
        outcome = ("input", (type(exc), exc.problems, exc.source))
    except Exception as exc:  # the type only: a message may quote patient data
        outcome = ("failed", type(exc).__name__)
    try:
        conn.send((outcome[0], os.getpid(), tuple(named), outcome[1]))
    finally:
        conn.close()


__all__ = ["JOBS", "answer", "run"]
