"""The fair generation queue: arrival order, places in line, and abandoned requests."""

from __future__ import annotations

import threading

import pytest

from askconvergence.answer.queue import GenerationQueue

PANCREAS = "When is the artificial pancreas expected to become widely available?"


def test_positions_count_from_the_front_and_move_up() -> None:
    queue = GenerationQueue()
    first, second, third = queue.join(), queue.join(), queue.join()
    assert [first.position, second.position, third.position] == [0, 1, 2]
    assert queue.status() == {"generating": 1, "waiting": 2, "served": 0}
    first.release()
    assert [second.position, third.position] == [0, 1]
    assert second.wait(0) and not third.wait(0)


def test_requests_are_served_in_arrival_order() -> None:
    queue = GenerationQueue()
    gate = queue.join()  # holds the model so that every worker below has to wait
    served: list[int] = []
    tickets = [queue.join() for _ in range(6)]

    def work(i: int) -> None:
        with tickets[i]:
            served.append(i)

    # Start the threads in reverse so that thread start order cannot explain the result.
    threads = [threading.Thread(target=work, args=(i,)) for i in reversed(range(6))]
    for thread in threads:
        thread.start()
    assert [t.position for t in tickets] == [1, 2, 3, 4, 5, 6]
    gate.release()
    for thread in threads:
        thread.join(timeout=10)
    assert served == [0, 1, 2, 3, 4, 5]
    assert queue.status() == {"generating": 0, "waiting": 0, "served": 7}


def test_a_request_that_gives_up_leaves_the_line() -> None:
    queue = GenerationQueue()
    gate, quitter, patient = queue.join(), queue.join(), queue.join()
    places = quitter.positions(interval=0.01)
    assert next(places) == 1
    places.close()  # the user closed the page while waiting
    assert patient.position == 1
    gate.release()
    assert patient.wait(0)
    with pytest.raises(RuntimeError, match="already left"):
        quitter.wait(0)


def test_positions_report_each_move_until_served() -> None:
    queue = GenerationQueue()
    gate, middle, last = queue.join(), queue.join(), queue.join()
    seen: list[int] = []

    def watch() -> None:
        seen.extend(last.positions(interval=5))

    watcher = threading.Thread(target=watch)
    watcher.start()
    while not seen:
        threading.Event().wait(0.01)
    gate.release()
    while len(seen) < 2:
        threading.Event().wait(0.01)
    middle.release()
    watcher.join(timeout=10)
    assert seen == [2, 1]
    assert last.granted and last.position == 0


def test_several_slots_serve_several_at_once() -> None:
    queue = GenerationQueue(slots=2)
    a, b, c = queue.join(), queue.join(), queue.join()
    assert (a.position, b.position, c.position) == (0, 0, 1)
    with pytest.raises(ValueError):
        GenerationQueue(slots=0)


def test_engine_shows_passages_then_its_place_while_the_model_is_busy(built_settings) -> None:  # type: ignore[no-untyped-def]
    """Citations come before any waiting; the answer comes after the request ahead is done."""
    from llama_index.core.llms import MockLLM

    from askconvergence.answer.engine import Engine
    from askconvergence.index import PassageIndex
    from askconvergence.models.factory import make_embed_model
    from askconvergence.retrieve import make_retriever

    retriever = make_retriever(
        PassageIndex(built_settings), make_embed_model(built_settings), built_settings
    )
    engine = Engine(built_settings, retriever, MockLLM(max_tokens=5))
    busy = engine.queue.join()  # another user's answer is being written
    events = engine.stream(PANCREAS)
    first = next(events)
    assert first.kind == "citations" and any("2024" in p.text for p in first.data)
    queued = next(events)
    assert (queued.kind, queued.data) == ("queued", 1)
    busy.release()
    rest = list(events)
    assert rest[-1].kind == "done" and any(e.kind == "token" for e in rest)
    assert engine.queue.status() == {"generating": 0, "waiting": 0, "served": 2}
