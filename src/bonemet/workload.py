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
import weakref
from collections.abc import Callable
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


__all__ = ["CASE_WORKERS", "INTERLEAVED_FROM_BYTES", "decode_json", "off_loop"]
