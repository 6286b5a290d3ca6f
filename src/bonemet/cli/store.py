"""`bonemet backup DB DEST` and `bonemet restore BACKUP DB`: the store's online backup, checked.

In Python: `bonemet.stores.backup.backup` and `bonemet.stores.backup.restore`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from bonemet.cli.options import Format, FormatOption, fail, write
from bonemet.errors import BackupError
from bonemet.stores.backup import BackupReport


def _report(report: BackupReport, verb: str, fmt: Format) -> None:
    if fmt is Format.json:
        write(orjson.dumps({
            "source": str(report.source), "destination": str(report.destination),
            "seconds": round(report.seconds, 3), "size_bytes": report.verified.size_bytes,
            "schema_version": report.verified.schema_version, "integrity": "ok",
            "rows": report.verified.rows,
            "replaced": str(report.replaced) if report.replaced else None}))
    else:
        write(report.summary(verb).encode())


def backup_cmd(
    db: Annotated[Path, typer.Argument(help="The store (BONEMET_DB); the server may be running")],
    dest: Annotated[Path, typer.Argument(help="The backup file to write (a folder: a dated name "
                                              "in it)")],
    replace: Annotated[bool, typer.Option("--replace", help="Replace DEST if it exists")] = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Back up the store while the server runs (one-step online backup, checked, mode 0600)."""
    from bonemet.stores.backup import backup

    try:
        report = backup(db, dest, replace=replace)
    except BackupError as exc:
        fail(exc)
    _report(report, "backed up", fmt)


def restore_cmd(
    backup_file: Annotated[Path, typer.Argument(metavar="BACKUP", help="A file written by "
                                                "`bonemet backup`")],
    db: Annotated[Path, typer.Argument(help="The store to replace (stop the server first)")],
    force: Annotated[bool, typer.Option("--force", help="Replace it even if a process has it "
                                        "open")] = False,
    fmt: FormatOption = Format.text,
) -> None:
    """Put a backup in place of the store: checked first; the replaced file is kept beside it."""
    from bonemet.stores.backup import restore

    try:
        report = restore(backup_file, db, force=force)
    except BackupError as exc:
        fail(exc)
    _report(report, "restored", fmt)
