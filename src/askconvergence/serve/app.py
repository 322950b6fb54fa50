"""The one server: HTTP API, OpenAI-compatible API, the widget, and the Gradio chat at ``/``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from askconvergence.serve.security import SizeLimitMiddleware, frame_ancestors
from askconvergence.serve.state import EngineSlot, ServeContext
from askconvergence.settings import Settings

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI

    from askconvergence.answer.engine import Engine

__all__ = ["API_PATHS", "create_app", "load_engine"]

log = logging.getLogger(__name__)

# Paths a browser page on an allowed site may call (CORS) and whose bodies are size-limited.
API_PATHS = ("/api/", "/v1/", "/healthz", "/widget/config")

DESCRIPTION = """
Answers questions from the indexed documents, with the passages each answer cites.

* `POST /api/chat`: JSON, or Server-Sent Events with `"stream": true`
  (`citations` before any `token`, then `done`; `error` on failure).
* `POST /v1/chat/completions`: OpenAI-compatible; citations in the extra `citations` field.
* `GET /healthz`: 200 once the index and models are loaded, 503 before.
* `GET /embed.js`: the widget for other sites (`<script src=".../embed.js" async></script>`).

Browser pages may call the API only from origins in `ASKCONV_ALLOWED_ORIGINS`; every client
is rate-limited (429) and requests are size-limited (413/422).
"""


def load_engine(settings: Settings) -> Engine:
    """Build the index if there is none yet, then open it with the configured models."""
    from askconvergence.index import build_index, index_exists
    from askconvergence.models.factory import make_engine

    if not index_exists(settings.index_dir):
        log.warning("No index in %s yet: building it first", settings.index_dir)
        build_index(settings)
    engine: Engine = make_engine(settings)
    return engine


def create_app(
    settings: Settings,
    engine: Engine | None = None,
    *,
    load: Callable[[], Engine] | None = None,
    routers: tuple[APIRouter, ...] = (),
    chat_page: bool = True,
) -> FastAPI:
    """The FastAPI app; without ``engine`` it loads one in the background (``/healthz`` says when).

    ``routers`` are included before the Gradio chat, which is mounted at ``/`` last because a
    mount at ``/`` answers every path not matched before it.
    """
    from fastapi import FastAPI

    from askconvergence.serve import api, openai_compat, widget
    from askconvergence.serve.admin import admin_router

    slot = EngineSlot(engine)
    ctx = ServeContext(settings, slot)
    # Start loading the index and models now, so they load while the web app (Gradio is the
    # slowest import) is put together and the server starts.
    slot.load_in_background(load or (lambda: load_engine(settings)))

    app = FastAPI(
        title="askconvergence",
        version="0.1.0",
        description=DESCRIPTION,
    )
    app.state.askconv = ctx
    # New routers go in this tuple (or ``routers``): they must be included before the Gradio
    # chat is mounted at "/", which answers every path not matched before it.
    for router in (
        api.router,
        openai_compat.router,
        widget.router,
        admin_router(settings),
        *routers,
    ):
        app.include_router(router)

    app.add_middleware(
        _PathScopedCORS,  # type: ignore[arg-type]
        origins=["*"] if ctx.origins.any else list(ctx.origins.allowed),
        prefixes=API_PATHS,
    )
    app.add_middleware(
        SizeLimitMiddleware,  # type: ignore[arg-type]
        max_bytes=settings.server.max_request_bytes,
        paths=("/api/", "/v1/"),
    )
    app.add_middleware(
        _SecurityHeaders,
        frame_policy=frame_ancestors(ctx.origins),  # type: ignore[arg-type]
    )

    if not chat_page:
        return app
    import gradio as gr

    from askconvergence.serve.ui import build_chat

    mounted: FastAPI = gr.mount_gradio_app(app, build_chat(ctx), path="/")
    return mounted


class _PathScopedCORS:
    """CORS headers on the API paths only; the Gradio app keeps its own CORS rules."""

    def __init__(self, app: Any, origins: list[str], prefixes: tuple[str, ...]) -> None:
        from starlette.middleware.cors import CORSMiddleware

        self.app = app
        self.prefixes = prefixes
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "authorization"],
            max_age=600,
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """ASGI entry point."""
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class _SecurityHeaders:
    """Who may frame our pages (CSP frame-ancestors) and no MIME sniffing, on every response."""

    def __init__(self, app: Any, frame_policy: str) -> None:
        self.app = app
        self.frame_policy = frame_policy.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.frame_policy))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"strict-origin-when-cross-origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
