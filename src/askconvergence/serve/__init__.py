"""Serving the engine: the HTTP API and the Gradio chat, in one FastAPI app."""
