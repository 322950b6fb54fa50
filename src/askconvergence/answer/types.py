"""The values that flow from retrieval to the user: passages and answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Answer", "Passage", "heading_of"]


def heading_of(title: str, section: str) -> str:
    """What a chunk is about: its title, and the section heading a chunk cut off from its
    heading would lose ("Health & High Tech Region Nijmegen" for "The Noviotech Campus is at
    the heart of this ecosystem.")."""
    return f"{title} - {section}" if section else title


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, numbered ``n`` as the model and the user see it."""

    n: int
    doc_id: str
    title: str
    text: str
    score: float
    source: str = ""
    chunk_id: str = ""
    section: str = ""  # the heading of the section the chunk starts in, when it does not show it

    @property
    def heading(self) -> str:
        """What the passage is about, as its sentences are embedded with it (see
        :func:`heading_of`)."""
        return heading_of(self.title, self.section)

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of a citation."""
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "title": self.title,
            "text": self.text,
            "score": round(self.score, 4),
        }


@dataclass
class Answer:
    """An answer with the passages it cites; ``grounded`` is False when it declines."""

    question: str
    answer: str
    grounded: bool
    citations: list[Passage]
    retrieved: list[Passage] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    model: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON of ``askconvergence ask --json`` and ``POST /api/chat``."""
        return {
            "question": self.question,
            "answer": self.answer,
            "grounded": self.grounded,
            "citations": [p.to_json() for p in self.citations],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }

    def as_dict(self) -> dict[str, Any]:
        """Everything, including the passages retrieved but not cited."""
        return asdict(self)
