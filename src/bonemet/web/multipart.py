"""Read the one file of a multipart/form-data upload with the standard library's MIME parser.

The import form posts a single small file; this avoids a dependency for that one use.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

MAX_UPLOAD = 5 * 1024 * 1024  # a case or a patient Bundle is kilobytes; refuse anything absurd


class MultipartError(ValueError):
    pass


def first_file(content_type: str, body: bytes) -> tuple[str, bytes]:
    """(filename, content) of the first file part; MultipartError when there is none."""
    filename, content, _ = upload(content_type, body)
    return filename, content


def upload(content_type: str, body: bytes) -> tuple[str, bytes, dict[str, str]]:
    """(filename, content) of the first file part and the plain fields (the CSRF token)."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise MultipartError("expected a file upload (multipart/form-data)")
    if len(body) > MAX_UPLOAD:
        raise MultipartError(f"file too large (limit {MAX_UPLOAD // 1024 // 1024} MiB)")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise MultipartError("malformed upload")
    fields: dict[str, str] = {}
    found: tuple[str, bytes] | None = None
    for part in message.iter_parts():
        filename = part.get_filename()
        if filename is None:
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes) and len(payload) < 1024:
                fields[name] = payload.decode("utf-8", errors="replace")
            continue
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes) or not content.strip():
            raise MultipartError("the chosen file is empty")
        if found is None:
            found = (filename, content)
    if found is None:
        raise MultipartError("no file chosen")
    return found[0], found[1], fields
