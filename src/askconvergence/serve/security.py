"""Public-site safety for the HTTP edges: origin allowlist, rate limits, size limits, headers."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from askconvergence.settings import ServerSettings

__all__ = [
    "OriginPolicy",
    "RateLimiter",
    "SizeLimitMiddleware",
    "client_key",
    "frame_ancestors",
]


def _normal(origin: str) -> str:
    parts = urlsplit(origin.strip().lower())
    if not parts.scheme or not parts.netloc:
        return origin.strip().lower().rstrip("/")
    default = {"http": ":80", "https": ":443"}.get(parts.scheme, "")
    netloc = parts.netloc.removesuffix(default) if default else parts.netloc
    return f"{parts.scheme}://{netloc}"


@dataclass(frozen=True)
class OriginPolicy:
    """Which web origins may embed the widget and call the API from a browser."""

    allowed: tuple[str, ...] = ()

    @classmethod
    def from_list(cls, origins: Sequence[str]) -> OriginPolicy:
        """A policy from ``ASKCONV_ALLOWED_ORIGINS`` entries such as ``https://www.example.org``."""
        return cls(tuple(dict.fromkeys(_normal(o) for o in origins if o.strip())))

    @property
    def any(self) -> bool:
        """True when every origin is allowed (``*``)."""
        return "*" in self.allowed

    def allows(self, origin: str | None, host: str | None = None) -> bool:
        """Is a request with this ``Origin`` header (sent to ``host``) allowed?

        No ``Origin`` means no browser page is asking (curl, a server, the OpenAI client);
        the server's own pages (the widget, the Gradio chat) are always allowed.
        """
        if origin is None:
            return True
        if self.any:
            return True
        normal = _normal(origin)
        if host and _bare(urlsplit(normal).netloc) == _bare(host.lower()):
            return True
        return normal in self.allowed


def _bare(netloc: str) -> str:
    return netloc.removesuffix(":80").removesuffix(":443")


def frame_ancestors(policy: OriginPolicy) -> str:
    """The CSP ``frame-ancestors`` directive for pages that may be framed by allowed sites."""
    if policy.any:
        return "frame-ancestors *"
    return " ".join(["frame-ancestors 'self'", *policy.allowed])


def client_key(scope_client: Any, forwarded_for: str | None, trust_proxy: bool) -> str:
    """The address a rate limit counts against.

    Behind a trusted proxy it is the last ``X-Forwarded-For`` entry, the one the proxy added;
    earlier entries come from the client and could be anything.
    """
    if trust_proxy and forwarded_for:
        return forwarded_for.split(",")[-1].strip()
    return str(scope_client.host) if scope_client else "unknown"


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class RateLimiter:
    """A token bucket per client: ``burst`` questions at once, refilled at ``per_minute``."""

    per_minute: float
    burst: int
    clock: Any = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_settings(cls, server: ServerSettings) -> RateLimiter:
        """The limiter configured by ``ASKCONV_SERVER_RATE_LIMIT_*``."""
        return cls(per_minute=server.rate_limit_per_minute, burst=max(1, server.rate_limit_burst))

    def take(self, key: str) -> float:
        """Spend one question for ``key``; 0 when allowed, else the seconds to wait."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        now = self.clock()
        with self._lock:
            if len(self._buckets) > 10_000:  # forget clients whose buckets are full again
                full = self.burst / rate
                self._buckets = {k: b for k, b in self._buckets.items() if now - b.stamp < full}
            bucket = self._buckets.setdefault(key, _Bucket(float(self.burst), now))
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / rate


class SizeLimitMiddleware:
    """Answers 413 to request bodies larger than the limit, declared or actually sent."""

    def __init__(self, app: Any, max_bytes: int, paths: tuple[str, ...]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or not scope["path"].startswith(self.paths):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        # Read the whole (small) body first, so a chunked upload cannot slip past the limit.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # a disconnect: let the app see it
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._too_large(send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Any) -> None:
        import json

        body = json.dumps(
            {
                "detail": f"The request is too large (limit {self.max_bytes} bytes). "
                "Send a shorter message or fewer earlier messages."
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def retry_after(seconds: float) -> str:
    """The ``Retry-After`` header value for a wait."""
    return str(max(1, math.ceil(seconds)))
