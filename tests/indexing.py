"""Helpers for index tests: small corpora and what an index holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from askconvergence.index import PassageIndex
from askconvergence.settings import Settings

# Short texts, one chunk each; reused across documents so renames and copies happen.
TEXTS = [
    "The Medical Delta links Leiden, Delft and Rotterdam in health technology.",
    "Conny the zebra is the mascot of the convergence lab in Delft.",
    "Erasmus MC trains surgeons with virtual reality simulators since 2021.",
    "The artificial pancreas keeps the blood sugar of patients with diabetes stable.",
    "TU Delft engineers build robots that help nurses lift patients.",
    "Health Hub Utrecht connects start-ups with hospitals and insurers.",
]


TOPICS = ["robot", "sensor", "implant", "scanner", "app", "trial", "biobank", "clinic"]


def add_generated_docs(folder: Path, count: int) -> None:
    """Write ``count`` short, distinct one-chunk documents into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        topic = TOPICS[i % len(TOPICS)]
        (folder / f"note-{i:04d}.md").write_text(
            f"---\ntitle: Lab note {i}\nsource: generated\nlanguage: en\n---\n"
            f"Lab note {i} describes a {topic} prototype numbered {i * 7919 % 10007}. "
            f"The team in room {i % 97} tested the {topic} with {i % 13 + 2} volunteers "
            f"and wrote down {i % 5 + 1} findings about comfort and battery life.\n"
        )


def write_doc(corpus: Path, name: str, text: str, title: str | None = None) -> Path:
    """Write a Markdown document with front matter."""
    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    title = title or Path(name).stem.replace("-", " ").title()
    path.write_text(f"---\ntitle: {title}\nsource: test corpus\nlanguage: en\n---\n{text}\n")
    return path


def snapshot(settings: Settings) -> dict[str, tuple[str, str]]:
    """Every chunk of the published index: id -> (text, document id)."""
    index = PassageIndex(settings)
    try:
        got = index.collection.get(include=["documents", "metadatas"])
        return {
            cid: (text, str(meta["doc_id"]))
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }
    finally:
        index.close()


def vectors(settings: Settings) -> dict[str, Any]:
    """Every chunk's vector in the published index: id -> array."""
    index = PassageIndex(settings)
    try:
        got = index.collection.get(include=["embeddings"])
        return {cid: np.asarray(v) for cid, v in zip(got["ids"], got["embeddings"], strict=True)}
    finally:
        index.close()
