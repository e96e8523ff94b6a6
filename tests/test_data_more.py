"""fastdl.data beyond test_data.py: StackDataset, ChainDataset (and IterableDataset + ),
a dataset's __getitems__ used by DataLoader, and fastdl.utils.data being fastdl.data
(submodules included), against torch.utils.data where installed."""
import sys

import numpy as np
import pytest

import fastdl
from fastdl.data import ChainDataset, DataLoader, Dataset, IterableDataset, StackDataset, TensorDataset


class Stream(IterableDataset):
    def __init__(self, start, n):
        self.start, self.n = start, n

    def __iter__(self):
        return iter(range(self.start, self.start + self.n))

    def __len__(self):
        return self.n


class Squares(Dataset):
    """Counts __getitems__ calls, to see the DataLoader use it."""

    def __init__(self, n):
        self.n, self.batched_calls = n, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i

    def __getitems__(self, indices):
        self.batched_calls += 1
        return [i * i for i in indices]


def test_stack_dataset_tuple_and_dict():
    x = fastdl.arange(12).reshape(6, 2)
    tup = StackDataset(TensorDataset(x), list("abcdef"))
    assert len(tup) == 6
    (row,), letter = tup[2]
    assert row.tolist() == [4, 5] and letter == "c"
    named = StackDataset(img=x, label=list(range(6)))
    assert named[5]["img"].tolist() == [10, 11] and named[5]["label"] == 5
    items = named.__getitems__([0, 3])
    assert [(d["img"].tolist(), d["label"]) for d in items] == [([0, 1], 0), ([6, 7], 3)]
    sq = Squares(6)
    assert StackDataset(sq, list(range(6))).__getitems__([1, 2]) == [(1, 1), (4, 2)]
    assert sq.batched_calls == 1
    batch = next(iter(DataLoader(named, batch_size=4)))
    assert batch["img"].tolist() == x.tolist()[:4] and batch["label"].tolist() == [0, 1, 2, 3]


def test_stack_dataset_errors():
    with pytest.raises(ValueError, match="At least one dataset"):
        StackDataset()
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset([1], a=[1])
    with pytest.raises(ValueError, match="Size mismatch between datasets: lengths 2, 3"):
        StackDataset([1, 2], [1, 2, 3])

    class Short(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return i

        def __getitems__(self, indices):
            return indices[:-1]

    with pytest.raises(ValueError, match="output size mismatch. Expected 2, got 1"):
        StackDataset(Short()).__getitems__([0, 1])


def test_chain_dataset_and_iterable_add():
    chain = ChainDataset([Stream(0, 3), Stream(10, 2)])
    assert list(chain) == [0, 1, 2, 10, 11] and len(chain) == 5
    added = Stream(0, 2) + Stream(5, 1)
    assert isinstance(added, ChainDataset) and list(added) == [0, 1, 5]
    assert [b.tolist() for b in DataLoader(chain, batch_size=2)] == [[0, 1], [2, 10], [11]]
    bad = ChainDataset([Stream(0, 1), TensorDataset(fastdl.zeros(2))])
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(bad)
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        len(bad)


def test_dataloader_uses_getitems():
    sq = Squares(7)
    out = [b.tolist() for b in DataLoader(sq, batch_size=3)]
    assert out == [[0, 1, 4], [9, 16, 25], [36]] and sq.batched_calls == 3
    sq2 = Squares(4)
    assert [b for b in DataLoader(sq2, batch_size=2, collate_fn=lambda s: sum(s))] == [1, 13]
    assert sq2.batched_calls == 2


def test_utils_data_is_data_with_submodules():
    import fastdl.utils.data as ud
    from fastdl.utils.data.dataset import Dataset as D2
    from fastdl.utils.data.sampler import RandomSampler
    from fastdl.utils.data.dataloader import default_collate
    assert ud is fastdl.data and D2 is Dataset and RandomSampler is fastdl.data.RandomSampler
    assert default_collate is fastdl.data.default_collate
    assert sys.modules["fastdl.utils.data.dataset"] is fastdl.data.dataset
    assert {"StackDataset", "ChainDataset"} <= set(fastdl.data.__all__)


def test_names_cover_torch_utils_data():
    tud = pytest.importorskip("torch.utils.data")
    # left out: the DataPipe API and its decorators, and distributed sampling
    skipped = {"DFIterDataPipe", "DataChunk", "DistributedSampler", "IterDataPipe", "MapDataPipe",
               "argument_validation", "datapipes", "distributed", "functional_datapipe", "graph", "graph_settings",
               "guaranteed_datapipes_determinism", "non_deterministic", "runtime_validation",
               "runtime_validation_disabled"}
    missing = {n for n in dir(tud) if not n.startswith("_") and not hasattr(fastdl.utils.data, n)}
    assert missing <= skipped, missing - skipped


def test_stack_and_chain_match_torch():
    torch = pytest.importorskip("torch")
    tud = torch.utils.data
    x = np.arange(20.0).reshape(10, 2)
    t = tud.StackDataset(a=tud.TensorDataset(torch.tensor(x)), b=list(range(10)))
    f = StackDataset(a=TensorDataset(fastdl.tensor(x)), b=list(range(10)))
    for bt, bf in zip(tud.DataLoader(t, batch_size=4), DataLoader(f, batch_size=4)):
        assert bt.keys() == bf.keys()
        np.testing.assert_array_equal(bf["a"][0].numpy(), bt["a"][0].numpy())
        assert bf["b"].tolist() == bt["b"].tolist()

    class TS(tud.IterableDataset):
        def __init__(self, s, n):
            self.s, self.n = s, n

        def __iter__(self):
            return iter(range(self.s, self.s + self.n))

    assert list(ChainDataset([Stream(0, 3), Stream(7, 2)])) == list(tud.ChainDataset([TS(0, 3), TS(7, 2)]))
