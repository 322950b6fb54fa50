"""How often the facts an answer needs survive the cut from passages to excerpts (no LLM).

For every answerable single-turn item of the question sets, the question is retrieved as the
chat does, then the passages are cut to the excerpt budget as the prompt does. An item counts
when every ``must`` group has a form in the text the model would read. The "whole passages"
row is the ceiling: what retrieval alone leaves in reach. Follow-ups are left out (their
standalone rewrite needs the LLM). A Dutch question gets a third more words than the budget
named, as in the chat (``ExcerptSelector.translated_budget``).

    PYTHONPATH=src python eval/excerpt_recall.py eval/questions.jsonl ../shared/eval/dev.jsonl
    PYTHONPATH=src python eval/excerpt_recall.py eval/questions.jsonl --budgets 100,150,200 -v
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--budgets", default="100,150,200", help="excerpt word budgets")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the items lost")
    args = parser.parse_args()

    from askconvergence.cli import quiet_offline_env

    quiet_offline_env()
    from llama_index.core.schema import QueryBundle

    from askconvergence.answer.excerpts import ExcerptSelector
    from askconvergence.evaluation import load_items
    from askconvergence.models.factory import make_engine
    from askconvergence.retrieve import to_passages
    from askconvergence.settings import Settings

    settings = Settings()
    engine = make_engine(settings, llm=None)
    embed_model = engine.retriever.current.embed_model
    budgets = [int(b) for b in args.budgets.split(",") if b]
    selector = ExcerptSelector(embed_model)  # one sentence-vector cache for every budget

    rows: dict[str, dict[str, list[bool]]] = {}
    for path in args.files:
        for item in load_items(path):
            if item.unanswerable or len(item.turns) != 1 or not item.must:
                continue
            question = item.turns[0]
            bundle = QueryBundle(question)
            passages = to_passages(engine.retriever.retrieve(bundle))
            texts = {"whole passages": " ".join(p.text for p in passages)}
            for budget in budgets:
                selector.budget_words = budget
                chosen = selector.select(question, passages, bundle.embedding)
                texts[f"excerpts, {budget} words"] = " ".join(p.text for p in chosen)
            for label, text in texts.items():
                norm = _norm(text)
                kept = all(any(_norm(alt) in norm for alt in group) for group in item.must)
                rows.setdefault(label, {}).setdefault(item.lang, []).append(kept)
                rows[label].setdefault("all", []).append(kept)
                if args.verbose and not kept and label != "whole passages":
                    whole = _norm(texts["whole passages"])
                    if all(any(_norm(a) in whole for a in g) for g in item.must):
                        print(f"lost at {label}: {item.id} {question}", file=sys.stderr)

    langs = ["all", *sorted({k for r in rows.values() for k in r if k != "all"})]
    print(f"| text the model reads | {' | '.join(f'facts kept ({lang})' for lang in langs)} |")
    print("|---|" + "---|" * len(langs))
    for label, by_lang in rows.items():
        cells = []
        for lang in langs:
            flags = by_lang.get(lang, [])
            cells.append(f"{sum(flags) / len(flags):.3f} ({len(flags)})" if flags else "-")
        print(f"| {label} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
