"""A LlamaIndex LLM over llama-cpp-python's chat API (it applies the GGUF's own chat template)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.custom import CustomLLM
from pydantic import PrivateAttr

__all__ = ["LlamaCppChat"]


class LlamaCppChat(CustomLLM):
    """Chat with a local GGUF model through ``llama_cpp.Llama.create_chat_completion``."""

    model_path: str
    model_name: str = "local"
    n_threads: int = 2
    context_window: int = 4096
    max_tokens: int = 256
    temperature: float = 0.0

    # stream_chat(..., first_token_odds=[...]) is understood (see there).
    reports_first_token_odds: ClassVar[bool] = True

    _llama: Any = PrivateAttr()
    _last_prompt: list[int] = PrivateAttr(default_factory=list)
    # One llama.cpp context serves one generation at a time; callers queue on this lock.
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        from llama_cpp import Llama

        self._llama = Llama(
            model_path=self.model_path,
            n_ctx=self.context_window,
            n_threads=self.n_threads,
            n_threads_batch=self.n_threads,
            n_batch=512,
            # llama.cpp repacks the Q4 weights for the CPU into memory of its own; with mmap the
            # file's pages stay resident too. Reading the file instead measured 1.17 GB resident
            # for the 1.5B model against 1.76 GB with mmap (bench/README.md, BENCHMARKS.md).
            use_mmap=False,
            verbose=False,
        )
        generate = self._llama.generate

        def generate_reusing_only_fixed_state(tokens: Sequence[int], *args: Any, **kw: Any) -> Any:
            self._limit_reuse(list(tokens))
            return generate(tokens, *args, **kw)

        self._llama.generate = generate_reusing_only_fixed_state

    def _limit_reuse(self, tokens: list[int]) -> None:
        """Let llama.cpp reuse only cached state that is the same whoever asked before.

        llama.cpp reuses the longest prefix a prompt shares with the one before and computes
        the rest in batches starting there; batched differently, the logits shift enough to
        flip a close answer (the same question was answered "135,000 [2]" when asked first and
        declined right after a longer wording of it). So a prompt reuses its system message,
        which every answer prompt starts with, or the whole previous prompt when it continues
        that conversation (a verification or translation turn): state that is the same
        whatever was asked before, so an answer does not depend on other users' questions.
        (A prompt asked again is computed afresh: replaying only its last token shifts the
        logits too.)
        """
        previous, self._last_prompt = self._last_prompt, tokens
        if previous and len(tokens) > len(previous) and tokens[: len(previous)] == previous:
            return  # the next turn: the same prompt asked again is computed afresh
        llama = self._llama
        end_of_turn = llama.token_eos()
        fixed = tokens.index(end_of_turn) + 1 if end_of_turn in tokens else 0
        if llama.input_ids[:fixed].tolist() != tokens[:fixed] or llama.n_tokens < fixed:
            # Computed on its own, the system message's state is the same every time.
            llama.reset()
            llama.eval(tokens[:fixed])
        llama.n_tokens = min(llama.n_tokens, fixed)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.max_tokens,
            model_name=self.model_name,
            is_chat_model=True,
        )

    def count_tokens(self, text: str) -> int:
        """Tokens this model's tokenizer gives ``text``."""
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False))

    @staticmethod
    def _messages(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
        return [{"role": m.role.value, "content": m.content or ""} for m in messages]

    def _first_token(self, text: str) -> int:
        return int(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)[0])

    def _stream(
        self, messages: Sequence[ChatMessage], odds: dict[str, float] | None = None, **kwargs: Any
    ) -> Iterator[str]:
        """The answer's text pieces. With ``odds`` (text -> 0.0), each text's value is set to
        the probability that the answer starts with it, read from the model's first step."""
        processors = None
        if odds:
            from llama_cpp import LogitsProcessorList

            ids = {text: self._first_token(text) for text in odds}
            first = True

            def read_odds(_input_ids: Any, scores: Any) -> Any:
                nonlocal first
                if first:
                    first = False
                    exp = np.exp(scores.astype(np.float64) - float(scores.max()))
                    for text, token in ids.items():
                        odds[text] = float(exp[token] / exp.sum())
                return scores

            processors = LogitsProcessorList([read_odds])
        with self._lock:
            chunks = self._llama.create_chat_completion(
                messages=self._messages(messages),
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                temperature=self.temperature,
                stream=True,
                logits_processor=processors,
            )
            for chunk in chunks:
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield delta

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        text = "".join(self._stream(messages, **kwargs))
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream a reply. ``first_token_odds=[text, ...]`` puts, on every response, the
        probability that the reply starts with each text in ``additional_kwargs["odds"]``."""
        odds = dict.fromkeys(kwargs.pop("first_token_odds", ()) or (), 0.0)

        def gen() -> ChatResponseGen:
            text = ""
            for delta in self._stream(messages, odds=odds or None, **kwargs):
                text += delta
                yield ChatResponse(
                    message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                    delta=delta,
                    additional_kwargs={"odds": dict(odds)} if odds else {},
                )

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        text = "".join(self._stream([ChatMessage(role=MessageRole.USER, content=prompt)], **kwargs))
        return CompletionResponse(text=text)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            text = ""
            for delta in self._stream(
                [ChatMessage(role=MessageRole.USER, content=prompt)], **kwargs
            ):
                text += delta
                yield CompletionResponse(text=text, delta=delta)

        return gen()
