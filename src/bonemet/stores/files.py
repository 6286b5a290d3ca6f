"""The store's files on disk: readable and writable by the service's account only (0600).

The SQLite file holds patient data; under the usual umask 022 SQLite would create it 0644, and its
`-wal` and `-shm` companions with it, readable by every account of the host (issue 22, item 9).
SQLite gives the companions the mode of the main file (ignoring the umask), so creating the main
file 0600 before SQLite opens it is enough for all three; a file found with wider modes is
narrowed when it is ours, and said in the log either way.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import stat
from pathlib import Path
from typing import ClassVar

log = logging.getLogger("bonemet.service")

PRIVATE = 0o600
COMPANIONS = ("-wal", "-shm", "-journal")


def create_private(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (then narrow its mode and its
    companions', see `narrow`)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        narrow(path)
        return
    os.close(fd)


def narrow(path: Path) -> None:
    """Bring an existing store file and its companions to 0600 when this account owns them;
    log a warning for each one that was wider (and for one we cannot change)."""
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in COMPANIONS)):
        try:
            info = candidate.stat()
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077 == 0:
            continue
        if info.st_uid == os.getuid():
            try:
                candidate.chmod(mode & 0o700)
            except OSError as exc:
                log.warning("store file %s has mode %o, readable by other accounts, and could not "
                            "be narrowed: %s", candidate, mode, exc.strerror)
                continue
            log.warning("store file %s had mode %o (readable by other accounts); narrowed to %o",
                        candidate, mode, mode & 0o700)
        else:
            log.warning("store file %s has mode %o (readable by other accounts) and belongs to "
                        "another account: narrow it (chmod 600)", candidate, mode)


# ---- a full disk -----------------------------------------------------------------------------


class StorageFull(Exception):
    """The disk (or SQLite's page limit) is full: the write was not done, and nothing stored before
    it is lost (the transaction was rolled back). Answered 507 "storage full" in the user's
    language; writes succeed again as soon as space is freed, without a restart."""

    MESSAGES: ClassVar[dict[str, str]] = {
        "en": "storage full: the server's disk is full and nothing was saved; what was stored "
              "before is intact. Tell the IT team, then try again",
        "fr": "stockage plein : le disque du serveur est plein et rien n'a été enregistré ; ce qui "
              "était enregistré avant est intact. Prévenez l'équipe informatique, puis réessayez",
    }

    def __init__(self) -> None:
        super().__init__(self.MESSAGES["en"])

    def message(self, lang: str) -> str:
        return self.MESSAGES["fr" if lang == "fr" else "en"]


def is_storage_full(exc: BaseException) -> bool:
    """SQLite's SQLITE_FULL ("database or disk is full") or the system's ENOSPC / EDQUOT."""
    if isinstance(exc, StorageFull):
        return True
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
