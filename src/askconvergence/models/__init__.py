"""Model backends (embeddings, LLMs, vector store) and the one factory that chooses them."""
