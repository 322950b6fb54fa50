"""The ``askconvergence`` command: index, ask, serve, eval."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from askconvergence.settings import Settings

__all__ = ["main", "quiet_offline_env"]

# Libraries that would otherwise phone home or look for models online.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "ORT_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def quiet_offline_env() -> None:
    """Set the switches that keep the stack from calling out (without overriding the user's)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _fail(message: str) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(1)


@click.group()
@click.option(
    "--corpus", type=click.Path(path_type=Path), help="Corpus folder (ASKCONV_CORPUS_DIR)."
)
@click.option(
    "--index-dir", type=click.Path(path_type=Path), help="Index folder (ASKCONV_INDEX_DIR)."
)
@click.option(
    "--backend",
    type=click.Choice(["local", "openai", "extractive"]),
    help="Answer backend (ASKCONV_LLM_BACKEND).",
)
@click.option("--base-url", help="OpenAI-compatible base URL (ASKCONV_LLM_BASE_URL).")
@click.option("--model", help="Model name (ASKCONV_LLM_MODEL).")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
@click.version_option(package_name="askconvergence")
@click.pass_context
def cli(
    ctx: click.Context,
    corpus: Path | None,
    index_dir: Path | None,
    backend: str | None,
    base_url: str | None,
    model: str | None,
    verbose: bool,
) -> None:
    """Answer questions about Convergence Health & Technology from its documents, with sources.

    \b
    Examples:
      askconvergence index
      askconvergence ask "When is the artificial pancreas expected to become widely available?"
      askconvergence serve --port 7860
      askconvergence eval eval/questions.jsonl
    """
    quiet_offline_env()
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    settings = Settings()
    top: dict[str, Any] = {}
    if corpus:
        top["corpus_dir"] = corpus
    if index_dir:
        top["index_dir"] = index_dir
    llm: dict[str, Any] = {
        k: v for k, v in {"backend": backend, "base_url": base_url, "model": model}.items() if v
    }
    if llm:
        top["llm"] = settings.llm.model_copy(update=llm)
    ctx.obj = settings.model_copy(update=top)


@cli.command()
@click.option("--rebuild", is_flag=True, help="Re-read every file into a new, empty collection.")
@click.option("--watch", is_flag=True, help="Keep running; update on every corpus change.")
@click.option(
    "--debounce",
    type=int,
    default=1500,
    show_default=True,
    help="With --watch: milliseconds of quiet before updating.",
)
@click.option("--no-wait", is_flag=True, help="Stop instead of waiting when another rebuild runs.")
@click.pass_context
def index(ctx: click.Context, rebuild: bool, watch: bool, debounce: int, no_wait: bool) -> None:
    """Build or update the index from the corpus (only new or changed text is embedded).

    A running `askconvergence serve` switches to the updated index as soon as it is complete.

    \b
    Examples:
      askconvergence index
      askconvergence index --watch
      askconvergence index --rebuild
    """
    from askconvergence.index import IndexBusyError, IndexMismatchError, build_index

    settings = _settings(ctx)
    try:
        if watch:
            from askconvergence.index.watch import watch_corpus
            from askconvergence.models.factory import make_embed_model

            click.echo(f"Watching {settings.corpus_dir} (Ctrl+C to stop)")
            watch_corpus(
                settings,
                make_embed_model(settings),
                lambda stats: click.echo(f"{stats.summary()} ({stats.seconds:.1f} s)"),
                debounce_ms=debounce,
                stop=_stop_on_signal(),
            )
            return
        stats = build_index(settings, rebuild=rebuild, show_progress=True, wait=not no_wait)
    except (FileNotFoundError, IndexBusyError, IndexMismatchError, ValueError) as exc:
        _fail(str(exc))
    click.echo(f"{stats.summary()} in {settings.index_dir}")


def _stop_on_signal() -> threading.Event:
    """An event set by the first Ctrl+C (or SIGTERM); a second Ctrl+C stops at once.

    The watcher then finishes the update it is running, so no half-done work is left behind.
    """
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        if signum == signal.SIGINT:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        # os.write, not print: a handler may run in the middle of another write to stdout.
        os.write(2, b"Stopping (after the update in progress, if any; Ctrl+C again to abort)\n")
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    return stop


def _engine(settings: Settings) -> Any:
    from askconvergence.index import IndexMismatchError, IndexMissingError
    from askconvergence.models.factory import BackendError, make_engine
    from askconvergence.models.gguf import ModelUnavailableError

    try:
        return make_engine(settings)
    except (IndexMissingError, IndexMismatchError, BackendError, ModelUnavailableError) as exc:
        _fail(str(exc))


@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.pass_context
def ask(ctx: click.Context, question: str, as_json: bool) -> None:
    """Answer one QUESTION with cited passages.

    \b
    Examples:
      askconvergence ask "Which universities form the LDE partnership?"
      askconvergence ask --json "Wie werken samen binnen Convergence?"
    """
    engine = _engine(_settings(ctx))
    try:
        answer = engine.ask(question)
    except ValueError as exc:
        _fail(str(exc))
    except Exception as exc:  # a failing backend: say so, no traceback
        logging.getLogger(__name__).debug("Answering failed", exc_info=True)
        _fail(f"The answer backend failed: {exc}")
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(answer.answer)
    for p in answer.citations:
        click.echo(f"\n[{p.n}] {p.title} ({p.doc_id}, score {p.score:.2f})")
        click.echo("    " + p.text.strip().replace("\n", "\n    "))


@cli.command()
@click.option("--host", help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 7860).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the chat page and the HTTP API.

    \b
    Examples:
      askconvergence serve
      askconvergence serve --host 0.0.0.0 --port 8080
    """
    settings = _settings(ctx)
    update = {k: v for k, v in {"host": host, "port": port}.items() if v}
    settings = settings.model_copy(update={"server": settings.server.model_copy(update=update)})
    run_server(settings)


def run_server(settings: Settings) -> None:
    """Serve at once; the index and models load in the background (``/healthz`` says when)."""
    import uvicorn

    from askconvergence.serve.app import create_app

    url = f"http://{settings.server.host}:{settings.server.port}/"
    click.echo(f"Chat on {url} (loading the models; {url}healthz answers 200 when ready)")
    uvicorn.run(create_app(settings), host=settings.server.host, port=settings.server.port)


@cli.command(name="eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--limit", type=int, help="Only the first N items.")
@click.option("--sample", type=int, help="Only N items spread evenly over the file (every kind).")
@click.option(
    "--no-baseline",
    is_flag=True,
    help="Skip the LlamaIndex starter pipeline that is otherwise scored alongside.",
)
@click.pass_context
def eval_cmd(
    ctx: click.Context,
    file: Path,
    as_json: bool,
    limit: int | None,
    sample: int | None,
    no_baseline: bool,
) -> None:
    """Score the chat on a question set FILE (JSONL) and print a table and a line per item.

    In the same run, on the same index and models, the plain LlamaIndex starter pipeline
    (vector index over the same chunks, default query/chat engine) is scored too and both
    are printed side by side.

    \b
    Examples:
      askconvergence eval ../shared/eval/dev.jsonl
      askconvergence eval eval/questions.jsonl --limit 10 --no-baseline
      askconvergence eval eval/questions.jsonl --sample 40
      askconvergence --backend extractive eval eval/questions.jsonl --json
    """
    from askconvergence.evaluation import load_items, run_eval, side_by_side, spread

    try:
        items = load_items(file)[:limit]
    except ValueError as exc:
        _fail(str(exc))
    if sample:
        items = spread(items, sample)
    engine, baseline = _eval_systems(_settings(ctx), with_baseline=not no_baseline)

    def progress(result: Any) -> None:
        if not as_json:
            click.echo(result.line(), err=True)

    reports = {f"askconvergence ({engine.model_name})": run_eval(items, engine.ask, progress)}
    if baseline is not None:
        reports[f"baseline ({baseline.model_name})"] = run_eval(items, baseline.ask, progress)
    elif not no_baseline:
        click.echo("(No baseline: the starter pipeline needs an LLM.)", err=True)
    if as_json:
        out = {
            name: {
                "summary": report.summary(),
                "items": [
                    {
                        "id": r.item.id,
                        "correct": r.correct,
                        "retrieval_hit": r.retrieval_hit,
                        "declined": r.declined,
                        **r.answer.to_json(),
                    }
                    for r in report.results
                ],
            }
            for name, report in reports.items()
        }
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for name, report in reports.items():
        click.echo(f"\n{name}")
        for result in report.results:
            click.echo(result.line())
    click.echo("")
    click.echo(side_by_side(reports))


def _eval_systems(settings: Settings, with_baseline: bool) -> tuple[Any, Any]:
    """The chat engine and (with an LLM) the starter baseline, sharing index and models."""
    from askconvergence.answer.engine import Engine
    from askconvergence.evaluation import StarterBaseline
    from askconvergence.index import IndexMismatchError, IndexMissingError, PassageIndex
    from askconvergence.models.factory import (
        BackendError,
        make_embed_model,
        make_excerpts,
        make_llm,
    )
    from askconvergence.models.gguf import ModelUnavailableError
    from askconvergence.retrieve import make_retriever

    try:
        index = PassageIndex(settings)
        embed_model = make_embed_model(settings)
        llm = make_llm(settings)
    except (IndexMissingError, IndexMismatchError, BackendError, ModelUnavailableError) as exc:
        _fail(str(exc))
    excerpts = make_excerpts(settings, embed_model)
    retriever = make_retriever(index, embed_model, settings, sentences=excerpts)
    engine = Engine(settings, retriever, llm, excerpts)
    baseline = StarterBaseline(index, embed_model, llm) if with_baseline and llm else None
    return engine, baseline


def main() -> None:
    """Console-script entry point."""
    cli()
