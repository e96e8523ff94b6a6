"""Samplers (fastdl/data/sampler.py) alone and in a DataLoader: orders, lengths, seeds,
weighted draws against their probabilities, torch's errors; fastdl.utils.data is fastdl.data."""
import collections

import numpy as np
import pytest

import fastdl
from fastdl.data import (BatchSampler, DataLoader, RandomSampler, SequentialSampler, SubsetRandomSampler,
                         TensorDataset, WeightedRandomSampler)


def test_sequential_and_random():
    data = list(range(10))
    assert list(SequentialSampler(data)) == data and len(SequentialSampler(data)) == 10
    fastdl.manual_seed(3)
    a, b = list(RandomSampler(data)), list(RandomSampler(data))
    assert sorted(a) == data and sorted(b) == data and a != b  # a new permutation each epoch
    fastdl.manual_seed(3)
    assert list(RandomSampler(data)) == a  # the seed fixes it
    g = fastdl.Generator().manual_seed(7)
    first = list(RandomSampler(data, generator=g))
    assert first == list(RandomSampler(data, generator=fastdl.Generator().manual_seed(7)))
    long = list(RandomSampler(data, num_samples=25))
    assert len(long) == 25 and sorted(long[:10]) == data and sorted(long[10:20]) == data
    drawn = list(RandomSampler(data, replacement=True, num_samples=500))
    assert len(drawn) == 500 and set(drawn) == set(data)  # with replacement: repeats, every index seen
    assert list(RandomSampler([])) == []


def test_subset_random():
    idx = [4, 9, 2, 7]
    s = SubsetRandomSampler(idx)
    got = list(s)
    assert sorted(got) == sorted(idx) and len(s) == 4


def test_weighted_with_replacement_follows_the_weights():
    fastdl.manual_seed(0)
    w = [0.0, 1.0, 3.0, 6.0]
    counts = collections.Counter(WeightedRandomSampler(w, 20000))
    assert counts[0] == 0
    freq = np.array([counts[i] for i in range(4)]) / 20000
    np.testing.assert_allclose(freq, np.array(w) / 10, atol=0.015)


def test_weighted_without_replacement():
    fastdl.manual_seed(1)
    w = fastdl.tensor([5.0, 0.0, 1.0, 1.0, 1.0])
    picks = list(WeightedRandomSampler(w, 4, replacement=False))
    assert sorted(picks) == [0, 2, 3, 4]  # each non-zero index once
    firsts = collections.Counter(next(iter(WeightedRandomSampler(w, 1, replacement=False))) for _ in range(2000))
    assert abs(firsts[0] / 2000 - 5 / 8) < 0.04 and firsts[1] == 0  # the first pick follows the weights


@pytest.mark.parametrize("args, kwargs, err, match", [
    (([1.0, -1.0], 2), {}, ValueError, "non-negative"),
    (([0.0, 0.0], 2), {}, ValueError, "not all zero"),
    (([[1.0]], 1), {}, ValueError, "1-D"),
    (([1.0, 2.0], 0), {}, ValueError, "num_samples should be a positive integer"),
    (([1.0, 0.0], 2), {"replacement": False}, ValueError, "cannot draw 2 samples without replacement"),
    (([1.0], 1), {"replacement": 1}, TypeError, "replacement should be a boolean"),
])
def test_weighted_errors(args, kwargs, err, match):
    with pytest.raises(err, match=match):
        WeightedRandomSampler(*args, **kwargs)


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        BatchSampler(range(3), 2, 1)


def test_samplers_drive_a_dataloader():
    ds = TensorDataset(fastdl.arange(10.0))
    fastdl.manual_seed(2)
    epoch = [b[0].tolist() for b in DataLoader(ds, batch_size=4, sampler=RandomSampler(ds))]
    assert sorted(sum(epoch, [])) == list(range(10)) and [len(b) for b in epoch] == [4, 4, 2]
    batches = BatchSampler(SequentialSampler(ds), 3, drop_last=True)
    assert [b[0].tolist() for b in DataLoader(ds, batch_sampler=batches)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    weighted = DataLoader(ds, batch_size=5, sampler=WeightedRandomSampler([0] * 9 + [1], 10))
    assert all(v == 9.0 for b in weighted for v in b[0].tolist())
    assert len(DataLoader(ds, batch_size=4, sampler=SubsetRandomSampler([1, 2, 3]))) == 1


def test_utils_data_is_data():
    from fastdl.utils import data as udata
    from fastdl.utils.data import DataLoader as UDataLoader, Dataset
    assert UDataLoader is DataLoader and Dataset is fastdl.data.Dataset and udata.RandomSampler is RandomSampler
    assert set(fastdl.data.__all__) <= set(dir(udata))
