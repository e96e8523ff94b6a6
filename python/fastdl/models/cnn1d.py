"""A 1-D convolutional network on MNIST-1D (`fastdl train cnn1d`): Conv1d-BatchNorm1d-
ReLU blocks over (N, 1, 40) signals.

Python API:
    model = CNN1d()
    acc = fit(model, load_mnist1d_signals(), epochs=30, lr=5e-3)
"""
from fastdl import nn
from fastdl.data import load_mnist1d

from . import _classify
from ._run import curve

DEFAULTS = {"epochs": 15, "lr": 1e-2, "batch_size": 100, "weight_decay": 1e-4, "width": 16}


def _block(cin, cout, k, stride):
    return [nn.Conv1d(cin, cout, k, stride=stride, padding=k // 2), nn.BatchNorm1d(cout), nn.ReLU()]


class CNN1d(nn.Module):
    """Four conv-BN-ReLU blocks, the last three with stride 2 (40 -> 20 -> 10 -> 5),
    then Linear over the flattened (2w, 5) features."""

    def __init__(self, width=32, length=40, num_classes=10):
        super().__init__()
        w = width
        self.features = nn.Sequential(*_block(1, w, 5, 1), *_block(w, 2 * w, 3, 2), *_block(2 * w, 2 * w, 3, 2),
                                      *_block(2 * w, 2 * w, 3, 2), nn.Flatten())
        out_len = length
        for _ in range(3):
            out_len = (out_len + 1) // 2
        self.head = nn.Linear(2 * w * out_len, num_classes)

    def forward(self, x):
        return self.head(self.features(x))


def load_mnist1d_signals():
    """MNIST-1D as (x_train (4000,1,40), y_train, x_test (1000,1,40), y_test)."""
    xtr, ytr, xte, yte = load_mnist1d()
    return xtr.reshape(len(xtr), 1, -1), ytr, xte.reshape(len(xte), 1, -1), yte


def fit(model, data, epochs=30, lr=5e-3, batch_size=100, weight_decay=1e-4, run=None, state=None):
    """Train a CNN1d on data = (x_train, y_train, x_test, y_test); returns the final test
    accuracy."""
    return _classify.fit(model, data, epochs, lr, batch_size=batch_size, weight_decay=weight_decay, run=run,
                         state=state, desc="cnn1d")


def train(run, config, state=None):
    """`fastdl train cnn1d`."""
    model = CNN1d(config["width"])
    acc = fit(model, load_mnist1d_signals(), config["epochs"], config["lr"], config["batch_size"],
              config["weight_decay"], run=run, state=state)
    return {"test_accuracy": acc}


PLOTS = {"loss": curve("loss"), "test_accuracy": curve("test_accuracy", "test accuracy")}
