"""``POST /v1/chat/completions``: the chat behind the OpenAI API shape, so OpenAI clients work.

Citations travel in extra fields an OpenAI client keeps (``completion.citations``):
the non-streamed completion carries ``citations`` (the passages the answer cites) and
``grounded``; when streamed, the first chunk carries the retrieved passages and the last
chunk (``finish_reason: "stop"``) the cited ones and ``grounded``.

A streamed answer's text is sent once it has passed the engine's checks. The model's tokens
arrive earlier, but the checks may still turn the answer into "the documents don't say" or
ask once more; the OpenAI stream has no way to take back text a client has shown, so it
sends only what the engine stands by (the web chat and ``/api/chat`` replace the streamed
text with the final answer instead).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from askconvergence.answer.engine import Engine, Turn
from askconvergence.answer.types import Answer
from askconvergence.serve.api import (
    FAILED,
    SSE_HEADERS,
    answer_events,
    context,
    conversation,
    guard,
)
from askconvergence.serve.state import ServeContext

__all__ = ["MODEL_ID", "router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

MODEL_ID = "askconvergence"


class OpenAIMessage(BaseModel):
    """A message as OpenAI clients send it; system and tool messages are ignored."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text, joined from text parts when it has several."""
        if isinstance(self.content, list):
            return "".join(str(part.get("text", "")) for part in self.content)
        return self.content or ""


class CompletionRequest(BaseModel):
    """The OpenAI chat-completions request; sampling options are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    messages: list[OpenAIMessage] = Field(min_length=1)
    model: str = Field(MODEL_ID, description="Ignored: the server answers with its own model.")
    stream: bool = False


def _head(created: int, cid: str) -> dict[str, Any]:
    return {"id": cid, "created": created, "model": MODEL_ID}


@router.get("/models", summary="The one model this server offers")
def models() -> dict[str, Any]:
    """The OpenAI model list, for clients that check it."""
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "askconvergence"}],
    }


@router.post(
    "/chat/completions",
    summary="OpenAI-compatible chat completion with citations",
    responses={
        200: {
            "description": "A `chat.completion` with extra fields `citations` (list of "
            "`{n, doc_id, title, text, score}`) and `grounded`, or with `stream: true` "
            "`chat.completion.chunk` events ending in `data: [DONE]`; the first chunk carries "
            "the retrieved passages as `citations`, the last the cited ones and `grounded`. "
            "The answer's text comes once it has passed its checks, in one chunk.",
            "content": {"text/event-stream": {}},
        },
        403: {"description": "The browser page's origin is not allowed."},
        413: {"description": "The request body is too large."},
        422: {"description": "Too many or too long messages, or no question."},
        429: {"description": "Too many questions from this client."},
        503: {"description": "Still loading, or the model is unavailable."},
    },
)
async def chat_completions(
    body: CompletionRequest,
    engine: Engine = Depends(guard),  # noqa: B008
    ctx: ServeContext = Depends(context),  # noqa: B008
) -> Any:
    """Answer the last user message the way the OpenAI API does, plus citations."""
    kept = [(m.role, m.text()) for m in body.messages if m.role in ("user", "assistant")]
    question, turns = conversation(kept, ctx)
    created, cid = int(time.time()), f"chatcmpl-{uuid.uuid4().hex}"
    if body.stream:
        return StreamingResponse(
            _chunks(engine, question, turns, created, cid),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )
    try:
        answer = await run_in_threadpool(engine.ask, question, turns)
    except Exception as exc:
        log.exception("Answering failed")
        raise HTTPException(503, FAILED) from exc
    return {
        **_head(created, cid),
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.answer},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": [p.to_json() for p in answer.citations],
        "grounded": answer.grounded,
    }


def _chunk(head: dict[str, Any], delta: dict[str, Any], finish: str | None, **extra: Any) -> bytes:
    data = {
        **head,
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def _chunks(
    engine: Engine, question: str, turns: list[Turn], created: int, cid: str
) -> AsyncIterator[bytes]:
    head = _head(created, cid)
    async for event in answer_events(engine, question, turns):
        if isinstance(event, Exception):
            yield f"data: {json.dumps({'error': {'message': FAILED}})}\n\n".encode()
            break
        if event.kind == "citations":
            passages = [p.to_json() for p in event.data]
            yield _chunk(head, {"role": "assistant", "content": ""}, None, citations=passages)
        elif event.kind == "done":
            answer: Answer = event.data
            yield _chunk(head, {"content": answer.answer}, None)
            yield _chunk(
                head,
                {},
                "stop",
                citations=[p.to_json() for p in answer.citations],
                grounded=answer.grounded,
            )
    yield b"data: [DONE]\n\n"
