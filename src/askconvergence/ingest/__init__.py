"""Reading source documents: front matter, cleaning, LlamaIndex documents."""

from askconvergence.ingest.clean import clean_text
from askconvergence.ingest.load import SourceDocument, load_corpus, parse_front_matter

__all__ = ["SourceDocument", "clean_text", "load_corpus", "parse_front_matter"]
