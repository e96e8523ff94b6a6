"""An MLP autoencoder on scikit-learn's digits (64 pixels -> k -> 64), compared with
PCA at the same bottleneck k (NumPy SVD of the centred training set).

The metric is test reconstruction MSE (mean over pixels, images in [0, 1]); PCA is the
best *linear* k-dimensional code, so beating it shows the non-linear code is worth it.

    from fastdl.models import autoencoder
    model, summary = autoencoder.fit(epochs=100, k=8)
    summary["test_mse"], summary["pca_test_mse"]
"""
import numpy as np

import fastdl
from fastdl import nn

from ._images import digits_flat, save_grid
from ._run import curve, run_family

DEFAULTS = {"epochs": 100, "k": 8, "hidden": 256, "lr": 2e-3, "batch_size": 64, "weight_decay": 1e-5}


class AutoEncoder(nn.Module):
    """encoder 64 -> hidden -> hidden/2 -> k, decoder k -> hidden/2 -> hidden -> 64 (sigmoid)."""

    def __init__(self, n_in=64, k=8, hidden=256):
        super().__init__()
        h2 = hidden // 2
        self.encoder = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, h2), nn.ReLU(),
                                     nn.Linear(h2, k))
        self.decoder = nn.Sequential(nn.Linear(k, h2), nn.ReLU(), nn.Linear(h2, hidden), nn.ReLU(),
                                     nn.Linear(hidden, n_in), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def pca_mse(x_train, x_test, k):
    """Test MSE of the rank-k PCA reconstruction fitted on x_train (NumPy arrays (n, d))."""
    mean = x_train.mean(axis=0)
    _, _, vt = np.linalg.svd(x_train - mean, full_matrices=False)
    v = vt[:k].T
    recon = (x_test - mean) @ v @ v.T + mean
    return float(np.mean((recon - x_test) ** 2))


def mean_image_mse(x_train, x_test):
    """The trivial baseline: predict the mean training image for every test image."""
    return float(np.mean((x_test - x_train.mean(axis=0)) ** 2))


def evaluate(model, x):
    model.eval()
    with fastdl.no_grad():
        return float(fastdl.mse_loss(model(x), x))


def train(run, config, state=None):
    """`fastdl train autoencoder`: trains with Adam on MSE, one checkpoint per epoch."""
    return _train(run, config, state)[1]


def _train(run, config, state):
    xtr, _, xte, _ = digits_flat(seed=run.seed)
    model = AutoEncoder(xtr.shape[1], config["k"], config["hidden"])
    opt = fastdl.optim.Adam(model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"])
    sched = fastdl.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config["epochs"])
    start = 0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        fastdl.set_rng_state(state["rng"])
        start = int(state["epoch"])
    a_tr, a_te = xtr.numpy().astype(np.float64), xte.numpy().astype(np.float64)
    pca = pca_mse(a_tr, a_te, config["k"])
    baseline = mean_image_mse(a_tr, a_te)
    n, bs = len(xtr), config["batch_size"]
    test_mse = evaluate(model, xte)
    bar = run.progress(range(start, config["epochs"]), total=config["epochs"] - start, desc="autoencoder")
    for epoch in bar:
        model.train()
        perm = fastdl.randperm(n)
        total = 0.0
        for i in range(0, n, bs):
            xb = xtr[perm[i:i + bs]]
            loss = fastdl.mse_loss(model(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        sched.step()
        test_mse = evaluate(model, xte)
        run.log(epoch=epoch + 1, loss=total / n, test_mse=test_mse, pca_test_mse=pca)
        bar.set_postfix(loss=f"{total / n:.4f}", test_mse=f"{test_mse:.4f}", pca=f"{pca:.4f}")
        run.say(f"epoch {epoch + 1:4d}  loss {total / n:.5f}  test mse {test_mse:.5f}  (pca k={config['k']}: {pca:.5f})")
        run.checkpoint({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                        "rng": list(fastdl.get_rng_state()), "epoch": epoch + 1})
    with fastdl.no_grad():
        recon = model(xte[:16]).numpy()
    save_grid(run.out_dir, "reconstructions", [xte[:16].numpy(), recon], ["test images", "reconstructions"])
    return model, {"test_mse": test_mse, "pca_test_mse": pca, "mean_image_mse": baseline}


def fit(seed=0, out_dir=None, quiet=True, **config):
    """Python API: trains with DEFAULTS updated by `config`; returns (model, summary)."""
    return run_family("autoencoder", {**DEFAULTS, **config}, seed, out_dir, quiet,
                      lambda run, cfg: _train(run, cfg, None), PLOTS)


PLOTS = {"loss": curve("loss", "train MSE"), "test_mse": curve("test_mse", "test MSE")}
