"""The HTTP API over the real index (extractive backend): JSON, SSE, OpenAI shape and limits."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from serving import run_app

from askconvergence.serve.app import create_app
from askconvergence.serve.security import OriginPolicy, RateLimiter, client_key
from askconvergence.settings import Settings

PANCREAS = "When is the artificial pancreas expected to become widely available?"
TECHMED = "techmed-medical-technology-east-netherlands.md"
ALLOWED = "https://www.allowed.example"
SECRET = "sk-do-not-leak-4f9a1c"


def server_settings(base: Settings, **server: Any) -> Settings:
    """``base`` with an allowlist, a secret LLM key and the given server limits."""
    limits = {"rate_limit_per_minute": 0, **server}
    return base.model_copy(
        update={
            "allowed_origins": [ALLOWED],
            "server": base.server.model_copy(update=limits),
            "llm": base.llm.model_copy(update={"api_key": SECRET}),
        }
    )


@pytest.fixture()
def client(built_settings: Settings, extractive_engine: Any) -> Iterator[TestClient]:
    app = create_app(server_settings(built_settings), extractive_engine, chat_page=False)
    with TestClient(app) as test_client:
        yield test_client


def ask_body(question: str = PANCREAS, stream: bool = False) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": question}], "stream": stream}


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a Server-Sent Events body."""
    events = []
    for frame in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in frame.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_chat_json_is_the_ask_json(client: TestClient) -> None:
    response = client.post("/api/chat", json=ask_body())
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"question", "answer", "grounded", "citations", "timings"}
    assert data["grounded"] is True and "2024" in data["answer"]
    assert data["citations"][0]["doc_id"] == TECHMED
    assert set(data["citations"][0]) == {"n", "doc_id", "title", "text", "score"}


def test_stream_sends_citations_before_tokens_then_done(client: TestClient) -> None:
    response = client.post("/api/chat", json=ask_body(stream=True))
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "citations" and kinds[-1] == "done"
    assert "token" in kinds and set(kinds[1:-1]) == {"token"}
    retrieved = {c["n"]: c for c in events[0][1]}
    done = events[-1][1]
    assert done["grounded"] and "2024" in done["answer"]
    streamed = "".join(data for kind, data in events if kind == "token")
    assert "2024" in streamed
    # The final answer cites a subset of the passages announced first, unchanged.
    assert done["citations"] and all(retrieved[c["n"]] == c for c in done["citations"])
    assert len(done["citations"]) <= len(retrieved)


def test_stream_of_a_declined_question_ends_without_citations(client: TestClient) -> None:
    events = parse_sse(
        client.post("/api/chat", json=ask_body("Recipe for Mongolian yak butter tea?", True)).text
    )
    assert events[0][0] == "citations" and events[-1][0] == "done"
    assert events[-1][1]["grounded"] is False and events[-1][1]["citations"] == []


def test_follow_up_uses_the_conversation(client: TestClient) -> None:
    messages = [
        {"role": "user", "content": "What is Micronit?"},
        {"role": "assistant", "content": "Micronit is a company in East Netherlands [1]."},
        {"role": "user", "content": "Where is it based?"},
    ]
    data = client.post("/api/chat", json={"messages": messages}).json()
    assert data["question"] == "Where is it based?"
    assert any(c["doc_id"] == TECHMED for c in data["citations"])


def test_failing_model_gives_an_error_event_not_a_traceback(
    built_settings: Settings, extractive_engine: Any
) -> None:
    from askconvergence.answer.engine import Engine
    from askconvergence.models.factory import make_llm

    # A real OpenAI-compatible client pointed at a port nothing listens on.
    dead = built_settings.model_copy(
        update={
            "llm": built_settings.llm.model_copy(
                update={"backend": "openai", "base_url": "http://127.0.0.1:9/v1", "timeout": 5}
            )
        }
    )
    engine = Engine(built_settings, extractive_engine.retriever, make_llm(dead))
    with TestClient(create_app(server_settings(built_settings), engine, chat_page=False)) as c:
        events = parse_sse(c.post("/api/chat", json=ask_body(stream=True)).text)
        assert [kind for kind, _ in events] == ["citations", "error"]
        assert "try again" in events[-1][1]["detail"]
        assert "Traceback" not in json.dumps(events)
        plain = c.post("/api/chat", json=ask_body())
        assert plain.status_code == 503 and "try again" in plain.json()["detail"]


def test_healthz_is_503_until_the_engine_is_loaded(
    built_settings: Settings, extractive_engine: Any
) -> None:
    release = threading.Event()

    def slow_load() -> Any:
        release.wait(30)
        return extractive_engine

    app = create_app(server_settings(built_settings), load=slow_load, chat_page=False)
    with TestClient(app) as c:
        assert c.get("/healthz").status_code == 503
        assert c.get("/healthz").json()["status"] == "loading"
        busy = c.post("/api/chat", json=ask_body())
        assert busy.status_code == 503 and "starting" in busy.json()["detail"]
        release.set()
        for _ in range(100):
            if c.get("/healthz").status_code == 200:
                break
            threading.Event().wait(0.05)
        assert c.get("/healthz").json()["status"] == "ready"
        assert c.post("/api/chat", json=ask_body()).status_code == 200


def test_healthz_tells_why_loading_failed(built_settings: Settings) -> None:
    from askconvergence.models.factory import BackendError

    def broken() -> Any:
        raise BackendError("The local model is missing: run scripts/setup.sh")

    with TestClient(create_app(server_settings(built_settings), load=broken, chat_page=False)) as c:
        for _ in range(100):
            if c.get("/healthz").json()["status"] != "loading":
                break
            threading.Event().wait(0.05)
        health = c.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "failed"
        assert "scripts/setup.sh" in health.json()["detail"]
        assert "scripts/setup.sh" in c.post("/api/chat", json=ask_body()).json()["detail"]


def test_openai_shape_without_a_client(client: TestClient) -> None:
    data = client.post(
        "/v1/chat/completions",
        json={
            "model": "anything",
            "messages": [
                {"role": "system", "content": "You are helpful."},
                {"role": "user", "content": [{"type": "text", "text": PANCREAS}]},
            ],
        },
    ).json()
    assert data["object"] == "chat.completion"
    assert "2024" in data["choices"][0]["message"]["content"]
    assert data["grounded"] and data["citations"][0]["doc_id"] == TECHMED
    assert client.get("/v1/models").json()["data"][0]["id"] == "askconvergence"


def test_the_openai_python_client_gets_an_answer_with_citations(
    built_settings: Settings, extractive_engine: Any
) -> None:
    from openai import OpenAI

    app = create_app(server_settings(built_settings), extractive_engine, chat_page=False)
    with run_app(app) as url:
        openai = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=60)
        completion = openai.chat.completions.create(
            model="askconvergence", messages=[{"role": "user", "content": PANCREAS}]
        )
        assert "2024" in (completion.choices[0].message.content or "")
        extra = completion.model_extra or {}
        assert extra["grounded"] is True and extra["citations"][0]["doc_id"] == TECHMED

        chunks = list(
            openai.chat.completions.create(
                model="askconvergence",
                messages=[{"role": "user", "content": PANCREAS}],
                stream=True,
            )
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert "2024" in text
        first, last = chunks[0].model_extra or {}, chunks[-1].model_extra or {}
        assert first["citations"] and last["citations"]
        assert chunks[-1].choices[0].finish_reason == "stop"
        assert {c["n"] for c in last["citations"]} <= {c["n"] for c in first["citations"]}


def test_a_withdrawn_answer_never_reaches_an_openai_stream(
    built_settings: Settings, extractive_engine: Any
) -> None:
    """The model streams an answer with a year no passage states; the checks turn it into a
    decline. /api/chat streamed its tokens and ends with the decline in ``done``; the OpenAI
    stream, which cannot take text back, sends only the decline."""
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata

    from askconvergence.answer.engine import Engine
    from askconvergence.answer.prompts import decline_message

    invented = "The artificial pancreas becomes widely available in 2031 [1]."

    class Inventing(CustomLLM):  # a model at the edge of the world, scripted
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=False)

        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            raise AssertionError("the engine streams")

        def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            text = ""
            for word in invented.split(" "):
                delta = word if not text else f" {word}"
                text += delta
                yield CompletionResponse(text=text, delta=delta)

    engine = Engine(built_settings, extractive_engine.retriever, Inventing())
    app = create_app(server_settings(built_settings), engine, chat_page=False)
    with TestClient(app) as c:
        events = parse_sse(c.post("/api/chat", json=ask_body(stream=True)).text)
        tokens = "".join(data for name, data in events if name == "token")
        assert "2031" in tokens  # streamed as the model wrote it ...
        done = events[-1][1]
        assert events[-1][0] == "done" and done["answer"] == decline_message("en")
        assert done["grounded"] is False and done["citations"] == []  # ... and withdrawn

        body = {**ask_body(), "stream": True}
        frames = c.post("/v1/chat/completions", json=body).text.strip().split("\n\n")
        assert frames[-1] == "data: [DONE]"
        chunks = [json.loads(frame.removeprefix("data: ")) for frame in frames[:-1]]
        text = "".join(ch["choices"][0]["delta"].get("content") or "" for ch in chunks)
        assert text == decline_message("en")
        assert chunks[-1]["grounded"] is False and chunks[-1]["citations"] == []


def test_docs_and_openapi_describe_the_api(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/chat", "/v1/chat/completions", "/healthz"} <= set(paths)


# --- Public-site safety -------------------------------------------------------------------


def test_allowed_origin_gets_cors_and_a_foreign_one_is_refused(client: TestClient) -> None:
    ok = client.post("/api/chat", json=ask_body(), headers={"Origin": ALLOWED})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == ALLOWED
    for path, body in [
        ("/api/chat", ask_body()),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": PANCREAS}]}),
    ]:
        refused = client.post(path, json=body, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403
        assert "access-control-allow-origin" not in refused.headers
    preflight = client.options(
        "/api/chat",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    evil = {"Origin": "https://evil.example"}
    assert client.get("/widget/config", headers=evil).status_code == 403
    # The server's own pages (same origin) and non-browser clients (no Origin) may ask.
    own = client.post("/api/chat", json=ask_body(), headers={"Origin": "http://testserver"})
    assert own.status_code == 200


def test_widget_page_may_only_be_framed_by_allowed_sites(client: TestClient) -> None:
    page = client.get("/widget")
    policy = page.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {ALLOWED}" in policy
    assert "connect-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors" in client.get("/healthz").headers["content-security-policy"]
    assert client.get("/embed.js").headers["content-type"].startswith("text/javascript")


def test_origin_policy_normalises_and_matches() -> None:
    policy = OriginPolicy.from_list(["https://Www.Example.org:443/", "http://127.0.0.1:8001"])
    assert policy.allows("https://www.example.org")
    assert policy.allows("http://127.0.0.1:8001")
    assert not policy.allows("http://www.example.org")
    assert not policy.allows("https://www.example.org.evil.example")
    assert policy.allows(None)
    assert policy.allows("http://chat.example:7860", host="chat.example:7860")
    assert OriginPolicy.from_list(["*"]).allows("https://anywhere.example")


def test_allowed_origins_come_from_one_comma_separated_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASKCONV_ALLOWED_ORIGINS", "https://a.example, https://b.example/")
    monkeypatch.setenv("ASKCONV_SERVER_RATE_LIMIT_PER_MINUTE", "3")
    settings = Settings()
    assert settings.allowed_origins == ["https://a.example", "https://b.example"]
    assert settings.server.rate_limit_per_minute == 3


def test_rate_limit_answers_429_with_a_message(
    built_settings: Settings, extractive_engine: Any
) -> None:
    settings = server_settings(built_settings, rate_limit_per_minute=1, rate_limit_burst=2)
    with TestClient(create_app(settings, extractive_engine, chat_page=False)) as c:
        codes = [c.post("/api/chat", json=ask_body()).status_code for _ in range(2)]
        limited = c.post("/api/chat", json=ask_body())
        assert codes == [200, 200] and limited.status_code == 429
        assert "Too many questions" in limited.json()["detail"]
        assert int(limited.headers["retry-after"]) >= 1
        assert c.get("/healthz").status_code == 200  # status checks are not questions


def test_rate_limiter_refills_per_client() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=6, burst=2, clock=lambda: now[0])
    assert [limiter.take("a"), limiter.take("a")] == [0.0, 0.0]
    assert limiter.take("a") == pytest.approx(10.0)
    assert limiter.take("b") == 0.0
    now[0] = 10.0
    assert limiter.take("a") == 0.0
    assert RateLimiter(per_minute=0, burst=1).take("a") == 0.0


def test_client_key_trusts_only_the_proxy_added_address() -> None:
    class Peer:
        host = "10.0.0.2"

    assert client_key(Peer(), "1.2.3.4", trust_proxy=False) == "10.0.0.2"
    assert client_key(Peer(), "6.6.6.6, 203.0.113.9", trust_proxy=True) == "203.0.113.9"
    assert client_key(None, None, trust_proxy=True) == "unknown"


def test_size_limits(built_settings: Settings, extractive_engine: Any) -> None:
    settings = server_settings(
        built_settings, max_message_chars=100, max_messages=3, max_request_bytes=2000
    )
    with TestClient(create_app(settings, extractive_engine, chat_page=False)) as c:
        long = c.post("/api/chat", json=ask_body("x" * 101))
        assert long.status_code == 422 and "100" in long.json()["detail"]
        many = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}] * 2
        too_many = c.post("/api/chat", json={"messages": [*many, *ask_body()["messages"]]})
        assert too_many.status_code == 422 and "at most 3" in too_many.json()["detail"]
        huge = c.post("/api/chat", json=ask_body("y" * 5000))
        assert huge.status_code == 413 and "too large" in huge.json()["detail"]
        chunked = c.post(
            "/v1/chat/completions",
            content=iter([b'{"messages": [{"role": "user", "content": "', b"z" * 5000, b'"}]}']),
            headers={"content-type": "application/json"},
        )
        assert chunked.status_code == 413
        assert c.post("/api/chat", json={"messages": []}).status_code == 422
        answer_last = {"messages": [{"role": "assistant", "content": "hello"}]}
        assert c.post("/api/chat", json=answer_last).status_code == 422
        assert c.post("/api/chat", json=ask_body("   ")).status_code == 422


def test_no_secret_reaches_the_browser(built_settings: Settings, extractive_engine: Any) -> None:
    app = create_app(server_settings(built_settings), extractive_engine)  # with the Gradio page
    with TestClient(app) as c:
        for path in [
            "/",
            "/config",
            "/gradio_api/info",
            "/widget",
            "/embed.js",
            "/widget/widget.js",
            "/widget/widget.css",
            "/widget/config",
            "/openapi.json",
            "/docs",
            "/healthz",
        ]:
            response = c.get(path)
            assert response.status_code == 200, path
            assert SECRET not in response.text, path
        answer = c.post("/api/chat", json=ask_body(stream=True))
        assert SECRET not in answer.text
