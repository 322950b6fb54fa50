"""The FastAPI application: HTTP API plus the Gradio chat mounted at ``/``."""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, Field

from askconvergence.answer.engine import Engine, Turn

__all__ = ["ChatRequest", "create_app"]

log = logging.getLogger(__name__)


class Message(BaseModel):
    """One chat message."""

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=4000)


class ChatRequest(BaseModel):
    """A conversation whose last message is the user's question."""

    messages: list[Message] = Field(min_length=1, max_length=40)
    stream: bool = False


def create_app(engine: Engine) -> Any:
    """The app serving ``/api/chat``, ``/healthz`` and the chat page at ``/``."""
    import gradio as gr
    from fastapi import FastAPI, HTTPException
    from fastapi.concurrency import run_in_threadpool

    from askconvergence.serve.ui import build_chat

    app = FastAPI(title="askconvergence", version="0.1.0")

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:  # async: never waits behind busy worker threads
        """200 when the index and models are loaded; ``queue`` shows how busy the model is."""
        return {"status": "ok", "model": engine.model_name, "queue": engine.queue.status()}

    @app.post("/api/chat")
    async def chat(request: ChatRequest) -> dict[str, Any]:
        """Answer the last user message of the conversation, with citations."""
        if request.messages[-1].role != "user":
            raise HTTPException(422, "The last message must be the user's question.")
        turns = [Turn(m.role, m.content) for m in request.messages[:-1]]
        question = request.messages[-1].content
        try:
            answer = await run_in_threadpool(engine.ask, question, turns)
        except Exception as exc:
            log.exception("Answering failed")
            raise HTTPException(503, "The answering model is unavailable; try again later.") from exc
        return answer.to_json()

    return gr.mount_gradio_app(app, build_chat(engine), path="/")
