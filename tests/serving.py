"""Real HTTP servers for tests: the app under uvicorn and a plain static host site, in threads."""

from __future__ import annotations

import functools
import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["free_port", "run_app", "run_static"]


def free_port() -> int:
    """A free local port; TEST_PORT_RANGE=7950-7969 keeps tests inside a given range."""
    span = os.environ.get("TEST_PORT_RANGE")
    candidates: Any = [0]
    if span:
        low, high = (int(p) for p in span.split("-"))
        candidates = range(low, high + 1)
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError(f"No free port in TEST_PORT_RANGE={span}")


@contextmanager
def run_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app on a free port until the block ends; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"The test server did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def run_static(folder: Path) -> Iterator[int]:
    """Serve a folder over HTTP (another origin than the app); yields the port."""
    port = free_port()
    handler = functools.partial(_Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        httpd.shutdown()
        httpd.server_close()
