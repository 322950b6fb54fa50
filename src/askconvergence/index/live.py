"""A retriever that follows the published index: a finished rebuild is served without a restart."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from llama_index.core.retrievers import BaseRetriever

from askconvergence.index.store import PassageIndex, current_generation
from askconvergence.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore, QueryBundle

__all__ = ["LiveRetriever"]

log = logging.getLogger(__name__)


class LiveRetriever(BaseRetriever):
    """Retrieves from the generation that is published now, switching when ``CURRENT`` changes.

    Before every query it reads the small ``CURRENT`` file. When a newer generation is there,
    it opens it and builds a retriever for it with ``make`` (so lexical indexes such as BM25
    are rebuilt from the new nodes); queries already running finish on the old one. The swap
    is one assignment, so a query sees the old index or the new one, never a mix.
    """

    def __init__(
        self,
        settings: Settings,
        make: Callable[[PassageIndex], BaseRetriever],
        index: PassageIndex | None = None,
    ) -> None:
        super().__init__()
        self._settings = settings
        self._make = make
        self._lock = threading.Lock()
        index = index or PassageIndex(settings)
        self._active: tuple[PassageIndex, BaseRetriever] = (index, make(index))
        self._retired: list[PassageIndex] = []
        self._failed: str | None = None

    @property
    def index(self) -> PassageIndex:
        """The generation queries are answered from."""
        return self._active[0]

    @property
    def current(self) -> BaseRetriever:
        """The retriever of the generation queries are answered from."""
        return self._active[1]

    @property
    def generation(self) -> str:
        """Name of the generation queries are answered from."""
        return self._active[0].generation

    def truecased(self, query: str) -> str:
        """The query with its lower-case names capitalised, by the current generation's chunks
        (see :func:`~askconvergence.retrieve.truecased`)."""
        cased = getattr(self.current, "truecased", None)
        return str(cased(query)) if cased is not None else query

    def refresh(self) -> bool:
        """Switch to the published generation if it is newer; True when it switched."""
        published = current_generation(self._settings.index_dir)
        if published is None or published == self.generation or published == self._failed:
            return False
        with self._lock:
            if published == self.generation:
                return True  # another request switched while this one waited
            try:
                index = PassageIndex(self._settings, published)
                retriever = self._make(index)
            except Exception as exc:  # keep answering from the old generation
                log.error("Cannot switch to index generation %s: %s", published, exc)
                self._failed = published
                return False
            old = self._active[0]
            self._active = (index, retriever)
            # Queries may still run on the previous generation; close the one before it.
            self._retired.append(old)
            while len(self._retired) > 1:
                self._retired.pop(0).close()
            log.info("Now answering from index generation %s", published)
            return True

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        self.refresh()
        _, retriever = self._active
        try:
            return retriever.retrieve(query_bundle)
        except Exception:
            # The generation may have been collected under a slow query: retry on the new one.
            if not self.refresh():
                raise
            log.warning("Retried a query on the new index generation", exc_info=True)
            return self._active[1].retrieve(query_bundle)
