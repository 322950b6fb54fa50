"""A fair first-come-first-served queue for answer generation, with each request's place in it.

A local model on a small CPU writes one answer at a time; every other request waits here in
arrival order and can tell its user how many requests are ahead of it. Retrieval and the
cited passages never wait in this queue, only the generation step does.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterator
from types import TracebackType

__all__ = ["GenerationQueue", "Ticket"]


class Ticket:
    """One request's place in a :class:`GenerationQueue`; release it when generation ends."""

    def __init__(self, queue: GenerationQueue, number: int) -> None:
        self.queue = queue
        self.number = number
        self.granted = False
        self.released = False

    @property
    def position(self) -> int:
        """0 while generating (or done), else how many places from the front: 1 means next."""
        return self.queue.position(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until it is this ticket's turn (True) or ``timeout`` seconds pass (False)."""
        return self.queue._wait(self, timeout)

    def positions(self, interval: float = 1.0) -> Iterator[int]:
        """Yield the place in line at once and whenever it changes, until it is this ticket's turn.

        ``interval`` bounds how long one wait for a change may block. A ticket whose waiting is
        abandoned (the generator is closed or fails) leaves the queue.
        """
        try:
            last = 0
            while True:
                position = self.queue._next_position(self, last, interval)
                if position == 0:
                    return
                if position != last:
                    last = position
                    yield position
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Leave the queue (or free the model); calling it again does nothing."""
        self.queue._release(self)

    def __enter__(self) -> Ticket:
        self.wait()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "released" if self.released else "granted" if self.granted else "waiting"
        return f"Ticket({self.number}, {state})"


class GenerationQueue:
    """Requests enter in arrival order; at most ``slots`` of them generate at the same time."""

    def __init__(self, slots: int = 1) -> None:
        if slots < 1:
            raise ValueError("A generation queue needs at least one slot.")
        self.slots = slots
        self._cond = threading.Condition()
        self._waiting: deque[Ticket] = deque()
        self._active: set[Ticket] = set()
        self._numbers = itertools.count(1)
        self.served = 0

    def join(self) -> Ticket:
        """Take a place at the back of the line."""
        with self._cond:
            ticket = Ticket(self, next(self._numbers))
            self._waiting.append(ticket)
            self._grant()
            return ticket

    def position(self, ticket: Ticket) -> int:
        """0 for a ticket that is generating or gone, else its 1-based place among the waiting."""
        with self._cond:
            return self._place(ticket)

    def _place(self, ticket: Ticket) -> int:
        # Caller holds the lock.
        for place, waiting in enumerate(self._waiting, start=1):
            if waiting is ticket:
                return place
        return 0

    def status(self) -> dict[str, int]:
        """How many requests are generating and how many wait (for health pages)."""
        with self._cond:
            return {
                "generating": len(self._active),
                "waiting": len(self._waiting),
                "served": self.served,
            }

    def _grant(self) -> None:
        # Caller holds the lock. Strict arrival order: only the front of the line is served.
        while self._waiting and len(self._active) < self.slots:
            ticket = self._waiting.popleft()
            ticket.granted = True
            self._active.add(ticket)
        self._cond.notify_all()

    def _wait(self, ticket: Ticket, timeout: float | None) -> bool:
        with self._cond:
            if ticket.released:
                raise RuntimeError("This ticket has already left the queue.")
            return self._cond.wait_for(lambda: ticket.granted, timeout)

    def _next_position(self, ticket: Ticket, last: int, timeout: float) -> int:
        # Wakes on every grant or release, so a waiting user sees each move up at once.
        with self._cond:
            self._cond.wait_for(lambda: ticket.granted or self._place(ticket) != last, timeout)
            return 0 if ticket.granted else self._place(ticket)

    def _release(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket.released:
                return
            ticket.released = True
            if ticket in self._active:
                self._active.discard(ticket)
                self.served += 1
            else:
                self._waiting.remove(ticket)
            self._grant()
