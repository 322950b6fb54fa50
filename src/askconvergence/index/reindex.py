"""Rebuilds started from a running server: one background thread, its progress readable any time."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from askconvergence.index.build import build_index
from askconvergence.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

__all__ = ["ReindexStatus", "Reindexer"]

log = logging.getLogger(__name__)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ReindexStatus:
    """Where the last rebuild started here is: ``idle``, ``running``, ``done`` or ``failed``."""

    state: str = "idle"
    stage: str = ""
    done: int = 0
    total: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The status as JSON for the admin API."""
        return asdict(self)


class Reindexer:
    """Runs :func:`build_index` in a background thread, one at a time per process.

    Other processes (``askconvergence index``) are kept out by the index's writer lock: a
    rebuild started here while one runs elsewhere waits for it (stage ``waiting``).
    """

    def __init__(self, settings: Settings, embed_model: BaseEmbedding | None = None) -> None:
        self.settings = settings
        self._embed_model = embed_model
        self._lock = threading.Lock()
        self._status = ReindexStatus()
        self._thread: threading.Thread | None = None

    def status(self) -> ReindexStatus:
        """The current status (a snapshot)."""
        return self._status

    def start(self) -> bool:
        """Start a rebuild; False when one started here is still running."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            self._status = ReindexStatus(state="running", stage="starting", started_at=_now())
            self._thread = threading.Thread(target=self._run, name="reindex", daemon=True)
            self._thread.start()
            return True

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running rebuild to end."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _progress(self, stage: str, done: int, total: int) -> None:
        self._status = replace(self._status, stage=stage, done=done, total=total)

    def _run(self) -> None:
        try:
            if self._embed_model is None:
                from askconvergence.models.factory import make_embed_model

                self._progress("loading model", 0, 0)
                self._embed_model = make_embed_model(self.settings)
            stats = build_index(self.settings, self._embed_model, progress=self._progress)
        except Exception as exc:  # reported through the status, never a dead thread in silence
            log.exception("Rebuild failed")
            self._status = replace(self._status, state="failed", error=str(exc), finished_at=_now())
            return
        result = asdict(stats)
        result["summary"] = stats.summary()
        self._status = replace(self._status, state="done", result=result, finished_at=_now())
