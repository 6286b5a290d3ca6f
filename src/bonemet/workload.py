"""Case work off the event loop, bounded in count.

Decoding a body, validating a case, mapping a FHIR Bundle or a CDS prefetch and assessing take from
milliseconds to a second for the largest case the bounds allow; on the event loop, every other
request (/health, the CDS services) waits that long (issue 22: 100,000 empty exams held the loop
6 s). Routes hand that work to `off_loop`: a worker thread, at most `CASE_WORKERS` at a time, the
others waiting their turn without holding the loop.
"""

from __future__ import annotations

import asyncio
import functools
import json
import multiprocessing
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio.to_thread
import orjson
from anyio import CapacityLimiter

T = TypeVar("T")

# Two cores serve a typical installation: more threads of CPU work than that only share them,
# and every thread that computes makes the event loop wait longer for the interpreter lock.
CASE_WORKERS = 2

_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
    weakref.WeakKeyDictionary())


def _limiter() -> CapacityLimiter:
    # One per event loop: a limiter belongs to the loop that made it (tests run several).
    loop = asyncio.get_running_loop()
    found = _limiters.get(loop)
    if found is None:
        found = _limiters[loop] = CapacityLimiter(CASE_WORKERS)
    return found


async def off_loop(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`work(*args, **kwargs)` in a worker thread; the event loop serves other requests meanwhile."""
    return await anyio.to_thread.run_sync(functools.partial(work, *args, **kwargs),
                                          limiter=_limiter())


# Above this size a body is decoded by the standard library with a Python hook per object (below,
# by orjson: the CDS hot path). orjson decodes in one call that holds the interpreter lock: a
# 3.6 MB prefetch held it 50-200 ms, and /health waited as long. The hook gives the lock back
# between objects, for about the same total time.
INTERLEAVED_FROM_BYTES = 256 * 1024


def _same(obj: dict[str, Any]) -> dict[str, Any]:
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")  # as orjson: NaN and Infinity refused


def decode_json(raw: bytes) -> Any:
    """Decode JSON; a large body without holding the interpreter lock for its whole length.

    Raises ValueError (orjson's or the standard library's JSONDecodeError, or a refused constant)
    on malformed content.
    """
    if len(raw) < INTERLEAVED_FROM_BYTES:
        return orjson.loads(raw)
    return json.loads(raw, object_hook=_same, parse_constant=_no_constant)


# Processes --------------------------------------------------------------------------------------
#
# A thread is not enough for the largest bodies: a 3.6 MB CDS prefetch decodes into ~300,000 Python
# objects, and while they live every full collection of the cyclic garbage collector walks them
# holding the interpreter lock (~100 ms each: /health p99 150-200 ms, issue 22 item 11). Such a body
# is decoded, mapped and assessed in a process forked from a warmed-up fork server (the one the
# drawings use); only the compact answer comes back, and the server's heap never holds the graph.

# From this size a case body (CDS call, /api/assess, FHIR Bundle) is handled in a process: below,
# a thread is cheaper than the ~20-50 ms a forked process costs, and the object graph is small.
IN_PROCESS_FROM_BYTES = 256 * 1024
PROCESS_TIMEOUT_S = 60.0  # a case that takes longer is answered 503, its process killed
_POLL_S = 0.25  # how often a waiting or working job looks whether its client is still there

_PRELOAD: list[str] = []
_start_lock = threading.Lock()
_context: Any = None


def preload(module: str) -> None:
    """Import `module` in the fork server when it starts (each job process then starts warm).

    Called at import time by the modules whose jobs run in processes, before the server starts.
    """
    if module not in _PRELOAD:
        _PRELOAD.append(module)
        if _context is not None:
            _context.set_forkserver_preload(list(_PRELOAD))


def processes() -> Any:
    """The fork server's context, made once; drawings and case jobs share its server."""
    global _context
    with _start_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(_PRELOAD))
            _context = context
        return _context


class ProcessBusy(Exception):
    """A job not done: its client hung up (`gone`), or it ran over its time."""

    def __init__(self, gone: bool) -> None:
        super().__init__("client gone" if gone else "over its time")
        self.gone = gone


_process_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary())


def _slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    found = _process_slots.get(loop)
    if found is None:
        found = _process_slots[loop] = asyncio.Semaphore(CASE_WORKERS)
    return found


async def in_process(target: Callable[..., None], args: tuple[Any, ...],
                     is_disconnected: Callable[[], Awaitable[bool]],
                     timeout_s: float | None = None) -> Any:
    """What `target(conn, *args)` sends on `conn`, computed in a process of its own.

    At most `CASE_WORKERS` such processes at once; the others wait (a job whose client hung up
    meanwhile never starts). The process is killed when the client hangs up or the time is over
    (ProcessBusy); the time (`PROCESS_TIMEOUT_S` by default) counts the wait for a free process.
    `target` must send exactly one picklable message, then return.
    """
    slots = _slots()
    deadline = time.monotonic() + (PROCESS_TIMEOUT_S if timeout_s is None else timeout_s)
    while True:
        try:
            async with asyncio.timeout(_POLL_S):
                await slots.acquire()
            break
        except TimeoutError:
            if await is_disconnected():
                raise ProcessBusy(gone=True) from None
            if time.monotonic() > deadline:
                raise ProcessBusy(gone=False) from None
    try:
        return await _run(target, args, is_disconnected, deadline)
    finally:
        slots.release()


async def _run(target: Callable[..., None], args: tuple[Any, ...],
               is_disconnected: Callable[[], Awaitable[bool]], deadline: float) -> Any:
    context = await anyio.to_thread.run_sync(processes)
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(sender, *args), daemon=True,
                              name="bonemet-case-job")
    try:
        await anyio.to_thread.run_sync(process.start)  # the first one starts the fork server
        sender.close()  # the child holds its end: the parent's read ends when the child does
        while not await anyio.to_thread.run_sync(
                receiver.poll, max(0.0, min(_POLL_S, deadline - time.monotonic()))):
            if await is_disconnected():
                raise ProcessBusy(gone=True)
            if time.monotonic() >= deadline:
                raise ProcessBusy(gone=False)
        try:
            return await anyio.to_thread.run_sync(receiver.recv)
        except EOFError:
            raise RuntimeError("the case process ended without an answer") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        if process.pid is not None:
            await anyio.to_thread.run_sync(process.join)


__all__ = ["CASE_WORKERS", "INTERLEAVED_FROM_BYTES", "IN_PROCESS_FROM_BYTES", "ProcessBusy",
           "decode_json", "in_process", "off_loop", "preload", "processes"]
