"""A large CDS Hooks call answered in a process of its own (issue 22 item 11).

A 3.6 MB prefetch decodes into ~300,000 Python objects. In the server process, while they lived,
every full collection of the cyclic garbage collector walked them holding the interpreter lock
(~100 ms each), and /health waited as long even though the work ran in a thread. Here the body is
decoded, validated, mapped and assessed in a process forked from the warmed-up fork server
(workload.in_process, shared with the drawings); the server process gets back only the cards JSON
and what the audit row names (hook, patient), or the error answer, exactly as the thread path
would have made them (`cdshooks.answer_call` runs in both).
"""

from __future__ import annotations

import asyncio
import gc
import os
from multiprocessing.connection import Connection
from typing import Any

from fastapi import Request

from bonemet.api import Problem
from bonemet.service.errors import ServiceError
from bonemet.workload import ProcessBusy, in_process, preload

preload("bonemet.service.cds_preload")


async def answer(request: Request, setting: Any, raw: bytes, trace: Any) -> tuple[bytes, int]:
    """The cards JSON of the call and their number; fills `trace` (cdshooks.CallTrace).

    Raises the ServiceError the call's thread path would raise; 503 over the time allowed; 499
    (nobody reads it) when the client hung up, its process killed.
    """
    try:
        outcome = await in_process(run, (setting, raw), request.is_disconnected)
    except ProcessBusy as exc:
        if exc.gone:
            raise ServiceError(499, [Problem("", "the client hung up")]) from None
        raise ServiceError(503, [Problem("", "the request took too long; try again later")],
                           fhir=True, headers={"Retry-After": "60"}) from None
    kind, pid, hook, patient_id, payload = outcome
    _worked_in(pid)
    trace.hook, trace.patient_id = hook, patient_id
    if kind == "ok":
        body, cards = payload
        return body, cards
    if kind == "refused":
        status, problems, fhir, code, headers = payload
        raise ServiceError(status, problems, fhir=fhir, code=code, headers=headers)
    raise RuntimeError(f"the CDS call failed in its process: {payload}")


def _worked_in(pid: int) -> None:
    """Test hook: the id of the process that answered (tests check it is not the server's)."""


def run(conn: Connection, setting: Any, raw: bytes) -> None:
    """In the job process: answer the call and send the outcome back; the process then ends."""
    from bonemet.kb import default_kb
    from bonemet.service.cdshooks import CallTrace, answer_call
    from bonemet.service.texts import default_texts

    # Nothing here outlives the process: collecting cycles would only cost time.
    gc.disable()
    trace = CallTrace()

    async def in_place(work: Any, *args: Any) -> Any:
        return work(*args)

    try:
        answer = asyncio.run(answer_call(setting, raw, default_kb(), default_texts(), trace,
                                         in_place))
        outcome: tuple[Any, ...] = (
            "ok", (answer.model_dump_json(exclude_none=True).encode(), len(answer.cards)))
    except ServiceError as exc:
        outcome = ("refused", (exc.status, exc.problems, exc.fhir, exc.code, exc.headers))
    except Exception as exc:  # the type only: a message may quote patient data
        outcome = ("failed", type(exc).__name__)
    try:
        conn.send((outcome[0], os.getpid(), trace.hook, trace.patient_id, outcome[1]))
    finally:
        conn.close()


def warm_up() -> None:
    """Load what every call needs, once, in the fork server the job processes start from."""
    from bonemet.fhir import default_valuesets
    from bonemet.kb import default_kb
    from bonemet.service import cdshooks  # noqa: F401  # the routes' modules and their models
    from bonemet.service.texts import default_texts

    default_kb()
    default_texts()
    default_valuesets()


__all__ = ["answer", "run", "warm_up"]
