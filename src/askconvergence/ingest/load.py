"""Find corpus files, read their metadata and turn them into cleaned LlamaIndex documents."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from askconvergence.ingest.clean import clean_text
from askconvergence.ingest.formats import SUPPORTED_SUFFIXES, parse_front_matter, read_bytes

__all__ = [
    "PARSER_VERSION",
    "SUPPORTED_SUFFIXES",
    "CorpusFile",
    "SourceDocument",
    "UnreadableDocumentError",
    "load_corpus",
    "parse_front_matter",
    "read_document",
    "scan_corpus",
]

log = logging.getLogger(__name__)

# Bump when reading, cleaning or chunking changes what a file turns into: every file is then
# read again.
PARSER_VERSION = 8
SIDECAR_SUFFIXES = (".yaml", ".yml")
# Metadata that identifies a passage for people but should not steer the embedding.
HIDDEN_FROM_EMBEDDING = ["doc_id", "source", "language"]


class UnreadableDocumentError(ValueError):
    """A corpus file that cannot be read; the message names it."""


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


@dataclass(frozen=True)
class CorpusFile:
    """A supported file under the corpus and the hash of its bytes (with its sidecar's)."""

    doc_id: str
    location: str
    sidecar_location: str | None
    digest: str

    @property
    def path(self) -> Path:
        """The file."""
        return Path(self.location)

    @property
    def sidecar(self) -> Path | None:
        """Its metadata sidecar, if there is one."""
        return Path(self.sidecar_location) if self.sidecar_location else None


def scan_corpus(corpus_dir: Path) -> list[CorpusFile]:
    """Every supported file under ``corpus_dir`` with its content hash, sorted by id.

    Change is detected by these hashes only, never by file dates. Unsupported files are
    skipped with a warning; a file that cannot be read at all is reported and skipped.
    """
    if not corpus_dir.is_dir():
        raise FileNotFoundError(
            f"Corpus folder {corpus_dir} does not exist; set ASKCONV_CORPUS_DIR or --corpus."
        )
    # Plain strings rather than Path objects: this runs over every file on every update.
    top = os.fspath(corpus_dir)
    found: list[CorpusFile] = []
    for root, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = os.path.relpath(root, top).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        present = set(names)
        for name in names:
            if _ignored(name, at_top=not prefix):
                continue
            location = os.path.join(root, name)
            suffix = os.path.splitext(name)[1].lower()
            if suffix not in SUPPORTED_SUFFIXES:
                log.warning("Skipping %s: unsupported file type %s", location, suffix or "(none)")
                continue
            sidecar = next((name + s for s in SIDECAR_SUFFIXES if name + s in present), None)
            sidecar_location = os.path.join(root, sidecar) if sidecar else None
            try:
                digest = hashlib.sha256(_read(location))
                if sidecar_location is not None:
                    digest.update(b"\x00sidecar\x00" + _read(sidecar_location))
            except OSError as exc:
                log.warning("Skipping %s: cannot read it (%s)", location, exc)
                continue
            found.append(CorpusFile(prefix + name, location, sidecar_location, digest.hexdigest()))
    return sorted(found, key=lambda f: f.doc_id)


def _read(location: str) -> bytes:
    with open(location, "rb") as fh:
        return fh.read()


def _ignored(name: str, at_top: bool) -> bool:
    if name.startswith(".") or name.startswith("~$") or name.endswith("~"):
        return True  # hidden files, editor backups and Office lock files
    if name.lower().endswith(SIDECAR_SUFFIXES):
        return True
    return at_top and name == "README.md"


def read_document(file: CorpusFile) -> SourceDocument:
    """Read, clean and describe one file; :class:`UnreadableDocumentError` if it cannot be read."""
    path = file.path
    try:
        meta, body = read_bytes(path.suffix, path.read_bytes())
        if file.sidecar is not None:
            side = yaml.safe_load(file.sidecar.read_text(encoding="utf-8")) or {}
            if not isinstance(side, dict):
                raise ValueError(f"sidecar {file.sidecar.name} must be a mapping of keys to values")
            meta = {**meta, **side}  # the sidecar is written by people: it wins
    except Exception as exc:  # every parser has its own errors; all mean "cannot read this file"
        raise UnreadableDocumentError(f"Cannot read {path}: {exc}") from exc
    text = clean_text(body)
    title = str(meta.pop("title", "") or _first_line(text) or path.stem)
    language = str(meta.pop("language", "") or _guess_language(text))
    return SourceDocument(
        doc_id=file.doc_id,
        text=text,
        title=title,
        source=str(meta.pop("source", "") or ""),
        language=language,
        extra=meta,
    )


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:200]


def _guess_language(text: str) -> str:
    from askconvergence.answer.language import detect_language

    return detect_language(text[:2000])


def load_corpus(corpus_dir: Path) -> list[SourceDocument]:
    """Read every supported file under ``corpus_dir``; report and skip unreadable or empty ones."""
    docs: list[SourceDocument] = []
    for file in scan_corpus(corpus_dir):
        try:
            doc = read_document(file)
        except UnreadableDocumentError as exc:
            log.warning("%s; skipping it", exc)
            continue
        if doc.text.strip():
            docs.append(doc)
        else:
            log.warning("Skipping %s: no text after cleaning", file.path)
    return docs
