"""Where the gold passage ranks among the passages the chat retrieves (no LLM).

For every answerable single-turn item with a ``gold`` phrase, the question is retrieved as
the chat does and the rank of the first passage holding the phrase is counted. Prints how
many items have it at each rank of the top k and how many miss it; ``-v`` lists the misses.
Follow-ups are left out (their standalone rewrite needs the LLM).

    PYTHONPATH=src python eval/gold_rank.py eval/*.jsonl ../shared/eval/dev.jsonl
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true", help="list the items missed")
    args = parser.parse_args()

    from askconvergence.cli import quiet_offline_env

    quiet_offline_env()
    from askconvergence.evaluation import holds_gold, load_items
    from askconvergence.models.factory import make_engine
    from askconvergence.settings import Settings

    engine = make_engine(Settings(), llm=None)
    ranks: Counter[int | None] = Counter()
    for path in args.files:
        for item in load_items(path):
            if item.unanswerable or not item.gold or len(item.turns) != 1:
                continue
            passages = engine.retrieve(item.turns[0])
            rank = next((p.n for p in passages if holds_gold(p.text, item.gold)), None)
            ranks[rank] += 1
            if rank is None and args.verbose:
                print(f"miss {item.id} [{item.lang}] {item.turns[0]}")
    total = sum(ranks.values())
    print("| rank | items |\n|---|---|")
    for rank in sorted(r for r in ranks if r is not None):
        print(f"| {rank} | {ranks[rank]} |")
    print(f"| not retrieved | {ranks[None]} |")
    print(f"| **in the top k** | **{total - ranks[None]} of {total}** |")


if __name__ == "__main__":
    main()
