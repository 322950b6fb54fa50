"""The server follows rebuilds: the retriever switches generations; the admin API starts them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from askconvergence.index import LiveRetriever, PassageIndex, build_index
from askconvergence.index.reindex import Reindexer
from askconvergence.index.store import write_lock
from askconvergence.settings import Settings
from tests.conftest import make_settings
from tests.indexing import TEXTS, write_doc


@pytest.fixture()
def small(tmp_path: Path, embed_model: Any) -> Settings:
    """A built index over a two-document corpus."""
    corpus = tmp_path / "corpus"
    write_doc(corpus, "a.md", TEXTS[0])
    write_doc(corpus, "b.md", TEXTS[2])
    settings = make_settings(tmp_path / "index", corpus_dir=corpus)
    build_index(settings, embed_model)
    return settings


def _retriever(settings: Settings, embed_model: Any) -> LiveRetriever:
    from askconvergence.retrieve import make_retriever

    return LiveRetriever(settings, lambda idx: make_retriever(idx, embed_model, settings, top_k=1))


def test_the_live_retriever_switches_to_a_published_rebuild(
    small: Settings, embed_model: Any
) -> None:
    retriever = _retriever(small, embed_model)
    first = retriever.generation
    assert "zebra" not in retriever.retrieve("What is the mascot called?")[0].node.get_content()

    write_doc(small.corpus_dir, "c.md", TEXTS[1])
    (small.corpus_dir / "a.md").unlink()
    build_index(small, embed_model)
    hits = retriever.retrieve("What is the name of the zebra mascot?")
    assert retriever.generation != first
    assert "Conny the zebra" in hits[0].node.get_content()
    docs = {h.node.metadata["doc_id"] for h in retriever.retrieve("Medical Delta Leiden Delft")}
    assert "a.md" not in docs  # a deleted document is never served again


def test_the_live_retriever_keeps_serving_when_it_cannot_open_a_generation(
    small: Settings, embed_model: Any
) -> None:
    retriever = _retriever(small, embed_model)
    before = retriever.generation
    other = small.model_copy(update={"embed": small.embed.model_copy(update={"chunk_size": 120})})
    build_index(other, embed_model)  # published, but with chunking the server was not started with
    assert retriever.retrieve("virtual reality surgeons")  # still answers from the old one
    assert retriever.generation == before


def _with_token(settings: Settings, token: str) -> Settings:
    admin = settings.admin.model_copy(update={"token": SecretStr(token)})
    return settings.model_copy(update={"admin": admin})


def _client(settings: Settings, reindexer: Reindexer | None = None) -> Any:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from askconvergence.serve.admin import admin_router

    app = FastAPI()
    app.include_router(admin_router(settings, reindexer))
    return TestClient(app)


def test_admin_reindex_is_off_without_a_token(small: Settings) -> None:
    client = _client(small)
    assert client.post("/api/admin/reindex").status_code == 404
    got = client.get("/api/admin/reindex", headers={"Authorization": "Bearer x"})
    assert got.status_code == 404


def test_admin_reindex_needs_the_right_token(small: Settings, embed_model: Any) -> None:
    settings = _with_token(small, "s3cret")
    client = _client(settings, Reindexer(settings, embed_model))
    assert client.post("/api/admin/reindex").status_code == 401
    wrong = client.post("/api/admin/reindex", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/admin/reindex", headers={"Authorization": "s3cret"}).status_code == 401


def test_admin_reindex_runs_a_rebuild_and_reports_progress(
    small: Settings, embed_model: Any
) -> None:
    settings = _with_token(small, "s3cret")
    auth = {"Authorization": "Bearer s3cret"}
    jobs = Reindexer(settings, embed_model)
    client = _client(settings, jobs)
    assert client.get("/api/admin/reindex", headers=auth).json()["state"] == "idle"
    write_doc(settings.corpus_dir, "c.md", TEXTS[1])
    before = PassageIndex(settings).generation

    with write_lock(settings.index_dir):  # another writer holds the index: the job must wait
        started = client.post("/api/admin/reindex", headers=auth)
        assert started.status_code == 202 and started.json()["state"] == "running"
        deadline = time.monotonic() + 30
        while client.get("/api/admin/reindex", headers=auth).json()["stage"] != "waiting":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        again = client.post("/api/admin/reindex", headers=auth)
        assert again.status_code == 409 and "already running" in again.json()["detail"]
    jobs.join(60)

    status = client.get("/api/admin/reindex", headers=auth).json()
    assert status["state"] == "done", status
    assert status["result"]["added"] == 1 and status["result"]["embedded"] == 1
    assert PassageIndex(settings).generation == status["result"]["generation"] != before


def test_a_failed_admin_rebuild_reports_its_error(small: Settings, embed_model: Any) -> None:
    settings = small.model_copy(update={"corpus_dir": small.corpus_dir / "gone"})
    jobs = Reindexer(settings, embed_model)
    assert jobs.start()
    jobs.join(60)
    status = jobs.status()
    assert status.state == "failed" and "does not exist" in (status.error or "")
