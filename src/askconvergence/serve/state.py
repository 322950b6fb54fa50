"""The engine the server answers with, loaded in the background so the server starts at once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from askconvergence.answer.engine import Engine
    from askconvergence.settings import Settings

__all__ = ["EngineNotReady", "EngineSlot", "ServeContext"]

log = logging.getLogger(__name__)


class EngineNotReady(RuntimeError):
    """The engine is still loading, or failed to load (the message says which)."""


class EngineSlot:
    """Holds the engine once it is loaded; every edge asks it with :meth:`get`."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine
        self._error: str | None = None
        self._thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        """True once the index and models are loaded."""
        return self._engine is not None

    @property
    def status(self) -> str:
        """``ready``, ``loading`` or ``failed``."""
        if self._engine is not None:
            return "ready"
        return "failed" if self._error else "loading"

    @property
    def error(self) -> str | None:
        """Why loading failed, in words a user can act on."""
        return self._error

    def get(self) -> Engine:
        """The engine, or :class:`EngineNotReady` with a message for the client."""
        if self._engine is not None:
            return self._engine
        if self._error:
            raise EngineNotReady(f"The chat is unavailable: {self._error}")
        raise EngineNotReady("The chat is starting up; try again in a minute.")

    def set(self, engine: Engine) -> None:
        """Swap in a (re)loaded engine; requests already running keep the old one."""
        self._engine = engine
        self._error = None

    def load_in_background(self, load: Callable[[], Engine]) -> None:
        """Start loading with ``load`` in a daemon thread, unless an engine is already there."""
        if self._engine is not None or self._thread is not None:
            return

        def run() -> None:
            try:
                engine = load()
                self.set(engine)
                log.info("The chat is ready")
            except Exception as exc:  # the message is shown by /healthz and the API
                log.error("Loading the chat failed: %s", exc, exc_info=log.isEnabledFor(10))
                self._error = str(exc) or type(exc).__name__
                return
            try:
                engine.warm()  # after "ready": a question asked meanwhile just waits its turn
            except Exception:
                log.warning("Warming the model's prompt cache failed", exc_info=True)
            try:
                engine.prepare_excerpts()  # pauses whenever a question is being answered
            except Exception:
                log.warning("Embedding passage sentences ahead failed", exc_info=True)

        self._thread = threading.Thread(target=run, name="askconv-engine-load", daemon=True)
        self._thread.start()


class ServeContext:
    """What the HTTP routers share: settings, the engine slot and the safety policies."""

    def __init__(self, settings: Settings, slot: EngineSlot) -> None:
        from askconvergence.serve.security import OriginPolicy, RateLimiter

        self.settings = settings
        self.slot = slot
        self.origins = OriginPolicy.from_list(settings.allowed_origins)
        self.limiter = RateLimiter.from_settings(settings.server)
