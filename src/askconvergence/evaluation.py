"""Scoring the engine on a question set (the JSONL format of ``eval/README.md``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from askconvergence.answer.followup import Turn
from askconvergence.answer.types import Answer

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.llms import LLM

    from askconvergence.index import PassageIndex

__all__ = [
    "BASELINE_DECLINE",
    "EvalItem",
    "ItemResult",
    "Report",
    "StarterBaseline",
    "holds_gold",
    "load_items",
    "run_eval",
    "score_item",
    "side_by_side",
    "spread",
]

_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def holds_gold(text: str, gold: str) -> bool:
    """Whether a passage text holds the gold phrase (spaces and case aside): a retrieval hit."""
    return _norm(gold) in _norm(text)


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


def spread(items: Sequence[EvalItem], n: int) -> list[EvalItem]:
    """``n`` items spread evenly over a question set (sets are grouped by kind, so all kinds)."""
    if n >= len(items):
        return list(items)
    return [items[(i * len(items)) // n] for i in range(n)]


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
        hit = any(holds_gold(p.text, item.gold) for p in [*answer.retrieved, *answer.citations])
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
            "passages_k": max((len(r.answer.retrieved) for r in self.results), default=0),
            "retrieval_hit_rate": self._rate([bool(h) for h in hits]),
            "answer_accuracy": self._rate([r.correct for r in answerable]),
            "decline_accuracy": self._rate([r.correct for r in unanswerable]),
            "false_declines": self._rate([r.declined for r in answerable]),
            "answer_accuracy_by_lang": by_lang,
            "mean_seconds": sum(totals) / len(totals) if totals else None,
        }

    def table(self, name: str = "askconvergence") -> str:
        """The summary as a small text table."""
        return side_by_side({name: self})


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def side_by_side(reports: dict[str, Report]) -> str:
    """The headline numbers of several runs on the same items, one column per run."""
    sums = [r.summary() for r in reports.values()]
    langs = sorted({k for s in sums for k in s["answer_accuracy_by_lang"]})

    def row(label: str, key: str) -> tuple[str, list[str]]:
        return label, [_fmt(s[key]) for s in sums]

    def by_lang(lang: str) -> tuple[str, list[str]]:
        values = [_fmt(s["answer_accuracy_by_lang"].get(lang)) for s in sums]
        return f"answer accuracy [{lang}]", values

    rows: list[tuple[str, list[str]]] = [
        ("items", [str(s["items"]) for s in sums]),
        ("passages given to the model (k)", [str(s["passages_k"]) for s in sums]),
        row("retrieval hit rate@k", "retrieval_hit_rate"),
        row("answer accuracy (answerable)", "answer_accuracy"),
        row("decline accuracy (unanswerable)", "decline_accuracy"),
        row("false declines (answerable)", "false_declines"),
        *[by_lang(lang) for lang in langs],
        row("mean seconds per item", "mean_seconds"),
    ]
    width = max(len(label) for label, _ in rows)
    widths = [max(len(name), 8) for name in reports]
    names = "  ".join(f"{n:>{w}}" for n, w in zip(reports, widths, strict=True))
    lines = [
        f"{'metric':<{width}}  {names}",
        f"{'-' * width}  " + "  ".join("-" * w for w in widths),
    ]
    for label, values in rows:
        cells = "  ".join(f"{v:>{w}}" for v, w in zip(values, widths, strict=True))
        lines.append(f"{label:<{width}}  {cells}")
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


# How a declined baseline answer is recognised. The starter pipeline has no decline signal of
# its own, so its answer counts as declined when it says, in English or Dutch, that the context
# does not give the answer: "not mentioned", "no information", "does not mention / provide /
# specify / contain", "not provided / specified / stated", "cannot be determined", "I don't
# know", "niet vermeld", "geen informatie", "staat niet", ... (case-insensitive). A declined
# baseline answer cites nothing; any other cites the passages the pipeline retrieved.
BASELINE_DECLINE = re.compile(
    r"not (mentioned|provided|specified|stated|given|available|included|known|found)|"
    r"no (information|mention|details?|data|specific)|"
    r"(does|do|did) ?n[o']t (mention|provide|specify|contain|include|state|say|give|know)|"
    r"(cannot|can't|can not|unable to) (be )?(determine|answer|find|provide|say)|"
    r"i don't know|i do not know|not enough information|insufficient information|"
    r"niet (vermeld|genoemd|bekend|gegeven|beschikbaar)|geen (informatie|gegevens|vermelding)|"
    r"staat niet|weet ik niet|empty response",
    re.IGNORECASE,
)


class StarterBaseline:
    """The plain LlamaIndex starter pipeline over the same Chroma collection and models.

    ``VectorStoreIndex.from_vector_store(...).as_query_engine()`` answers a single question and
    ``as_chat_engine(chat_mode="condense_question")`` a conversation; everything else is left
    at LlamaIndex's defaults (top-k 2, default prompts). Same embedding model, same LLM.
    """

    model_name = "LlamaIndex starter"

    def __init__(self, index: PassageIndex, embed_model: BaseEmbedding, llm: LLM) -> None:
        from llama_index.core import VectorStoreIndex

        self.llm = llm
        self.vindex = VectorStoreIndex.from_vector_store(
            index.vector_store(), embed_model=embed_model
        )

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer like the starter pipeline would; the last turn of ``history`` comes first."""
        import time

        from llama_index.core.llms import ChatMessage, MessageRole

        from askconvergence.retrieve import to_passages

        start = time.perf_counter()
        if history:
            from llama_index.core.chat_engine.types import ChatMode

            chat = self.vindex.as_chat_engine(chat_mode=ChatMode.CONDENSE_QUESTION, llm=self.llm)
            messages = [
                ChatMessage(
                    role=MessageRole.USER if t.role == "user" else MessageRole.ASSISTANT,
                    content=t.content,
                )
                for t in history
            ]
            response: Any = chat.chat(question, chat_history=messages)
        else:
            response = self.vindex.as_query_engine(llm=self.llm).query(question)
        text = str(response.response or "").strip()
        passages = to_passages(list(response.source_nodes))
        declined = not text or bool(BASELINE_DECLINE.search(text))
        timings = {"total_s": time.perf_counter() - start}
        cited = [] if declined else passages
        return Answer(question, text, not declined, cited, passages, timings, self.model_name)
