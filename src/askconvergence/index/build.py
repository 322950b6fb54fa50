"""Bring the index in line with the corpus: incremental, crash-safe, one writer at a time.

An update compares the content hash of every corpus file with the published generation's
manifest. Nothing changed: nothing is written. Otherwise only new and changed files are read
and chunked, only texts the embedding cache has never seen are embedded, and the changes are
applied to a copy of the published generation, which is then published atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterable
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
WRITE_BATCH = 2000
# Cached vectors of texts no longer indexed are forgotten once they outnumber the live ones.
PRUNE_SLACK = 1000

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; stages: waiting, scanning, reading, embedding,
writing, publishing, done."""


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


def chunk_documents(docs: Iterable[SourceDocument], splitter: Any) -> list[Chunk]:
    """Split documents into chunks with stable ids and the metadata Chroma stores."""
    from llama_index.core.schema import MetadataMode
    from llama_index.core.vector_stores.utils import node_to_metadata_dict

    chunks = []
    for node in splitter.get_nodes_from_documents([d.to_llama() for d in docs]):
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

    records, new_chunks, unreadable = _read_changed(settings, changed, report)
    changed_ids = {f.doc_id for f in changed}
    kept = {d: r for d, r in previous.items() if d in present and d not in changed_ids}
    records = dict(sorted({**kept, **records}.items()))
    old_ids = {cid for r in previous.values() for cid, _ in r["chunks"]}
    live_ids = {cid for r in records.values() for cid, _ in r["chunks"]}
    to_delete = sorted(old_ids - live_ids)
    to_add = [c for c in new_chunks if c.id not in old_ids]
    if base is not None and not to_delete and not to_add and records == previous:
        return _unchanged(base, unreadable)

    cache = EmbeddingCache(index_dir / "embeddings", settings.embed.model)
    try:
        embedded = _embed_missing(settings, embed_model, cache, to_add, report)
        vectors = cache.get([c.key for c in to_add])
        generation = _write_generation(
            settings, current, base, records, to_delete, to_add, vectors, report
        )
        live_keys = {key for r in records.values() for _, key in r["chunks"]}
        if cache.count() > 2 * len(live_keys) + PRUNE_SLACK:
            log.info("Forgot %d cached vectors of texts no longer indexed", cache.prune(live_keys))
    finally:
        cache.close()
    return IndexStats(
        documents=len(records),
        chunks=len(live_ids),
        embedded=embedded,
        deleted=len(to_delete),
        added=len(to_add),
        generation=generation,
        changed=True,
        unreadable=tuple(unreadable),
    )


def _write_generation(
    settings: Settings,
    current: str | None,
    base: dict[str, Any] | None,
    records: dict[str, Any],
    to_delete: list[str],
    to_add: list[Chunk],
    vectors: dict[str, np.ndarray],
    report: _Reporter,
) -> str:
    """Write the next generation (a copy of the published one, changed) and publish it."""
    index_dir = settings.index_dir
    live_ids = {cid for r in records.values() for cid, _ in r["chunks"]}
    numbers = generation_numbers(index_dir)
    generation = generation_name(max(numbers, default=0) + 1)
    gen_dir = index_dir / generation
    report("writing", 0, len(to_add) + len(to_delete))
    if base is not None and current is not None:
        copy_chroma(index_dir / current / CHROMA, gen_dir / CHROMA)
    else:
        gen_dir.mkdir(parents=True)
    _write_chroma(settings, gen_dir, to_delete, to_add, vectors, len(live_ids), report)
    manifest = {
        "format": MANIFEST_FORMAT,
        "generation": generation,
        "fingerprint": fingerprint(settings),
        "collection": collection_name(settings),
        "parser_version": PARSER_VERSION,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "documents": len(records),
        "chunks": len(live_ids),
        "files": records,
    }
    (gen_dir / MANIFEST).write_text(json.dumps(manifest, separators=(",", ":")), encoding="utf-8")
    report("publishing", 0, 1)
    fsync_tree(gen_dir)
    publish(index_dir, generation)
    # Keep the previous generation: a server may be answering from it at this very moment.
    remove_generations(index_dir, keep={generation, current} if current else {generation})
    _remove_legacy_layout(index_dir)
    return generation


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


def _read_changed(
    settings: Settings, changed: list[CorpusFile], report: _Reporter
) -> tuple[dict[str, Any], list[Chunk], list[str]]:
    """Read and chunk the changed files: their manifest records, chunks and unreadable names."""
    records: dict[str, Any] = {}
    docs: list[SourceDocument] = []
    digests: dict[str, str] = {}
    unreadable: list[str] = []
    for i, file in enumerate(changed):
        report("reading", i, len(changed))
        try:
            doc = read_document(file)
        except UnreadableDocumentError as exc:
            log.warning("%s; skipping it, the other documents are indexed", exc)
            unreadable.append(file.doc_id)
            continue
        digests[doc.doc_id] = file.digest
        if doc.text.strip():
            docs.append(doc)
        else:
            log.warning("Skipping %s: no text after cleaning", file.path)
            records[doc.doc_id] = {"digest": file.digest, "chunks": []}
    chunks = chunk_documents(docs, make_splitter(settings)) if docs else []
    for doc in docs:
        records[doc.doc_id] = {"digest": digests[doc.doc_id], "chunks": []}
    for chunk in chunks:
        records[chunk.doc_id]["chunks"].append([chunk.id, chunk.key])
    return records, chunks, unreadable


def _embed_missing(
    settings: Settings,
    embed_model: BaseEmbedding | None,
    cache: EmbeddingCache,
    chunks: list[Chunk],
    report: _Reporter,
) -> int:
    """Embed the texts the cache does not have, committing every step; returns how many."""
    missing = cache.missing(c.key for c in chunks)
    texts = {c.key: c.embed_text for c in chunks if c.key in missing}
    if not texts:
        return 0
    if embed_model is None:
        from askconvergence.models.factory import make_embed_model

        embed_model = make_embed_model(settings)
    # Longest first, like sentence-transformers does, so batches need little padding.
    order = sorted(texts, key=lambda k: len(texts[k]), reverse=True)
    done = 0
    report("embedding", 0, len(order))
    for i in range(0, len(order), EMBED_STEP):
        keys = order[i : i + EMBED_STEP]
        vectors = embed_model.get_text_embedding_batch([texts[k] for k in keys])
        cache.put(zip(keys, vectors, strict=True))
        done += len(keys)
        report("embedding", done, len(order))
    return done


def _write_chroma(
    settings: Settings,
    gen_dir: Path,
    to_delete: list[str],
    to_add: list[Chunk],
    vectors: dict[str, np.ndarray],
    expected: int,
    report: _Reporter,
) -> None:
    """Apply deletions and additions to the new generation's collection."""
    client = open_chroma(gen_dir / CHROMA)
    try:
        collection = client.get_or_create_collection(
            collection_name(settings), metadata={"hnsw:space": "cosine", **fingerprint(settings)}
        )
        done = 0
        total = len(to_delete) + len(to_add)
        for i in range(0, len(to_delete), WRITE_BATCH):
            ids = to_delete[i : i + WRITE_BATCH]
            collection.delete(ids=ids)
            done += len(ids)
            report("writing", done, total)
        for i in range(0, len(to_add), WRITE_BATCH):
            part = to_add[i : i + WRITE_BATCH]
            collection.upsert(
                ids=[c.id for c in part],
                embeddings=np.stack([vectors[c.key] for c in part]),
                documents=[c.text for c in part],
                metadatas=[c.metadata for c in part],
            )
            done += len(part)
            report("writing", done, total)
        count = collection.count()
        if count != expected:
            raise RuntimeError(
                f"The new index has {count} chunks where {expected} were expected; "
                "run askconvergence index --rebuild"
            )
    finally:
        close_chroma(client)


def _remove_legacy_layout(index_dir: Path) -> None:
    # Indexes built before generations existed kept one Chroma folder at the top.
    import shutil

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
        if stage == "embedding":
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc="Embedding", unit="chunk")
            self.bar.update(done - self.bar.n)
        elif self.bar is not None:
            self.bar.close()
            self.bar = None

    def waiting(self, message: str) -> None:
        log.warning("%s", message)
        if self.progress is not None:
            self.progress("waiting", 0, 0)
