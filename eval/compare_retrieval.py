"""Compare retrieval set-ups on question sets and print hit rates side by side (no LLM).

Builds throw-away indexes of the corpus (one per embedder) in a temporary folder and scores,
for every item with a ``gold`` phrase, whether the gold phrase is in the top k passages of:
dense search alone (MiniLM and multilingual-e5-small), BM25 alone, reciprocal-rank fusion,
z-score fusion, and z-score fusion whose best 12 are re-ranked by their sentence closest to the
question (what askconvergence uses). Follow-ups are searched with the heuristic rewrite.

    PYTHONPATH=src python eval/compare_retrieval.py eval/questions.jsonl ../shared/eval/dev.jsonl
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from askconvergence.answer.excerpts import ExcerptSelector
from askconvergence.answer.followup import Turn, heuristic_rewrite
from askconvergence.answer.types import heading_of
from askconvergence.cli import quiet_offline_env
from askconvergence.evaluation import EvalItem, load_items
from askconvergence.index import PassageIndex, build_index
from askconvergence.models.factory import make_embed_model
from askconvergence.retrieve import LexicalIndex, _zscores
from askconvergence.settings import Settings

Scores = list[float]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _query(item: EvalItem) -> str:
    history: list[Turn] = []
    for turn in item.turns[:-1]:
        history += [Turn("user", turn), Turn("assistant", "")]
    return heuristic_rewrite(item.turns[-1], history)


def _ranks(scores: Scores) -> list[int]:
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
    rank = [0] * len(scores)
    for r, i in enumerate(order):
        rank[i] = r
    return rank


def rrf(*lists: Scores, k: int = 60) -> Scores:
    """Reciprocal-rank fusion."""
    ranks = [_ranks(s) for s in lists]
    return [sum(1 / (k + r[i] + 1) for r in ranks) for i in range(len(lists[0]))]


def zfuse(*lists: Scores) -> Scores:
    """Sum of z-scores."""
    zs = [_zscores(s) for s in lists]
    return [sum(z[i] for z in zs) for i in range(len(lists[0]))]


def dense_scores(settings: Settings) -> tuple[Callable[[str], Scores], Any]:
    """Build an index with this embedder; return a query -> cosine-per-chunk function and the
    embedder."""
    embed = make_embed_model(settings)
    build_index(settings, embed)
    index = PassageIndex(settings)
    got = index.collection.get(include=["embeddings"])
    vectors = [list(map(float, v)) for v in got["embeddings"]]
    norms = [sum(x * x for x in v) ** 0.5 for v in vectors]

    def score(query: str) -> Scores:
        q = embed.get_query_embedding(query)
        qn = sum(x * x for x in q) ** 0.5
        return [
            sum(a * b for a, b in zip(q, v, strict=True)) / (qn * n)
            for v, n in zip(vectors, norms, strict=True)
        ]

    return score, embed


def rerank_by_sentence(
    fused: Scores,
    query_vector: Sequence[float],
    chunks: Sequence[tuple[str, str]],
    sentences: ExcerptSelector,
) -> Scores:
    """The best ``RERANK_DEPTH`` of ``fused`` re-scored as z(fused) + z(best sentence cosine),
    placed above the rest (as HybridRetriever does)."""
    top = sorted(range(len(fused)), key=lambda i: fused[i], reverse=True)[:RERANK_DEPTH]
    best = sentences.best_sentence_similarity(query_vector, [chunks[i] for i in top])
    score = [min(fused) - 1e6] * len(fused)
    z_fused, z_best = _zscores([fused[i] for i in top]), _zscores(best)
    for i, zf, zb in zip(top, z_fused, z_best, strict=True):
        score[i] = 1e6 + zf + zb
    return score


RERANK_DEPTH = 12


def main(paths: Sequence[str], ks: Sequence[int] = (4, 5)) -> None:
    """Print a table of hit rates per retrieval set-up, per language."""
    quiet_offline_env()
    items = [i for p in paths for i in load_items(Path(p)) if i.gold]
    queries = [_query(i) for i in items]
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings()
        systems: dict[str, list[tuple[list[str], Scores]]] = {}
        for model in ("all-MiniLM-L6-v2", "multilingual-e5-small"):
            settings = base.model_copy(
                update={
                    "index_dir": Path(tmp) / model,
                    "embed": base.embed.model_copy(update={"model": model}),
                }
            )
            dense, embed = dense_scores(settings)
            nodes = PassageIndex(settings).nodes()
            lexical = LexicalIndex(nodes)
            by_id = {n.node_id: n.get_content() for n in nodes}
            ids = PassageIndex(settings).collection.get(include=[])["ids"]
            texts = [by_id[i] for i in ids]
            order = {n.node_id: j for j, n in enumerate(nodes)}
            tag = "MiniLM" if model.startswith("all") else "e5"
            rows_d, rows_b = [], []
            for q in queries:
                d = dense(q)
                b_nodes = lexical.scores(q)
                b = [b_nodes[order[i]] for i in ids]
                rows_d.append(d)
                rows_b.append(b)
            systems[f"dense {tag}"] = [(texts, d) for d in rows_d]
            systems[f"BM25 ({tag} chunks)"] = [(texts, b) for b in rows_b]
            systems[f"RRF dense {tag} + BM25"] = [
                (texts, rrf(d, b)) for d, b in zip(rows_d, rows_b, strict=True)
            ]
            systems[f"z-score dense {tag} + BM25"] = [
                (texts, zfuse(d, b)) for d, b in zip(rows_d, rows_b, strict=True)
            ]
            if tag == "e5":
                sentences = ExcerptSelector(embed)
                # Sentences are embedded under the title and section, as the chat does.
                headings = {
                    n.node_id: heading_of(
                        str(n.metadata.get("title", "")), str(n.metadata.get("section", ""))
                    )
                    for n in nodes
                }
                chunks = [(headings[i], by_id[i]) for i in ids]
                reranked = [
                    (
                        texts,
                        rerank_by_sentence(
                            zfuse(d, b), embed.get_query_embedding(q), chunks, sentences
                        ),
                    )
                    for q, d, b in zip(queries, rows_d, rows_b, strict=True)
                ]
                systems[f"z-score dense {tag} + BM25, re-ranked by best sentence"] = reranked
    header = ["set-up"] + [f"hit@{k} {lang}" for k in ks for lang in ("all", "en", "nl")]
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for name, rows in systems.items():
        cells = [name]
        for k in ks:
            hits = []
            for item, (texts, scores) in zip(items, rows, strict=True):
                top = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)[:k]
                hits.append(
                    (item.lang, any(_norm(item.gold or "") in _norm(texts[i]) for i in top))
                )
            for lang in ("all", "en", "nl"):
                sel = [h for lg, h in hits if lang in ("all", lg)]
                cells.append(f"{sum(sel) / len(sel):.3f}" if sel else "n/a")
        print(" | ".join(cells))
    print(f"\n{len(items)} items with a gold phrase from {', '.join(paths)}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["eval/questions.jsonl"])
