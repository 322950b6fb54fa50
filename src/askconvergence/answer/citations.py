"""Parsing and checking citation markers such as [1] and [2, 3] in answers (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from askconvergence.answer.types import Passage

__all__ = ["cited_numbers", "clean_markers", "overlap", "resolve_citations"]

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_WORD = re.compile(r"\w+", re.UNICODE)


def cited_numbers(text: str) -> list[int]:
    """Passage numbers cited in ``text``, in order of first appearance, without repeats."""
    seen: list[int] = []
    for match in _MARKER.finditer(text):
        for part in match.group(1).split(","):
            n = int(part)
            if n not in seen:
                seen.append(n)
    return seen


def clean_markers(text: str, valid: set[int]) -> str:
    """Drop markers (or the numbers inside them) that point at no passage given to the model."""

    def fix(match: re.Match[str]) -> str:
        keep = [p.strip() for p in match.group(1).split(",") if int(p) in valid]
        return f"[{', '.join(keep)}]" if keep else ""

    text = _MARKER.sub(fix, text)
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", text).strip()


def overlap(a: str, b: str) -> float:
    """Share of ``a``'s content words (4+ letters) that also occur in ``b``."""
    words_a = {w for w in _WORD.findall(a.lower()) if len(w) > 3}
    if not words_a:
        return 0.0
    words_b = set(_WORD.findall(b.lower()))
    return len(words_a & words_b) / len(words_a)


def resolve_citations(text: str, passages: Sequence[Passage]) -> tuple[str, list[Passage]]:
    """Clean the markers of an answer and return it with the passages it cites, in order.

    An answer with no valid marker is attributed to the given passage it overlaps most, so a
    grounded answer always shows where it comes from.
    """
    by_n = {p.n: p for p in passages}
    text = clean_markers(text, set(by_n))
    numbers = [n for n in cited_numbers(text) if n in by_n]
    if not numbers and passages and text:
        best = max(passages, key=lambda p: overlap(text, p.text))
        text = f"{text} [{best.n}]"
        numbers = [best.n]
    return text, [by_n[n] for n in sorted(numbers)]
