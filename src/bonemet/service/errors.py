"""Error answers: 400 for unreadable input, 422 for invalid content, 401/404/405/412 as usual.

Plain JSON routes answer `{"error": ..., "problems": [{"field", "message"}]}`; routes that speak
FHIR or CDS Hooks answer a FHIR `OperationOutcome` (CDS Hooks 3.0 uses it for error bodies too).
An unexpected exception is logged and answered as a 500 without internals, but bad input never
gets that far: every parser raises `InputError` naming the field and the reason. The tree of
`bonemet.errors` is mapped here once (`install`): `InputError` and its kinds to 422, the rest to a
logged 500.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bonemet.access.auth import AuthError
from bonemet.api import DUPLICATE_KEY_MESSAGE, MAX_PROBLEMS
from bonemet.errors import BonemetError, InputError, Problem, problems_from
from bonemet.kb.strict_yaml import json_duplicate_key
from bonemet.stores.files import StorageFull, is_storage_full
from bonemet.workload import decode_json

log = logging.getLogger("bonemet.service")

FHIR_JSON = "application/fhir+json"


class ServiceError(Exception):
    """An error answer decided by a route: status, problems, and the shape of the body."""

    def __init__(self, status: int, problems: list[Problem], *, fhir: bool = False,
                 code: str = "invalid", headers: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.status = status
        self.problems = problems
        self.fhir = fhir
        self.code = code
        self.headers = headers or {}


def wants_fhir(request: Request) -> bool:
    path = request.url.path
    return (path.startswith("/cds-services") or request.query_params.get("format") == "fhir"
            or path.startswith("/fhir"))


_TITLES = {400: "malformed request", 401: "authentication failed", 403: "forbidden",
           404: "not found", 405: "method not allowed", 409: "edit conflict",
           412: "required data could not be obtained", 413: "request too large",
           428: "precondition required",
           415: "unsupported media type", 422: "invalid input", 500: "internal error",
           507: "storage full"}


# An error answer is bounded whatever the input: at most this many problems, each cut to a length
# (a message may quote the value it refuses). 100,000 empty exams gave a 17 MB answer (issue 22).
MAX_LISTED_PROBLEMS = MAX_PROBLEMS + 1  # parse_case's first problems and its note
MAX_PROBLEM_TEXT = 500


def bounded_problems(problems: list[Problem]) -> list[Problem]:
    """The first problems, each cut to a length, and a last one saying how many were left out."""
    def cut(text: str) -> str:
        return text if len(text) <= MAX_PROBLEM_TEXT else text[:MAX_PROBLEM_TEXT] + "…"

    shown = [Problem(cut(p.field), cut(p.message)) for p in problems[:MAX_LISTED_PROBLEMS]]
    if len(problems) > MAX_LISTED_PROBLEMS:
        shown.append(Problem("", f"… and {len(problems) - MAX_LISTED_PROBLEMS} more problems "
                                 "not listed"))
    return shown


def error_response(status: int, problems: list[Problem], *, fhir: bool, code: str = "invalid",
                   headers: dict[str, str] | None = None) -> Response:
    problems = bounded_problems(problems)
    if fhir:
        from bonemet.fhir import operation_outcome

        body: dict[str, Any] = operation_outcome(problems, code=code)
        media = FHIR_JSON
    else:
        body = {"error": _TITLES.get(status, "error"),
                "problems": [{"field": p.field, "message": p.message} for p in problems]}
        media = "application/json"
    return Response(orjson.dumps(body), status_code=status, media_type=media, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> Response:
        return error_response(exc.status, exc.problems, fhir=exc.fhir or wants_fhir(request),
                              code=exc.code, headers=exc.headers)

    @app.exception_handler(BonemetError)
    async def _refused(request: Request, exc: BonemetError) -> Response:
        # The one mapping of the bonemet.errors tree to HTTP: bad input is the caller's (422, every
        # problem listed); a refused knowledge base or configuration is the server's: logged, and
        # answered as any internal error (its problems are internals, not the caller's to fix).
        if isinstance(exc, InputError):
            return error_response(422, exc.problems, fhir=wants_fhir(request))
        _log_unexpected(request.scope, exc)
        return error_response(500, [Problem("", "internal error; the incident was logged")],
                              fhir=wants_fhir(request), code="exception")

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> Response:
        return error_response(401, [Problem("Authorization", exc.reason)], fhir=wants_fhir(request),
                              code="security", headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(Problem(loc, str(err.get("msg", "invalid"))))
        return error_response(422, problems, fhir=wants_fhir(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not-found", 405: "not-supported"}.get(exc.status_code, "invalid")
        return error_response(exc.status_code, [Problem("", str(exc.detail))],
                              fhir=wants_fhir(request), code=code,
                              headers=dict(exc.headers or {}))

    from bonemet.access.security import BodyTooLarge, CsrfError

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError) -> Response:
        if "text/html" in request.headers.get("accept", ""):
            import html

            # A plain page: the form's data is not kept, and the user is told why.
            body = (f'<!doctype html><html lang="en"><meta charset="utf-8"><title>Form expired'
                    f'</title><h1>Form expired</h1><p>_csrf: {html.escape(str(exc))}</p>'
                    f'<p><a href="/cases">Cases</a></p></html>')
            return Response(body, status_code=403, media_type="text/html")
        return error_response(403, [Problem("_csrf", str(exc))], fhir=False, code="security")

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
        return error_response(413, [Problem("", f"request body too large (limit "
                                                f"{exc.limit // 1024} KiB)")],
                              fhir=wants_fhir(request), code="too-costly")

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client hung up mid-body (a load generator stopping, a closed tab): nobody to answer.
        return Response(status_code=400)

    @app.exception_handler(StorageFull)
    async def _full(request: Request, exc: StorageFull) -> Response:
        return storage_full_response(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        if is_storage_full(exc):  # ENOSPC from a file written outside the store
            return storage_full_response(request)
        _log_unexpected(request.scope, exc)
        return error_response(500, [Problem("", "internal error; the incident was logged")],
                              fhir=wants_fhir(request), code="exception")


def storage_full_response(request: Request) -> Response:
    """507 "storage full" in the user's language (JSON, a FHIR OperationOutcome, or a page); one
    log line, no traceback: the cause is the disk, not the code."""
    log.error("storage full on %s %s: the write was refused (507)", request.method,
              getattr(request.scope.get("route"), "path_format", None) or "(unmatched route)")
    chosen = request.cookies.get("bonemet_lang")  # the web app's language choice, if made
    ctx = getattr(request.app.state, "bonemet", None)
    lang = chosen if chosen in ("en", "fr") else (ctx.lang(request) if ctx is not None else "en")
    message = StorageFull().message(lang)
    if "text/html" in request.headers.get("accept", "") and not wants_fhir(request):
        import html

        title = "Stockage plein" if lang == "fr" else "Storage full"
        back = "Retour aux cas" if lang == "fr" else "Back to the cases"
        body = (f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{title}</title>'
                f'<h1>{title}</h1><p>{html.escape(message)}</p><p><a href="/cases">{back}</a></p>'
                f'</html>')
        return Response(body, status_code=507, media_type="text/html",
                        headers={"Content-Language": lang})
    return error_response(507, [Problem("", message)], fhir=wants_fhir(request), code="no-store",
                          headers={"Content-Language": lang})


class CatchAll:
    """The last word on an unexpected exception: log the route template, the exception type and the
    frames, answer 500, and do not re-raise.

    Starlette's own error middleware re-raises after answering, and uvicorn then logs the exception
    with its message, which may quote a case id or user input. Innermost of the middlewares, so the
    audit row still sees the 500.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            _log_unexpected(scope, exc)
            if not started:
                request = Request(scope)
                response = error_response(500, [Problem("", "internal error; the incident was logged")],
                                          fhir=wants_fhir(request), code="exception")
                await response(scope, receive, send)


def _log_unexpected(scope: Scope, exc: BaseException) -> None:
    # The route template, not the path: case ids and user input never reach the log; the frames
    # say where, the exception's message (which may quote input) is left out.
    route = getattr(scope.get("route"), "path_format", None) or "(unmatched route)"
    log.error("unexpected error on %s %s: %s\n%s", scope.get("method"), route, type(exc).__name__,
              "".join(traceback.format_tb(exc.__traceback__)))


def decode_json_object(raw: bytes, *, what: str = "request body",
                       bounds: Callable[[dict[str, Any]], object] | None = None) -> dict[str, Any]:
    """Decode a JSON object body, raising 400 with the parser's reason when it is not one.

    `bounds` (a case's `check_document_size`) runs on the decoded object before the scan for
    repeated keys, which costs ten times the decoding: a body over its bounds is refused first.
    """
    if not raw:
        raise ServiceError(400, [Problem("", f"empty {what}: a JSON object is expected")])
    try:
        data = decode_json(raw)
    except ValueError as exc:
        raise ServiceError(400, [Problem("", f"malformed JSON in the {what}: {exc}")]) from None
    if not isinstance(data, dict):
        raise ServiceError(400, [Problem("", f"the {what} must be a JSON object, "
                                             f"got {type(data).__name__}")])
    if bounds is not None:
        bounds(data)
    repeated = json_duplicate_key(raw)
    if repeated:  # well-formed JSON, but a field given twice would silently lose its first value
        raise ServiceError(422, [Problem(repeated[0], DUPLICATE_KEY_MESSAGE.format(key=repeated[1]))])
    return data


__all__ = ["MAX_LISTED_PROBLEMS", "ServiceError", "bounded_problems", "decode_json_object",
           "error_response", "install", "problems_from",
           "wants_fhir"]
