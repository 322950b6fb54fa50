"""Reading source documents: formats, front matter and sidecars, cleaning, LlamaIndex documents."""

from askconvergence.ingest.clean import clean_text
from askconvergence.ingest.formats import SUPPORTED_SUFFIXES, parse_front_matter
from askconvergence.ingest.load import (
    PARSER_VERSION,
    CorpusFile,
    SourceDocument,
    UnreadableDocumentError,
    load_corpus,
    read_document,
    scan_corpus,
)

__all__ = [
    "PARSER_VERSION",
    "SUPPORTED_SUFFIXES",
    "CorpusFile",
    "SourceDocument",
    "UnreadableDocumentError",
    "clean_text",
    "load_corpus",
    "parse_front_matter",
    "read_document",
    "scan_corpus",
]
