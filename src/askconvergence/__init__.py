"""askconvergence: answers questions about Convergence Health & Technology with cited passages."""

__all__ = ["__version__"]

__version__ = "0.1.0"
