"""The scratch folders of `bonemet audit` (issue 22, item 13): removed on any exit, and the ones of
killed runs removed by the next run.

A run writes its partitions, sanitised copies and spill files in `.OUT.work-*` and its outputs in
`.OUT.tmp-*` (renamed to OUT at the end), both beside OUT and as large as the input. `finally`
blocks remove them when the run ends, fails or is interrupted (Ctrl-C; SIGTERM and SIGHUP through
`terminate_as_exit`, which turns them into an exception). Nothing runs on SIGKILL or a power cut, so
each folder's name says who made it — `.OUT.work-<host>-<pid>-<random>` — and a run first removes the
folders of its output made on this host by a process that is no longer running. A folder of a live
run (here or on another host sharing the disk) is never touched; neither is one without that tag (an
older bonemet's: remove those by hand).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

log = logging.getLogger("bonemet.audit")

KINDS = ("work", "tmp", "old")  # run scratch, outputs before the rename, the replaced outputs


def _host() -> str:
    """This machine, as 8 hex digits (a host name can hold any character; a hash cannot)."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def make_scratch(parent: Path, out_name: str, kind: str) -> Path:
    """A new empty folder `.OUT.KIND-<host>-<pid>-<random>` in `parent`."""
    assert kind in KINDS
    return Path(tempfile.mkdtemp(prefix=f".{out_name}.{kind}-{_host()}-{os.getpid()}-", dir=parent))


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale(parent: Path, out_name: str) -> list[Path]:
    """Remove the scratch folders of OUT in `parent` whose run died on this host; return them."""
    pattern = re.compile(rf"\.{re.escape(out_name)}\.(?:{'|'.join(KINDS)})-([0-9a-f]{{8}})-(\d+)-[^/]+")
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return []
    for path in entries:
        found = pattern.fullmatch(path.name)
        if found is None or found[1] != _host() or _running(int(found[2])):
            continue
        if path.is_symlink() or not path.is_dir():
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
        log.warning("removed the scratch folder of an audit run that was killed: %s", path)
    return removed


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds the run so that every `finally` removes its scratch.

    A BaseException, like KeyboardInterrupt: no `except Exception` on the way swallows it."""

    def __init__(self, signo: int) -> None:
        super().__init__(signal.Signals(signo).name)
        self.signo = signo


@contextmanager
def terminate_as_exit() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise `Terminated` in this process (main thread only:
    elsewhere Python cannot install a handler, and the block changes nothing). Forked children
    (the reading process, the workers) inherit the handler but keep the default: they end at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def handler(signo: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:
            signal.signal(signo, signal.SIG_DFL)
            os.kill(os.getpid(), signo)
            return
        raise Terminated(signo)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signo, old in previous.items():
            signal.signal(signo, old)
