"""The extractive backend: the best sentences of the best passages, cited, with no LLM."""

from __future__ import annotations

import re
from collections.abc import Sequence

from askconvergence.answer.citations import support
from askconvergence.answer.types import Passage

__all__ = ["extract_answer", "split_sentences"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘(0-9])|\n+")


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of a passage."""
    parts = (s.strip(" -\t") for s in _SENTENCE.split(text))
    return [s for s in parts if len(s.split()) >= 4]


def extract_answer(
    question: str, passages: Sequence[Passage], max_sentences: int = 2, min_overlap: float = 0.3
) -> str:
    """Pick the sentences that share most content words with the question; cite each one.

    Returns ``""`` (a decline) when no sentence shares enough of the question's words.
    """
    scored = []
    for rank, passage in enumerate(passages):
        for sentence in split_sentences(passage.text):
            shared = support(question, sentence)
            if shared < min_overlap:
                continue
            # Word overlap with the question, nudged towards better-ranked passages.
            scored.append((shared + 0.05 * (len(passages) - rank), passage.n, sentence))
    scored.sort(key=lambda t: t[0], reverse=True)
    chosen = scored[:max_sentences]
    return " ".join(f"{sentence.rstrip()} [{n}]" for _, n, sentence in chosen)
