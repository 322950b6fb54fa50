"""End to end: our answer against the plain LlamaIndex starter pipeline (VectorStoreIndex over
the same Chroma collection, default query engine) with the same embedding model and LLM.

    PYTHONPATH=src python bench/llamaindex_bench.py [--model qwen2.5-1.5b] [--step 11]

Single-turn items of the fixed subset (the starter pipeline has no conversation). The starter
pipeline has no decline path, so an unanswerable item counts as declined when its answer says
the context lacks the information (the phrases in ``DECLINES``). Order: ours, starter, starter,
ours on the two halves of the items, so a drifting machine load hurts both sides alike.
"""

from __future__ import annotations

import argparse
import re
import time
from typing import Any

import common

from askconvergence.answer.engine import Engine
from askconvergence.answer.types import Answer
from askconvergence.evaluation import EvalItem, score_item
from askconvergence.index import PassageIndex
from askconvergence.models.factory import make_embed_model, make_excerpts, make_llm
from askconvergence.retrieve import make_retriever

DECLINES = re.compile(
    r"not (mentioned|provided|specified|stated|contain|include)|no (information|mention)|"
    r"does not (say|provide|mention|specify|contain)|cannot (be )?(answer|determine|find)|"
    r"niet (vermeld|genoemd)|geen informatie|unable to",
    re.IGNORECASE,
)


def run_ours(engine: Engine, item: EvalItem) -> tuple[bool, float, float]:
    """(correct, first token s, total s) of our engine."""
    start = time.perf_counter()
    answer = engine.ask(item.turns[0])
    total = time.perf_counter() - start
    return (
        score_item(item, answer).correct,
        answer.timings.get("first_token_s", float("nan")),
        total,
    )


def run_starter(query_engine: Any, item: EvalItem) -> tuple[bool, float, float]:
    """(correct, nan, total s) of the starter pipeline's default query engine."""
    start = time.perf_counter()
    response = query_engine.query(item.turns[0])
    total = time.perf_counter() - start
    text = str(response).strip()
    declined = bool(DECLINES.search(text)) or text.lower().startswith("empty response")
    passages = []  # the starter answer carries no citation markers
    answer = Answer(item.turns[0], text, not declined, passages, passages, {"total_s": total})
    return score_item(item, answer).correct, float("nan"), total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--model", default=None, help="qwen2.5-1.5b or qwen2.5-0.5b (default: settings)"
    )
    parser.add_argument("--step", type=int, default=11)
    args = parser.parse_args()

    from llama_index.core import VectorStoreIndex

    base = common.settings(**({"model": args.model} if args.model else {}))
    index, embed = PassageIndex(base), make_embed_model(base)
    llm = make_llm(base)
    excerpts = make_excerpts(base, embed)
    ours = Engine(base, make_retriever(index, embed, base, sentences=excerpts), llm, excerpts)
    starter = VectorStoreIndex.from_vector_store(index.vector_store(), embed_model=embed)
    query_engine = starter.as_query_engine(llm=llm)
    items = [i for i in common.subset(args.step) if len(i.turns) == 1]
    half = len(items) // 2
    plan = [
        ("ours", items[:half]),
        ("starter", items[:half]),
        ("starter", items[half:]),
        ("ours", items[half:]),
    ]
    results: dict[str, list[tuple[EvalItem, tuple[bool, float, float]]]] = {
        "ours": [],
        "starter": [],
    }
    ours.ask("What is Convergence?")  # warm both sides' model pages once
    query_engine.query("What is Convergence?")
    for side, chunk in plan:
        for item in chunk:
            run = run_ours(ours, item) if side == "ours" else run_starter(query_engine, item)
            results[side].append((item, run))
            print(side, item.id, run, flush=True)

    name = llm.metadata.model_name  # type: ignore[union-attr]
    n_unanswerable = sum(i.unanswerable for i in items)
    rows = []
    for side, label in (
        ("ours", "askconvergence"),
        ("starter", "LlamaIndex starter (default query engine)"),
    ):
        runs = results[side]
        answerable = [r for i, r in runs if not i.unanswerable]
        unanswerable = [r for i, r in runs if i.unanswerable]
        rows.append(
            [
                label,
                len(runs),
                sum(r[0] for r in answerable) / max(1, len(answerable)),
                sum(r[0] for r in unanswerable) / max(1, len(unanswerable))
                if unanswerable
                else "n/a",
                common.p50([r[1] for _, r in runs if r[1] == r[1]]) if side == "ours" else "n/a",
                common.p50([r[2] for _, r in runs]),
                common.pct([r[2] for _, r in runs], 0.9),
                sum(r[2] for _, r in runs),
            ]
        )
    print(
        f"\nEnd to end, {name}, single-turn items of every {args.step}th item of "
        f"eval/questions.jsonl ({len(items)} items; {n_unanswerable} unanswerable)"
    )
    print(
        common.table(
            [
                "pipeline",
                "items",
                "answer acc",
                "decline acc",
                "1st token p50 s",
                "total p50 s",
                "total p90 s",
                "sum s",
            ],
            rows,
        )
    )
    print(f"\n{common.machine_note()}")


if __name__ == "__main__":
    main()
