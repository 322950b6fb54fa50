"""The widget and the Gradio chat in a real headless Chromium, embedded from another origin.

Screenshots go to $TEST_ARTIFACTS_DIR (default: a pytest tmp folder); the path is printed at
the end of the run.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from serving import run_app, run_static

from askconvergence.serve.app import create_app
from askconvergence.settings import Settings

pytestmark = pytest.mark.slow

PANCREAS = "When is the artificial pancreas expected to become widely available?"
TECHMED_TITLE = "Medical technology secures the future of healthcare"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 60_000

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Faculty of Health: visitor information</title>
<style>
  body {{ font-family: Georgia, serif; color: rgb(40, 40, 40); background: #faf7f0; margin: 2rem; }}
  button {{ background: rgb(255, 0, 0) !important; font-size: 30px !important; }}
  iframe {{ border: 10px solid rgb(255, 0, 0) !important; }}
  .panel, .launcher {{ display: none !important; }}
</style></head>
<body>
  <h1>Visitor information</h1>
  <p class="host-text">The building is open from 8:00 to 18:00.</p>
  <a href="#top">Back to the top</a>
  <script src="{server}/embed.js" async data-title="Campus help"
          data-greeting="Hi! Ask me about our research." data-language="en"
          data-position="right" data-accent="#7b2d8e"></script>
</body></html>
"""


def _artifacts(request: pytest.FixtureRequest, factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("TEST_ARTIFACTS_DIR") or factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    request.config.artifacts_dir = folder  # type: ignore[attr-defined]  # printed by conftest
    return folder


@pytest.fixture(scope="module")
def shots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _artifacts(request, tmp_path_factory)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"Chromium not found at {CHROMIUM}: run scripts/setup.sh dev (apt chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _settings(base: Settings, allowed: str, **server: Any) -> Settings:
    return base.model_copy(
        update={
            "allowed_origins": [allowed],
            "server": base.server.model_copy(update={"rate_limit_per_minute": 0, **server}),
        }
    )


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, built_settings: Settings, extractive_engine: Any
) -> Iterator[dict[str, str]]:
    """The chat server, a rate-limited one, and a host site on another port allowed by both."""
    folder = tmp_path_factory.mktemp("host-site")
    with run_static(folder) as port:
        host = f"http://127.0.0.1:{port}"
        app = create_app(_settings(built_settings, host), extractive_engine)
        limited = create_app(
            _settings(built_settings, host, rate_limit_per_minute=0.5, rate_limit_burst=1),
            extractive_engine,
            chat_page=False,
        )
        with run_app(app) as server, run_app(limited) as limited_server:
            (folder / "host.html").write_text(HOST_PAGE.format(server=server))
            (folder / "limited.html").write_text(HOST_PAGE.format(server=limited_server))
            yield {
                "server": server,
                "limited": limited_server,
                "host": host,
                # The same page under another name is another origin, not on the list.
                "foreign": f"http://localhost:{port}",
            }


def _open_widget(page: Any) -> Any:
    from playwright.sync_api import expect

    launcher = page.get_by_role("button", name=re.compile("chat", re.IGNORECASE))
    expect(launcher).to_be_visible(timeout=TIMEOUT_MS)
    launcher.click()
    return page.frame_locator("iframe[title='Campus help chat']")


def _ask(frame: Any, question: str) -> None:
    frame.get_by_role("textbox", name="Your question").fill(question)
    frame.get_by_role("button", name="Send").click()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_widget_streams_a_cited_answer_from_another_origin(
    browser: Any, site: dict[str, str], shots: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    requested: list[str] = []
    context.on("request", lambda r: requested.append(r.url))
    page = context.new_page()
    page.goto(f"{site['host']}/host.html")
    frame = _open_widget(page)
    expect(frame.get_by_text("Hi! Ask me about our research.")).to_be_visible()

    with page.expect_response(lambda r: r.url.endswith("/api/chat")) as chat:
        _ask(frame, PANCREAS)
    assert chat.value.headers["content-type"].startswith("text/event-stream")
    answer = frame.locator(".msg.assistant").last
    expect(answer).to_contain_text("2024", timeout=TIMEOUT_MS)
    source = answer.locator("details.source summary").first
    expect(source).to_contain_text(TECHMED_TITLE)
    expect(answer.locator(".passage").first).to_be_hidden()
    answer.locator("a.marker").first.click()  # a marker opens its passage
    expect(answer.locator(".passage").first).to_be_visible()
    expect(answer.locator(".passage").first).to_contain_text("widely available in 2024")
    page.screenshot(path=str(shots / "widget-answer.png"))

    # No style leaks either way: the host's rules do not reach the widget, and it adds none.
    launcher_bg = page.locator(".launcher").evaluate("b => getComputedStyle(b).backgroundColor")
    assert launcher_bg == "rgb(123, 45, 142)"  # data-accent, despite the host's red !important
    frame_border = page.locator("iframe").evaluate("f => getComputedStyle(f).borderTopWidth")
    assert frame_border == "0px"
    assert page.evaluate("document.styleSheets.length") == 1
    assert (
        page.locator("p.host-text").evaluate("p => getComputedStyle(p).fontFamily")
        == "Georgia, serif"
    )

    # Everything came from the host page or the chat server; nothing else was contacted.
    assert {_origin(u) for u in requested} <= {site["host"], site["server"]}

    # The conversation survives a reload in the same tab (and the panel stays open).
    page.reload()
    frame = page.frame_locator("iframe[title='Campus help chat']")
    expect(frame.locator(".msg.user").first).to_contain_text(PANCREAS, timeout=TIMEOUT_MS)
    expect(frame.locator(".msg.assistant").last.locator("details.source").first).to_be_visible()
    page.screenshot(path=str(shots / "widget-after-reload.png"))
    context.close()


def test_widget_works_by_keyboard_at_360px(browser: Any, site: dict[str, str], shots: Path) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{site['host']}/host.html")
    launcher = page.get_by_role("button", name=re.compile("chat", re.IGNORECASE))
    expect(launcher).to_be_visible(timeout=TIMEOUT_MS)
    for _ in range(6):  # the link, then the launcher
        page.keyboard.press("Tab")
        if launcher.evaluate("b => b.getRootNode().activeElement === b"):
            break
    assert launcher.evaluate("b => b.getRootNode().activeElement === b")
    page.keyboard.press("Enter")
    frame = page.frame_locator("iframe[title='Campus help chat']")
    box = frame.get_by_role("textbox", name="Your question")
    expect(box).to_be_focused(timeout=TIMEOUT_MS)
    page.keyboard.type("What is Micronit?")
    page.keyboard.press("Enter")
    answer = frame.locator(".msg.assistant").last
    expect(answer.locator("details.source").first).to_be_visible(timeout=TIMEOUT_MS)
    answer.locator("details.source summary").first.focus()
    page.keyboard.press("Enter")  # opens the passage
    expect(answer.locator(".passage").first).to_be_visible()

    panel = page.locator(".panel").bounding_box()
    send = frame.get_by_role("button", name="Send").bounding_box()
    assert panel is not None and send is not None
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= 360
    assert send["x"] + send["width"] <= 360 and send["y"] + send["height"] <= 740
    page.screenshot(path=str(shots / "widget-360px.png"))

    box.focus()
    page.keyboard.press("Escape")  # closes the panel and gives focus back to the launcher
    expect(page.locator(".panel")).to_be_hidden()
    assert launcher.evaluate("b => b.getRootNode().activeElement === b")
    context.close()


def test_origin_not_on_the_list_gets_no_working_widget(
    browser: Any, site: dict[str, str], shots: Path
) -> None:
    context = browser.new_context()
    page = context.new_page()
    with page.expect_console_message(lambda m: "not available" in m.text, timeout=TIMEOUT_MS):
        page.goto(f"{site['foreign']}/host.html")
    assert page.locator("askconv-widget").count() == 0
    assert page.get_by_role("button", name=re.compile("chat", re.IGNORECASE)).count() == 0

    # A page that frames the chat itself is refused by the browser (CSP frame-ancestors)...
    loaded = """url => new Promise(done => {
        const f = document.createElement('iframe');
        f.id = 'probe'; f.onload = () => done(true); f.src = url;
        document.body.appendChild(f);
    })"""
    page.evaluate(loaded, f"{site['server']}/widget")
    probe = next(f for f in page.frames if f != page.main_frame)
    assert probe.locator("textarea").count() == 0
    # ...and so is calling the API from its scripts (CORS, and the server checks Origin).
    error = page.evaluate(
        """url => fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
              body: JSON.stringify({messages: [{role: 'user', content: 'hi'}]})})
              .then(r => 'status ' + r.status, e => e.name)""",
        f"{site['server']}/api/chat",
    )
    assert error == "TypeError"
    page.screenshot(path=str(shots / "widget-refused-origin.png"))

    # The same probe from the allowed origin does load the chat: the check above can fail.
    allowed = context.new_page()
    allowed.goto(f"{site['host']}/host.html")
    allowed.evaluate(loaded, f"{site['server']}/widget")
    frame = allowed.frame_locator("#probe")
    assert frame.locator("textarea").count() == 1
    context.close()


def test_widget_shows_the_rate_limit_message(
    browser: Any, site: dict[str, str], shots: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.goto(f"{site['host']}/limited.html")
    frame = _open_widget(page)
    _ask(frame, "What is Micronit?")
    expect(frame.locator(".msg.assistant details.source").first).to_be_visible(timeout=TIMEOUT_MS)
    _ask(frame, PANCREAS)
    alert = frame.get_by_role("alert")
    expect(alert).to_contain_text("Too many questions", timeout=TIMEOUT_MS)
    page.screenshot(path=str(shots / "widget-rate-limited.png"))
    context.close()


def test_gradio_chat_page_answers_with_a_source(
    browser: Any, site: dict[str, str], shots: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1100, "height": 900})
    requested: list[str] = []
    context.on("request", lambda r: requested.append(r.url))
    page = context.new_page()
    page.goto(f"{site['server']}/")
    box = page.get_by_role("textbox").first
    expect(box).to_be_visible(timeout=TIMEOUT_MS)
    box.fill(PANCREAS)
    box.press("Enter")
    expect(page.get_by_text(TECHMED_TITLE).first).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text(re.compile(r"widely available in 2024")).first).to_be_visible()
    page.screenshot(path=str(shots / "gradio-chat.png"), full_page=True)
    assert {_origin(u) for u in requested if u.startswith("http")} <= {site["server"]}
    context.close()


def test_widget_with_the_local_llm_streams_a_cited_answer(
    browser: Any,
    shots: Path,
    tmp_path: Path,
    built_settings: Settings,
    extractive_engine: Any,
    local_llm: Any,
) -> None:
    from playwright.sync_api import expect

    from askconvergence.answer.engine import Engine

    engine = Engine(built_settings, extractive_engine.retriever, local_llm)
    with run_static(tmp_path) as port:
        host = f"http://127.0.0.1:{port}"
        app = create_app(_settings(built_settings, host), engine, chat_page=False)
        with run_app(app) as server:
            (tmp_path / "host.html").write_text(HOST_PAGE.format(server=server))
            context = browser.new_context(viewport={"width": 1280, "height": 860})
            page = context.new_page()
            page.goto(f"{host}/host.html")
            frame = _open_widget(page)
            _ask(frame, PANCREAS)
            answer = frame.locator(".msg.assistant").last
            # Streaming: text appears while the sources (sent with `done`) are not there yet.
            frame.locator(".msg.assistant:last-child p.text:not(:empty)").first.wait_for(
                timeout=180_000
            )
            assert answer.locator("details.source").count() == 0
            expect(answer.locator("details.source").first).to_be_visible(timeout=180_000)
            expect(answer).to_contain_text("2024")
            expect(answer.locator("details.source summary").first).to_contain_text(TECHMED_TITLE)
            page.screenshot(path=str(shots / "widget-local-llm.png"))
            context.close()
