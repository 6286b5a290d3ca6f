"""Drawing off the event loop, in processes that can be stopped, a few per user (issue 22).

Every drawing of the web app (MDT summary HTML and PDF, session PDF, timeline) is one job:

* a user with `renders_per_user` drawings in flight gets 429 (Retry-After) for one more: one
  reader cannot queue work that delays everybody;
* at most `render_workers` jobs draw at once; the others wait, and a job whose client hung up
  while it waited is never started;
* each job draws in a process forked from a warmed-up fork server (report/render_job.py), killed
  when its client hangs up or when it runs over `render_timeout_s` (answered 503).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import multiprocessing
import threading
import time
import weakref
from collections import Counter
from typing import Any

import anyio.to_thread
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from bonemet.report import render_job
from bonemet.report.labels import labels

_POLL_S = 0.25  # how often a waiting or drawing job looks whether its client is still there

_start_lock = threading.Lock()
_context: Any = None


def _processes() -> Any:
    """The fork server's context, made once: its server imports and warms the drawing modules."""
    global _context
    with _start_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["bonemet.report.render_preload"])
            _context = context
        return _context


def start_in_background() -> None:
    """Start the fork server now, in a thread: its warm-up (seconds) is not the first user's wait."""
    def start() -> None:
        with contextlib.suppress(Exception):  # a failure shows again, and is answered, at first use
            _processes().Process  # noqa: B018  # the context exists
            from multiprocessing import forkserver

            forkserver.ensure_running()

    threading.Thread(target=start, name="bonemet-render-start", daemon=True).start()


class RenderRefused(Exception):
    """A drawing not done: too many in flight for the user (429) or over its time (503)."""

    def __init__(self, status: int, key: str, retry_after: int) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.retry_after = retry_after


class ClientGone(Exception):
    """The client hung up before its drawing was done: nobody to answer."""


class _Pool:
    """The jobs of one event loop: who draws, how many wait."""

    def __init__(self, workers: int) -> None:
        self.slots = asyncio.Semaphore(workers)
        self.in_flight: Counter[str] = Counter()


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool] = weakref.WeakKeyDictionary()


def _pool(workers: int) -> _Pool:
    loop = asyncio.get_running_loop()
    found = _pools.get(loop)
    if found is None:
        found = _pools[loop] = _Pool(workers)
    return found


def _who(request: Request) -> str:
    from bonemet.access.security import request_user

    user = request_user(request)
    if user is not None:
        return f"user:{user.id}"
    return f"client:{request.client.host if request.client else '?'}"


async def render(request: Request, kind: str, *args: Any, **kwargs: Any) -> Any:
    """The result of `render_job.JOBS[kind](*args, **kwargs)`, drawn in a process of its own.

    Raises RenderRefused (429 / 503) or ClientGone; `answer_refused` turns them into answers.
    """
    settings = request.app.state.bonemet.settings
    pool = _pool(settings.render_workers)
    who = _who(request)
    if pool.in_flight[who] >= settings.renders_per_user:
        raise RenderRefused(429, "render_busy", retry_after=5)
    pool.in_flight[who] += 1
    try:
        if not await _wait_for_slot(request, pool):
            raise ClientGone
        try:
            return await _draw(request, kind, args, kwargs, settings.render_timeout_s)
        finally:
            pool.slots.release()
    finally:
        pool.in_flight[who] -= 1
        if pool.in_flight[who] <= 0:
            del pool.in_flight[who]


async def _wait_for_slot(request: Request, pool: _Pool) -> bool:
    """Wait for a free drawing process; False when the client hung up meanwhile."""
    while True:
        try:
            async with asyncio.timeout(_POLL_S):
                await pool.slots.acquire()
            return True
        except TimeoutError:
            if await request.is_disconnected():
                return False


async def _draw(request: Request, kind: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                timeout_s: float) -> Any:
    context = await anyio.to_thread.run_sync(_processes)
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=render_job.run, args=(sender, kind, args, kwargs),
                              daemon=True, name=f"bonemet-render-{kind}")
    try:
        await anyio.to_thread.run_sync(process.start)  # the first one starts the fork server
        sender.close()  # the child holds its end: the parent's read ends when the child does
        deadline = time.monotonic() + timeout_s
        while not await anyio.to_thread.run_sync(receiver.poll, _POLL_S):
            if await request.is_disconnected():
                raise ClientGone
            if time.monotonic() > deadline:
                raise RenderRefused(503, "render_timeout", retry_after=60)
        try:
            status, result = await anyio.to_thread.run_sync(receiver.recv)
        except EOFError:
            raise RuntimeError(f"the drawing process of {kind} ended without an answer") from None
        if status != "ok":
            raise RuntimeError(f"drawing {kind} failed: {result}")
        return result
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        if process.pid is not None:
            await anyio.to_thread.run_sync(process.join)


def answer_refused(request: Request, exc: RenderRefused | ClientGone) -> Response:
    """429 or 503 with the reason in the user's language; an empty answer to a client gone."""
    if isinstance(exc, ClientGone):
        return Response(status_code=499)
    chosen = request.cookies.get("bonemet_lang")  # pages.LANG_COOKIE (pages imports this module)
    lang = chosen if chosen in ("en", "fr") else str(request.app.state.bonemet.lang(request))
    message = html.escape(labels()(exc.key, lang))
    cases = html.escape(labels()("nav_cases", lang))
    body = (f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{message}</title>'
            f'<p>{message}</p><p><a href="/cases">{cases}</a></p></html>')
    return HTMLResponse(body, status_code=exc.status, headers={"Retry-After": str(exc.retry_after)})


__all__ = ["ClientGone", "RenderRefused", "answer_refused", "render"]
