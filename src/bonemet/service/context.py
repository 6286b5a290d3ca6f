"""What every route needs, built once per application: settings, store, keys, knowledge base, texts."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from bonemet.access.auth import Authenticator, Client
from bonemet.access.config import Settings
from bonemet.base.text import Lang
from bonemet.kb import KnowledgeBase
from bonemet.service.texts import Texts, negotiate
from bonemet.stores.store import Store


@dataclass(frozen=True)
class ServiceContext:
    settings: Settings
    store: Store
    auth: Authenticator
    kb: KnowledgeBase
    texts: Texts

    def base_url(self, request: Request) -> str:
        """The URL clients use to reach us: configured (behind a proxy) or as seen on the wire."""
        if self.settings.public_base_url:
            return self.settings.public_base_url
        return str(request.base_url).rstrip("/")

    def lang(self, request: Request) -> Lang:
        return negotiate(request.headers.get("accept-language"), self.settings.default_lang)

    async def authenticate(self, request: Request, *also: str) -> Client | None:
        """Verify the caller's JWT (None in development mode); `aud` must be the URL called.

        `also` lists other URLs accepted as audience for this route (e.g. the service URL for its
        feedback endpoint, which some clients use).
        """
        state = request.scope.get("state", {})
        if isinstance(state.get("jwt_client"), Client):  # already verified by the access gate
            client: Client = state["jwt_client"]
            return client
        if self.settings.dev_mode:
            return None
        user = state.get("user")
        if user is not None and request.url.path.startswith("/api/"):
            return None  # a signed-in user (session or trusted proxy) of the JSON API
        base = self.base_url(request)
        audiences = (base + request.url.path, *(base + path for path in also))
        verified = await self.auth.verify(request.headers.get("authorization"), audiences)
        request.state.audit_client = verified.iss
        return verified


async def service_context(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.bonemet
    return ctx
