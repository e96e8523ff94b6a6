"""Data: map-style datasets, DataLoader, IDX (MNIST-format) files and built-in offline
datasets."""
from .datasets import MissingExtraError, load_digits, load_mnist1d, MNIST1D
from .dataset import Dataset, TensorDataset, Subset, ConcatDataset, random_split
from .dataloader import DataLoader, default_collate
from .idx import read_idx, MNIST, FashionMNIST

__all__ = ["MissingExtraError", "load_digits", "load_mnist1d", "MNIST1D", "Dataset", "TensorDataset", "Subset",
           "ConcatDataset", "random_split", "DataLoader", "default_collate", "read_idx", "MNIST", "FashionMNIST"]
