"""Samplers, as torch.utils.data has them: what order (and which) indices a DataLoader
reads (`sampler=`), or which index batches (`batch_sampler=`). Random ones draw from
fastdl's generator (or `generator`), so fastdl.manual_seed fixes them; the streams are
not torch's."""
import numbers

import numpy as np

from .. import dtypes as _dt
from ..ops.random import rand, randint, randperm
from ..tensor import Tensor

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "DistributedSampler"]


def _positive_int(name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")
    return int(value)


class Sampler:
    """Base class: subclasses define __iter__ (indices) and, where known, __len__."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new permutation of the indices every epoch, or with replacement=True num_samples
    (default len(data_source)) indices drawn uniformly with replacement; without
    replacement num_samples may exceed the length (whole permutations, then part of one)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._num_samples = None if num_samples is None else _positive_int("num_samples", num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, k = len(self.data_source), self.num_samples
        if n == 0:
            return iter(())
        if self.replacement:
            return iter(randint(0, n, (k,), dtype=_dt.int64, generator=self.generator).tolist())
        out = []
        while len(out) < k:
            out += randperm(n, generator=self.generator).tolist()[:k - len(out)]
        return iter(out)

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a new random order every epoch (e.g. a validation split)."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = list(indices), generator

    def __iter__(self):
        order = randperm(len(self.indices), generator=self.generator).tolist()
        return (self.indices[i] for i in order)

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices of range(len(weights)), index i with probability proportional to
    weights[i] (for imbalanced classes); without replacement each index at most once
    (num_samples <= the number of non-zero weights)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        w = np.asarray(weights.detach().cpu().numpy() if isinstance(weights, Tensor) else weights, np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1-D sequence, but got shape {tuple(w.shape)}")
        if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
            raise ValueError("weights should be finite, non-negative and not all zero")
        self.weights, self.replacement, self.generator = w, replacement, generator
        self.num_samples = _positive_int("num_samples", num_samples)
        if not replacement and self.num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: cannot draw {self.num_samples} samples without replacement "
                             f"from {np.count_nonzero(w)} non-zero weights")

    def __iter__(self):
        u = rand(self.num_samples if self.replacement else self.weights.size, dtype=_dt.float64,
                 generator=self.generator).numpy()
        if self.replacement:  # inverse CDF
            cdf = np.cumsum(self.weights)
            picks = np.searchsorted(cdf, u * cdf[-1], side="right")
            return iter(np.minimum(picks, self.weights.size - 1).tolist())
        # without replacement: the num_samples largest keys u^(1/w) (Efraimidis-Spirakis)
        with np.errstate(divide="ignore"):
            keys = np.where(self.weights > 0, np.log(u) / self.weights, -np.inf)
        return iter(np.argsort(-keys, kind="stable")[:self.num_samples].tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of batch_size consecutive indices of `sampler` (the last shorter unless drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, _positive_int("batch_size", batch_size), drop_last

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class DistributedSampler(Sampler):
    """torch's DistributedSampler: replica `rank` of `num_replicas` reads every
    num_replicas-th index of one shared order (a permutation from seed + epoch when
    shuffle, padded by repeating its start, or cut with drop_last, to a multiple of
    num_replicas). num_replicas / rank left None come from fastdl.distributed's default
    process group (world_size / rank: 1 / 0, fastdl runs one process), which must then be
    initialized, as torch's; pass them to split a dataset between processes you start
    yourself. Call set_epoch(e) each epoch for a new order, as with torch."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is not None:  # a bad explicit value is reported before asking the group
            num_replicas = _positive_int("num_replicas", num_replicas)
        if num_replicas is None or rank is None:
            from .. import distributed as dist  # raises torch's error when no group is initialized
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if not isinstance(rank, numbers.Integral) or isinstance(rank, bool) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, int(seed), drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = -(-(n - num_replicas) // num_replicas)  # ceil((n - r) / r)
        else:
            self.num_samples = -(-n // num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            from ..ops.random import Generator
            order = randperm(n, generator=Generator(self.seed + self.epoch)).tolist()
        else:
            order = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(order)
            if pad <= len(order):
                order += order[:pad]
            else:
                order += (order * -(-pad // len(order)))[:pad]
        else:
            order = order[:self.total_size]
        return iter(order[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        self.epoch = epoch
