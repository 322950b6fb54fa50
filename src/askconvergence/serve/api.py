"""The HTTP API: ``POST /api/chat`` (JSON or Server-Sent Events) and ``GET /healthz``."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Generator, Sequence
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from askconvergence.answer.engine import Engine, Event, Turn
from askconvergence.serve.security import client_key, retry_after
from askconvergence.serve.state import EngineNotReady, ServeContext

__all__ = [
    "ChatMessage",
    "ChatRequest",
    "answer_events",
    "conversation",
    "guard",
    "router",
    "sse",
]

log = logging.getLogger(__name__)

router = APIRouter()

FAILED = "Sorry, the answer could not be written; please try again later."


class ChatMessage(BaseModel):
    """One message of the conversation."""

    role: Literal["user", "assistant"] = Field(description="Who wrote it.")
    content: str = Field(description="The text; answers may keep their [n] markers.")


class ChatRequest(BaseModel):
    """A conversation whose last message is the user's question."""

    messages: list[ChatMessage] = Field(
        min_length=1, description="The conversation so far, oldest first, ending with a question."
    )
    stream: bool = Field(
        False,
        description="Stream Server-Sent Events (citations, token..., done) instead of one JSON.",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "messages": [
                        {
                            "role": "user",
                            "content": "When is the artificial pancreas expected to become "
                            "widely available?",
                        }
                    ],
                    "stream": False,
                }
            ]
        }
    }


def context(request: Request) -> ServeContext:
    """The server's shared state."""
    ctx: ServeContext = request.app.state.askconv
    return ctx


def guard(request: Request, ctx: ServeContext = Depends(context)) -> Engine:  # noqa: B008
    """Refuse foreign browser origins (403) and clients over their rate (429); give the engine."""
    if not ctx.origins.allows(request.headers.get("origin"), request.headers.get("host")):
        raise HTTPException(403, "This site is not allowed to use the chat.")
    forwarded = request.headers.get("x-forwarded-for")
    key = client_key(request.client, forwarded, ctx.settings.server.trust_proxy_headers)
    wait = ctx.limiter.take(key)
    if wait > 0:
        raise HTTPException(
            429,
            f"Too many questions in a short time. Please wait {retry_after(wait)} seconds and "
            "try again.",
            headers={"Retry-After": retry_after(wait)},
        )
    try:
        return ctx.slot.get()
    except EngineNotReady as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "30"}) from exc


def conversation(messages: Sequence[tuple[str, str]], ctx: ServeContext) -> tuple[str, list[Turn]]:
    """The question and earlier turns, or 422 when the conversation breaks the size limits."""
    limits = ctx.settings.server
    if not messages:
        raise HTTPException(422, "Send at least one message.")
    if len(messages) > limits.max_messages:
        raise HTTPException(
            422,
            f"The conversation has {len(messages)} messages; at most {limits.max_messages} are "
            "accepted. Send only the latest ones.",
        )
    for _role, text in messages:
        if len(text) > limits.max_message_chars:
            raise HTTPException(
                422,
                f"A message has {len(text)} characters; at most {limits.max_message_chars} are "
                "accepted. Please shorten it.",
            )
    role, question = messages[-1]
    if role != "user":
        raise HTTPException(422, "The last message must be the user's question.")
    if not question.strip():
        raise HTTPException(422, "The question is empty.")
    turns = [Turn(r, t) for r, t in messages[:-1] if r in ("user", "assistant")]  # type: ignore[arg-type]
    return question, turns


async def answer_events(
    engine: Engine, question: str, turns: list[Turn]
) -> AsyncIterator[Event | Exception]:
    """The engine's events without blocking the server; a failure ends with the exception."""
    events: Generator[Event, None, None] = engine.stream(question, turns)  # type: ignore[assignment]
    sentinel = object()
    try:
        while True:
            event = await run_in_threadpool(next, events, sentinel)
            if event is sentinel:
                return
            yield event  # type: ignore[misc]
    except Exception as exc:  # reported to the client as an error event, never a traceback
        log.exception("Answering failed")
        yield exc
    finally:
        # Stops generation when the client went away; a step still running in its thread
        # raises ValueError here and the generator stops at its next step instead.
        with contextlib.suppress(ValueError):
            events.close()


def sse(event: str, data: Any) -> bytes:
    """One Server-Sent Event with JSON data."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get("/healthz", tags=["status"], summary="200 when the chat can answer, else 503")
def healthz(ctx: ServeContext = Depends(context)) -> JSONResponse:  # noqa: B008
    """``{"status": "ready"}`` with 200 once the index and models are loaded; 503 before."""
    if ctx.slot.ready:
        engine = ctx.slot.get()
        return JSONResponse(
            {"status": "ready", "model": engine.model_name, "queue": engine.queue.status()}
        )
    body: dict[str, Any] = {"status": ctx.slot.status}
    if ctx.slot.error:
        body["detail"] = ctx.slot.error
    return JSONResponse(body, status_code=503, headers={"Retry-After": "10"})


@router.post(
    "/api/chat",
    tags=["chat"],
    summary="Answer the last question of a conversation, with cited passages",
    responses={
        200: {
            "description": "The answer as JSON (the shape of `askconvergence ask --json`), or "
            "with `stream: true` a `text/event-stream` of `citations` (JSON list of passages, "
            'before any token), `queued` (`{"position": n}` while the model is busy with '
            "earlier questions), `token` (JSON string), `done` (the answer JSON, citations "
            'trimmed to those used) or `error` (`{"detail": ...}`).',
            "content": {"text/event-stream": {}},
        },
        403: {"description": "The browser page's origin is not in ASKCONV_ALLOWED_ORIGINS."},
        413: {"description": "The request body is too large."},
        422: {"description": "Too many or too long messages, or no question."},
        429: {"description": "Too many questions from this client; see Retry-After."},
        503: {"description": "Still loading, or the model is unavailable."},
    },
)
async def chat(
    body: ChatRequest,
    engine: Engine = Depends(guard),  # noqa: B008
    ctx: ServeContext = Depends(context),  # noqa: B008
) -> Any:
    """Answer the last user message; earlier messages give the conversation context."""
    question, turns = conversation([(m.role, m.content) for m in body.messages], ctx)
    if not body.stream:
        try:
            answer = await run_in_threadpool(engine.ask, question, turns)
        except Exception as exc:
            log.exception("Answering failed")
            raise HTTPException(503, FAILED) from exc
        return answer.to_json()
    return StreamingResponse(
        _sse_stream(engine, question, turns), media_type="text/event-stream", headers=SSE_HEADERS
    )


async def _sse_stream(engine: Engine, question: str, turns: list[Turn]) -> AsyncIterator[bytes]:
    async for event in answer_events(engine, question, turns):
        yield _encode(event)


def _encode(event: Event | Exception) -> bytes:
    encoders: dict[str, Callable[[Any], Any]] = {
        "citations": lambda passages: [p.to_json() for p in passages],
        "queued": lambda position: {"position": position},
        "token": lambda text: text,
        "done": lambda answer: answer.to_json(),
    }
    if isinstance(event, Exception):
        return sse("error", {"detail": FAILED})
    return sse(event.kind, encoders[event.kind](event.data))
