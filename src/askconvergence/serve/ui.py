"""The Gradio chat: streams answers and shows the cited passages under each one."""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import Any

from askconvergence.answer.engine import Engine, Turn
from askconvergence.answer.types import Answer, Passage

__all__ = ["EXAMPLES", "build_chat", "history_to_turns", "queue_note", "render_sources"]

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
    note = f"<sub>Answered by {html.escape(model)} in {answer.timings.get('total_s', 0):.1f} s</sub>"
    return answer.answer + render_sources(answer.citations) + f"\n\n{note}"


def queue_note(position: int) -> str:
    """What a user waiting for the model reads: their place in line."""
    ahead = "1 question is" if position == 1 else f"{position} questions are"
    return f"The model is busy: {ahead} ahead of yours (you are number {position} in line)."


def build_chat(engine: Engine) -> Any:
    """The Gradio Blocks of the chat page."""
    import gradio as gr

    def respond(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
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
            import logging

            logging.getLogger(__name__).exception("Answering failed")
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
