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

import asyncio
import gc
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from fastapi import Request

from bonemet.api import InputError, Problem
from bonemet.service.errors import ServiceError
from bonemet.workload import ProcessBusy, in_process, preload

preload("bonemet.service.case_preload")


async def _answer(request: Request, target: Callable[..., None], args: tuple[Any, ...],
                  name: Callable[[Any], None]) -> Any:
    """What `target` computed in its process; `name` gets what it named for the audit row first.

    Raises the error the thread path would raise; 503 over the time allowed; 499 (nobody reads
    it) when the client hung up, its process killed.
    """
    try:
        kind, pid, named, payload = await in_process(target, args, request.is_disconnected)
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


def _reply(conn: Connection, compute: Callable[[], Any], named: Callable[[], Any]) -> None:
    """In the job process: compute, send the outcome and what was named; the process then ends."""
    gc.disable()  # nothing here outlives the process: collecting cycles would only cost time
    try:
        outcome: tuple[str, Any] = ("ok", compute())
    except ServiceError as exc:
        outcome = ("refused", (exc.status, exc.problems, exc.fhir, exc.code, exc.headers))
    except InputError as exc:  # answered 422 by the error handlers, as from a thread
        outcome = ("input", (type(exc), exc.problems, exc.source))
    except Exception as exc:  # the type only: a message may quote patient data
        outcome = ("failed", type(exc).__name__)
    try:
        conn.send((outcome[0], os.getpid(), named(), outcome[1]))
    finally:
        conn.close()


# CDS Hooks call ------------------------------------------------------------------------------


async def cds_answer(request: Request, setting: Any, raw: bytes, trace: Any) -> tuple[bytes, int]:
    """The cards JSON of a CDS call and their number; fills `trace` (cdshooks.CallTrace)."""
    def name(named: tuple[str | None, str | None]) -> None:
        trace.hook, trace.patient_id = named

    answer: tuple[bytes, int] = await _answer(request, run_cds, (setting, raw), name)
    return answer


def run_cds(conn: Connection, setting: Any, raw: bytes) -> None:
    from bonemet.kb import default_kb
    from bonemet.service.cdshooks import CallTrace, answer_call
    from bonemet.service.texts import default_texts

    trace = CallTrace()

    async def in_place(work: Any, *args: Any) -> Any:
        return work(*args)

    def compute() -> tuple[bytes, int]:
        answer = asyncio.run(answer_call(setting, raw, default_kb(), default_texts(), trace,
                                         in_place))
        return answer.model_dump_json(exclude_none=True).encode(), len(answer.cards)

    _reply(conn, compute, lambda: (trace.hook, trace.patient_id))


# /api/assess and /api/fhir/case ----------------------------------------------------------------


async def assess_answer(request: Request, raw: bytes, format: str,
                        strict: bool) -> tuple[bytes, str, dict[str, str]]:
    """Body, media type and headers of the /api/assess answer; the cases named are named."""
    from bonemet.access.trail import name_case

    answer: tuple[bytes, str, dict[str, str]] = await _answer(
        request, run_assess, (raw, format, strict),
        lambda named: [name_case(request, case_id) for case_id in named])
    return answer


def run_assess(conn: Connection, raw: bytes, format: str, strict: bool) -> None:
    from bonemet.kb import default_kb
    from bonemet.service.api import assess_body

    named: list[Any] = []
    _reply(conn, lambda: assess_body(raw, default_kb(), format, strict, named.append),
           lambda: tuple(named))


async def mapped_case(request: Request, raw: bytes, strict: bool) -> Any:
    """The /api/fhir/case answer (a MappedCase); the case named is named."""
    from bonemet.access.trail import name_case

    return await _answer(request, run_mapping, (raw, strict),
                         lambda named: [name_case(request, case_id) for case_id in named])


def run_mapping(conn: Connection, raw: bytes, strict: bool) -> None:
    from bonemet.service.api import mapped_body

    named: list[Any] = []
    _reply(conn, lambda: mapped_body(raw, strict, named.append), lambda: tuple(named))


def warm_up() -> None:
    """Load what every job needs, once, in the fork server the job processes start from."""
    from bonemet.fhir import default_valuesets
    from bonemet.kb import default_kb
    from bonemet.service import api, cdshooks  # noqa: F401  # the routes' modules and models
    from bonemet.service.texts import default_texts

    default_kb()
    default_texts()
    default_valuesets()


__all__ = ["assess_answer", "cds_answer", "mapped_case", "run_assess", "run_cds", "run_mapping",
           "warm_up"]
