"""Answer speed: our answer path against raw llama-cpp-python on the identical prompt, and the
trade-off table model x passages (accuracy, first-token time, total time).

    PYTHONPATH=src python bench/answer_bench.py overhead [--model qwen2.5-1.5b] [--top-k 3]
    PYTHONPATH=src python bench/answer_bench.py prefix [--model qwen2.5-1.5b] [--top-k 2]
    PYTHONPATH=src python bench/answer_bench.py tradeoff [--models qwen2.5-1.5b,qwen2.5-0.5b]
        [--top-k 2,3,4] [--prompt-words 0,150] [--step 9]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import common

from askconvergence.answer.engine import Engine, Turn
from askconvergence.answer.types import Answer
from askconvergence.evaluation import run_eval
from askconvergence.index import PassageIndex
from askconvergence.models.factory import make_embed_model, make_excerpts, make_llm, prompt_words
from askconvergence.retrieve import make_retriever


class PromptRecorder:
    """Wraps ``Llama.create_chat_completion`` to keep the messages of the last call (no copying)."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.original = llama.create_chat_completion
        self.messages: list[dict[str, str]] = []
        self.prompt_tokens: list[int] = []
        llama.create_chat_completion = self

    def __call__(self, **kwargs: Any) -> Any:
        self.messages = kwargs["messages"]
        return self.original(**kwargs)

    def count(self) -> int:
        """Tokens of the last prompt as the chat template renders it."""
        text = "".join(
            f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in self.messages
        )
        return len(self.llama.tokenize(text.encode(), add_bos=False, special=True))


def engine_for(
    base: Any, top_k: int, llm: Any, index: PassageIndex, embed: Any, words: int | None = None
) -> Engine:
    """An engine over the shared index and models that gives the model ``top_k`` passages,
    cut to their best sentences within ``words`` (``None``: the default; 0: whole)."""
    s = common.with_top_k(base, top_k)
    if words is not None:
        s = s.model_copy(
            update={"retrieval": s.retrieval.model_copy(update={"prompt_words": words})}
        )
    excerpts = make_excerpts(s, embed)
    return Engine(s, make_retriever(index, embed, s, sentences=excerpts), llm, excerpts)


def timed_ours(engine: Engine, question: str) -> tuple[float, float, Answer]:
    """(first token s, total s, answer) of our streamed answer path.

    The first token is the model's first token as the engine records it, also when the answer
    turns out to be a decline (whose tokens the engine holds back from the user).
    """
    start = time.perf_counter()
    answer = None
    for event in engine.stream(question):
        if event.kind == "done":
            answer = event.data
    total = time.perf_counter() - start
    assert answer is not None
    return answer.timings.get("first_token_s", float("nan")), total, answer


def overhead(args: argparse.Namespace) -> None:
    """Ours (cold and with the system prompt cached) against raw llama-cpp-python, same prompt."""
    base = common.settings(model=args.model)
    index, embed = PassageIndex(base), make_embed_model(base)
    llm = make_llm(base)
    engine = engine_for(base, args.top_k, llm, index, embed)
    llama = llm._llama  # type: ignore[union-attr]
    recorder = PromptRecorder(llama)
    items = [i for i in common.subset(args.step) if not i.unanswerable and len(i.turns) == 1]
    rows, ours_cold, ours_warm, raw = [], [], [], []
    timed_ours(engine, "What is Convergence?")  # load the model pages and fill the cache once
    for n, item in enumerate(items):
        q = item.turns[0]
        # Warm: the cache holds the previous question's prompt, so only the system prompt is shared.
        warm = timed_ours(engine, q)[:2]
        passages = engine.retrieve(q)
        if engine.excerpts is not None:  # the model reads the passages' best sentences
            passages = engine.excerpts.select(q, passages)
        messages = build_messages(q, passages)
        runs: dict[str, tuple[float, float]] = {}
        for side in ("ours", "raw") if n % 2 == 0 else ("raw", "ours"):  # alternate against drift
            llama.reset()  # both sides start from an empty cache
            if side == "ours":
                runs[side] = timed_ours(engine, q)[:2]
                assert recorder.messages == messages, "the raw side must see the identical prompt"
            else:
                runs[side] = timed_raw(recorder.original, messages, base.llm.max_tokens)
        ours_cold.append(runs["ours"])
        raw.append(runs["raw"])
        ours_warm.append(warm)
        rows.append([item.id, recorder.count(), *runs["ours"], *runs["raw"], *warm])
        print(rows[-1], flush=True)

    def ratio(i: int) -> float:
        return sum(x[i] for x in ours_cold) / sum(x[i] for x in raw)

    name = llm.metadata.model_name  # type: ignore[union-attr]
    print(
        f"\nAnswer path vs raw llama-cpp-python, {name}, top_k={args.top_k}, {len(items)} "
        f"single-turn answerable items of the every-{args.step}th subset"
    )
    print(
        common.table(
            [
                "item",
                "prompt tok",
                "ours 1st s",
                "ours total s",
                "raw 1st s",
                "raw total s",
                "ours warm 1st s",
                "ours warm total s",
            ],
            rows,
        )
    )
    print()
    print(
        common.table(
            [
                "measure",
                "ours (cold)",
                "raw llama-cpp-python (cold)",
                "ours/raw (sums)",
                "ours (system prompt cached)",
            ],
            [
                [
                    "first token p50 s",
                    common.p50([x[0] for x in ours_cold]),
                    common.p50([x[0] for x in raw]),
                    ratio(0),
                    common.p50([x[0] for x in ours_warm]),
                ],
                [
                    "total p50 s",
                    common.p50([x[1] for x in ours_cold]),
                    common.p50([x[1] for x in raw]),
                    ratio(1),
                    common.p50([x[1] for x in ours_warm]),
                ],
            ],
        )
    )
    print(f"\n{common.machine_note()}")


def timed_raw(
    raw_call: Any, messages: list[dict[str, str]], max_tokens: int
) -> tuple[float, float]:
    """(first token s, total s) of raw llama-cpp-python streaming ``messages``."""
    start = time.perf_counter()
    first = float("nan")
    for chunk in raw_call(messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True):
        if chunk["choices"][0].get("delta", {}).get("content") and first != first:
            first = time.perf_counter() - start
    return first, time.perf_counter() - start


def build_messages(question: str, passages: list[Any]) -> list[dict[str, str]]:
    """The messages the engine sends, captured by running its own builder against a recorder."""
    captured: list[dict[str, str]] = []

    class Capture:
        metadata = type("M", (), {"model_name": "capture"})()

        def stream_chat(self, messages: Any, **_: Any) -> Any:
            captured.extend({"role": m.role.value, "content": m.content or ""} for m in messages)
            return iter(())

    from askconvergence.answer.language import detect_language

    probe = Engine(common.settings(), None, Capture())  # type: ignore[arg-type]
    list(probe._generate(question, passages, detect_language(question)))
    return captured


def evaluate(
    engine: Engine, recorder: PromptRecorder, items: list[Any]
) -> tuple[dict[str, Any], list[float], list[float], list[int]]:
    """Summary, first-token times, total times and prompt sizes of ``engine`` on ``items``."""
    firsts: list[float] = []
    totals: list[float] = []
    tokens: list[int] = []

    def ask(q: str, history: list[Turn]) -> Answer:
        answer = engine.ask(q, history)
        if "first_token_s" in answer.timings:  # the model was asked (not declined before)
            firsts.append(answer.timings["first_token_s"])
            tokens.append(recorder.count())
        totals.append(answer.timings["total_s"])
        return answer

    return run_eval(items, ask).summary(), firsts, totals, tokens


def tradeoff(args: argparse.Namespace) -> None:
    """Accuracy and speed for every model x number of passages on the fixed subset."""
    items = common.subset(args.step)
    rows = []
    for model in args.models.split(","):
        base = common.settings(model=model)
        index, embed = PassageIndex(base), make_embed_model(base)
        llm = make_llm(base)
        recorder = PromptRecorder(llm._llama)  # type: ignore[union-attr]
        combos = [
            (int(k), int(w)) for k in args.top_k.split(",") for w in args.prompt_words.split(",")
        ]
        for top_k, words in combos:
            engine = engine_for(base, top_k, llm, index, embed, words)
            engine.prepare_excerpts()  # as the server does once it is ready
            summary, firsts, totals, tokens = evaluate(engine, recorder, items)
            rows.append(
                [
                    llm.metadata.model_name,
                    top_k,
                    words or "whole",
                    summary["items"],  # type: ignore[union-attr]
                    summary["answer_accuracy"],
                    summary["decline_accuracy"],
                    summary["retrieval_hit_rate"],
                    common.p50(tokens),
                    common.p50(firsts),
                    common.pct(firsts, 0.9),
                    common.p50(totals),
                    common.pct(totals, 0.9),
                ]
            )
            print(rows[-1], flush=True)
        del llm, recorder
    print(f"\nModel x passages on every {args.step}th item of eval/questions.jsonl")
    print(
        common.table(
            [
                "model",
                "passages",
                "passage words",
                "items",
                "answer acc",
                "decline acc",
                "retrieval hit",
                "prompt tok p50",
                "1st token p50 s",
                "1st token p90 s",
                "total p50 s",
                "total p90 s",
            ],
            rows,
        )
    )
    print(f"\n{common.machine_note()}")


def prefix(args: argparse.Namespace) -> None:
    """Prompt tokens the model actually evaluates per question, asked one after the other.

    Load-independent evidence of the system-prompt cache: llama.cpp's own counters, plus the
    prefill and decode speed of each call (which do depend on the machine's load).
    """
    import llama_cpp

    base = common.settings(model=args.model)
    llm = make_llm(base)
    engine = engine_for(base, args.top_k, llm, PassageIndex(base), make_embed_model(base))
    llama = llm._llama  # type: ignore[union-attr]
    recorder = PromptRecorder(llama)
    items = [i for i in common.subset(args.step) if not i.unanswerable and len(i.turns) == 1]
    rows = []
    for n, item in enumerate(items):
        if n == 0:
            llama.reset()  # the first question starts from an empty cache
        llama_cpp.llama_perf_context_reset(llama.ctx)
        answer = engine.ask(item.turns[0])
        perf = llama_cpp.llama_perf_context(llama.ctx)
        prompt = recorder.count()
        rows.append(
            [
                item.id,
                prompt,
                perf.n_p_eval,
                prompt - perf.n_p_eval,
                perf.n_eval,
                perf.n_p_eval / (perf.t_p_eval_ms / 1000) if perf.t_p_eval_ms else float("nan"),
                perf.n_eval / (perf.t_eval_ms / 1000) if perf.t_eval_ms else float("nan"),
                answer.timings.get("first_token_s", float("nan")),
                answer.timings["total_s"],
            ]
        )
        print(rows[-1], flush=True)
    name = llm.metadata.model_name  # type: ignore[union-attr]
    print(f"\nPrompt cache, {name}, top_k={args.top_k}, questions asked one after the other")
    print(
        common.table(
            [
                "item",
                "prompt tok",
                "evaluated tok",
                "reused tok",
                "answer tok",
                "prefill tok/s",
                "decode tok/s",
                "1st token s",
                "total s",
            ],
            rows,
        )
    )
    print(f"\n{common.machine_note()}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("overhead")
    o.add_argument("--model", default="qwen2.5-1.5b")
    o.add_argument("--top-k", type=int, default=common.settings().retrieval.top_k)
    o.add_argument("--step", type=int, default=9)
    p = sub.add_parser("prefix")
    p.add_argument("--model", default="qwen2.5-1.5b")
    p.add_argument("--top-k", type=int, default=common.settings().retrieval.top_k)
    p.add_argument("--step", type=int, default=22)
    t = sub.add_parser("tradeoff")
    t.add_argument("--models", default="qwen2.5-1.5b,qwen2.5-0.5b")
    t.add_argument("--top-k", default="2,3,4")
    t.add_argument("--step", type=int, default=9)
    t.add_argument(
        "--prompt-words",
        default=f"0,{prompt_words(common.settings())}",
        help="passage-word budgets to compare (0 = whole passages)",
    )
    args = parser.parse_args()
    {"overhead": overhead, "prefix": prefix, "tradeoff": tradeoff}[args.cmd](args)


if __name__ == "__main__":
    main()
