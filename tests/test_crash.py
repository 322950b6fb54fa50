"""A rebuild killed with SIGKILL leaves the served index whole, and the next update converges."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from askconvergence.index import PassageIndex, build_index, current_generation
from askconvergence.settings import Settings
from tests.conftest import make_settings
from tests.indexing import add_generated_docs, snapshot

QUESTION = "When is the artificial pancreas expected to become widely available?"


def _start_update(settings: Settings) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "askconvergence", "--corpus", str(settings.corpus_dir)]
    cmd += ["--index-dir", str(settings.index_dir), "index"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_when(
    proc: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float = 300
) -> bool:
    """SIGKILL the process as soon as ``ready()`` holds; False if it ended first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if ready():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        assert time.monotonic() < deadline, "the update neither finished nor reached the stage"
        time.sleep(0.005)
    return False


def _cached_vectors(index_dir: Path) -> int:
    import sqlite3

    files = list((index_dir / "embeddings").glob("*.sqlite"))
    if not files:
        return 0
    try:
        with sqlite3.connect(f"file:{files[0]}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
    except sqlite3.Error:
        return 0


def _serves_the_old_index(
    settings: Settings, embed_model: Any, generation: str, chunks: int
) -> None:
    from askconvergence.answer.engine import Engine
    from askconvergence.retrieve import make_retriever

    assert current_generation(settings.index_dir) == generation
    index = PassageIndex(settings)
    assert index.count() == chunks
    answer = Engine(settings, make_retriever(index, embed_model, settings), None).ask(QUESTION)
    assert answer.grounded and "2024" in answer.answer
    index.close()


@pytest.mark.slow
def test_a_killed_rebuild_leaves_the_served_index_whole_and_the_next_update_converges(
    tmp_path: Path, corpus_copy: Path, embed_model: Any
) -> None:
    settings = make_settings(tmp_path / "index", corpus_dir=corpus_copy)
    first = build_index(settings, embed_model)
    baseline = first.embedded
    add_generated_docs(corpus_copy / "generated", 200)
    (corpus_copy / "health-hub-utrecht-finland-netherlands.md").unlink()

    # 1. Killed while embedding: some vectors are committed to the cache, nothing is published.
    proc = _start_update(settings)
    killed = _kill_when(proc, lambda: _cached_vectors(settings.index_dir) > baseline)
    assert killed, "the update finished before it could be killed while embedding"
    _serves_the_old_index(settings, embed_model, first.generation, first.chunks)

    # 2. Killed while the new generation is being written, before it is published.
    gen_dir = settings.index_dir / "gen-000002"
    proc = _start_update(settings)
    killed = _kill_when(proc, lambda: gen_dir.exists())
    assert killed, "the update finished before it could be killed while writing"
    _serves_the_old_index(settings, embed_model, first.generation, first.chunks)

    # 3. Killed at a moment chosen by the clock, whatever it was doing then.
    for delay in (8.0,):
        proc = _start_update(settings)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert PassageIndex(settings).count() > 0  # whatever is published opens and is whole

    # The next update converges to exactly what a fresh build of the final corpus holds.
    stats = build_index(settings, embed_model)
    assert stats.embedded < 200  # the killed runs' work was kept
    fresh_corpus = tmp_path / "fresh-corpus"
    shutil.copytree(corpus_copy, fresh_corpus)
    fresh = make_settings(tmp_path / "fresh", corpus_dir=fresh_corpus)
    build_index(fresh, embed_model)
    got = snapshot(settings)
    assert got == snapshot(fresh)
    assert not any(doc.startswith("health-hub-utrecht") for _, doc in got.values())
    leftovers = sorted(p.name for p in settings.index_dir.glob("gen-*"))
    assert current_generation(settings.index_dir) in leftovers and len(leftovers) <= 2
