"""A running server keeps answering while the index is rebuilt, then answers from the new index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from askconvergence.index import build_index, current_generation
from tests.conftest import make_settings
from tests.indexing import add_generated_docs, snapshot, write_doc

PORT = 7941
TOKEN = "test-admin-token"
NEW_FACT = "Conny the zebra is the mascot of the convergence lab in Delft; she was born in 2019."
NEW_QUESTION = "What is the name of the zebra that is the mascot of the convergence lab?"
OLD_QUESTION = "When is the artificial pancreas expected to become widely available?"
DELETED = "health-hub-utrecht-finland-netherlands.md"


@dataclass
class Reply:
    sent: float
    question: str
    status: int
    docs: list[str]
    answer: str


def _ask_forever(base: str, stop: threading.Event, replies: list[Reply]) -> None:
    import httpx

    with httpx.Client(base_url=base, timeout=60) as client:
        i = 0
        while not stop.is_set():
            question = NEW_QUESTION if i % 2 else OLD_QUESTION
            i += 1
            sent = time.monotonic()
            try:
                res = client.post(
                    "/api/chat", json={"messages": [{"role": "user", "content": question}]}
                )
                body = res.json() if res.status_code == 200 else {}
                replies.append(
                    Reply(
                        sent,
                        question,
                        res.status_code,
                        [c["doc_id"] for c in body.get("citations", [])],
                        body.get("answer", res.text),
                    )
                )
            except Exception as exc:  # a dropped connection is a failed question too
                replies.append(Reply(sent, question, 0, [], repr(exc)))


def _wait_until(condition: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for answers"
        time.sleep(0.2)


def _wait_for(base: str, proc: subprocess.Popen[bytes], timeout: float = 240) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("the server did not come up")


@pytest.mark.slow
def test_questions_never_fail_during_a_rebuild_and_switch_to_the_new_content(
    tmp_path: Path, corpus_copy: Path, embed_model: Any
) -> None:
    import httpx

    settings = make_settings(tmp_path / "index", corpus_dir=corpus_copy)
    build_index(settings, embed_model)
    # One client asks in a tight loop here: the per-client rate limit is not what is tested.
    env = {**os.environ, "ASKCONV_ADMIN_TOKEN": TOKEN, "ASKCONV_SERVER_RATE_LIMIT_PER_MINUTE": "0"}
    cmd = [sys.executable, "-m", "askconvergence", "--corpus", str(corpus_copy)]
    cmd += ["--index-dir", str(settings.index_dir), "--backend", "extractive", "serve"]
    cmd += ["--port", str(PORT)]
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{PORT}"
    stop = threading.Event()
    replies: list[Reply] = []
    asker = threading.Thread(target=_ask_forever, args=(base, stop, replies))
    try:
        _wait_for(base, proc)
        asker.start()
        # Wait for answers, not for a fixed time: a loaded machine answers more slowly.
        _wait_until(lambda: len(replies) >= 2)
        before = current_generation(settings.index_dir)

        write_doc(corpus_copy, "zebra.md", NEW_FACT, title="The lab mascot")
        (corpus_copy / DELETED).unlink()
        add_generated_docs(corpus_copy / "notes", 60)  # so that the rebuild takes a while
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.post(base + "/api/admin/reindex").status_code == 401
        started = time.monotonic()
        assert httpx.post(base + "/api/admin/reindex", headers=auth).status_code == 202
        while True:
            status = httpx.get(base + "/api/admin/reindex", headers=auth).json()
            if status["state"] != "running":
                break
            assert time.monotonic() - started < 300, status
            time.sleep(0.2)
        done = time.monotonic()
        assert status["state"] == "done", status
        _wait_until(lambda: sum(r.sent > done for r in replies) >= 2)
    finally:
        stop.set()
        if asker.is_alive():
            asker.join(120)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()

    assert current_generation(settings.index_dir) != before
    failed = [r for r in replies if r.status != 200]
    assert not failed, failed
    early = [r for r in replies if r.sent < started]
    during = [r for r in replies if started < r.sent < done]
    late = [r for r in replies if r.sent > done]
    assert len(early) >= 2 and len(during) >= 2 and len(late) >= 2, (early, during, late)
    assert not any("zebra.md" in r.docs for r in early)
    assert all(DELETED not in r.docs for r in late)
    new_answers = [r for r in late if r.question == NEW_QUESTION]
    assert new_answers and all("zebra.md" in r.docs for r in new_answers)
    assert all("Conny" in r.answer for r in new_answers)
    assert all("2024" in r.answer for r in replies if r.question == OLD_QUESTION)
    # What the server answered from is exactly the rebuilt corpus.
    assert "zebra.md" in {doc for _, doc in snapshot(settings).values()}


@pytest.mark.slow
def test_index_watch_follows_file_changes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_doc(corpus, "a.md", "The Medical Delta links Leiden, Delft and Rotterdam.")
    settings = make_settings(tmp_path / "index", corpus_dir=corpus)
    cmd = [sys.executable, "-X", "faulthandler", "-m", "askconvergence", "--corpus", str(corpus)]
    cmd += ["--index-dir", str(settings.index_dir), "index", "--watch", "--debounce", "300"]
    log = tmp_path / "watch-stderr.txt"
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)

    def docs() -> set[str]:
        if current_generation(settings.index_dir) is None:
            return set()
        return {doc for _, doc in snapshot(settings).values()}

    def wait_until(condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 180
        while not condition():
            assert proc.poll() is None, "the watcher exited"
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.2)

    try:
        wait_until(lambda: docs() == {"a.md"}, "the first build")
        write_doc(corpus, "b.md", "Conny the zebra is the mascot of the convergence lab.")
        wait_until(lambda: docs() == {"a.md", "b.md"}, "the added file")
        (corpus / "a.md").rename(corpus / "c.md")
        wait_until(lambda: docs() == {"b.md", "c.md"}, "the renamed file")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
            proc.communicate(timeout=30)
            pytest.fail("Ctrl+C did not stop the watcher:\n" + log.read_text()[-8000:])
    assert proc.returncode == 0
    assert "Stopping" in log.read_text()
    assert "Watching" in out and "0 embedded" in out  # the rename was not embedded again
