"""DataLoader: batches of a dataset, as torch's. A shuffled order is drawn every epoch
from fastdl's random generator (so fastdl.manual_seed, or an explicit Generator, fixes
the order)."""
import collections.abc
import numbers

import numpy as np

from .. import dtypes as _dt
from . import loader_options, workers
from .dataset import IterableDataset
from ..ops.random import randint, randperm
from ..ops.shape import stack
from ..tensor import Tensor, as_tensor, tensor

__all__ = ["DataLoader", "default_collate", "default_convert"]


def default_collate(batch):
    """torch's default_collate: tensors, NumPy arrays and numbers are stacked into a
    tensor with a new first dimension; dicts, tuples and lists are collated field by
    field (a tuple gives a list, a namedtuple a namedtuple); strings stay a list."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind not in "biuf":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                            f"found an array of dtype {elem.dtype}")
        return stack([as_tensor(b) for b in batch])
    if isinstance(elem, np.generic) and elem.dtype.kind in "biuf":
        return tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=_dt.float64)
    if isinstance(elem, numbers.Integral):  # bools stay bool, as torch.tensor(batch)
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(e) != len(elem) for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem)}")


def default_convert(sample):
    """torch's default_convert (the collate of batch_size=None): NumPy arrays become
    tensors, inside dicts, tuples and lists too; anything else is left as it is."""
    if isinstance(sample, np.ndarray) and sample.dtype.kind in "biuf":
        return as_tensor(sample)
    if isinstance(sample, collections.abc.Mapping):
        return {key: default_convert(v) for key, v in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, (tuple, list)):
        return type(sample)(default_convert(v) for v in sample)
    return sample


def _batched(indices, size, drop_last):
    """Lists of `size` consecutive items of the iterable `indices` (the last one shorter
    unless drop_last)."""
    if isinstance(indices, (range, list)):  # slices: no per-index Python loop
        for start in range(0, len(indices), size):
            chunk = indices[start:start + size]
            if drop_last and len(chunk) < size:
                return
            yield list(chunk)
        return
    chunk = []
    for i in indices:
        chunk.append(i)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk and not drop_last:
        yield chunk


class DataLoader:
    """Batches of a dataset, as torch.utils.data.DataLoader.

    Map-style datasets are read in index order, in an order reshuffled every epoch
    (shuffle=True, from fastdl's generator or `generator`), in a `sampler`'s order, or in
    a `batch_sampler`'s index batches; batch_size=None yields single samples (converted
    by default_convert). An IterableDataset is read in its own order. num_workers > 0
    loads batches ahead in that many worker threads (see data/workers.py: threads, not
    processes), keeping the order; prefetch_factor batches per worker are in flight,
    timeout bounds the wait for one, persistent_workers keeps the threads across epochs,
    in_order=False hands batches out as they are ready. pin_memory has no effect: batches
    are CPU tensors, and fastdl copies them to a GPU from pageable memory.
    multiprocessing_context and pin_memory_device: see data/loader_options.py."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if batch_size is not None and (not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable workers.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified with num_workers > 0")
        if prefetch_factor is not None and prefetch_factor < 1:
            raise ValueError(f"prefetch_factor should be a positive integer, got {prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if isinstance(dataset, IterableDataset):
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler and batch_sampler "
                                 "options")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator
        self.num_workers = int(num_workers)
        self.prefetch_factor = (2 if prefetch_factor is None else int(prefetch_factor)) if num_workers else None
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.persistent_workers = bool(persistent_workers)
        self.pin_memory = bool(pin_memory)
        self.pin_memory_device = pin_memory_device
        self.in_order = bool(in_order)
        self.multiprocessing_context = multiprocessing_context
        self._pool = None
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self):
        """Kept as torch keeps it; fastdl's workers are threads and do not use it."""
        return self.__dict__.get("_multiprocessing_context")

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        self.__dict__["_multiprocessing_context"] = loader_options.check_multiprocessing_context(
            context, self.num_workers)

    def check_worker_number_rationality(self):
        """Warns (as torch) when num_workers exceeds the CPUs this process may use."""
        loader_options.check_worker_number_rationality(self.num_workers)

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _index_batches(self):
        """What each fetch gets: a list of indices, or one index with batch_size=None."""
        if self.batch_sampler is not None:
            return (list(b) for b in self.batch_sampler)
        if self.sampler is not None:
            order = self.sampler
        elif self.shuffle:
            order = randperm(len(self.dataset), generator=self.generator).tolist()
        else:
            order = range(len(self.dataset))
        return iter(order) if self.batch_size is None else _batched(order, self.batch_size, self.drop_last)

    def _iterable_batches(self):
        """Batches of an IterableDataset (run in each worker by itself)."""
        it = iter(self.dataset)
        if self.batch_size is None:
            convert = self.collate_fn or default_convert
            return (convert(sample) for sample in it)
        collate = self.collate_fn or default_collate
        return (collate(chunk) for chunk in _batched(it, self.batch_size, self.drop_last))

    def _base_seed(self):
        """The workers' base seed (WorkerInfo.seed = base + id), drawn per epoch as torch does."""
        return int(randint(0, 2**62, (1,), dtype=_dt.int64, generator=self.generator).item())

    def __iter__(self):
        loader_options.warn_pin_memory(self.pin_memory, self.pin_memory_device)
        if self.num_workers:
            self.check_worker_number_rationality()
        return self._batches()

    def _batches(self):
        if self.num_workers == 0:
            if isinstance(self.dataset, IterableDataset):
                yield from self._iterable_batches()
            else:
                for indices in self._index_batches():
                    yield self._fetch(indices)
            return
        seed = self._base_seed()
        if isinstance(self.dataset, IterableDataset):
            yield from workers.iterable_batches(self.num_workers, self.dataset, seed, self.worker_init_fn,
                                                self._iterable_batches, self.prefetch_factor, self.timeout)
            return
        pool = self._pool or workers.MapWorkers(self.num_workers, self.dataset, seed, self.worker_init_fn)
        if self.persistent_workers:
            self._pool = pool
        try:
            yield from pool.run(self._fetch, self._index_batches(), self.prefetch_factor, self.timeout,
                                in_order=self.in_order)
        finally:
            if not self.persistent_workers:
                pool.close()

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.close()

    def _fetch(self, indices):
        if self.batch_size is None and self.batch_sampler is None:  # one sample, not a batch
            sample = self.dataset[indices]
            return (self.collate_fn or default_convert)(sample)
        if self.collate_fn is None:
            # datasets over whole tensors gather a batch at once instead of sample by sample
            gather = getattr(self.dataset, "_gather_batch", None)
            batch = gather(indices) if gather is not None else None
            if batch is not None:
                return batch
            return default_collate(self._samples(indices))
        return self.collate_fn(self._samples(indices))

    def _samples(self, indices):
        """[dataset[i] for i in indices], or dataset.__getitems__(indices) where the
        dataset defines it (one call per batch, as torch's fetcher)."""
        getitems = getattr(self.dataset, "__getitems__", None)
        return getitems(indices) if getitems else [self.dataset[i] for i in indices]
