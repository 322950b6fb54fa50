"""Shared fixtures: every test gets its own index folder; nothing is written into the repo."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from askconvergence.cli import quiet_offline_env
from askconvergence.settings import Settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DEV_SET = REPO.parent / "shared" / "eval" / "dev.jsonl"
OWN_SET = REPO / "eval" / "questions.jsonl"

quiet_offline_env()


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads the user's ASKCONV_* variables or writes outside tmp dirs."""
    for key in list(os.environ):
        if key.startswith("ASKCONV_"):
            monkeypatch.delenv(key)


def make_settings(index_dir: Path, corpus_dir: Path = CORPUS, **llm: object) -> Settings:
    """Settings pointing at a given corpus and index folder (the model cache stays shared)."""
    base = Settings(corpus_dir=corpus_dir, index_dir=index_dir)
    if llm:
        base = base.model_copy(update={"llm": base.llm.model_copy(update=llm)})
    return base


@pytest.fixture(scope="session")
def embed_model():  # type: ignore[no-untyped-def]
    """The real packaged embedding model, loaded once."""
    from askconvergence.models.factory import make_embed_model

    return make_embed_model(Settings())


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, embed_model) -> Settings:  # type: ignore[no-untyped-def]
    """Settings of a real index of the project corpus, built once per test session."""
    from askconvergence.index import build_index

    settings = make_settings(tmp_path_factory.mktemp("index"))
    build_index(settings, embed_model)
    return settings


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def extractive_engine(built_settings: Settings, embed_model):  # type: ignore[no-untyped-def]
    """The engine with the extractive backend over the real index."""
    from askconvergence.answer.engine import Engine
    from askconvergence.index import PassageIndex
    from askconvergence.retrieve import make_retriever

    retriever = make_retriever(PassageIndex(built_settings), embed_model, built_settings)
    return Engine(built_settings, retriever, None)


@pytest.fixture(scope="session")
def local_llm():  # type: ignore[no-untyped-def]
    """The real packaged local LLM (assembled and verified on first use)."""
    from askconvergence.models.factory import make_llm

    return make_llm(Settings())


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Say where the browser tests left their screenshots."""
    folder = getattr(config, "artifacts_dir", None)
    if folder is not None:
        terminalreporter.write_line(f"Screenshots of the browser tests: {folder}")
