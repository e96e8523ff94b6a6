"""Data: map-style datasets, DataLoader, IDX (MNIST-format) files and built-in offline
datasets."""
from .datasets import MissingExtraError, load_digits, load_mnist1d, MNIST1D
from .dataset import (Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset, random_split, StackDataset,
                      ChainDataset)
from .dataloader import DataLoader, default_collate, default_convert
from .sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
                      BatchSampler, DistributedSampler)
from .workers import get_worker_info
from .idx import read_idx, MNIST, FashionMNIST

__all__ = ["MissingExtraError", "load_digits", "load_mnist1d", "MNIST1D", "Dataset", "IterableDataset",
           "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader", "default_collate",
           "default_convert", "get_worker_info", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "read_idx", "MNIST", "FashionMNIST",
           "StackDataset", "ChainDataset", "DistributedSampler"]
