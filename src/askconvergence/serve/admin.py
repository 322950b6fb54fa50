"""Admin HTTP endpoints: start a rebuild of the index and follow its progress.

Off unless ``ASKCONV_ADMIN_TOKEN`` is set (then every call needs ``Authorization: Bearer
<token>``). The server keeps answering during a rebuild and switches to the new index when it
is published.
"""

from __future__ import annotations

import hmac
from typing import Any

from askconvergence.index.reindex import Reindexer
from askconvergence.settings import Settings

__all__ = ["admin_router"]


def admin_router(settings: Settings, reindexer: Reindexer | None = None) -> Any:
    """A FastAPI router with ``POST /api/admin/reindex`` and ``GET /api/admin/reindex``."""
    from fastapi import APIRouter, Depends, Header, HTTPException
    from fastapi.responses import JSONResponse

    jobs = reindexer or Reindexer(settings)
    secret = settings.admin.token.get_secret_value() if settings.admin.token else ""

    def authorize(authorization: str | None = Header(None)) -> None:
        if not secret:
            raise HTTPException(404, "Not Found")  # no token configured: the endpoint is off
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), secret.encode()
        ):
            raise HTTPException(
                401,
                "Send the admin token as 'Authorization: Bearer <ASKCONV_ADMIN_TOKEN>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )

    router = APIRouter(prefix="/api/admin", dependencies=[Depends(authorize)])

    @router.post("/reindex", status_code=202)
    def start_reindex() -> Any:
        """Start a rebuild of the index in the background (409 while one is running)."""
        if not jobs.start():
            return JSONResponse(
                {"detail": "A rebuild is already running.", **jobs.status().to_json()}, 409
            )
        return jobs.status().to_json()

    @router.get("/reindex")
    def reindex_status() -> dict[str, Any]:
        """Progress of the last rebuild started here."""
        return jobs.status().to_json()

    return router
