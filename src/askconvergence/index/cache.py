"""Vectors already computed, keyed by the hash of the exact text the model embedded.

A renamed document, an unchanged chunk or the resumed part of a killed build finds its vector
here instead of embedding it again. One SQLite file per embedding model, so vectors of two
models never mix.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

__all__ = ["EmbeddingCache", "text_key"]

# sqlite's default limit on "?" parameters in one statement is 32766; stay well below.
_CHUNK = 900


def text_key(text: str) -> str:
    """The cache key of an embedded text."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class EmbeddingCache:
    """A persistent map from text key to float32 vector."""

    def __init__(self, folder: Path, model: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(model.encode()).hexdigest()[:16]
        self.path = folder / f"{name}.sqlite"
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('model', ?)", (model,))
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")
        self._db.commit()

    def missing(self, keys: Iterable[str]) -> set[str]:
        """The keys that have no vector yet."""
        wanted = list(set(keys))
        have: set[str] = set()
        for i in range(0, len(wanted), _CHUNK):
            part = wanted[i : i + _CHUNK]
            rows = self._db.execute(
                f"SELECT key FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
            )
            have.update(r[0] for r in rows)
        return set(wanted) - have

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors for ``keys`` (those present)."""
        wanted = list(set(keys))
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(wanted), _CHUNK):
            part = wanted[i : i + _CHUNK]
            rows = self._db.execute(
                f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
            )
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, items: Iterable[tuple[str, Sequence[float]]]) -> None:
        """Store vectors and commit (one transaction: all of them or none)."""
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def count(self) -> int:
        """Number of cached vectors."""
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def prune(self, live: set[str]) -> int:
        """Forget vectors whose text is no longer in the index; returns how many."""
        with self._db:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS live (key TEXT PRIMARY KEY)")
            self._db.execute("DELETE FROM live")
            self._db.executemany("INSERT OR IGNORE INTO live VALUES (?)", ((k,) for k in live))
            cur = self._db.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM live)")
            removed = cur.rowcount
            self._db.execute("DELETE FROM live")
        return int(removed)

    def close(self) -> None:
        """Close the database."""
        self._db.close()
