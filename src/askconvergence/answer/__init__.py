"""Turning retrieved passages into a cited answer."""

from askconvergence.answer.types import Answer, Passage

__all__ = ["Answer", "Passage"]
