"""Shared helpers of the benchmark scripts: settings, the fixed question subset, tables, stats."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from askconvergence.cli import quiet_offline_env
from askconvergence.evaluation import EvalItem, load_items
from askconvergence.settings import Settings

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "eval" / "questions.jsonl"

quiet_offline_env()


def settings(**llm: object) -> Settings:
    """Settings from the environment (index under ./index), with LLM fields overridden."""
    base = Settings()
    if llm:
        base = base.model_copy(update={"llm": base.llm.model_copy(update=llm)})
    return base


def with_top_k(base: Settings, top_k: int) -> Settings:
    """A copy of ``base`` that gives the model ``top_k`` passages."""
    return base.model_copy(update={"retrieval": base.retrieval.model_copy(update={"top_k": top_k})})


def subset(step: int = 9, path: Path = QUESTIONS) -> list[EvalItem]:
    """The fixed subset used when the whole set costs too long: every ``step``-th item."""
    return load_items(path)[::step]


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of ``values``, nearest-rank; NaN values (not measured) are left out."""
    values = [v for v in values if v == v]
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def p50(values: Sequence[float]) -> float:
    """Median; NaN values (not measured) are left out."""
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (readable in a terminal and pasteable into BENCHMARKS.md)."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    return "\n".join(lines)


def machine_note() -> str:
    """One line saying where and when the numbers were taken."""
    load = os.getloadavg()[0]
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPU cores, "
        f"load average {load:.1f} at the end (the cores are shared with other work)"
    )
