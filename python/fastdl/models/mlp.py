"""A multilayer perceptron on scikit-learn's digits, written with raw tensors and
autograd and trained by hand-written minibatch SGD: the spine's end-to-end example."""
import math
import time

import numpy as np

import fastdl
from fastdl.data import load_digits


def init_mlp(sizes, seed=0):
    """Weights (in, out) with PyTorch's default Linear init: U(-1/sqrt(in), 1/sqrt(in))."""
    fastdl.manual_seed(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / math.sqrt(fan_in)
        w = (fastdl.rand(fan_in, fan_out) * (2 * bound) - bound).requires_grad_()
        b = (fastdl.rand(fan_out) * (2 * bound) - bound).requires_grad_()
        params += [w, b]
    return params


def forward(params, x):
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = h.relu()
    return h


def accuracy(params, x, y):
    with fastdl.no_grad():
        return float((forward(params, x).argmax(dim=1) == y).float().mean())


DEFAULTS = {"epochs": 30, "lr": 0.1, "batch_size": 32, "hidden": 128}


def train_family(run, config, state=None):
    """`fastdl train mlp`: the family-API wrapper around train()."""
    def on_epoch(h):
        run.log(**h)
        run.say(f"epoch {h['epoch']:3d}  loss {h['loss']:.4f}  test accuracy {h['test_accuracy']:.4f}")

    result = train(epochs=config["epochs"], lr=config["lr"], batch_size=config["batch_size"], hidden=config["hidden"],
                   seed=run.seed, log=None, on_epoch=on_epoch)
    return {"test_accuracy": result["test_accuracy"], "train_seconds": result["seconds"]}


def train(epochs=30, lr=0.1, batch_size=32, hidden=128, seed=0, log=print, on_epoch=None):
    xtr, ytr, xte, yte = load_digits(seed=seed)
    xtr, xte = xtr.reshape(len(xtr), -1), xte.reshape(len(xte), -1)
    Xtr, Ytr, Xte, Yte = (fastdl.tensor(a) for a in (xtr, ytr, xte, yte))
    params = init_mlp([64, hidden, hidden, 10], seed)
    n = len(ytr)
    t0 = time.perf_counter()
    history = []
    for epoch in range(epochs):
        perm = fastdl.randperm(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            loss = fastdl.cross_entropy(forward(params, Xtr[idx]), Ytr[idx])
            for p in params:
                p.grad = None
            loss.backward()
            with fastdl.no_grad():
                for p in params:
                    p.sub_(p.grad * lr)
            total += loss.item() * len(idx)
        acc = accuracy(params, Xte, Yte)
        history.append({"epoch": epoch + 1, "loss": total / n, "test_accuracy": acc})
        if on_epoch:
            on_epoch(history[-1])
        if log:
            log(f"epoch {epoch + 1:3d}  loss {total / n:.4f}  test accuracy {acc:.4f}")
    return {"params": params, "history": history, "test_accuracy": history[-1]["test_accuracy"] if history else None,
            "seconds": time.perf_counter() - t0}
