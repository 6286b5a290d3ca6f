"""Finding the input files and checking their bytes before an engine reads them.

Both engines read each line as text. A few faults make a text reader stop the whole scan: a byte that
is not UTF-8, a control byte that the line reader treats as a column separator (0x1F) or as an end of
string (0x00), a line longer than the reader's limit, and, at file level, a directory, a dangling
symbolic link or an unreadable file named `*.ndjson`. Each is reported here as an issue with its file
and line, and the run goes on: a faulty line is blanked in a sanitised copy of its file (so that every
other line keeps its number), a faulty file is left out.

The check reads each file once, in large chunks; a clean chunk costs a `find` per forbidden byte and an
ASCII test, so clean exports pay little for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from bonemet.audit.synth import GROUND_TRUTH
from bonemet.errors import AuditInputError, Problem

MAX_LINE_BYTES = 64 * 1024 * 1024  # longest line read (the engines' line readers are set just above it)
CHUNK_BYTES = 8 * 1024 * 1024
_FORBIDDEN = {0x00: "NUL byte (0x00)", 0x1F: "control byte 0x1F (unit separator)"}


class Stamp(NamedTuple):
    """What says a file is still the one read: compared before and after the reading."""

    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> Stamp:
        st = path.stat()
        return cls(st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass
class InputFile:
    name: str  # as reported (the file name in the input directory)
    path: Path  # what the engines read: the file itself, or its sanitised copy
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    max_line: int = 0  # an upper bound of its longest line read (bytes)
    stamp: Stamp | None = None  # the file (not its copy) before its first read
    source: Path | None = None  # the file in the input directory


@dataclass
class Inputs:
    files: list[InputFile]
    issues: list[tuple[Any, ...]]  # rows in ISSUE_COLUMNS order
    total_bytes: int

    @property
    def max_line(self) -> int:
        return max((f.max_line for f in self.files), default=0)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.files]

    def last_bad_line(self, name: str) -> int:
        return max((n for f in self.files if f.name == name for n, _ in f.bad_lines), default=0)


def candidates(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise AuditInputError([Problem("DIR", f"{directory} is not a directory")])
    found = sorted(p for p in directory.glob("*.ndjson") if p.name != GROUND_TRUTH)
    if not found:
        raise AuditInputError([Problem("DIR", f"no *.ndjson file in {directory} (FHIR bulk data export)")])
    return found


def _file_fault(p: Path) -> str | None:
    """Why `p` cannot be read as an NDJSON file, or None."""
    if p.is_symlink() and not p.exists():
        try:
            target = str(p.readlink())
        except OSError:
            target = "?"
        return f"dangling symbolic link (its target {target} does not exist): not read"
    if p.is_dir():
        return "a directory, not a file: not read"
    if not p.is_file():
        return "not a regular file: not read"
    try:
        with p.open("rb"):
            pass
    except OSError as exc:
        return f"cannot be opened ({exc.strerror}): not read"
    return None


def _line_fault(line: bytes) -> str | None:
    if len(line) > MAX_LINE_BYTES:
        return f"line of {len(line):,} bytes, longer than the {MAX_LINE_BYTES // 2**20} MiB limit: not read"
    for byte, label in _FORBIDDEN.items():
        col = line.find(bytes([byte]))
        if col >= 0:
            return f"{label} at byte {col + 1}: not valid JSON text, line not read"
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8: byte 0x{line[exc.start]:02X} at byte {exc.start + 1}: line not read"
    return None


def _clean(body: bytes) -> bool:
    return b"\x1f" not in body and b"\x00" not in body and (body.isascii() or _utf8(body))


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _bodies(handle: BinaryIO) -> Iterator[tuple[bytes, int | None]]:
    """Complete lines of the file, in chunks ending with a newline (the last may not), and the size of
    each over-long line in place of its bytes (a chunk of None-body is an over-long line)."""
    carry = b""
    skipping = 0  # bytes of an over-long line seen so far
    while chunk := handle.read(CHUNK_BYTES):
        if skipping:
            i = chunk.find(b"\n")
            if i < 0:
                skipping += len(chunk)
                continue
            yield b"", skipping + i
            skipping = 0
            chunk = chunk[i + 1 :]
        buf = carry + chunk if carry else chunk
        last = buf.rfind(b"\n")
        if last < 0:
            if len(buf) > MAX_LINE_BYTES:
                skipping, carry = len(buf), b""
            else:
                carry = buf
            continue
        first = buf.find(b"\n")
        if first > MAX_LINE_BYTES:  # only the first line of a chunk can be that long (it began earlier)
            yield b"", first
            buf = buf[first + 1 :]
            last -= first + 1
        if last >= 0:
            yield buf[: last + 1], None
        carry = buf[last + 1 :]
    if skipping:
        yield b"", skipping
    elif carry:
        yield carry, None


class FileCheck(NamedTuple):
    bad: list[tuple[int, str]]  # (line number, reason) of every faulty line
    max_line: int  # an upper bound of the longest line kept: a text reader's buffers can be that small


def check_file(path: Path, sanitised: Path | None = None) -> FileCheck:
    """Every faulty line; with `sanitised`, also write the file there with each faulty line made empty
    (an empty line is skipped by both engines, the others keep their numbers)."""
    bad: list[tuple[int, str]] = []
    longest = 0  # the first line of each chunk (it may have begun in an earlier chunk)
    line_no = 0
    out = sanitised.open("wb") if sanitised else None
    try:
        with path.open("rb") as handle:
            for body, too_long in _bodies(handle):
                if too_long is not None:
                    line_no += 1
                    bad.append(
                        (
                            line_no,
                            f"line of {too_long:,} bytes, longer than the "
                            f"{MAX_LINE_BYTES // 2**20} MiB limit: not read",
                        )
                    )
                    if out:
                        out.write(b"\n")
                    continue
                first = body.find(b"\n")
                longest = max(longest, len(body) if first < 0 else first + 1)
                if _clean(body):
                    line_no += body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
                    if out:
                        out.write(body)
                    continue
                lines = body.split(b"\n")
                if body.endswith(b"\n"):
                    lines.pop()
                for text in lines:
                    line_no += 1
                    reason = _line_fault(text)
                    if reason:
                        bad.append((line_no, reason))
                    if out:
                        out.write(b"\n" if reason else text + b"\n")
    finally:
        if out:
            out.close()
    return FileCheck(bad, max(longest, min(CHUNK_BYTES, path.stat().st_size)))


def prepare(directory: Path, work: Path) -> Inputs:
    """Every `*.ndjson` file of `directory` checked; faulty lines and files as issues; sanitised copies
    in `work` for the files that need one."""
    files: list[InputFile] = []
    issues: list[tuple[Any, ...]] = []
    total = 0
    for i, p in enumerate(candidates(directory)):
        fault = _file_fault(p)
        if fault:
            issues.append(("unreadable", p.name, None, None, None, fault))
            continue
        try:
            stamp = Stamp.of(p)
            bad, longest = check_file(p)
            path = p
            if bad:
                path = work / f"sanitised-{i}.ndjson"
                check_file(p, path)
        except OSError as exc:
            issues.append(("unreadable", p.name, None, None, None, f"read error ({exc.strerror}): not read"))
            continue
        issues.extend(("malformed", p.name, n, None, None, reason) for n, reason in bad)
        files.append(InputFile(p.name, path, bad, longest, stamp, p))
        total += path.stat().st_size
    if not files:
        raise AuditInputError([Problem("DIR", f"no readable *.ndjson file in {directory}")])
    return Inputs(files, issues, total)


class InputChangedError(AuditInputError):
    """Input files changed or vanished while the audit read them: the run stops, writing nothing."""

    @property
    def headline(self) -> str:
        return ("the export changed while the audit read it: nothing was written; run the audit "
                "again once nothing writes to it any more")


def changed_inputs(inputs: Inputs) -> list[Problem]:
    """The input files that changed since their first read (size, modification time, replaced) or
    vanished: the report would describe data that is no longer the export's (issue 22, item 13).
    Called once the engine has read everything, and when the reading fails."""
    problems = []
    for f in inputs.files:
        if f.stamp is None or f.source is None:
            continue
        try:
            now = Stamp.of(f.source)
        except FileNotFoundError:
            problems.append(Problem(str(f.source), "deleted while the audit was reading it"))
            continue
        except OSError as exc:
            problems.append(Problem(str(f.source), f"cannot be read any more ({exc.strerror})"))
            continue
        changes = []
        if now.inode != f.stamp.inode:
            changes.append("replaced by another file")
        if now.size != f.stamp.size:
            changes.append(f"size {f.stamp.size:,} → {now.size:,} bytes")
        if now.mtime_ns != f.stamp.mtime_ns:
            changes.append("modification time changed")
        if changes:
            what = "; ".join(changes)
            problems.append(Problem(str(f.source), f"changed while the audit was reading it ({what})"))
    return problems
