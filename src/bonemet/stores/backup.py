"""Back up and restore the store while the server runs: `bonemet backup` / `bonemet restore`.

Why not `sqlite3 FILE ".backup …"`: the sqlite3 shell copies 100 pages per step and starts over
whenever another connection writes between two steps. Every API call writes an audit row, so under
a few hundred calls a second that copy never finishes (issue 22, item 13). Here the whole file is
copied in ONE step of SQLite's online backup (`pages=-1`): the step reads inside one read
transaction, which in WAL mode sees the file as of its start and never waits for, nor is restarted
by, the server's writers. Every write committed before the backup began is in the copy.

Both directions write to a temporary name in the target's folder, check the copy by reopening it
(`PRAGMA integrity_check`, the schema version, the row counts), make it mode 0600 and only then
rename it over the target (an atomic rename: a reader sees the old file or the new one, never half).
A restore refuses a store that a running server has open unless told (`force`), and keeps the file
it replaces beside it (`<db>.before-restore-<time>`).
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from bonemet.errors import BackupError
from bonemet.stores.files import COMPANIONS, create_private
from bonemet.stores.store import SCHEMA_VERSION

# SQLite's unix VFS keeps a shared lock on this byte of `<db>-shm` for as long as a connection has
# the database open in WAL mode (the "dead man switch" of the wal-index, src/os_unix.c: UNIX_SHM_DMS).
_SHM_DMS_BYTE = 128
_BUSY_MS = 30_000


@dataclass(frozen=True)
class Verified:
    """What reopening a copy found: it passed `integrity_check` (else BackupError is raised)."""

    path: Path
    schema_version: int
    rows: dict[str, int] = field(default_factory=dict)
    size_bytes: int = 0


@dataclass(frozen=True)
class BackupReport:
    source: Path
    destination: Path
    seconds: float
    verified: Verified
    replaced: Path | None = None  # restore: where the file it replaced was kept

    def summary(self, verb: str) -> str:
        rows = ", ".join(f"{name} {count}" for name, count in self.verified.rows.items())
        kept = f"; the store it replaced is kept as {self.replaced}" if self.replaced else ""
        return (f"{verb} {self.source} to {self.destination} in {self.seconds:.2f} s: "
                f"{self.verified.size_bytes / 1e6:.1f} MB, schema {self.verified.schema_version}, "
                f"integrity ok; rows: {rows}{kept}")


def backup(source: Path | str, destination: Path | str, *, replace: bool = False) -> BackupReport:
    """Copy the store `source` (the server may be running) to `destination`, checked, mode 0600.

    `destination` may be a folder: the copy is then named `<store>-<UTC time>.sqlite3` in it. An
    existing file is replaced only with `replace=True`.
    """
    started = time.perf_counter()
    source = Path(source)
    _check_store("DB", source)
    destination = Path(destination)
    if destination.is_dir():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        destination = destination / f"{source.stem}-{stamp}.sqlite3"
    _check_target("DEST", destination, replace=replace)
    if destination.resolve() == source.resolve():
        raise BackupError(f"DEST {destination}: is the store itself")
    verified = _copy_checked(source, destination, "DEST")
    return BackupReport(source, destination, time.perf_counter() - started, verified)


def restore(backup_file: Path | str, db: Path | str, *, force: bool = False) -> BackupReport:
    """Put the backup `backup_file` in place of the store `db`, after checking the backup.

    Stop the server first: a store that a process has open is refused unless `force` (that process
    would keep writing to the file it had open, now renamed). The file replaced is kept as
    `<db>.before-restore-<UTC time>`, its WAL folded in first. Call it from a process that has no
    connection to `db` (the command line does): POSIX locks belong to the process, so `in_use`
    cannot see this process's own connections, and closing its descriptor would drop their locks.
    """
    started = time.perf_counter()
    backup_file = Path(backup_file)
    db = Path(db)
    _check_store("BACKUP", backup_file)
    verify(backup_file, "BACKUP")  # refused before anything is touched
    if db.exists() and not db.is_file():
        raise BackupError(f"DB {db}: not a file")
    if not db.parent.is_dir():
        raise BackupError(f"DB {db}: the folder {db.parent} does not exist")
    if db.exists() and in_use(db) and not force:
        raise BackupError(f"DB {db}: a running process (a bonemet server?) has it open; stop the "
                          f"server, restore, then start it again (or --force)")
    if db.exists() and db.resolve() == backup_file.resolve():
        raise BackupError(f"BACKUP {backup_file}: is the store itself")
    temporary = _temporary(db)
    try:
        verified = _copy_checked(backup_file, db, "DB", temporary=temporary, rename=False)
        replaced = None
        if db.exists():
            _fold_wal(db)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            replaced = db.with_name(f"{db.name}.before-restore-{stamp}")
            os.replace(db, replaced)
        for suffix in COMPANIONS:  # a WAL of the old file must never be read with the new one
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        os.replace(temporary, db)
        _sync_folder(db.parent)
    finally:
        temporary.unlink(missing_ok=True)
    return BackupReport(backup_file, db, time.perf_counter() - started,
                        Verified(db, verified.schema_version, verified.rows, verified.size_bytes),
                        replaced)


def verify(path: Path, name: str = "BACKUP") -> Verified:
    """Reopen a copy read-only: integrity check, bonemet schema version, row count per table."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{name} {path}: cannot open it: {exc}") from None
    try:
        found = db.execute("PRAGMA integrity_check").fetchall()
        if [tuple(r) for r in found] != [("ok",)]:
            first = "; ".join(str(r[0]) for r in found[:3])
            raise BackupError(f"{name} {path}: fails SQLite's integrity check: {first}")
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        if "schema_version" not in tables:
            raise BackupError(f"{name} {path}: not a bonemet store (no schema_version table)")
        version = int(db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0)
        if version > SCHEMA_VERSION:
            raise BackupError(f"{name} {path}: schema version {version}, newer than this bonemet "
                              f"({SCHEMA_VERSION})")
        rows = {t: int(db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0])
                for t in tables if t != "schema_version"}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{name} {path}: not a readable SQLite store: {exc}") from None
    finally:
        db.close()
    return Verified(path, version, rows, path.stat().st_size)


def in_use(db: Path) -> bool:
    """Whether another process has the store open (it holds SQLite's lock on `<db>-shm`)."""
    shm = Path(f"{db}-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False  # no connection in WAL mode: nobody has it open
    except OSError as exc:
        raise BackupError(f"DB {db}: cannot tell whether a server has it open: "
                          f"{shm}: {exc.strerror}") from None
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EAGAIN):
            return True
        raise
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DMS_BYTE)
        return False
    finally:
        os.close(fd)


# ---- the copy ------------------------------------------------------------------------------


def _copy_checked(source: Path, destination: Path, name: str, *, temporary: Path | None = None,
                  rename: bool = True) -> Verified:
    temporary = temporary or _temporary(destination)
    try:
        create_private(temporary)
        try:
            # Read-write for a live store (a WAL reader may need to set up the -shm), read-only
            # for a backup this account may only read.
            mode = "rw" if os.access(source, os.W_OK) else "ro"
            src = sqlite3.connect(f"{source.resolve().as_uri()}?mode={mode}", uri=True)
            dst = sqlite3.connect(temporary)
        except sqlite3.Error as exc:
            raise BackupError(f"{name} {destination}: cannot open: {exc}") from None
        try:
            src.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
            src.backup(dst, pages=-1)  # ONE step: see the module's docstring
            # A self-contained file: no -wal beside it (the server turns WAL back on at start).
            dst.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as exc:
            raise BackupError(_sqlite_reason(name, destination, exc)) from None
        finally:
            dst.close()
            src.close()
        verified = verify(temporary, name)
        _sync_file(temporary)
        if rename:
            os.replace(temporary, destination)
            _sync_folder(destination.parent)
        return Verified(destination, verified.schema_version, verified.rows, verified.size_bytes)
    except OSError as exc:
        raise BackupError(f"{name} {destination}: {exc.strerror or exc}") from None
    finally:
        if rename:
            temporary.unlink(missing_ok=True)


def _sqlite_reason(name: str, path: Path, exc: sqlite3.Error) -> str:
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return f"{name} {path}: no space left on the device"
    return f"{name} {path}: the copy failed: {exc}"


def _fold_wal(db: Path) -> None:
    """Checkpoint the WAL into the file, so that the file kept aside holds every write."""
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=rw", uri=True)
        try:
            conn.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"DB {db}: cannot fold its WAL into it before replacing it: {exc}") \
            from None


def _check_store(name: str, path: Path) -> None:
    if not path.exists():
        raise BackupError(f"{name} {path}: no such file")
    if not path.is_file():
        raise BackupError(f"{name} {path}: not a file")
    if not os.access(path, os.R_OK):
        raise BackupError(f"{name} {path}: not readable by this account")
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{name} {path}: not an SQLite file")


def _check_target(name: str, path: Path, *, replace: bool) -> None:
    if not path.parent.is_dir():
        raise BackupError(f"{name} {path}: the folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise BackupError(f"{name} {path}: the folder {path.parent} is not writable")
    if path.exists() and not replace:
        raise BackupError(f"{name} {path}: exists; choose another name (or --replace)")
    if path.exists() and not path.is_file():
        raise BackupError(f"{name} {path}: not a file")


def _temporary(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
