"""Data: built-in offline datasets (and, with the layers issue, Dataset/DataLoader)."""
from .datasets import MissingExtraError, load_digits

__all__ = ["MissingExtraError", "load_digits"]
