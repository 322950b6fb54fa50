"""Find corpus files, read their metadata and turn them into cleaned LlamaIndex documents."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from askconvergence.ingest.clean import clean_text

__all__ = ["SUPPORTED_SUFFIXES", "SourceDocument", "load_corpus", "parse_front_matter"]

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".md", ".txt")
# Metadata that identifies a passage for people but should not steer the embedding.
HIDDEN_FROM_EMBEDDING = ["doc_id", "source", "language"]


@dataclass(frozen=True)
class SourceDocument:
    """One corpus file after cleaning: its id (path under the corpus), text and metadata."""

    doc_id: str
    text: str
    title: str
    source: str = ""
    language: str = "en"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_llama(self) -> Any:
        """This document as a LlamaIndex ``Document`` with a stable id."""
        from llama_index.core import Document

        return Document(
            id_=self.doc_id,
            text=self.text,
            metadata={
                "doc_id": self.doc_id,
                "title": self.title,
                "source": self.source,
                "language": self.language,
            },
            excluded_embed_metadata_keys=list(HIDDEN_FROM_EMBEDDING),
            excluded_llm_metadata_keys=list(HIDDEN_FROM_EMBEDDING),
        )


def parse_front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """Split ``---``-delimited YAML front matter from the body; no front matter gives ``{}``."""
    if not raw.startswith("---"):
        return {}, raw
    end = raw.find("\n---", 3)
    if end == -1:
        return {}, raw
    meta = yaml.safe_load(raw[3:end]) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a mapping of keys to values")
    body = raw[end + 4 :].lstrip("\n")
    return meta, body


def _read(path: Path, corpus_dir: Path) -> SourceDocument:
    raw = path.read_text(encoding="utf-8")
    meta, body = parse_front_matter(raw)
    sidecar = path.with_suffix(path.suffix + ".yaml")
    if sidecar.exists():
        meta = {**(yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}), **meta}
    text = clean_text(body)
    title = str(meta.pop("title", "") or _first_line(text) or path.stem)
    return SourceDocument(
        doc_id=path.relative_to(corpus_dir).as_posix(),
        text=text,
        title=title,
        source=str(meta.pop("source", "")),
        language=str(meta.pop("language", "en")),
        extra=meta,
    )


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def load_corpus(corpus_dir: Path) -> list[SourceDocument]:
    """Read every supported file under ``corpus_dir``; skip others and unreadable files with a warning."""
    if not corpus_dir.is_dir():
        raise FileNotFoundError(
            f"Corpus folder {corpus_dir} does not exist; set ASKCONV_CORPUS_DIR or --corpus."
        )
    docs: list[SourceDocument] = []
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        if path.name.startswith(".") or path.name.endswith(".yaml") or path.name == "README.md":
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            log.warning("Skipping %s: unsupported file type %s", path, path.suffix or "(none)")
            continue
        try:
            doc = _read(path, corpus_dir)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
            log.warning("Skipping %s: cannot read it (%s)", path, exc)
            continue
        if doc.text.strip():
            docs.append(doc)
        else:
            log.warning("Skipping %s: no text after cleaning", path)
    return docs
