"""The Gradio chat: streams answers and shows the cited passages under each one."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import gradio as gr  # this module is the Gradio page; the app imports it only when serving it

from askconvergence.answer.engine import Turn
from askconvergence.answer.types import Answer, Passage
from askconvergence.serve.security import client_key, retry_after
from askconvergence.serve.state import EngineNotReady

if TYPE_CHECKING:
    from askconvergence.serve.state import ServeContext

__all__ = ["EXAMPLES", "build_chat", "history_to_turns", "queue_note", "render_sources"]

log = logging.getLogger(__name__)

EXAMPLES = [
    "When is the artificial pancreas expected to become widely available?",
    "Which institutions work together in Convergence Health & Technology?",
    "What is Micronit?",
    "Welke thema's heeft Health Hub Utrecht?",
]

# Everything after this line in an assistant message is the sources block, not the answer.
SOURCES_RULE = "\n\n<div class='askconv-sources'>"


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text(c) for c in content)
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    return ""


def history_to_turns(history: Sequence[dict[str, Any]]) -> list[Turn]:
    """Gradio's message history as engine turns, without the rendered sources."""
    turns = []
    for message in history:
        role = message.get("role")
        if role not in ("user", "assistant"):
            continue
        text = _text(message.get("content")).split(SOURCES_RULE)[0].strip()
        if text:
            turns.append(Turn(role=role, content=text))
    return turns


def render_sources(passages: Sequence[Passage], label: str = "Sources") -> str:
    """The cited passages as collapsible blocks: number and title visible, text on click."""
    if not passages:
        return ""
    items = "".join(
        f"<details><summary>[{p.n}] {html.escape(p.title)}</summary>"
        f"<p>{html.escape(p.text.strip())}</p></details>"
        for p in passages
    )
    return f"{SOURCES_RULE}<strong>{label}</strong>{items}</div>"


def _final(answer: Answer, model: str) -> str:
    seconds = answer.timings.get("total_s", 0)
    note = f"<sub>Answered by {html.escape(model)} in {seconds:.1f} s</sub>"
    return answer.answer + render_sources(answer.citations) + f"\n\n{note}"


def queue_note(position: int) -> str:
    """What a user waiting for the model reads: their place in line."""
    ahead = "1 question is" if position == 1 else f"{position} questions are"
    return f"The model is busy: {ahead} ahead of yours (you are number {position} in line)."


def build_chat(ctx: ServeContext) -> Any:
    """The Gradio Blocks of the chat page, answering with the server's engine."""
    limits = ctx.settings.server

    def respond(message: str, history: list[dict[str, Any]], request: gr.Request) -> Iterator[str]:
        if len(message) > limits.max_message_chars:
            yield f"Please keep questions under {limits.max_message_chars} characters."
            return
        key = client_key(
            request.client, request.headers.get("x-forwarded-for"), limits.trust_proxy_headers
        )
        wait = ctx.limiter.take(key)
        if wait > 0:
            yield f"Too many questions in a short time. Please wait {retry_after(wait)} seconds."
            return
        try:
            engine = ctx.slot.get()
        except EngineNotReady as exc:
            yield str(exc)
            return
        turns = history_to_turns(history)
        text = ""
        sources = ""
        try:
            for event in engine.stream(message, turns):
                if event.kind == "citations":
                    sources = render_sources(event.data, label="Searching these passages")
                    yield "…" + sources
                elif event.kind == "queued":
                    yield f"*{queue_note(event.data)}*" + sources
                elif event.kind == "token":
                    text += event.data
                    yield text + sources
                else:
                    yield _final(event.data, engine.model_name)
        except ValueError as exc:
            yield str(exc)
        except Exception:  # a failing backend must not show a traceback to the user
            log.exception("Answering failed")
            yield "Sorry, the answering model is unavailable right now. Please try again later."

    return gr.ChatInterface(
        respond,
        title="Ask Convergence",
        description=(
            "Questions about Convergence Health & Technology (TU Delft, Erasmus MC, Erasmus "
            "University Rotterdam) and Dutch health technology, answered from its documents "
            "with the passages shown. Ask in English or Dutch."
        ),
        examples=EXAMPLES,
        cache_examples=False,
        chatbot=gr.Chatbot(height=520, sanitize_html=True, label="Ask Convergence"),
        fill_height=True,
        analytics_enabled=False,
        # Many chats at once: each shows its passages at once and waits in the engine's fair
        # generation queue (with its place shown) instead of in Gradio's one-at-a-time queue.
        concurrency_limit=32,
    )
