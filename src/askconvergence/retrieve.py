"""Finding the passages that answer a query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from askconvergence.answer.types import Passage
from askconvergence.index import PassageIndex
from askconvergence.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore

__all__ = ["make_retriever", "to_passages"]


def make_retriever(
    index: PassageIndex, embed_model: BaseEmbedding, settings: Settings, top_k: int | None = None
) -> BaseRetriever:
    """A dense retriever over the Chroma collection."""
    from llama_index.core import VectorStoreIndex

    vindex = VectorStoreIndex.from_vector_store(index.vector_store(), embed_model=embed_model)
    return vindex.as_retriever(similarity_top_k=top_k or settings.retrieval.top_k)


def to_passages(results: list[NodeWithScore]) -> list[Passage]:
    """Number retrieved nodes 1..k as passages."""
    passages = []
    for i, res in enumerate(results, start=1):
        meta: dict[str, Any] = res.node.metadata
        passages.append(
            Passage(
                n=i,
                doc_id=str(meta.get("doc_id", res.node.ref_doc_id or "")),
                title=str(meta.get("title", "")),
                text=res.node.get_content(),
                score=float(res.score or 0.0),
                source=str(meta.get("source", "")),
                chunk_id=res.node.node_id,
            )
        )
    return passages
