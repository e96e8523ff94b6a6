"""The IDX format of MNIST and Fashion-MNIST (raw or gzipped), and datasets over
files the user already has: nothing here downloads.

IDX: two zero bytes, a type code, the number of dimensions; then each dimension as a
big-endian uint32; then the values, big-endian, in C order."""
import gzip
import math
import os
import zlib

import numpy as np

from ..tensor import from_numpy
from .dataset import Dataset

__all__ = ["read_idx", "MNIST", "FashionMNIST"]

_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _read_bytes(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"read_idx: {path}: corrupt or truncated gzip data ({e})") from None


def read_idx(path):
    """The array stored in an IDX file (`*-ubyte`, optionally `.gz`), as a NumPy array
    of the file's element type in native byte order. Raises ValueError for a wrong
    magic number, a truncated file or trailing bytes."""
    path = os.fspath(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"read_idx: {path}: truncated header ({len(data)} bytes; an IDX file starts with a "
                         f"4-byte magic number)")
    magic = int.from_bytes(data[:4], "big")
    code, ndim = data[2], data[3]
    if data[:2] != b"\0\0" or code not in _TYPES:
        raise ValueError(f"read_idx: {path}: bad magic number 0x{magic:08X}; not an IDX file (expected "
                         f"0x000008NN for ubyte data, e.g. 0x00000803 for MNIST images)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"read_idx: {path}: truncated header: {ndim} dimensions need {header} bytes, "
                         f"the file has {len(data)}")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dtype = _TYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(data) - header
    if found < expected:
        raise ValueError(f"read_idx: {path}: truncated data: shape {list(shape)} needs {expected} bytes, "
                         f"found {found}")
    if found > expected:
        raise ValueError(f"read_idx: {path}: {found - expected} unexpected bytes after the {list(shape)} array")
    arr = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


class MNIST(Dataset):
    """MNIST from IDX files you provide: `root` (or `root/MNIST/raw`, torchvision's
    layout) holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
    t10k-labels-idx1-ubyte, each optionally gzipped.

    Sample i is (image, label): a float32 tensor (1, 28, 28) scaled to [0, 1] and an
    int, passed through `transform` / `target_transform` when given. The whole split is
    also available as `data` (N, 1, 28, 28) and `targets` (N,) int64."""

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None):
        self.root, self.train = os.fspath(root), train
        self.transform, self.target_transform = transform, target_transform
        prefix = "train" if train else "t10k"
        images = read_idx(self._find(f"{prefix}-images", "idx3"))
        labels = read_idx(self._find(f"{prefix}-labels", "idx1"))
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{type(self).__name__}: images must be a ubyte array (N, H, W), got "
                             f"{images.dtype} {list(images.shape)}")
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise ValueError(f"{type(self).__name__}: labels must be a ubyte array (N,), got "
                             f"{labels.dtype} {list(labels.shape)}")
        if len(images) != len(labels):
            raise ValueError(f"{type(self).__name__}: {len(images)} images but {len(labels)} labels")
        self.data = from_numpy((images[:, None] / np.float32(255)).astype(np.float32))
        self.targets = from_numpy(labels.astype(np.int64))

    def _find(self, stem, kind):
        dirs = [self.root, os.path.join(self.root, type(self).__name__, "raw")]
        names = [f"{stem}-{kind}-ubyte", f"{stem}.{kind}-ubyte"]
        tried = [os.path.join(d, n + gz) for d in dirs for n in names for gz in ("", ".gz")]
        for p in tried:
            if os.path.isfile(p):
                return p
        raise FileNotFoundError(f"{type(self).__name__}: no {stem} file; looked for " + ", ".join(tried)
                                + " (fastdl does not download datasets)")

    def __len__(self):
        return self.targets.shape[0]

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _gather_batch(self, indices):
        if self.transform is not None or self.target_transform is not None:
            return None
        idx = from_numpy(np.asarray(indices, dtype=np.int64))
        return [self.data.index_select(0, idx), self.targets.index_select(0, idx)]


class FashionMNIST(MNIST):
    """Fashion-MNIST: the same files and layout as MNIST (root or root/FashionMNIST/raw)."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
