"""The one engine every edge (CLI, HTTP API, Gradio chat, widget) calls to answer a question."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from askconvergence.answer.citations import resolve_citations
from askconvergence.answer.extractive import extract_answer
from askconvergence.answer.language import detect_language
from askconvergence.answer.prompts import (
    DECLINE_TOKEN,
    SYSTEM_PROMPT,
    decline_message,
    user_prompt,
)
from askconvergence.answer.queue import GenerationQueue, Ticket
from askconvergence.answer.types import Answer, Passage
from askconvergence.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM
    from llama_index.core.retrievers import BaseRetriever

__all__ = ["Engine", "Event", "Turn"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Event:
    """A step of a streamed answer: ``citations`` (passages), ``queued`` (place in line, 1 = next),
    ``token`` (text) or ``done`` (Answer)."""

    kind: Literal["citations", "queued", "token", "done"]
    data: Any


_FOLLOW_UP = re.compile(
    r"\b(it|its|it's|they|them|their|he|she|his|her|this|that|these|those|there|"
    r"het|hij|zij|ze|hun|haar|zijn|dit|dat|deze|die|daar|daarvan|ervan)\b",
    re.IGNORECASE,
)
_MARKERS = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def retrieval_query(question: str, history: Sequence[Turn]) -> str:
    """The text to search for: a follow-up borrows the previous user question as context."""
    previous = [t.content for t in history if t.role == "user"]
    if previous and (_FOLLOW_UP.search(question) or len(question.split()) <= 4):
        return f"{previous[-1]} {question}"
    return question


class Engine:
    """Retrieves passages and writes a cited answer with the configured backend."""

    def __init__(
        self,
        settings: Settings,
        retriever: BaseRetriever,
        llm: LLM | None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.llm = llm
        # The local model writes one answer at a time; a hosted server takes several at once.
        self.queue = GenerationQueue(slots=1 if settings.llm.backend == "local" else 8)

    @property
    def model_name(self) -> str:
        """Which model writes the answers, for the UI note."""
        if self.llm is None:
            return "extractive (no LLM)"
        return str(self.llm.metadata.model_name)

    def retrieve(self, question: str, history: Sequence[Turn] = ()) -> list[Passage]:
        """The passages for a question in its conversation, best first."""
        from askconvergence.retrieve import to_passages

        return to_passages(self.retriever.retrieve(retrieval_query(question, history)))

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """A complete answer (the last event of :meth:`stream`)."""
        for event in self.stream(question, history):
            if event.kind == "done":
                answer: Answer = event.data
                return answer
        raise RuntimeError("stream ended without an answer")

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[Event]:
        """Yield the retrieved passages first, then answer tokens, then the final answer."""
        question = question.strip()
        if not question:
            raise ValueError("The question is empty.")
        start = time.perf_counter()
        language = detect_language(question)
        passages = self.retrieve(question, history)
        timings = {"retrieve_s": time.perf_counter() - start}
        yield Event("citations", passages)

        best = max((p.score for p in passages), default=0.0)
        if best < self.settings.retrieval.min_score:
            log.info("Declining: best score %.3f below %.3f", best, self.settings.retrieval.min_score)
            yield from self._decline(question, language, passages, timings, start)
            return

        if self.llm is None:
            raw = extract_answer(question, passages)
            yield Event("token", raw)
        else:
            ticket = self.queue.join()
            yield from (Event("queued", n) for n in ticket.positions())
            raw = ""
            held = True  # hold text back while it could still be the decline token
            deltas = self._generate(question, history, passages, language, ticket)
            for delta in deltas:
                timings.setdefault("first_token_s", time.perf_counter() - start)
                raw += delta
                if held:
                    head = raw.strip()
                    if DECLINE_TOKEN in head:
                        break
                    if DECLINE_TOKEN.startswith(head):
                        continue
                    held = False
                    yield Event("token", raw)
                else:
                    yield Event("token", delta)
            deltas.close()  # stops generation at once when the model declined
        timings["total_s"] = time.perf_counter() - start

        if DECLINE_TOKEN in raw or not raw.strip():
            yield from self._decline(question, language, passages, timings, start)
            return
        text, cited = resolve_citations(raw, passages)
        yield Event(
            "done",
            Answer(question, text, True, cited, passages, timings, self.model_name),
        )

    def _decline(
        self,
        question: str,
        language: str,
        passages: list[Passage],
        timings: dict[str, float],
        start: float,
    ) -> Iterator[Event]:
        text = decline_message(language)
        timings["total_s"] = time.perf_counter() - start
        yield Event("done", Answer(question, text, False, [], passages, timings, self.model_name))

    def _generate(
        self,
        question: str,
        history: Sequence[Turn],
        passages: list[Passage],
        language: str,
        ticket: Ticket | None = None,
    ) -> Iterator[str]:
        assert self.llm is not None
        try:
            yield from self._generate_deltas(question, history, passages, language)
        finally:
            if ticket is not None:
                ticket.release()  # the next request in line may start

    def _generate_deltas(
        self, question: str, history: Sequence[Turn], passages: list[Passage], language: str
    ) -> Iterator[str]:
        from llama_index.core.llms import ChatMessage, MessageRole

        assert self.llm is not None
        messages = [ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM_PROMPT)]
        for turn in list(history)[-4:]:
            content = _MARKERS.sub("", turn.content)
            role = MessageRole.USER if turn.role == "user" else MessageRole.ASSISTANT
            messages.append(ChatMessage(role=role, content=content))
        messages.append(
            ChatMessage(role=MessageRole.USER, content=user_prompt(question, passages, language))
        )
        responses = self.llm.stream_chat(messages)
        try:
            for response in responses:
                if response.delta:
                    yield response.delta
        finally:
            close = getattr(responses, "close", None)
            if close is not None:
                close()
