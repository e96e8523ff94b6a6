"""DataLoader: batches of a map-style dataset, reshuffled every epoch from fastdl's
random generator (so fastdl.manual_seed, or an explicit Generator, fixes the order)."""
import collections.abc
import numbers

import numpy as np

from .. import dtypes as _dt
from ..ops.random import randperm
from ..ops.shape import stack
from ..tensor import Tensor, as_tensor, tensor

__all__ = ["DataLoader", "default_collate"]


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


class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None, generator=None):
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = randperm(n, generator=self.generator).tolist() if self.shuffle else range(n)
        for start in range(0, n, self.batch_size):
            indices = order[start:start + self.batch_size]
            if self.drop_last and len(indices) < self.batch_size:
                return
            yield self._fetch(list(indices))

    def _fetch(self, indices):
        if self.collate_fn is None:
            # datasets over whole tensors gather a batch at once instead of sample by sample
            gather = getattr(self.dataset, "_gather_batch", None)
            batch = gather(indices) if gather is not None else None
            if batch is not None:
                return batch
            return default_collate([self.dataset[i] for i in indices])
        return self.collate_fn([self.dataset[i] for i in indices])
