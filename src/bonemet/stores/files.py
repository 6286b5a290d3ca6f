"""The store's files on disk: readable and writable by the service's account only (0600).

The SQLite file holds patient data; under the usual umask 022 SQLite would create it 0644, and its
`-wal` and `-shm` companions with it, readable by every account of the host (issue 22, item 9).
SQLite gives the companions the mode of the main file (ignoring the umask), so creating the main
file 0600 before SQLite opens it is enough for all three; a file found with wider modes is
narrowed when it is ours, and said in the log either way.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

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
