"""The FastAPI application: `create_app(settings)` wires the store, keys, routes, CORS and audit."""

from __future__ import annotations

import gc
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.sessions import SessionMiddleware

from bonemet._version import __version__
from bonemet.access import login
from bonemet.access.auth import Authenticator, AuthError
from bonemet.access.config import Settings, SettingsError
from bonemet.access.security import (
    SESSION_COOKIE,
    AccessGate,
    BodyLimit,
    HostCheck,
    SecurityHeaders,
)
from bonemet.http.audit_trail import AuditMiddleware
from bonemet.kb import default_kb
from bonemet.service import api, calculators, cdshooks, errors, kb_api
from bonemet.service.context import ServiceContext
from bonemet.service.texts import default_texts
from bonemet.stores.store import Store

log = logging.getLogger("bonemet.service")

_DESCRIPTION = """Decision support for bone metastases of lung cancer, from the AURA guideline
(nuclear-medicine chapter). **Not a medical device**: decision support only.

* `POST /api/assess`: a bonemet case (JSON) or a FHIR R4 Bundle in, the assessment out
  (`?format=fhir` for a FHIR GuidanceResponse);
* `/api/kb/...`: rules, statements and references of the knowledge base;
* `/cds-services`: CDS Hooks 2.0 discovery, `order-select`/`order-sign` and `patient-view`
  services, feedback. Outside development mode every CDS Hooks call needs a client JWT.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    store = Store(settings.db_path)
    try:
        authenticator = Authenticator(settings, store)
    except AuthError as exc:
        raise SettingsError(f"BONEMET_JWKS_FILE: {exc.reason}") from None
    ctx = ServiceContext(settings=settings, store=store, auth=authenticator, kb=default_kb(),
                         texts=default_texts())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        store.reopen()
        _freeze_startup_heap()
        yield
        store.close()

    # No Swagger UI / ReDoc: FastAPI loads them from a public CDN, which a hospital network should
    # not depend on (nor a CSP allow); /openapi.json stays, behind sign-in.
    app = FastAPI(title="bonemet", version=__version__, description=_DESCRIPTION,
                  lifespan=lifespan, license_info={"name": "Apache-2.0"}, docs_url=None,
                  redoc_url=None)
    app.state.bonemet = ctx
    app.state.oidc = login.oauth_client(settings) if settings.auth_mode == "oidc" else None
    errors.install(app)
    app.include_router(api.router)
    app.include_router(kb_api.router)
    app.include_router(cdshooks.router)
    app.include_router(calculators.router)
    app.include_router(login.router)
    from bonemet.service import sessions_api  # tumour-board sessions (issue 13)

    app.include_router(sessions_api.router)
    # Clinician web app (HTML pages + static files), see bonemet.web and docs/web.md.
    from bonemet.web import mount_web

    mount_web(app)
    # SMART on FHIR launch from an EHR (issue 26, docs/smart.md): tokens kept in this process.
    from bonemet.access.smart import LaunchVault
    from bonemet.web.smart import router as smart_router

    app.state.smart_vault = LaunchVault()
    app.include_router(smart_router)
    _install_openapi(app)
    # Outermost last: headers, body limit, Host check, CORS, session, access gate, audit, catch-all.
    app.add_middleware(errors.CatchAll)
    app.add_middleware(AuditMiddleware, store=store)
    app.add_middleware(AccessGate, settings=settings, authenticator=authenticator)
    https = (settings.public_base_url or "").startswith("https://")
    # Without a configured secret (development, proxy mode) sessions only carry CSRF tokens and
    # may die with the process.
    # Review 26 F13: an EHR frame (BONEMET_FRAME_ANCESTORS) is another site: the session cookie
    # reaches bonemet there only as SameSite=None, which browsers accept only when Secure. What that
    # opens (any site's requests carry the cookie) is closed by AccessGate (fetch metadata, CSRF).
    framed = settings.smart.frame_ancestors if settings.smart is not None else ()
    app.add_middleware(SessionMiddleware, secret_key=settings.session_secret or secrets.token_urlsafe(32),
                       session_cookie=SESSION_COOKIE, max_age=settings.session_max_age_s,
                       same_site="none" if framed else "lax", https_only=https or bool(framed))
    if settings.cors_origins:
        # Origins are echoed from the allowlist, never '*'; credentials are not needed (the JWT
        # travels in the Authorization header), so they stay off.
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=False,
            allow_methods=["GET", "POST", "PUT", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Accept-Language"],
            expose_headers=["X-Bonemet-Unmapped"], max_age=600,
        )
    app.add_middleware(HostCheck, settings=settings)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, https=https, frame_ancestors=framed)
    return app


def _freeze_startup_heap() -> None:
    """Move what start-up built (modules, knowledge base, routes, models: ~90,000 objects) out of
    the cyclic garbage collector's sight.

    Those objects live as long as the process, yet every full collection walked them all: a 40 ms
    pause, triggered every few hundred CDS calls by the garbage of their JSON, straight into the
    latency tail. Frozen objects are still freed by reference counting; only cycles among them
    would stay, and start-up builds none that matter.
    """
    gc.collect()
    gc.freeze()


def _install_openapi(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        api.fill_examples(schema)
        cdshooks.register_schemas(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
