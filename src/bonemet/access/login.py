"""Sign-in with the hospital's OpenID Connect provider (Authlib's Starlette client).

Authorization code flow with PKCE (S256) and a nonce; Authlib checks the ID token (signature with
the provider's published keys, `iss`, `aud`, `exp`, `nonce`). The session keeps only the account id,
its display name and its bonemet roles, never a token: bonemet calls nothing on the user's behalf.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bonemet.access.config import Settings
from bonemet.access.security import CSRF_FIELD, CsrfError, check_csrf, map_roles

router = APIRouter(prefix="/auth", include_in_schema=False)


def oauth_client(settings: Settings) -> Any:
    from authlib.integrations.starlette_client import OAuth

    assert settings.oidc is not None
    oauth = OAuth()
    oauth.register(
        name="hospital", client_id=settings.oidc.client_id,
        client_secret=settings.oidc.client_secret,
        server_metadata_url=settings.oidc.issuer + "/.well-known/openid-configuration",
        client_kwargs={"scope": settings.oidc.scopes, "code_challenge_method": "S256",
                       "timeout": 10},
    )
    return oauth.create_client("hospital")


def _safe_next(target: str | None) -> str:
    # Only a path of this site: never an open redirect to another host.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/cases"
    return target


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.bonemet.settings
    return settings


@router.get("/login")
async def login(request: Request, next: str | None = None) -> Response:
    settings = _settings(request)
    client = request.app.state.oidc
    if client is None:
        return HTMLResponse("<p>Sign-in is done by the hospital's reverse proxy here.</p>"
                            if settings.auth_mode == "proxy" else
                            "<p>No sign-in needed in development mode.</p>", status_code=404)
    request.session["next"] = _safe_next(next)
    redirect_uri = f"{settings.public_base_url or str(request.base_url).rstrip('/')}/auth/callback"
    response: Response = await client.authorize_redirect(request, redirect_uri)
    return response


@router.get("/callback")
async def callback(request: Request) -> Response:
    from authlib.integrations.base_client import OAuthError

    settings = _settings(request)
    client = request.app.state.oidc
    if client is None:
        return Response(status_code=404)
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as exc:
        return HTMLResponse(f"<p>Sign-in failed: {_escape(exc.error)}. "
                            f"<a href='/auth/login'>Try again</a></p>", status_code=401)
    info = token.get("userinfo") or {}
    sub = info.get("sub")
    if not isinstance(sub, str) or not sub:
        return HTMLResponse("<p>Sign-in failed: no subject in the ID token.</p>", status_code=401)
    assert settings.oidc is not None
    claimed = info.get(settings.oidc.roles_claim) or []
    if isinstance(claimed, str):
        claimed = [claimed]
    roles = map_roles([str(r) for r in claimed], settings.role_map)
    target = _safe_next(request.session.get("next"))
    request.session.clear()  # a new session at sign-in: nothing chosen before it survives
    request.session["user"] = {"id": sub[:128], "name": str(info.get("name") or "")[:128],
                               "roles": sorted(roles)}
    request.scope.setdefault("state", {})["login_user"] = sub[:128]
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = (await request.body()).decode("utf-8", errors="replace")
    from urllib.parse import parse_qsl

    submitted = dict(parse_qsl(form)).get(CSRF_FIELD)
    try:
        check_csrf(request, submitted)
    except CsrfError as exc:
        return HTMLResponse(f"<p>{_escape(str(exc))}</p>", status_code=403)
    user = request.session.get("user") or {}
    request.session.clear()
    name = str(user.get("id", "")) if isinstance(user, dict) else ""
    request.scope.setdefault("state", {})["login_user"] = name or None
    return HTMLResponse(f"<p>Signed out {_escape(name)}. <a href='/auth/login'>Sign in</a></p>")


def _escape(text: str) -> str:
    import html

    return html.escape(text)
