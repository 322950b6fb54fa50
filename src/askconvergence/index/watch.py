"""Keep the index in line with the corpus while files change (``askconvergence index --watch``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from askconvergence.index.build import IndexStats, build_index
from askconvergence.index.store import IndexMismatchError
from askconvergence.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

__all__ = ["watch_corpus"]

log = logging.getLogger(__name__)


def watch_corpus(
    settings: Settings,
    embed_model: BaseEmbedding | None,
    on_update: Callable[[IndexStats], None],
    *,
    debounce_ms: int = 1500,
    stop: threading.Event | None = None,
) -> None:
    """Update the index now and after every burst of file changes, until ``stop`` is set.

    Changes closer together than ``debounce_ms`` are handled by one update, so saving many
    files at once (or an editor writing a file in steps) costs one rebuild.
    """
    from watchfiles import watch

    on_update(build_index(settings, embed_model))
    for changes in watch(
        settings.corpus_dir,
        debounce=debounce_ms,
        stop_event=stop,
        raise_interrupt=False,
        yield_on_timeout=False,
    ):
        log.info("%d file changes under %s", len(changes), settings.corpus_dir)
        try:
            on_update(build_index(settings, embed_model))
        except (FileNotFoundError, IndexMismatchError, ValueError, OSError) as exc:
            # A folder renamed away mid-update and similar: report it and keep watching.
            log.error("Index update failed: %s", exc)
