"""The passage index: incremental, crash-safe builds into generations, and their readers."""

from typing import Any

from askconvergence.index.build import (
    EMBED_WINDOW,
    IndexStats,
    Progress,
    build_index,
    make_splitter,
)
from askconvergence.index.store import (
    MANIFEST,
    IndexBusyError,
    IndexMismatchError,
    IndexMissingError,
    PassageIndex,
    collection_name,
    current_generation,
    index_exists,
)

__all__ = [
    "EMBED_WINDOW",
    "MANIFEST",
    "IndexBusyError",
    "IndexMismatchError",
    "IndexMissingError",
    "IndexStats",
    "LiveRetriever",
    "PassageIndex",
    "Progress",
    "build_index",
    "collection_name",
    "current_generation",
    "index_exists",
    "make_splitter",
]


def __getattr__(name: str) -> Any:
    # LiveRetriever subclasses a LlamaIndex class: import it (and LlamaIndex) only when asked.
    if name == "LiveRetriever":
        from askconvergence.index.live import LiveRetriever

        return LiveRetriever
    raise AttributeError(name)
