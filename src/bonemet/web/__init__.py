"""The clinician web app (HTML pages, vendored htmx) mounted into the service application."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

STATIC_DIR = Path(str(resources.files("bonemet.web") / "static"))


class BrowserHome:
    """Send a browser asking for `/` to the case list; API clients keep the JSON index there."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] in ("GET", "HEAD"):
            accept = dict(scope["headers"]).get(b"accept", b"")
            if b"text/html" in accept:
                await send({"type": "http.response.start", "status": 303,
                            "headers": [(b"location", b"/cases"), (b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)


def mount_web(app: FastAPI) -> None:
    """Add the pages and their static files (CSS, htmx) to the service application."""
    from bonemet.web.check import router as check_router  # quick request check (issue 13)
    from bonemet.web.pages import router, warm_up

    warm_up()
    app.include_router(router)
    from bonemet.web.session_decision import router as decision_router  # the decision form
    from bonemet.web.sessions import router as sessions_router  # tumour-board sessions

    app.include_router(decision_router)
    app.include_router(sessions_router)
    from bonemet.web.session_manage import router as manage_router  # edit, remove (issue 25)

    app.include_router(manage_router)
    app.include_router(check_router)
    from bonemet.web.check_file import router as check_file_router  # saved and printed (issue 25)

    app.include_router(check_file_router)
    from bonemet.web.kb_pages import router as kb_router

    app.include_router(kb_router)
    from bonemet.web.audit_log import router as audit_router  # administrators (issue 22)

    app.include_router(audit_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    from bonemet.web.render_pool import ClientGone, RenderRefused, answer_refused, start_in_background

    start_in_background()

    app.add_exception_handler(RenderRefused, answer_refused)  # type: ignore[arg-type]
    app.add_exception_handler(ClientGone, answer_refused)  # type: ignore[arg-type]
    app.add_middleware(BrowserHome)
