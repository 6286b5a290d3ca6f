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
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
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


__all__ = ["CASE_WORKERS", "off_loop"]
