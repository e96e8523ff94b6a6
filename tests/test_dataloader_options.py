"""DataLoader's torch options beyond batching: sampler, batch_sampler, batch_size=None,
IterableDataset, and worker threads (num_workers, prefetch_factor, timeout,
worker_init_fn, persistent_workers, get_worker_info), with torch's errors."""
import threading
import time

import numpy as np
import pytest

import fastdl
from fastdl.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info


class Range(Dataset):
    def __init__(self, n, delay=0.0):
        self.n, self.delay = n, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.delay:
            time.sleep(self.delay * ((i * 7919) % 5))  # uneven load times: workers finish out of order
        return np.array([i], np.int64)


class Stream(IterableDataset):
    """0..n-1; sharded across workers when `shard` (each worker takes every k-th item)."""

    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def values(loader):
    return [b.reshape(-1).tolist() for b in loader]


def test_sampler_and_batch_sampler():
    assert values(DataLoader(Range(6), batch_size=2, sampler=[5, 3, 1, 0])) == [[5, 3], [1, 0]]
    assert len(DataLoader(Range(6), batch_size=3, sampler=[5, 3, 1, 0])) == 2
    assert values(DataLoader(Range(6), batch_size=3, sampler=iter([2, 4, 0, 1]), drop_last=True)) == [[2, 4, 0]]
    loader = DataLoader(Range(6), batch_sampler=[[0, 5], [2], [3, 4, 1]])
    assert values(loader) == [[0, 5], [2], [3, 4, 1]] and len(loader) == 3


def test_batch_size_none_yields_converted_samples():
    loader = DataLoader(Range(3), batch_size=None)
    out = list(loader)
    assert len(loader) == 3 and all(isinstance(b, fastdl.Tensor) and b.shape == (1,) for b in out)
    assert [b.item() for b in out] == [0, 1, 2]
    ds = TensorDataset(fastdl.arange(4.0))
    assert [s[0].item() for s in DataLoader(ds, batch_size=None, shuffle=False)] == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("kwargs, match", [
    ({"sampler": [0], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
    ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
    ({"batch_size": None, "drop_last": True}, "batch_size=None option disables auto-batching"),
    ({"num_workers": -1}, "num_workers option should be non-negative"),
    ({"timeout": -1}, "timeout option should be non-negative"),
    ({"prefetch_factor": 2}, "prefetch_factor option could only be specified with num_workers > 0"),
    ({"num_workers": 1, "prefetch_factor": 0}, "prefetch_factor should be a positive integer"),
    ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
])
def test_option_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(Range(4), **kwargs)


def test_iterable_dataset():
    assert values(DataLoader(Stream(7), batch_size=3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert values(DataLoader(Stream(7), batch_size=3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert list(DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]  # numbers stay numbers, as in torch
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler"):
        DataLoader(Stream(3), sampler=[0])
    with pytest.raises(TypeError):
        len(DataLoader(Stream(3)))  # a stream without __len__
    with pytest.raises(TypeError, match="IterableDataset"):
        Stream(3)[0]


@pytest.mark.parametrize("num_workers", [1, 2, 3])
@pytest.mark.parametrize("shuffle", [False, True])
def test_workers_keep_the_order(num_workers, shuffle):
    """The same batches in the same order as without workers, though samples load out of order."""
    fastdl.manual_seed(5)
    want = values(DataLoader(Range(23, delay=0.0), batch_size=4, shuffle=shuffle))
    fastdl.manual_seed(5)
    loader = DataLoader(Range(23, delay=0.001), batch_size=4, shuffle=shuffle, num_workers=num_workers,
                        prefetch_factor=3)
    got = values(loader)
    if shuffle:  # the workers' base seed is drawn from the generator first, as torch does
        assert sorted(sum(got, [])) == list(range(23)) and len(got) == 6
    else:
        assert got == want
    assert values(loader) != [] and threading.active_count() < 20


def test_worker_info_and_init_fn():
    seen, lock = [], threading.Lock()

    def init(worker_id):
        info = get_worker_info()
        with lock:
            seen.append((worker_id, info.id, info.num_workers, info.seed - worker_id,
                         threading.current_thread() is not threading.main_thread()))

    class Probe(Range):
        def __getitem__(self, i):
            info = get_worker_info()
            assert info is not None and info.dataset is self
            return super().__getitem__(i)

    assert get_worker_info() is None
    assert values(DataLoader(Probe(8), batch_size=2, num_workers=2, worker_init_fn=init)) == \
        [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert sorted(s[:3] for s in seen) in ([(0, 0, 2), (1, 1, 2)], [(0, 0, 2)])  # a pool may start one thread
    assert len({s[3] for s in seen}) == 1 and all(s[4] for s in seen)  # one base seed, worker threads


def test_worker_errors_and_timeout():
    class Broken(Range):
        def __getitem__(self, i):
            if i == 5:
                raise KeyError("sample 5 is missing")
            return super().__getitem__(i)
    with pytest.raises(KeyError, match="sample 5 is missing"):
        list(DataLoader(Broken(8), batch_size=2, num_workers=2))

    class Slow(Range):
        def __getitem__(self, i):
            time.sleep(0.5)
            return super().__getitem__(i)
    with pytest.raises(RuntimeError, match="timed out after 0.05 seconds"):
        list(DataLoader(Slow(2), num_workers=1, timeout=0.05))


def test_early_stop_and_persistent_workers():
    loader = DataLoader(Range(100), batch_size=2, num_workers=2)
    for i, _ in enumerate(loader):
        if i == 3:
            break  # the pending batches are dropped; nothing hangs
    persistent = DataLoader(Range(10), batch_size=5, num_workers=2, persistent_workers=True)
    assert values(persistent) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    pool = persistent._pool
    assert pool is not None and values(persistent) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert persistent._pool is pool  # the same threads serve the next epoch


@pytest.mark.parametrize("num_workers", [1, 3])
def test_iterable_dataset_workers(num_workers):
    got = sorted(sum(values(DataLoader(Stream(20), batch_size=3, num_workers=num_workers)), []))
    assert got == list(range(20))  # sharded by get_worker_info: each item once
    dup = sorted(sum(values(DataLoader(Stream(5, shard=False), batch_size=2, num_workers=num_workers)), []))
    assert dup == sorted(list(range(5)) * num_workers)  # unsharded: every worker yields the stream, as in torch

    class Failing(IterableDataset):
        def __iter__(self):
            yield np.array([1])
            raise ValueError("stream broke")
    with pytest.raises(ValueError, match="stream broke"):
        list(DataLoader(Failing(), num_workers=num_workers))
