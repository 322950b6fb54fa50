"""Build and open the passage index: chunks embedded into a persistent Chroma collection."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from askconvergence.ingest import load_corpus
from askconvergence.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.schema import BaseNode

__all__ = [
    "IndexMismatchError",
    "IndexMissingError",
    "IndexStats",
    "PassageIndex",
    "build_index",
    "make_splitter",
]

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
# Word pieces the embedder adds around every input ([CLS] ... [SEP]).
SPECIAL_TOKENS = 2
EMBED_WINDOW = 256


class IndexMissingError(RuntimeError):
    """No index has been built yet."""


class IndexMismatchError(RuntimeError):
    """The index was built with another embedding model or chunking."""


@dataclass(frozen=True)
class IndexStats:
    """What an index build did."""

    documents: int
    chunks: int
    embedded: int
    deleted: int


def _fingerprint(settings: Settings) -> dict[str, Any]:
    return {
        "embed_model": settings.embed.model,
        "chunk_size": settings.embed.chunk_size,
        "chunk_overlap": settings.embed.chunk_overlap,
    }


def collection_name(settings: Settings) -> str:
    """One collection per embedding model and chunking, so vectors of two models never mix."""
    key = json.dumps(_fingerprint(settings), sort_keys=True)
    return "passages_" + hashlib.sha256(key.encode()).hexdigest()[:12]


def _chunk_id(i: int, doc: BaseNode) -> str:
    # Deterministic ids: the same text of the same document always gives the same chunk id.
    return hashlib.sha256(f"{doc.node_id}\x00{doc.hash}\x00{i}".encode()).hexdigest()[:32]


def make_splitter(settings: Settings) -> Any:
    """A sentence-aware splitter that counts in the embedder's word pieces."""
    from llama_index.core.node_parser import SentenceSplitter

    from askconvergence.models.factory import embedder_tokenizer

    tokenizer = embedder_tokenizer(settings)
    size = settings.embed.chunk_size
    if size + SPECIAL_TOKENS > EMBED_WINDOW:
        raise ValueError(f"chunk_size {size} does not fit the embedder's {EMBED_WINDOW}-token window")
    return SentenceSplitter(
        chunk_size=size,
        chunk_overlap=settings.embed.chunk_overlap,
        tokenizer=tokenizer.tokenize,
        id_func=_chunk_id,
        include_prev_next_rel=False,
    )


def _chroma_client(index_dir: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(index_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )


def build_index(
    settings: Settings,
    embed_model: BaseEmbedding | None = None,
    *,
    rebuild: bool = False,
    show_progress: bool = False,
) -> IndexStats:
    """Bring the index in line with the corpus, embedding only new or changed documents."""
    from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
    from llama_index.core.storage.docstore import SimpleDocumentStore
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from askconvergence.models.factory import make_embed_model

    index_dir = settings.index_dir
    docs = [d.to_llama() for d in load_corpus(settings.corpus_dir)]
    if rebuild and index_dir.exists():
        shutil.rmtree(index_dir / "chroma", ignore_errors=True)
        (index_dir / "docstore.json").unlink(missing_ok=True)
        (index_dir / MANIFEST).unlink(missing_ok=True)
    index_dir.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(index_dir)
    if manifest and manifest.get("fingerprint") != _fingerprint(settings):
        raise IndexMismatchError(
            f"The index in {index_dir} was built with {manifest.get('fingerprint')}, but the "
            f"settings ask for {_fingerprint(settings)}. Rebuild it: askconvergence index --rebuild"
        )

    embed_model = embed_model or make_embed_model(settings)
    client = _chroma_client(index_dir)
    collection = client.get_or_create_collection(
        collection_name(settings),
        metadata={"hnsw:space": "cosine", **_fingerprint(settings)},
    )
    docstore_path = index_dir / "docstore.json"
    docstore = (
        SimpleDocumentStore.from_persist_path(str(docstore_path))
        if docstore_path.exists()
        else SimpleDocumentStore()
    )
    before = set(collection.get(include=[])["ids"])
    pipeline = IngestionPipeline(
        transformations=[make_splitter(settings), embed_model],
        vector_store=ChromaVectorStore(chroma_collection=collection),
        docstore=docstore,
        docstore_strategy=DocstoreStrategy.UPSERTS_AND_DELETE,
    )
    nodes = pipeline.run(documents=docs, show_progress=show_progress)
    docstore.persist(str(docstore_path))
    after = set(collection.get(include=[])["ids"])
    _write_manifest(
        index_dir,
        {
            "fingerprint": _fingerprint(settings),
            "collection": collection_name(settings),
            "documents": len(docs),
            "chunks": len(after),
        },
    )
    stats = IndexStats(
        documents=len(docs), chunks=len(after), embedded=len(nodes), deleted=len(before - after)
    )
    log.info("Index: %s", stats)
    return stats


def _read_manifest(index_dir: Path) -> dict[str, Any] | None:
    path = index_dir / MANIFEST
    return json.loads(path.read_text()) if path.exists() else None


def _write_manifest(index_dir: Path, data: dict[str, Any]) -> None:
    tmp = index_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(index_dir / MANIFEST)


class PassageIndex:
    """The built index, opened for reading: the Chroma collection and its nodes."""

    def __init__(self, settings: Settings) -> None:
        manifest = _read_manifest(settings.index_dir)
        if manifest is None:
            raise IndexMissingError(
                f"No index in {settings.index_dir}. Build it first: askconvergence index"
            )
        if manifest["fingerprint"] != _fingerprint(settings):
            raise IndexMismatchError(
                f"The index in {settings.index_dir} was built with embedding model "
                f"{manifest['fingerprint']['embed_model']!r} (chunks "
                f"{manifest['fingerprint']['chunk_size']}/{manifest['fingerprint']['chunk_overlap']}),"
                f" but the settings ask for {settings.embed.model!r} (chunks "
                f"{settings.embed.chunk_size}/{settings.embed.chunk_overlap}). "
                "Rebuild it: askconvergence index --rebuild"
            )
        self.settings = settings
        self.client = _chroma_client(settings.index_dir)
        self.collection = self.client.get_collection(manifest["collection"])

    def vector_store(self) -> Any:
        """The collection as a LlamaIndex vector store."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.collection)

    def nodes(self) -> list[BaseNode]:
        """Every chunk in the index as a LlamaIndex node (for lexical retrieval)."""
        from llama_index.core.vector_stores.utils import metadata_dict_to_node

        got = self.collection.get(include=["documents", "metadatas"])
        nodes = []
        for node_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            node = metadata_dict_to_node(meta, text=text)
            node.id_ = node_id
            nodes.append(node)
        return nodes

    def count(self) -> int:
        """Number of chunks."""
        return int(self.collection.count())
