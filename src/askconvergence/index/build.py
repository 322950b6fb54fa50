"""Bring the index in line with the corpus: incremental, crash-safe, one writer at a time.

An update compares the content hash of every corpus file with the published generation's
manifest. Nothing changed: nothing is written. Otherwise only new and changed files are read
and chunked, only texts the embedding cache has never seen are embedded, and the changes are
applied to a copy of the published generation, which is then published atomically.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import queue
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from askconvergence.index.cache import EmbeddingCache, text_key
from askconvergence.index.store import (
    CHROMA,
    CURRENT,
    MANIFEST,
    close_chroma,
    collection_name,
    copy_chroma,
    current_generation,
    fingerprint,
    fsync_tree,
    generation_name,
    generation_numbers,
    open_chroma,
    publish,
    read_manifest,
    remove_generations,
    write_lock,
)
from askconvergence.ingest import (
    PARSER_VERSION,
    CorpusFile,
    SourceDocument,
    UnreadableDocumentError,
    read_document,
    scan_corpus,
)
from askconvergence.ingest.clean import cut_off_list_number
from askconvergence.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

__all__ = ["EMBED_WINDOW", "Chunk", "IndexStats", "Progress", "build_index", "make_splitter"]

log = logging.getLogger(__name__)

MANIFEST_FORMAT = 1
# Word pieces the embedder adds around every input ([CLS] ... [SEP]).
SPECIAL_TOKENS = 2
EMBED_WINDOW = 256
# Texts embedded between two commits to the cache: the work a kill -9 can lose.
EMBED_STEP = 128
# Chunks gathered before embedding, sorted by length so batches need little padding.
EMBED_BLOCK = 4 * EMBED_STEP
# Files read ahead of the embedding, and blocks embedded ahead of the writing.
READ_AHEAD = 64
WRITE_AHEAD = 4
WRITE_BATCH = 2000
# Cached vectors of texts no longer indexed are forgotten once they outnumber the live ones.
PRUNE_SLACK = 1000

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; stages: waiting, scanning, indexing (files read,
embedded and written), writing, publishing, done."""


@dataclass(frozen=True)
class IndexStats:
    """What an index build did."""

    documents: int
    chunks: int
    embedded: int
    deleted: int
    added: int = 0
    generation: str | None = None
    changed: bool = True
    unreadable: tuple[str, ...] = ()
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for people."""
        if not self.changed:
            text = f"Index is up to date: {self.documents} documents, {self.chunks} chunks"
        else:
            text = (
                f"Indexed {self.documents} documents into {self.chunks} chunks ({self.added} "
                f"added, {self.deleted} removed, {self.embedded} embedded)"
            )
        if self.unreadable:
            text += f"; could not read {len(self.unreadable)}: " + ", ".join(self.unreadable)
        return text


@dataclass(frozen=True)
class Chunk:
    """One passage ready to store: id, text, what the model embeds and the Chroma metadata."""

    id: str
    doc_id: str
    text: str
    embed_text: str
    metadata: dict[str, Any] = field(hash=False, compare=False)

    @property
    def key(self) -> str:
        """The embedding cache key."""
        return text_key(self.embed_text)


def _chunk_id(i: int, doc: Any) -> str:
    import hashlib

    # Deterministic ids: the same text of the same document always gives the same chunk id.
    return hashlib.sha256(f"{doc.node_id}\x00{doc.hash}\x00{i}".encode()).hexdigest()[:32]


# Loaded once per process and model: a watcher or server updating often should not reload it.
_TOKENIZERS: dict[str, Any] = {}


def make_splitter(settings: Settings) -> Any:
    """A sentence-aware splitter that counts in the embedder's word pieces."""
    from llama_index.core.node_parser import SentenceSplitter

    from askconvergence.models.factory import embedder_tokenizer

    size = settings.embed.chunk_size
    if size + SPECIAL_TOKENS > EMBED_WINDOW:
        raise ValueError(
            f"chunk_size {size} does not fit the embedder's {EMBED_WINDOW}-token window"
        )
    tokenizer = _TOKENIZERS.get(settings.embed.model)
    if tokenizer is None:
        tokenizer = _TOKENIZERS[settings.embed.model] = embedder_tokenizer(settings)
    return SentenceSplitter(
        chunk_size=size,
        chunk_overlap=settings.embed.chunk_overlap,
        tokenizer=tokenizer.tokenize,
        id_func=_chunk_id,
        include_prev_next_rel=False,
    )


_SENTENCE_END = tuple('.!?:;,"”’)')


def headings(text: str) -> list[tuple[int, str]]:
    """Where a document's headings start, and their text.

    A heading is a paragraph of one line that starts with ``#``, or that is short (at most ten
    words), starts with a capital and does not end like a sentence.
    """
    found = []
    for para in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text):
        block = para.group(0).strip()
        if "\n" in block:
            continue
        line = block.lstrip("#").strip()
        short = len(line.split()) <= 10 and not line.endswith(_SENTENCE_END)
        if line and (block.startswith("#") or (short and line[0].isupper())):
            found.append((para.start(), line))
    return found


# A heading further back than this is not carried into a chunk: web pages have stray short
# lines (a logo's name, a caption) that read like headings but head nothing.
SECTION_REACH = 1200


def _section(found: list[tuple[int, str]], start: int | None, chunk: str, title: str) -> str:
    """The heading a chunk starting at ``start`` falls under, when the chunk does not show it."""
    if start is None:
        return ""
    before = [(offset, heading) for offset, heading in found if offset < start]
    if not before:
        return ""
    offset, heading = before[-1]
    if start - offset > SECTION_REACH or heading in chunk or heading.casefold() == title.casefold():
        return ""
    return heading


def _dangling_number(text: str, start: int | None) -> str:
    """The list number cut off just before ``start`` in ``text``, or ""."""
    return cut_off_list_number(text[max(0, start - 16) : start]) if start else ""


def chunk_documents(docs: Iterable[SourceDocument], splitter: Any) -> list[Chunk]:
    """Split documents into chunks with stable ids and the metadata Chroma stores.

    A chunk that starts inside a section carries that section's heading in its metadata
    (``section``), which the embedder and the keyword index read with the title, so a
    passage cut off from its heading ("The campus is at the heart of this ecosystem.") is
    still found by what the section is about.

    A chunk that starts with a list item whose number ended the chunk before it gets the
    number again ("3. Responsible innovation"), so the item can be found, and read, as the
    third; the chunk before keeps it too, which changes nothing there.
    """
    from llama_index.core.schema import MetadataMode
    from llama_index.core.vector_stores.utils import node_to_metadata_dict

    docs = list(docs)
    by_id = {d.doc_id: d for d in docs}
    found = {d.doc_id: headings(d.text) for d in docs}
    chunks = []
    for node in splitter.get_nodes_from_documents([d.to_llama() for d in docs]):
        doc_id, title = str(node.ref_doc_id), str(node.metadata.get("title", ""))
        doc = by_id.get(doc_id)
        number = _dangling_number(doc.text if doc else "", node.start_char_idx)
        if number:
            node.set_content(f"{number} {node.get_content()}")
        section = _section(found.get(doc_id, []), node.start_char_idx, node.text, title)
        if section:
            node.metadata["section"] = section
        meta = node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
        meta = {k: ("" if v is None else v) for k, v in meta.items()}
        chunks.append(
            Chunk(
                id=node.node_id,
                doc_id=str(node.ref_doc_id),
                text=node.get_content(metadata_mode=MetadataMode.NONE),
                embed_text=node.get_content(metadata_mode=MetadataMode.EMBED),
                metadata=meta,
            )
        )
    return chunks


def _base_manifest(settings: Settings, rebuild: bool) -> tuple[str | None, dict[str, Any] | None]:
    """The published generation to start from, or ``None`` when building from scratch."""
    current = current_generation(settings.index_dir)
    if current is None or rebuild:
        return current, None
    try:
        manifest = read_manifest(settings.index_dir / current)
    except (FileNotFoundError, json.JSONDecodeError):
        log.warning("The published generation %s is unreadable; building from scratch", current)
        return current, None
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("fingerprint") != fingerprint(
        settings
    ):
        log.warning(
            "The index was built with %s; building a new collection for %s",
            manifest.get("fingerprint"),
            fingerprint(settings),
        )
        return current, None
    return current, manifest


def build_index(
    settings: Settings,
    embed_model: BaseEmbedding | None = None,
    *,
    rebuild: bool = False,
    show_progress: bool = False,
    progress: Progress | None = None,
    wait: bool = True,
) -> IndexStats:
    """Bring the index in line with the corpus, embedding only text it has never embedded.

    ``rebuild`` re-reads every file and starts from an empty collection (vectors still come
    from the embedding cache). ``wait`` decides what happens when another build holds the
    lock: wait for it, or raise :class:`IndexBusyError`.
    """
    report = _Reporter(progress, show_progress)
    start = time.perf_counter()
    index_dir = settings.index_dir
    with write_lock(index_dir, wait=wait, on_wait=report.waiting):
        stats = _build_locked(settings, embed_model, rebuild, report)
    stats = replace(stats, seconds=time.perf_counter() - start)
    report("done", 1, 1)
    log.info("%s", stats.summary())
    return stats


def _build_locked(
    settings: Settings, embed_model: BaseEmbedding | None, rebuild: bool, report: _Reporter
) -> IndexStats:
    index_dir = settings.index_dir
    current, base = _base_manifest(settings, rebuild)
    # Leftovers of killed builds (numbered after the published one) were never published.
    _remove_unpublished(index_dir, current)

    report("scanning", 0, 1)
    files = scan_corpus(settings.corpus_dir)
    previous: dict[str, Any] = base["files"] if base else {}
    reread_all = base is None or base.get("parser_version") != PARSER_VERSION
    changed = [
        f for f in files if reread_all or previous.get(f.doc_id, {}).get("digest") != f.digest
    ]
    present = {f.doc_id for f in files}
    gone = set(previous) - present
    if base is not None and not changed and not gone:
        return _unchanged(base)

    changed_ids = {f.doc_id for f in changed}
    records = {d: r for d, r in previous.items() if d in present and d not in changed_ids}
    old_ids = {cid for r in previous.values() for cid, _ in r["chunks"]}
    # A chunk is new when its id or the text its vector is made from changed (a new parser
    # can change a chunk's metadata without changing the document's text).
    old_chunks = {(cid, key) for r in previous.values() for cid, key in r["chunks"]}
    cache = EmbeddingCache(index_dir / "embeddings", settings.embed.model)
    embedder = _Embedder(settings, embed_model, cache)
    generation = _NextGeneration(settings, current, base)
    # Reading, embedding and writing overlap: one thread reads and chunks the next files while
    # this one embeds, another writes what is embedded into the next generation.
    reader = _Reader(settings, changed)
    try:
        added = _embed_and_add(reader, old_chunks, records, embedder, generation, report)
        records = dict(sorted(records.items()))
        live_ids = {cid for r in records.values() for cid, _ in r["chunks"]}
        to_delete = sorted(old_ids - live_ids)
        if base is not None and not to_delete and not added and records == previous:
            generation.abandon()
            return _unchanged(base, reader.unreadable)
        report("writing", 0, 1)
        name = generation.finish(records, to_delete, len(live_ids), report)
        live_keys = {key for r in records.values() for _, key in r["chunks"]}
        if cache.count() > 2 * len(live_keys) + PRUNE_SLACK:
            log.info("Forgot %d cached vectors of texts no longer indexed", cache.prune(live_keys))
    except BaseException:
        generation.abandon()
        raise
    finally:
        reader.close()
        cache.close()
    return IndexStats(
        documents=len(records),
        chunks=len(live_ids),
        embedded=embedder.embedded,
        deleted=len(to_delete),
        added=added,
        generation=name,
        changed=True,
        unreadable=tuple(reader.unreadable),
    )


def _embed_and_add(
    reader: _Reader,
    old_chunks: set[tuple[str, str]],
    records: dict[str, Any],
    embedder: _Embedder,
    generation: _NextGeneration,
    report: _Reporter,
) -> int:
    """Record every file read, embed its new chunks and hand them to the next generation.

    Returns the number of chunks added; ``records`` gains one entry per readable file.
    """
    pending: list[Chunk] = []
    added = 0
    report("indexing", 0, reader.total)
    for done, (file, chunks) in enumerate(reader, start=1):
        if chunks is not None:
            records[file.doc_id] = {
                "digest": file.digest,
                "chunks": [[c.id, c.key] for c in chunks],
            }
            pending.extend(c for c in chunks if (c.id, c.key) not in old_chunks)
        if len(pending) >= EMBED_BLOCK:
            generation.add(pending, embedder.vectors(pending))
            added, pending = added + len(pending), []
        report("indexing", done, reader.total)
    if pending:
        generation.add(pending, embedder.vectors(pending))
        added += len(pending)
    return added


class _Reader:
    """Reads and chunks files in a thread of its own, a bounded number of files ahead.

    Iterating yields ``(file, chunks)`` in the order given; ``chunks`` is None for a file
    that could not be read (its name is added to ``unreadable``) and empty for one with no
    text. An error in the thread is raised to the iterating one.
    """

    _END = object()

    def __init__(self, settings: Settings, files: list[CorpusFile]) -> None:
        self.total = len(files)
        self.unreadable: list[str] = []
        self._settings = settings
        self._files = files
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=READ_AHEAD)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="index-reader", daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[tuple[CorpusFile, list[Chunk] | None]]:
        while (item := self._queue.get()) is not self._END:
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        """Stop reading (if still going) and wait for the thread."""
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def _run(self) -> None:
        try:
            splitter = make_splitter(self._settings) if self._files else None
            for file in self._files:
                if not self._put((file, self._read(file, splitter))):
                    return
        except BaseException as exc:  # handed to the iterating thread, which raises it
            self._put(exc)
            return
        self._put(self._END)

    def _read(self, file: CorpusFile, splitter: Any) -> list[Chunk] | None:
        try:
            doc = read_document(file)
        except UnreadableDocumentError as exc:
            log.warning("%s; skipping it, the other documents are indexed", exc)
            self.unreadable.append(file.doc_id)
            return None
        if not doc.text.strip():
            log.warning("Skipping %s: no text after cleaning", file.path)
            return []
        return chunk_documents([doc], splitter)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                pass
        return False


class _Embedder:
    """Vectors for chunks: from the cache, or embedded and committed to it step by step."""

    def __init__(
        self, settings: Settings, embed_model: BaseEmbedding | None, cache: EmbeddingCache
    ) -> None:
        self.embedded = 0
        self._settings = settings
        self._model = embed_model
        self._cache = cache
        self._encode: Callable[[list[str]], np.ndarray] | None = None

    def vectors(self, chunks: list[Chunk]) -> dict[str, np.ndarray]:
        """The vector of every chunk's text, by cache key."""
        texts = {c.key: c.embed_text for c in chunks}
        missing = self._cache.missing(texts)
        found = self._cache.get([k for k in texts if k not in missing])
        # Longest first, like sentence-transformers does, so batches need little padding.
        order = sorted(missing, key=lambda k: len(texts[k]), reverse=True)
        for i in range(0, len(order), EMBED_STEP):
            keys = order[i : i + EMBED_STEP]
            vectors = self._encoder()([texts[k] for k in keys])
            self._cache.put(zip(keys, vectors, strict=True))
            found.update(zip(keys, vectors, strict=True))
            self.embedded += len(keys)
        return found

    def _encoder(self) -> Callable[[list[str]], np.ndarray]:
        if self._encode is None:
            from askconvergence.models.factory import make_embed_model, passage_encoder

            model = self._model if self._model is not None else make_embed_model(self._settings)
            self._encode = passage_encoder(model)
        return self._encode


class _NextGeneration:
    """The next generation: a copy of the published one, changed by a thread of its own.

    Nothing is created until the first chunks arrive or :meth:`finish` is called; only
    :meth:`finish` publishes. A build that fails or is killed leaves an unpublished folder,
    which the next build removes.
    """

    def __init__(self, settings: Settings, current: str | None, base: dict[str, Any] | None):
        self._settings = settings
        self._current = current
        self._base = base
        numbers = generation_numbers(settings.index_dir)
        self.name = generation_name(max(numbers, default=0) + 1)
        self._dir = settings.index_dir / self.name
        self._queue: queue.Queue[tuple[Any, ...]] = queue.Queue(maxsize=WRITE_AHEAD)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._published = False

    def add(self, chunks: list[Chunk], vectors: dict[str, np.ndarray]) -> None:
        """Queue chunks (with their vectors) for the new collection."""
        self._put(("add", list(chunks), np.stack([vectors[c.key] for c in chunks])))

    def finish(
        self, records: dict[str, Any], to_delete: list[str], expected: int, report: _Reporter
    ) -> str:
        """Apply the deletions, check the count, write the manifest and publish."""
        self._put(("finish", to_delete, expected))
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise self._error
        manifest = {
            "format": MANIFEST_FORMAT,
            "generation": self.name,
            "fingerprint": fingerprint(self._settings),
            "collection": collection_name(self._settings),
            "parser_version": PARSER_VERSION,
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "documents": len(records),
            "chunks": expected,
            "files": records,
        }
        text = json.dumps(manifest, separators=(",", ":"))
        (self._dir / MANIFEST).write_text(text, encoding="utf-8")
        report("publishing", 0, 1)
        fsync_tree(self._dir)
        index_dir = self._settings.index_dir
        publish(index_dir, self.name)
        self._published = True  # from here on, nothing may remove it
        # Keep the previous generation: a server may be answering from it at this very moment.
        current = self._current
        remove_generations(index_dir, keep={self.name, current} if current else {self.name})
        _remove_legacy_layout(index_dir)
        return self.name

    def abandon(self) -> None:
        """Stop writing and remove the folder, unless it was published."""
        if self._thread is None or self._published:
            return
        if self._thread.is_alive():
            self._queue.put(("stop",))
            self._thread.join()
        self._thread = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def _put(self, item: tuple[Any, ...]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="index-writer", daemon=True)
            self._thread.start()
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def _run(self) -> None:
        client = None
        last = "add"
        try:
            if self._base is not None and self._current is not None:
                source = self._settings.index_dir / self._current / CHROMA
                copy_chroma(source, self._dir / CHROMA)
            else:
                self._dir.mkdir(parents=True)
            client = open_chroma(self._dir / CHROMA)
            collection = client.get_or_create_collection(
                collection_name(self._settings),
                metadata={"hnsw:space": "cosine", **fingerprint(self._settings)},
            )
            while True:
                item = self._queue.get()
                last = item[0]
                if last == "add":
                    chunks, vectors = item[1], item[2]
                    collection.upsert(
                        ids=[c.id for c in chunks],
                        embeddings=vectors,
                        documents=[c.text for c in chunks],
                        metadatas=[c.metadata for c in chunks],
                    )
                elif last == "finish":
                    to_delete, expected = item[1], item[2]
                    for i in range(0, len(to_delete), WRITE_BATCH):
                        collection.delete(ids=to_delete[i : i + WRITE_BATCH])
                    count = collection.count()
                    if count != expected:
                        raise RuntimeError(
                            f"The new index has {count} chunks where {expected} were expected; "
                            "run askconvergence index --rebuild"
                        )
                    return
                else:
                    return
        except BaseException as exc:  # raised again in the building thread
            self._error = exc
            # Keep taking items until the last one, so the building thread never blocks on a
            # full queue.
            while last == "add":
                last = self._queue.get()[0]
        finally:
            if client is not None:
                close_chroma(client)


def _remove_unpublished(index_dir: Path, current: str | None) -> None:
    published = int(current.split("-")[1]) if current else 0
    keep = {path.name for n, path in generation_numbers(index_dir).items() if n <= published}
    remove_generations(index_dir, keep)


def _unchanged(base: dict[str, Any], unreadable: Iterable[str] = ()) -> IndexStats:
    return IndexStats(
        documents=int(base["documents"]),
        chunks=int(base["chunks"]),
        embedded=0,
        deleted=0,
        generation=str(base["generation"]),
        changed=False,
        unreadable=tuple(unreadable),
    )


def _remove_legacy_layout(index_dir: Path) -> None:
    # Indexes built before generations existed kept one Chroma folder at the top.
    if (index_dir / CURRENT).exists() and (index_dir / MANIFEST).exists():
        shutil.rmtree(index_dir / CHROMA, ignore_errors=True)
        (index_dir / MANIFEST).unlink(missing_ok=True)
        (index_dir / "docstore.json").unlink(missing_ok=True)


class _Reporter:
    """Sends progress to a callback and, on request, to a progress bar on the terminal."""

    def __init__(self, progress: Progress | None, show: bool) -> None:
        self.progress = progress
        self.show = show
        self.bar: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)
        if not self.show:
            return
        if stage == "indexing":
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc="Indexing", unit="file")
            self.bar.update(done - self.bar.n)
        elif self.bar is not None:
            self.bar.close()
            self.bar = None

    def waiting(self, message: str) -> None:
        log.warning("%s", message)
        if self.progress is not None:
            self.progress("waiting", 0, 0)
