"""A small convolutional network on scikit-learn's 8x8 digits (`fastdl train cnn`).

Python API:
    model = DigitsCNN()
    acc = fit(model, load_digits_tensors(), epochs=8, lr=3e-3)
"""
import numpy as np

import fastdl
from fastdl import nn
from fastdl.data import load_digits

from . import _classify
from ._run import curve

DEFAULTS = {"epochs": 8, "lr": 3e-3, "batch_size": 64, "weight_decay": 1e-4, "width": 16, "shift": 1}


class DigitsCNN(nn.Module):
    """conv(1->w)-BN-ReLU, conv(w->2w)-BN-ReLU, maxpool 2 (8x8 -> 4x4), conv(2w->2w)-BN-ReLU,
    maxpool 2 (-> 2x2), then Linear(8w -> 10). BLOCK_ENDS[i] is the index in `features`
    just after conv block i (features[:BLOCK_ENDS[0]] is the first block)."""
    BLOCK_ENDS = (3, 7, 11)

    def __init__(self, width=16, num_classes=10):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten())
        self.head = nn.Linear(8 * w, num_classes)

    def forward(self, x):
        return self.head(self.features(x))


def random_shift(x, max_shift=1):
    """Shifts each image in a (N, C, H, W) batch by its own random offset in
    [-max_shift, max_shift] pixels along each axis, filling with zeros (the offsets come
    from fastdl's generator, so runs are seeded)."""
    n, c, h, w = x.shape
    s = max_shift
    offsets = fastdl.randint(-s, s + 1, (n, 2)).numpy()
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (s, s), (s, s)))
    rows = s - offsets[:, 0, None] + np.arange(h)          # (n, h) source rows
    cols = s - offsets[:, 1, None] + np.arange(w)          # (n, w) source cols
    out = padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None],
                 rows[:, None, :, None], cols[:, None, None, :]]
    return fastdl.tensor(np.ascontiguousarray(out))


def load_digits_tensors(seed=0, classes=None):
    """The digits split as fastdl tensors (x (n,1,8,8) float32, y int64); `classes`
    keeps only those labels, renumbered 0..len(classes)-1 in the given order."""
    arrays = load_digits(seed=seed)
    if classes is not None:
        xtr, ytr, xte, yte = arrays
        remap = np.full(10, -1)
        remap[list(classes)] = np.arange(len(classes))
        mtr, mte = remap[ytr] >= 0, remap[yte] >= 0
        arrays = xtr[mtr], remap[ytr[mtr]], xte[mte], remap[yte[mte]]
    return tuple(fastdl.tensor(np.ascontiguousarray(a)) for a in arrays)


def fit(model, data, epochs=8, lr=3e-3, batch_size=64, weight_decay=1e-4, shift=1, run=None, state=None,
        desc="cnn"):
    """Train a DigitsCNN (or any image classifier) on data = (x_train, y_train, x_test,
    y_test); returns the final test accuracy."""
    augment = (lambda x: random_shift(x, shift)) if shift else None
    return _classify.fit(model, data, epochs, lr, batch_size=batch_size, weight_decay=weight_decay,
                         augment=augment, run=run, state=state, desc=desc)


def train(run, config, state=None):
    """`fastdl train cnn`."""
    model = DigitsCNN(config["width"])
    acc = fit(model, load_digits_tensors(seed=run.seed), config["epochs"], config["lr"], config["batch_size"],
              config["weight_decay"], config["shift"], run=run, state=state)
    return {"test_accuracy": acc}


PLOTS = {"loss": curve("loss"), "test_accuracy": curve("test_accuracy", "test accuracy")}
