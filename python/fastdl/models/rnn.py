"""An LSTM or GRU classifier on MNIST-1D read as a sequence of 40 scalars
(`fastdl train lstm`, `fastdl train gru`; the CLI sets config["cell"]).

Python API:
    model = SequenceClassifier("gru", hidden_size=128)
    acc = fit(model, load_mnist1d_sequences(), epochs=30, lr=1e-2)
"""
import fastdl
from fastdl import nn
from fastdl.data import load_mnist1d

from . import _classify
from ._run import curve

DEFAULTS = {"cell": "lstm", "epochs": 30, "lr": 1e-2, "batch_size": 100, "weight_decay": 0.0, "hidden": 128,
            "clip": 1.0, "forget_bias": 1.0}  # forget_bias: LSTM only (the GRU has no forget gate)

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class SequenceClassifier(nn.Module):
    """A one-layer LSTM/GRU (batch_first) over (N, T, features), then Linear on the last
    time step's hidden state.

    forget_bias (LSTM only) is added to the forget gate's input bias after PyTorch's
    default init (Gers et al. 2000; Jozefowicz et al. 2015): with sigmoid(1) = 0.73
    instead of ~0.5 the cell keeps what it saw early in the 40 steps, which the last
    step must classify from."""

    def __init__(self, cell="lstm", hidden_size=128, input_size=1, num_classes=10, forget_bias=1.0):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"SequenceClassifier: cell must be one of {', '.join(_CELLS)}, got {cell!r}")
        self.rnn = _CELLS[cell](input_size, hidden_size, batch_first=True)
        if cell == "lstm" and forget_bias:
            with fastdl.no_grad():
                self.rnn.bias_ih_l0[hidden_size:2 * hidden_size] += forget_bias  # gate order i, f, g, o
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def load_mnist1d_sequences():
    """MNIST-1D as (x_train (4000,40,1), y_train, x_test (1000,40,1), y_test)."""
    xtr, ytr, xte, yte = load_mnist1d()
    return xtr.reshape(len(xtr), -1, 1), ytr, xte.reshape(len(xte), -1, 1), yte


def fit(model, data, epochs=30, lr=1e-2, batch_size=100, weight_decay=0.0, clip=1.0, run=None, state=None,
        desc="rnn"):
    """Train a SequenceClassifier on data = (x_train, y_train, x_test, y_test) with
    gradient-norm clipping; returns the final test accuracy."""
    return _classify.fit(model, data, epochs, lr, batch_size=batch_size, weight_decay=weight_decay, clip=clip,
                         run=run, state=state, desc=desc)


def train(run, config, state=None):
    """`fastdl train lstm` / `fastdl train gru`."""
    model = SequenceClassifier(config["cell"], config["hidden"], forget_bias=config["forget_bias"])
    acc = fit(model, load_mnist1d_sequences(), config["epochs"], config["lr"], config["batch_size"],
              config["weight_decay"], config["clip"], run=run, state=state, desc=config["cell"])
    return {"test_accuracy": acc}


PLOTS = {"loss": curve("loss"), "test_accuracy": curve("test_accuracy", "test accuracy")}
