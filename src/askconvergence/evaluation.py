"""Scoring the engine on a question set (the JSONL format of ``eval/README.md``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from askconvergence.answer.engine import Turn
from askconvergence.answer.types import Answer

__all__ = ["EvalItem", "ItemResult", "Report", "load_items", "run_eval", "score_item"]

_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


@dataclass(frozen=True)
class EvalItem:
    """One question (or conversation) of a question set."""

    id: str
    turns: list[str]
    gold: str | None = None
    must: list[list[str]] = field(default_factory=list)
    unanswerable: bool = False
    lang: str = "en"


def load_items(path: Path) -> list[EvalItem]:
    """Read a question set; a malformed line raises ``ValueError`` naming its line number."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            turns = raw["turns"] if "turns" in raw else [raw["q"]]
            if not turns or not all(isinstance(t, str) and t.strip() for t in turns):
                raise ValueError("'q' or 'turns' must hold non-empty text")
            items.append(
                EvalItem(
                    id=str(raw["id"]),
                    turns=list(turns),
                    gold=raw.get("gold"),
                    must=[list(group) for group in raw.get("must", [])],
                    unanswerable=bool(raw.get("unanswerable", False)),
                    lang=raw.get("lang", "en"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}:{number}: not a valid question item ({exc})") from exc
    return items


@dataclass
class ItemResult:
    """How the engine did on one item."""

    item: EvalItem
    answer: Answer
    retrieval_hit: bool | None
    correct: bool
    declined: bool

    def line(self) -> str:
        """One line for the per-item listing."""
        kind = "unans" if self.item.unanswerable else "answer"
        mark = "ok  " if self.correct else "FAIL"
        hit = {True: "hit ", False: "miss", None: "-   "}[self.retrieval_hit]
        text = self.answer.answer.replace("\n", " ")
        return f"{mark} {self.item.id:<8} {kind:<6} {self.item.lang} {hit} {text[:90]}"


def score_item(item: EvalItem, answer: Answer) -> ItemResult:
    """Score an answer: retrieval hit on the gold phrase, must groups, declines."""
    declined = not answer.grounded
    hit = None
    if item.gold:
        gold = _norm(item.gold)
        hit = any(gold in _norm(p.text) for p in [*answer.retrieved, *answer.citations])
    if item.unanswerable:
        correct = declined and not answer.citations
    else:
        text = _norm(answer.answer)
        correct = not declined and all(
            any(_norm(alt) in text for alt in group) for group in item.must
        )
    return ItemResult(item, answer, hit, correct, declined)


@dataclass
class Report:
    """Aggregate figures over a question set."""

    results: list[ItemResult]

    def _rate(self, flags: Sequence[bool]) -> float | None:
        return sum(flags) / len(flags) if flags else None

    def summary(self) -> dict[str, Any]:
        """The headline numbers."""
        answerable = [r for r in self.results if not r.item.unanswerable]
        unanswerable = [r for r in self.results if r.item.unanswerable]
        hits = [r.retrieval_hit for r in self.results if r.retrieval_hit is not None]
        by_lang: dict[str, float | None] = {}
        for lang in sorted({r.item.lang for r in answerable}):
            by_lang[lang] = self._rate([r.correct for r in answerable if r.item.lang == lang])
        totals = [r.answer.timings.get("total_s", 0.0) for r in self.results]
        return {
            "items": len(self.results),
            "retrieval_hit_rate": self._rate([bool(h) for h in hits]),
            "answer_accuracy": self._rate([r.correct for r in answerable]),
            "decline_accuracy": self._rate([r.correct for r in unanswerable]),
            "false_declines": self._rate([r.declined for r in answerable]),
            "answer_accuracy_by_lang": by_lang,
            "mean_seconds": sum(totals) / len(totals) if totals else None,
        }

    def table(self, name: str = "askconvergence") -> str:
        """The summary as a small text table."""
        s = self.summary()

        def fmt(v: float | None) -> str:
            return "n/a" if v is None else f"{v:.3f}"

        rows = [
            ("items", str(s["items"])),
            ("retrieval hit rate", fmt(s["retrieval_hit_rate"])),
            ("answer accuracy (answerable)", fmt(s["answer_accuracy"])),
            ("decline accuracy (unanswerable)", fmt(s["decline_accuracy"])),
            ("false declines (answerable)", fmt(s["false_declines"])),
            *[(f"answer accuracy [{k}]", fmt(v)) for k, v in s["answer_accuracy_by_lang"].items()],
            ("mean seconds per item", fmt(s["mean_seconds"])),
        ]
        width = max(len(r[0]) for r in rows)
        lines = [f"{'metric':<{width}}  {name}", f"{'-' * width}  {'-' * len(name)}"]
        lines += [f"{label:<{width}}  {value}" for label, value in rows]
        return "\n".join(lines)


def run_eval(
    items: Iterable[EvalItem],
    ask: Callable[[str, list[Turn]], Answer],
    progress: Callable[[ItemResult], None] | None = None,
) -> Report:
    """Ask every item (a multi-turn item as one conversation) and score the last answer."""
    results = []
    for item in items:
        history: list[Turn] = []
        answer = None
        for turn in item.turns:
            answer = ask(turn, history)
            history += [Turn("user", turn), Turn("assistant", answer.answer)]
        assert answer is not None
        result = score_item(item, answer)
        results.append(result)
        if progress:
            progress(result)
    return Report(results)
