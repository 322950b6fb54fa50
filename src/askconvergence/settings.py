"""One typed settings tree, read from ``ASKCONV_*`` environment variables and CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = [
    "AdminSettings",
    "EmbedSettings",
    "LLMSettings",
    "RetrievalSettings",
    "ServerSettings",
    "Settings",
]


def _default_cache() -> Path:
    return Path.home() / ".cache" / "askconvergence"


class EmbedSettings(BaseModel):
    """How passages are chunked and embedded."""

    model: str = Field(
        "multilingual-e5-small",
        description="Embedding model: 'multilingual-e5-small' (packaged, English and Dutch), "
        "'all-MiniLM-L6-v2' (packaged, English only) or a local sentence-transformers path.",
    )
    chunk_size: int = Field(
        160, description="Chunk size in the embedder's own word pieces (must fit its 256 window)."
    )
    chunk_overlap: int = Field(
        30, description="Overlap between neighbouring chunks, in word pieces."
    )
    batch_size: int = Field(32, description="Chunks embedded per batch.")


class LLMSettings(BaseModel):
    """Which model writes the answers."""

    backend: Literal["local", "openai", "extractive"] = Field(
        "local",
        description="'local' (packaged GGUF via llama.cpp), 'openai' (any OpenAI-compatible "
        "server) or 'extractive' (no LLM: the best sentences of the best passages).",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000/v1", description="Base URL of the OpenAI-compatible server."
    )
    model: str = Field("default", description="Model name sent to the OpenAI-compatible server.")
    api_key: str = Field("not-needed", description="API key for the OpenAI-compatible server.")
    model_path: Path | None = Field(
        None, description="A local GGUF file to use instead of the packaged Qwen2.5 1.5B model."
    )
    threads: int = Field(2, description="CPU threads for llama.cpp.")
    context_window: int = Field(4096, description="Context window for llama.cpp, in tokens.")
    max_tokens: int = Field(256, description="Longest answer, in tokens.")
    english_draft: bool = Field(
        False,
        description="Answer a Dutch question in English first, then have that answer written "
        "in Dutch (with the packaged model it was no better than Dutch at once, and slower).",
    )
    temperature: float = Field(0.0, description="Sampling temperature (0 = deterministic).")
    timeout: float = Field(120.0, description="Seconds to wait for a hosted model.")


class RetrievalSettings(BaseModel):
    """How passages are found."""

    top_k: int = Field(4, description="Passages given to the model.")
    min_score: float | None = Field(
        None,
        description="Below this best cosine similarity the chat declines without asking the LLM; "
        "unset: the embedder's own (a cosine of 0.752 for multilingual-e5-small, 0.30 for MiniLM).",
    )
    prompt_words: int | None = Field(
        None,
        description="Words of passage text the LLM reads: the passages' sentences that bear on "
        "the question, best first, up to this many (0 = whole passages). Unset: 150 for the "
        "local model (its prompt reading speed sets the wait for the first word), 0 otherwise.",
    )
    retry_words: int = Field(
        60,
        description="When the LLM declines over its excerpts, ask once more over only the best "
        "sentences within this many words, and answer if that answer passes every check "
        "(0 = never; only with excerpts, i.e. prompt_words above 0).",
    )
    candidates: int = Field(
        20, description="Candidates taken from each of dense and BM25 search before fusing."
    )
    rerank_depth: int = Field(
        12,
        description="The best fused candidates re-ranked by how close their best sentence is "
        "to the question (0 = no re-ranking).",
    )
    sentence_weight: float = Field(
        1.0,
        description="Weight of the best-sentence z-score against the fused one when re-ranking.",
    )
    lexical_weight: float = Field(
        1.0, description="Weight of the BM25 z-score against the dense one in the fused ranking."
    )
    verify: bool = Field(
        False,
        description="After answering, ask the LLM (one short cached turn) whether the answer is "
        "stated in the passages, and decline when it says no (off: the 1.5B model says yes to "
        "its own invented answers, so it costs time for little).",
    )
    decline_odds: float | None = Field(
        None,
        description="Decline when the local model's probability of starting its reply with the "
        "decline token is at least this, even if it went on to answer (unset: never).",
    )
    min_support: float = Field(
        0.3,
        description="An answer none of whose sentences has at least this share of its words in "
        "the passages is treated as invented and declined.",
    )


class ServerSettings(BaseModel):
    """Where the chat listens and what the HTTP API accepts from one client."""

    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(7860, description="Port to listen on.")
    rate_limit_per_minute: float = Field(
        10.0, description="Questions one client may ask per minute, on average (0 = no limit)."
    )
    rate_limit_burst: int = Field(
        5, description="Questions one client may ask in a quick burst before the rate applies."
    )
    max_message_chars: int = Field(
        2000, description="Longest single message, in characters (longer: HTTP 422)."
    )
    max_messages: int = Field(
        40, description="Most messages in one request's conversation (more: HTTP 422)."
    )
    max_request_bytes: int = Field(
        65536, description="Largest request body, in bytes (larger: HTTP 413)."
    )
    trust_proxy_headers: bool = Field(
        False,
        description="Take the client address from X-Forwarded-For (only behind a trusted proxy).",
    )


class AdminSettings(BaseModel):
    """Maintenance over HTTP."""

    token: SecretStr | None = Field(
        None,
        description="Bearer token for /api/admin/reindex; unset turns those endpoints off.",
    )


class Settings(BaseSettings):
    """All settings of askconvergence; every field can be set as ASKCONV_<NAME>."""

    model_config = SettingsConfigDict(
        env_prefix="ASKCONV_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
    )

    corpus_dir: Path = Field(Path("corpus"), description="Folder of source documents.")
    index_dir: Path = Field(Path("index"), description="Folder where the built index lives.")
    cache_dir: Path = Field(
        default_factory=_default_cache,
        description="Folder for assembled model files (the local GGUF).",
    )
    embed: EmbedSettings = Field(default_factory=EmbedSettings)  # type: ignore[arg-type]
    llm: LLMSettings = Field(default_factory=LLMSettings)  # type: ignore[arg-type]
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)  # type: ignore[arg-type]
    server: ServerSettings = Field(default_factory=ServerSettings)  # type: ignore[arg-type]
    admin: AdminSettings = Field(default_factory=AdminSettings)  # type: ignore[arg-type]
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins (https://www.example.org) whose pages may embed the "
        "widget and call the API from the browser; '*' allows any. Empty: only this server.",
    )

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]
        return value
