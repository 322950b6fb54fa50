import re

from askconvergence.evaluation import load_items
from tests.conftest import DEV_SET


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def test_retrieval_finds_the_gold_passage_for_public_questions(extractive_engine) -> None:  # type: ignore[no-untyped-def]
    from askconvergence.answer.followup import Turn

    items = [i for i in load_items(DEV_SET) if i.gold]
    misses = []
    for item in items:
        history = []
        for turn in item.turns[:-1]:
            history += [Turn("user", turn), Turn("assistant", "")]
        passages = extractive_engine.retrieve(item.turns[-1], history)
        if not any(_norm(item.gold) in _norm(p.text) for p in passages):
            misses.append(item.id)
    assert not misses, f"gold passage not retrieved for {misses}"
