"""The embeddable widget: ``/embed.js`` for host pages and the compact chat page it frames."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse

from askconvergence.serve.api import context
from askconvergence.serve.security import frame_ancestors
from askconvergence.serve.state import ServeContext

__all__ = ["STATIC", "router"]

STATIC = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)

# The compact page loads nothing but its own script and style and talks only to this server.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'"
)


def _file(name: str, media_type: str, **headers: str) -> FileResponse:
    return FileResponse(
        STATIC / name,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=300", **headers},
    )


@router.get("/embed.js")
def embed_js() -> FileResponse:
    """The script a host page includes; it adds the launcher and the framed chat panel."""
    return _file("embed.js", "text/javascript; charset=utf-8")


@router.get("/widget")
def widget_page(ctx: ServeContext = Depends(context)) -> FileResponse:  # noqa: B008
    """The compact chat page shown in the widget's iframe (only framed by allowed sites)."""
    policy = f"{PAGE_POLICY}; {frame_ancestors(ctx.origins)}"
    return _file("widget.html", "text/html; charset=utf-8", **{"Content-Security-Policy": policy})


@router.get("/widget/widget.js")
def widget_js() -> FileResponse:
    """The compact chat page's script."""
    return _file("widget.js", "text/javascript; charset=utf-8")


@router.get("/widget/widget.css")
def widget_css() -> FileResponse:
    """The compact chat page's style."""
    return _file("widget.css", "text/css; charset=utf-8")


@router.get("/widget/config")
def widget_config(request: Request, ctx: ServeContext = Depends(context)) -> dict[str, object]:  # noqa: B008
    """Tells ``embed.js`` whether the page it runs on may show the chat (CORS decides too)."""
    if not ctx.origins.allows(request.headers.get("origin"), request.headers.get("host")):
        raise HTTPException(403, "This site is not allowed to embed the chat.")
    return {
        "allowed": True,
        "ready": ctx.slot.ready,
        "max_message_chars": ctx.settings.server.max_message_chars,
    }
