"""The index on disk: immutable generations, the ``CURRENT`` pointer, the writer lock, readers.

Layout of the index folder::

    CURRENT              name of the published generation (switched atomically with os.replace)
    gen-000007/          one generation: manifest.json and its own Chroma folder, never
                         changed after it is published
    embeddings/          cache of vectors keyed by the hash of the embedded text, one per model
    write.lock           held (flock) by the one process that is building

A build writes a new generation next to the published one and switches ``CURRENT`` only when
it is complete, so readers see either the old or the new index, never a half-built one, and a
build killed at any moment leaves the published generation untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from askconvergence.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.schema import BaseNode

__all__ = [
    "CURRENT",
    "MANIFEST",
    "IndexBusyError",
    "IndexMismatchError",
    "IndexMissingError",
    "PassageIndex",
    "collection_name",
    "current_generation",
    "fingerprint",
    "index_exists",
    "write_lock",
]

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LOCK = "write.lock"
CHROMA = "chroma"
NODE_PAGE = 2000  # chunks read per query when all of them are needed
GENERATION_RE = re.compile(r"^gen-(\d{6,})$")


class IndexMissingError(RuntimeError):
    """No index has been built yet."""


class IndexMismatchError(RuntimeError):
    """The index was built with another embedding model or chunking."""


class IndexBusyError(RuntimeError):
    """Another process is building the index right now."""


def fingerprint(settings: Settings) -> dict[str, Any]:
    """What makes vectors comparable: the embedding model and the chunking."""
    return {
        "embed_model": settings.embed.model,
        "chunk_size": settings.embed.chunk_size,
        "chunk_overlap": settings.embed.chunk_overlap,
    }


def collection_name(settings: Settings) -> str:
    """One collection per embedding model and chunking, so vectors of two models never mix."""
    key = json.dumps(fingerprint(settings), sort_keys=True)
    return "passages_" + hashlib.sha256(key.encode()).hexdigest()[:12]


def current_generation(index_dir: Path) -> str | None:
    """The name of the published generation, or ``None``; one small file read, cheap per request."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name if GENERATION_RE.match(name) else None


def index_exists(index_dir: Path) -> bool:
    """True when a generation has been published."""
    return current_generation(index_dir) is not None


def generation_name(number: int) -> str:
    """The folder name of generation ``number``."""
    return f"gen-{number:06d}"


def generation_numbers(index_dir: Path) -> dict[int, Path]:
    """Every generation folder on disk, published or not, by number."""
    found: dict[int, Path] = {}
    if index_dir.is_dir():
        for child in index_dir.iterdir():
            match = GENERATION_RE.match(child.name)
            if match and child.is_dir():
                found[int(match.group(1))] = child
    return found


def read_manifest(gen_dir: Path) -> dict[str, Any]:
    """The manifest of one generation."""
    data: dict[str, Any] = json.loads((gen_dir / MANIFEST).read_text(encoding="utf-8"))
    return data


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never a part."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(index_dir: Path, generation: str) -> None:
    """Make ``generation`` the one readers open (an atomic rename of the pointer file)."""
    write_atomically(index_dir / CURRENT, generation + "\n")


def fsync_tree(path: Path) -> None:
    """Flush every file under ``path`` to disk, so a published generation survives a power cut."""
    for root, _, names in os.walk(path):
        for name in names:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(root))


@contextlib.contextmanager
def write_lock(
    index_dir: Path, *, wait: bool = True, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the one-writer lock of ``index_dir``; wait for it or raise :class:`IndexBusyError`."""
    index_dir.mkdir(parents=True, exist_ok=True)
    # The lock file is never deleted: deleting it would let two writers lock two different files.
    with open(index_dir / LOCK, "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            message = f"Another rebuild of {index_dir} is running ({holder})"
            if not wait:
                raise IndexBusyError(
                    f"{message}. Wait for it to finish, then run askconvergence index again."
                ) from None
            if on_wait is not None:
                on_wait(f"{message}; waiting for it to finish.")
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}\n")
            fh.flush()
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fh.flush()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def open_chroma(path: Path) -> Any:
    """A Chroma client on one generation's folder (telemetry off)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
    )


def close_chroma(client: Any) -> None:
    """Release a Chroma client's files; never raises (the folder may already be gone)."""
    try:
        client.close()
    except Exception:  # closing a client whose generation was collected is harmless
        log.debug("Closing a Chroma client failed", exc_info=True)


def copy_chroma(src: Path, dst: Path) -> None:
    """Copy a published generation's Chroma folder as a starting point for the next one.

    Readers of the published generation write a little bookkeeping into its SQLite file, so
    that file is copied with SQLite's online backup (a consistent snapshot); the vector files
    are only read by readers and are copied as they are.
    """
    dst.mkdir(parents=True)
    for root, dirs, names in os.walk(src):
        rel = Path(root).relative_to(src)
        for d in dirs:
            (dst / rel / d).mkdir()
        for name in names:
            source = Path(root) / name
            if name.endswith(("-wal", "-shm", "-journal")):
                continue  # part of the SQLite file; the backup below includes what matters
            if name.endswith(".sqlite3"):
                with (
                    contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db,
                    contextlib.closing(sqlite3.connect(dst / rel / name)) as copy,
                ):
                    db.backup(copy)
            else:
                shutil.copyfile(source, dst / rel / name)


def remove_generations(index_dir: Path, keep: set[str]) -> None:
    """Delete generation folders not in ``keep`` (old ones, and leftovers of killed builds)."""
    for _, path in sorted(generation_numbers(index_dir).items()):
        if path.name not in keep:
            log.info("Removing generation %s", path.name)
            shutil.rmtree(path, ignore_errors=True)


def _mismatch(index_dir: Path, built: dict[str, Any], settings: Settings) -> IndexMismatchError:
    return IndexMismatchError(
        f"The index in {index_dir} was built with embedding model {built.get('embed_model')!r} "
        f"(chunks {built.get('chunk_size')}/{built.get('chunk_overlap')}), but the settings ask "
        f"for {settings.embed.model!r} (chunks {settings.embed.chunk_size}/"
        f"{settings.embed.chunk_overlap}). Rebuild it with these settings: askconvergence index"
    )


class PassageIndex:
    """One published generation of the index, opened for reading: its collection and nodes."""

    def __init__(self, settings: Settings, generation: str | None = None) -> None:
        index_dir = settings.index_dir
        generation = generation or current_generation(index_dir)
        if generation is None:
            raise IndexMissingError(
                f"No index in {index_dir}. Build it first: askconvergence index"
            )
        gen_dir = index_dir / generation
        try:
            manifest = read_manifest(gen_dir)
        except FileNotFoundError as exc:
            raise IndexMissingError(
                f"Generation {generation} of the index in {index_dir} is gone (a newer one was "
                "published meanwhile); open the index again."
            ) from exc
        if manifest["fingerprint"] != fingerprint(settings):
            raise _mismatch(index_dir, manifest["fingerprint"], settings)
        self.settings = settings
        self.generation: str = generation
        self.manifest = manifest
        self.client = open_chroma(gen_dir / CHROMA)
        self.collection = self.client.get_collection(manifest["collection"])

    def vector_store(self) -> Any:
        """The collection as a LlamaIndex vector store."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.collection)

    def nodes(self) -> list[BaseNode]:
        """Every chunk in the index as a LlamaIndex node (for lexical retrieval)."""
        from llama_index.core.vector_stores.utils import metadata_dict_to_node

        nodes = []
        # In pages: one get() of a large collection exceeds SQLite's limit on query variables
        # ("too many SQL variables", seen at 10,000 chunks).
        for offset in range(0, self.count(), NODE_PAGE):
            got = self.collection.get(
                include=["documents", "metadatas"], limit=NODE_PAGE, offset=offset
            )
            for node_id, text, meta in zip(
                got["ids"], got["documents"], got["metadatas"], strict=True
            ):
                node = metadata_dict_to_node(meta, text=text)
                node.id_ = node_id
                nodes.append(node)
        return nodes

    def count(self) -> int:
        """Number of chunks."""
        return int(self.collection.count())

    def is_current(self) -> bool:
        """False once a newer generation has been published."""
        return current_generation(self.settings.index_dir) == self.generation

    def close(self) -> None:
        """Release the Chroma files of this generation."""
        close_chroma(self.client)
