"""Concurrency: 1, 5 and 20 chat clients against a running ``askconvergence serve`` (loopback).

Starts the server itself (also measuring start-to-ready and resident memory), then for each
client count runs that many clients for ``--duration`` seconds. Each client streams questions
through the chat page's own HTTP API (Gradio ``/gradio_api/call/v2/respond``, the path the page
uses), one after the other; requests still running when the time is up may finish (bounded by
``--drain``). A probe reads ``/healthz`` every second meanwhile.

    PYTHONPATH=src python bench/concurrency_bench.py [--clients 1,5,20] [--duration 60]

Every client sends its own ``X-Forwarded-For`` address (the server is started trusting it), so
the per-visitor rate limit applies to each client as it would to visitors of a real site; a
reply that is the rate limit's message is counted as rate-limited and left out of the times.

Reported per client count: requests, errors, rate-limited replies, p50/p95 of time to the
cited passages, to the first answer token and to the full answer; the places in line the
clients were shown; queue order violations (a request that got its first token before one
sent >1 s earlier); /healthz p50/p95/max while the model was busy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import common
import httpx

PLACE = re.compile(r"number (\d+) in line")
SOURCES = "askconv-sources"
RATE_LIMITED = "Too many questions in a short time"


@dataclass
class Request:
    """What one client saw for one question."""

    client: int
    sent: float
    citations: float | None = None
    first_token: float | None = None
    done: float | None = None
    places: list[int] = field(default_factory=list)
    error: str | None = None
    limited: bool = False


def ask(base: str, question: str, client: int, timeout: float) -> Request:
    """Stream one answer through the chat page's API and time its stages."""
    req = Request(client, time.perf_counter())
    try:
        # Every client is its own visitor behind a proxy, as on a real site: the server's
        # per-visitor rate limit applies to each, not to all of them as one address.
        headers = {"X-Forwarded-For": f"10.0.{client // 250 % 250}.{client % 250 + 1}"}
        with httpx.Client(base_url=base, timeout=timeout, headers=headers) as http:
            event_id = (
                http.post("/gradio_api/call/v2/respond", json={"message": question})
                .raise_for_status()
                .json()["event_id"]
            )
            event = ""
            with http.stream("GET", f"/gradio_api/call/respond/{event_id}") as stream:
                for line in stream.iter_lines():
                    now = time.perf_counter() - req.sent
                    if line.startswith("event:"):
                        event = line.split(":", 1)[1].strip()
                        if event == "error":
                            req.error = "gradio error event"
                        continue
                    if not line.startswith("data:") or event not in ("generating", "complete"):
                        continue
                    data = json.loads(line[5:])
                    text = (
                        data[0]
                        if isinstance(data, list) and data and isinstance(data[0], str)
                        else ""
                    )
                    head = text.split("\n\n<div class='askconv-sources'>")[0].strip()
                    if head.startswith(RATE_LIMITED):
                        req.limited, req.done = True, now
                        break
                    if SOURCES in text and req.citations is None:
                        req.citations = now
                    if (place := PLACE.search(head)) and (
                        not req.places or req.places[-1] != int(place.group(1))
                    ):
                        req.places.append(int(place.group(1)))
                    elif (
                        head and head != "…" and not PLACE.search(head) and req.first_token is None
                    ):
                        req.first_token = now
                    if event == "complete":
                        req.done = now
                        if "Sorry, the answering model is unavailable" in text:
                            req.error = "backend failed"
                        break
        if req.done is None and req.error is None:
            req.error = "stream ended without an answer"
    except Exception as exc:  # every failure is a counted error, not a crash of the benchmark
        req.error = f"{type(exc).__name__}: {exc}"
    return req


def run_level(
    base: str, clients: int, duration: float, drain: float, questions: list[str]
) -> list[object]:
    """Run ``clients`` clients for ``duration`` s; return the table row."""
    results: list[Request] = []
    health: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + duration
    busy = threading.Event()

    def client(i: int) -> None:
        n = 0
        while time.perf_counter() < stop:
            q = questions[(i * 7 + n) % len(questions)]
            r = ask(base, q, i, timeout=duration + drain)
            with lock:
                results.append(r)
            n += 1

    def probe() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while not busy.is_set():
                t = time.perf_counter()
                try:
                    http.get("/healthz").raise_for_status()
                    health.append(time.perf_counter() - t)
                except httpx.HTTPError:
                    health.append(float("inf"))
                time.sleep(1.0)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    prober = threading.Thread(target=probe)
    prober.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + drain + 60)
    busy.set()
    prober.join()
    limited = [r for r in results if r.limited]
    ok = [r for r in results if r.error is None and not r.limited]
    errors = [r for r in results if r.error is not None]
    for r in errors[:5]:
        print(f"  error (client {r.client}): {r.error}", file=sys.stderr)
    # A fair queue serves in order of arrival: count pairs answered out of order by more than 1 s.
    timed = [r for r in ok if r.first_token is not None]
    inversions = sum(
        1
        for a in timed
        for b in timed
        if a.sent + 1.0 < b.sent and b.sent + b.first_token < a.sent + a.first_token
    )
    places = sorted({p for r in results for p in r.places})
    shown = f"{places[0]}..{places[-1]}" if places else "-"
    return [
        clients,
        len(results),
        len(errors),
        len(limited),
        common.p50([r.citations for r in ok if r.citations is not None]),
        common.pct([r.citations for r in ok if r.citations is not None], 0.95),
        common.p50([r.first_token for r in timed]),
        common.pct([r.first_token for r in timed], 0.95),
        common.p50([r.done for r in ok if r.done]),
        common.pct([r.done for r in ok if r.done], 0.95),
        shown,
        inversions,
        common.p50(health) * 1000,
        common.pct(health, 0.95) * 1000,
        max(health) * 1000 if health else float("nan"),
    ]


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    values = {
        k: int(v.split()[0]) / 1024
        for k, v in (line.split(":", 1) for line in status.splitlines())
        if k in ("VmRSS", "VmHWM")
    }
    return values["VmRSS"], values["VmHWM"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", default="1,5,20")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument(
        "--drain", type=float, default=1200.0, help="longest wait for requests in flight"
    )
    parser.add_argument("--port", type=int, default=7971)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    questions = [i.turns[0] for i in common.subset(1) if len(i.turns) == 1]

    env = {**os.environ, "ASKCONV_SERVER_TRUST_PROXY_HEADERS": "true"}
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "askconvergence",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(args.port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if server.poll() is not None:
                raise SystemExit("the server exited; run it by hand to see why")
            try:
                model = httpx.get(f"{base}/healthz", timeout=1).raise_for_status().json()["model"]
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        ready = time.perf_counter() - started
        rss_ready, _ = rss_mb(server.pid)
        print(f"server ready in {ready:.1f} s, RSS {rss_ready:.0f} MB, model {model}", flush=True)
        ask(base, "What is Convergence?", -1, timeout=600)  # first answer pages the model in
        rows = []
        for n in [int(c) for c in args.clients.split(",")]:
            rows.append(run_level(base, n, args.duration, args.drain, questions))
            print(rows[-1], flush=True)
        rss_now, rss_peak = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"\nStart to ready (process start to /healthz 200, model loaded): {ready:.1f} s")
    print(
        f"Resident memory: {rss_ready:.0f} MB when ready, {rss_now:.0f} MB after the runs, "
        f"peak {rss_peak:.0f} MB"
    )
    print(
        f"\nConcurrent chat clients for {args.duration:.0f} s each, model {model}, "
        "streaming through the page API"
    )
    print(
        common.table(
            [
                "clients",
                "requests",
                "errors",
                "rate-limited",
                "passages p50 s",
                "passages p95 s",
                "1st token p50 s",
                "1st token p95 s",
                "answer p50 s",
                "answer p95 s",
                "places shown",
                "order violations",
                "healthz p50 ms",
                "healthz p95 ms",
                "healthz max ms",
            ],
            rows,
        )
    )
    print(f"\n{common.machine_note()}")


if __name__ == "__main__":
    main()
