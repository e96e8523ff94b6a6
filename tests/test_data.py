"""fastdl.data: datasets, random_split, DataLoader (batching, drop_last, seeded
shuffling, collation), the IDX reader and MNIST datasets over files written here,
and MNIST-1D generation."""
import collections
import gzip
import random
import struct
import sys

import numpy as np
import pytest

import fastdl
from fastdl.data import (ConcatDataset, DataLoader, Dataset, FashionMNIST, MissingExtraError, MNIST, Subset,
                         TensorDataset, default_collate, random_split, read_idx)


class Range(Dataset):
    """Sample i is (i as a 0-d int64 tensor, float i): no batch gathering fast path."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return fastdl.tensor(i), float(i)


def _ids(loader):
    return [b[0].tolist() for b in loader]


# ---- datasets --------------------------------------------------------------------------

def test_tensor_dataset():
    x, y = fastdl.randn(5, 3), fastdl.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi.numpy(), x.numpy()[2])
    assert yi.item() == 2 and yi.shape == ()
    with pytest.raises(ValueError, match="size mismatch"):
        TensorDataset(x, fastdl.arange(4))
    with pytest.raises(TypeError, match="first dimension"):
        TensorDataset(fastdl.tensor(1.0))


def test_subset_concat_and_add():
    ds = Range(10)
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and sub[0][1] == 7.0 and sub[-1][1] == 5.0
    cat = ConcatDataset([Range(3), sub, Range(2)])
    assert len(cat) == 8 and cat.cumulative_sizes == [3, 6, 8]
    assert [cat[i][1] for i in range(8)] == [0, 1, 2, 7, 2, 5, 0, 1]
    assert cat[-1][1] == 1.0 and cat[-8][1] == 0.0
    with pytest.raises(IndexError, match="out of range"):
        cat[8]
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        cat[-9]
    with pytest.raises(ValueError, match="empty iterable"):
        ConcatDataset([])
    both = Range(2) + Range(3)
    assert isinstance(both, ConcatDataset) and len(both) == 5
    t = TensorDataset(fastdl.arange(6))
    assert Subset(t, [4, 1])[[0, 1]][0].tolist() == [4, 1]  # list indices go through to the dataset


def test_random_split_ints_and_fractions():
    torch = pytest.importorskip("torch")
    ds = Range(10)
    for lengths in ([3, 7], [0.3, 0.7], [0.33, 0.33, 0.34], [1 / 3] * 3, [0.5, 0.25, 0.25]):
        parts = random_split(ds, lengths)
        ref = torch.utils.data.random_split(range(10), lengths)
        assert [len(p) for p in parts] == [len(r) for r in ref]  # torch's remainder rule
        got = [i for p in parts for i in p.indices]
        assert sorted(got) == list(range(10))  # disjoint and complete
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(ds, [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 2 is not between 0 and 1"):
        random_split(ds, [0.5, 0.7, -0.2])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(Range(2), [0.9, 0.1])


def test_random_split_is_seeded():
    a = [p.indices for p in random_split(Range(20), [5, 15], generator=fastdl.Generator(3))]
    fastdl.manual_seed(99)
    b = [p.indices for p in random_split(Range(20), [5, 15], generator=fastdl.Generator(3))]
    assert a == b
    fastdl.manual_seed(1)
    c = [p.indices for p in random_split(Range(20), [5, 15])]
    fastdl.manual_seed(1)
    assert c == [p.indices for p in random_split(Range(20), [5, 15])]
    fastdl.manual_seed(2)
    assert c != [p.indices for p in random_split(Range(20), [5, 15])]
    assert a != [p.indices for p in random_split(Range(20), [5, 15], generator=fastdl.Generator(4))]


# ---- DataLoader ------------------------------------------------------------------------

def test_batches_shapes_and_drop_last():
    x, y = fastdl.randn(10, 3), fastdl.arange(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [tuple(b[0].shape) for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    np.testing.assert_array_equal(batches[2][0].numpy(), x.numpy()[8:])
    dropped = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [b[1].tolist() for b in dropped] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(Range(8), batch_size=4, drop_last=True)) == 2
    assert len(DataLoader(Range(0), batch_size=4)) == 0 and list(DataLoader(Range(0))) == []
    assert [b[0].tolist() for b in DataLoader(Range(3))] == [[0], [1], [2]]  # default batch_size=1
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            DataLoader(Range(3), batch_size=bad)


def test_shuffle_is_reproducible_with_manual_seed_and_reshuffles_each_epoch():
    loader = DataLoader(Range(20), batch_size=6, shuffle=True)
    fastdl.manual_seed(7)
    e1, e2 = _ids(loader), _ids(loader)
    fastdl.manual_seed(7)
    assert _ids(loader) == e1 and _ids(loader) == e2
    assert e1 != e2
    for epoch in (e1, e2):
        assert [len(b) for b in epoch] == [6, 6, 6, 2]
        assert sorted(i for b in epoch for i in b) == list(range(20))
    assert _ids(DataLoader(Range(20), batch_size=6)) != e1  # and shuffle=False keeps order
    assert sum(_ids(DataLoader(Range(20), batch_size=6)), []) == list(range(20))


def test_shuffle_with_explicit_generator_ignores_global_seed():
    def epochs(seed, global_seed):
        fastdl.manual_seed(global_seed)
        loader = DataLoader(Range(15), batch_size=4, shuffle=True, generator=fastdl.Generator(seed))
        return _ids(loader), _ids(loader)
    a = epochs(5, 0)
    assert epochs(5, 123) == a
    assert epochs(6, 0) != a
    assert a[0] != a[1]


def test_tensor_dataset_fast_path_equals_per_sample_collation():
    x, y = fastdl.randn(23, 2, 3), fastdl.arange(23)

    class PerSample(Dataset):
        def __len__(self):
            return 23

        def __getitem__(self, i):
            return x[i], y[i]

    for shuffle in (False, True):
        for ds in (TensorDataset(x, y), Subset(TensorDataset(x, y), list(range(22, -1, -1)))):
            fastdl.manual_seed(3)
            fast = list(DataLoader(ds, batch_size=5, shuffle=shuffle))
            ref_ds = PerSample() if isinstance(ds, TensorDataset) else Subset(PerSample(), ds.indices)
            fastdl.manual_seed(3)
            slow = list(DataLoader(ref_ds, batch_size=5, shuffle=shuffle))
            assert len(fast) == len(slow) == 5
            for f, s in zip(fast, slow):
                assert isinstance(f, list) and isinstance(s, list)
                for a, b in zip(f, s):
                    assert a.dtype is b.dtype and a.shape == b.shape
                    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_default_collate():
    Point = collections.namedtuple("Point", "x y")
    batch = [{"img": np.full((2, 2), i, np.float32), "label": i, "w": 0.5 * i, "flag": i % 2 == 0,
              "name": f"s{i}", "pair": (fastdl.tensor([i, i]), np.int32(i)), "pt": Point(i, [i, -i])}
             for i in range(3)]
    out = default_collate(batch)
    assert out["img"].shape == (3, 2, 2) and out["img"].dtype is fastdl.float32
    assert out["label"].tolist() == [0, 1, 2] and out["label"].dtype is fastdl.int64
    assert out["w"].dtype is fastdl.float64 and out["w"].tolist() == [0, 0.5, 1.0]
    assert out["flag"].dtype is fastdl.bool and out["flag"].tolist() == [True, False, True]
    assert out["name"] == ["s0", "s1", "s2"]
    assert isinstance(out["pair"], list) and out["pair"][0].tolist() == [[0, 0], [1, 1], [2, 2]]
    assert out["pair"][1].dtype is fastdl.int32  # np.int32 stays int32, as in torch
    assert isinstance(out["pt"], Point) and out["pt"].x.tolist() == [0, 1, 2]
    assert [t.tolist() for t in out["pt"].y] == [[0, 1, 2], [0, -1, -2]]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="dtype <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(ValueError, match="stack"):
        default_collate([fastdl.zeros(2), fastdl.zeros(3)])


def test_custom_collate_fn_gets_the_samples():
    seen = []
    loader = DataLoader(TensorDataset(fastdl.arange(5)), batch_size=2, collate_fn=lambda b: seen.append(b) or len(b))
    assert list(loader) == [2, 2, 1]
    assert [[s[0].item() for s in b] for b in seen] == [[0, 1], [2, 3], [4]]


# ---- IDX and MNIST ---------------------------------------------------------------------

def _idx_bytes(arr, code):
    arr = np.asarray(arr)
    header = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _write(path, data, gz=False):
    if gz:
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_types_and_gzip(tmp_path, gz):
    rng = np.random.default_rng(0)
    cases = [(rng.integers(0, 256, (4, 5, 6)).astype(np.uint8), 0x08),
             (rng.integers(-128, 128, (7,)).astype(np.int8), 0x09),
             (rng.integers(-30000, 30000, (3, 2)).astype(np.int16), 0x0B),
             (rng.integers(-2**31, 2**31, (2, 3)).astype(np.int32), 0x0C),
             (rng.standard_normal((2, 2)).astype(np.float32), 0x0D),
             (rng.standard_normal((5,)), 0x0E),
             (np.zeros((0, 3), np.uint8), 0x08)]
    for i, (arr, code) in enumerate(cases):
        got = read_idx(_write(tmp_path / f"a{i}", _idx_bytes(arr, code), gz))
        assert got.dtype == arr.dtype and got.dtype.isnative and got.shape == arr.shape
        np.testing.assert_array_equal(got, arr)


def test_read_idx_errors(tmp_path):
    good = _idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4), 0x08)
    with pytest.raises(ValueError, match=r"bad magic number 0x00000703"):
        read_idx(_write(tmp_path / "magic", bytes([0, 0, 7, 3]) + good[4:]))
    with pytest.raises(ValueError, match="bad magic number 0x01000802"):
        read_idx(_write(tmp_path / "magic2", b"\x01" + good[1:]))
    with pytest.raises(ValueError, match=r"truncated data: shape \[3, 4\] needs 12 bytes, found 7"):
        read_idx(_write(tmp_path / "short", good[:-5]))
    with pytest.raises(ValueError, match="truncated header: 2 dimensions need 12 bytes"):
        read_idx(_write(tmp_path / "hdr", good[:9]))
    with pytest.raises(ValueError, match="truncated header"):
        read_idx(_write(tmp_path / "tiny", good[:2]))
    with pytest.raises(ValueError, match="2 unexpected bytes"):
        read_idx(_write(tmp_path / "long", good + b"xx"))
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(_write(tmp_path / "bad.gz", gzip.compress(good)[:-6]))
    with pytest.raises(ValueError, match="short"):  # the message names the file
        read_idx(tmp_path / "short")


def _mnist_files(dirpath, prefix, images, labels, gz):
    dirpath.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    _write(dirpath / f"{prefix}-images-idx3-ubyte{ext}", _idx_bytes(images, 0x08), gz)
    _write(dirpath / f"{prefix}-labels-idx1-ubyte{ext}", _idx_bytes(labels, 0x08), gz)


def test_mnist_over_user_files(tmp_path):
    rng = np.random.default_rng(1)
    tr_img, tr_lab = rng.integers(0, 256, (9, 28, 28)).astype(np.uint8), rng.integers(0, 10, 9).astype(np.uint8)
    te_img, te_lab = rng.integers(0, 256, (4, 28, 28)).astype(np.uint8), rng.integers(0, 10, 4).astype(np.uint8)
    _mnist_files(tmp_path / "MNIST" / "raw", "train", tr_img, tr_lab, gz=True)  # torchvision's layout
    _mnist_files(tmp_path / "MNIST" / "raw", "t10k", te_img, te_lab, gz=False)
    train, test = MNIST(tmp_path), MNIST(tmp_path, train=False)
    assert len(train) == 9 and len(test) == 4
    img, label = train[3]
    assert img.shape == (1, 28, 28) and img.dtype is fastdl.float32 and isinstance(label, int)
    np.testing.assert_allclose(img.numpy()[0], tr_img[3] / 255.0, rtol=1e-6)
    assert label == tr_lab[3] and test.targets.tolist() == te_lab.tolist()
    assert train.data.shape == (9, 1, 28, 28) and 0.0 <= train.data.min().item() <= train.data.max().item() <= 1.0
    xb, yb = next(iter(DataLoader(train, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and yb.tolist() == tr_lab[:4].tolist() and yb.dtype is fastdl.int64
    flipped = MNIST(tmp_path, transform=lambda t: 1 - t, target_transform=lambda y: y + 100)
    img2, label2 = flipped[3]
    np.testing.assert_allclose(img2.numpy(), 1 - img.numpy())
    assert label2 == label + 100
    xb2, yb2 = next(iter(DataLoader(flipped, batch_size=4)))  # per-sample path with transforms
    np.testing.assert_allclose(xb2.numpy(), 1 - xb.numpy())
    assert yb2.tolist() == [v + 100 for v in yb.tolist()]


def test_fashion_mnist_and_mnist_errors(tmp_path):
    imgs, labs = np.zeros((3, 4, 4), np.uint8), np.array([1, 2, 3], np.uint8)
    _mnist_files(tmp_path, "train", imgs, labs, gz=False)  # directly in root
    ds = FashionMNIST(tmp_path)
    assert len(ds) == 3 and ds[0][0].shape == (1, 4, 4) and ds.classes[9] == "Ankle boot"
    with pytest.raises(FileNotFoundError, match="t10k-images.*does not download"):
        FashionMNIST(tmp_path, train=False)
    _mnist_files(tmp_path / "bad", "train", imgs, labs[:2], gz=False)
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        MNIST(tmp_path / "bad")
    _mnist_files(tmp_path / "swap", "train", labs, labs, gz=False)
    with pytest.raises(ValueError, match=r"images must be a ubyte array \(N, H, W\)"):
        MNIST(tmp_path / "swap")


# ---- MNIST-1D --------------------------------------------------------------------------

def test_mnist1d_generated_locally(monkeypatch):
    pytest.importorskip("mnist1d", reason="mnist1d (the test extra) generates the data")
    from fastdl.data import MNIST1D, load_mnist1d, datasets
    monkeypatch.setattr(datasets, "_mnist1d_cache", None)  # generate here, to check the RNG states
    np_state = np.random.get_state()[1].copy()
    py_state = random.getstate()
    x_train, y_train, x_test, y_test = load_mnist1d()
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)  # global RNGs untouched
    assert random.getstate() == py_state
    assert x_train.shape == (4000, 40) and x_test.shape == (1000, 40)
    assert y_train.shape == (4000,) and y_test.shape == (1000,)
    assert x_train.dtype is fastdl.float32 and y_train.dtype is fastdl.int64
    assert sorted(set(y_train.tolist())) == list(range(10))
    assert abs(float(x_train.mean())) < 0.1 and 0.8 < float(x_train.std()) < 1.2  # the package standardises
    a = datasets._mnist1d_arrays()
    np.testing.assert_array_equal(x_train.numpy(), a[0])
    test = MNIST1D(train=False)
    assert len(test) == 1000 and len(MNIST1D()) == 4000
    np.testing.assert_array_equal(test[5][0].numpy(), x_test.numpy()[5])


def test_missing_extra_names_the_extra(monkeypatch):
    from fastdl.data import datasets
    monkeypatch.setattr(datasets, "_mnist1d_cache", None)
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    with pytest.raises(MissingExtraError, match=r"'mnist1d'.*fastdl\[examples\]"):
        datasets.load_mnist1d()
